"""A `requests` transport into the real handlers: what a `requests.Session` sends to
`http://api.invalid/…` becomes the payload v2 event API Gateway would send, routed by the
template's routes, and the handler's answer becomes the `requests.Response`.

Schemathesis (and anything else that speaks `requests`) can then drive the merchant API in
this process, on the `stack` fixture's moto, with no server and no port.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict, HTTPResponse

from local import gateway, invoke
from local.template import Template

BASE_URL = "http://api.invalid"


class LambdaAdapter(BaseAdapter):
    """Sends each request to the function whose route matches, as API Gateway (HTTP API) does."""

    def __init__(self, template: Template, api: str = "MerchantHttpApi") -> None:
        super().__init__()
        self.routes = gateway.routes_for(api, template.functions())
        self.calls = 0
        self.statuses: Counter[int] = Counter()  # the handlers' answers, by status

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **_: Any
    ) -> requests.Response:
        split = urlsplit(request.url or "")
        raw_path = split.path or "/"
        found = self._match(request.method or "GET", raw_path)
        if found is None:  # API Gateway answers what no route takes (there is no `$default` route) itself
            return self._response(request, 404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
        route, params = found
        body = request.body.encode() if isinstance(request.body, str) else request.body
        event = invoke.http_event(
            request.method or "GET",
            unquote(raw_path),
            route_key=invoke.route_key(route.method, route.path),
            path_parameters={k: unquote(v) for k, v in params.items()} or None,
            query=split.query,
            headers=list(request.headers.items()),
            body=body or None,
        )
        handler = invoke.load_handler(route.function)
        answer = invoke.http_response(handler(event, invoke.LambdaContext(route.function.name)))
        self.calls += 1
        self.statuses[answer.status] += 1
        return self._response(request, answer.status, answer.headers, answer.body)

    def _match(self, method: str, raw_path: str) -> tuple[gateway.BoundRoute, dict[str, str]] | None:
        for route in self.routes:
            if route.method in (method.upper(), "ANY"):
                params = invoke.match_route(route.path, raw_path)
                if params is not None:
                    return route, params
        return None

    @staticmethod
    def _response(
        request: requests.PreparedRequest,
        status: int,
        headers: Mapping[str, str] | list[tuple[str, str]],
        body: bytes,
    ) -> requests.Response:
        pairs = list(headers.items()) if isinstance(headers, Mapping) else headers
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(dict(pairs))
        # what the wire would have carried, repeated headers (set-cookie) and all
        response.raw = HTTPResponse(
            body=io.BytesIO(body), headers=HTTPHeaderDict(pairs), status=status, version=11, preload_content=False
        )
        response._content = body
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if status < 400 else "Error"
        return response

    def close(self) -> None:
        pass


def routing_to(adapter: LambdaAdapter) -> Callable[[requests.Session, str], BaseAdapter]:
    """A `Session.get_adapter` that sends `BASE_URL` to `adapter` on every session."""
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        return adapter if url.startswith(f"{BASE_URL}/") else original(self, url)

    return get_adapter


def session(template: Template, key: str | None = None) -> requests.Session:
    """A `requests.Session` whose `BASE_URL` is the merchant API in this process."""
    made = requests.Session()
    made.mount(f"{BASE_URL}/", LambdaAdapter(template))
    made.trust_env = False
    if key:
        made.headers["Authorization"] = f"Bearer {key}"
    return made
