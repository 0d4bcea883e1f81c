"""A merchant's view of the API in tests: real payload v2 events into the real handler."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from local import gateway, invoke
from local.template import Function, Template


@dataclass
class ApiClient:
    """Routes like API Gateway: the template's routes of the merchant API pick the function."""

    template: Template
    key: str | None = None
    api: str = "MerchantHttpApi"

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: str | bytes | None = None,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        key: str | None = None,
    ) -> invoke.HttpResponse:
        function, route_key, params = self._route(method, path)
        all_headers = {"user-agent": "pytest-merchant"}
        token = key if key is not None else self.key
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body)
            all_headers["content-type"] = "application/json"
        all_headers.update(headers or {})
        event = invoke.http_event(
            method,
            path,
            route_key=route_key,
            path_parameters=params,
            query=urlencode(query or {}, doseq=True),
            headers=all_headers,
            body=body,
        )
        handler = invoke.load_handler(function)
        return invoke.http_response(handler(event, invoke.LambdaContext(function.name)))

    def _route(self, method: str, path: str) -> tuple[Function, str, dict[str, str] | None]:
        for route in gateway.routes_for(self.api, self.template.functions()):
            if route.method in (method.upper(), "ANY"):
                params = invoke.match_route(route.path, path)
                if params is not None:
                    return route.function, invoke.route_key(route.method, route.path), params or None
        # No route takes it (the template gives this API no `$default` route): API Gateway would
        # answer itself; the tests send it to the API function, as its `$default` route does.
        return self.template.function("api"), invoke.DEFAULT_ROUTE, None

    def get(self, path: str, **kwargs: Any) -> invoke.HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> invoke.HttpResponse:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> invoke.HttpResponse:
        return self.request("DELETE", path, **kwargs)


def ok(response: invoke.HttpResponse) -> dict[str, Any]:
    """The JSON body of a 200 answer (the test fails with the body otherwise)."""
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result
