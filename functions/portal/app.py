"""Portal function: API Gateway (HTTP API, payload v2) → Mangum → the Starlette site."""

from typing import Any

from mangum import Mangum

from portal_site.site import create_app

handler: Any = Mangum(create_app(), lifespan="off", api_gateway_base_path="/")
