"""Portal function: API Gateway (HTTP API, payload v2) → Mangum → the Starlette site."""

from billing.kernel.coldstart import collector_paused

with collector_paused():  # the site's app is made with its imports: it lives as long as they do
    from typing import Any

    from mangum import Mangum

    from portal_site.site import create_app

    handler: Any = Mangum(create_app(), lifespan="off", api_gateway_base_path="/")
