"""Calling a real Lambda handler in this process, as API Gateway and the runtime would.

`load_handler` imports a function's handler module from its code directory under a unique
module name (every function's module is called `app`); `http_event` builds an API Gateway
HTTP API payload v2 event; `http_response` reads the handler's answer back.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from local.template import Function

Handler = Callable[[dict[str, Any], Any], Any]
_loaded: dict[str, Handler] = {}
_load_lock = threading.Lock()

TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml", "+json", "+xml")


@dataclass
class LambdaContext:
    """The attributes of the runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 15.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def load_handler(function: Function) -> Handler:
    """The function's handler, imported once, with its code directory importable as in Lambda."""
    with _load_lock:
        if function.logical_id in _loaded:
            return _loaded[function.logical_id]
        module_name, _, attribute = function.handler.rpartition(".")
        path = function.code_dir / f"{module_name.replace('.', '/')}.py"
        if str(function.code_dir) not in sys.path:
            sys.path.insert(0, str(function.code_dir))
        unique = f"lambda_{function.name}_{module_name.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(unique, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        spec.loader.exec_module(module)
        handler = _on_a_thread_with_an_event_loop(getattr(module, attribute))
        _loaded[function.logical_id] = handler
        return handler


def _on_a_thread_with_an_event_loop(handler: Handler) -> Handler:
    """Lambda calls a handler on its one thread, which has an event loop (Mangum expects
    it); here invocations come on the gateway's and the tests' threads, so each gets one."""

    @functools.wraps(handler)
    def invoke_handler(event: dict[str, Any], context: Any) -> Any:
        try:
            asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            asyncio.set_event_loop(asyncio.new_event_loop())
        return handler(event, context)

    return invoke_handler


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    lowered = content_type.lower()
    return any(marker in lowered for marker in TEXT_TYPES)


def route_key(method: str, template_path: str) -> str:
    """The event's `routeKey`: `GET /v1/customers/{id}`, or `$default` for the default route."""
    return DEFAULT_ROUTE if template_path == DEFAULT_ROUTE else f"{method} {template_path}"


def http_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    query: str = "",
    headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
    host: str = "127.0.0.1",
    scheme: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as the service sends it. `scheme`: the
    client's, which API Gateway puts in `X-Forwarded-Proto` over whatever the client sent (https
    deployed; the local gateway's plain http), so that the handler's absolute URLs use it."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in pairs:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[lower] = f"{merged[lower]},{value}" if lower in merged else value
    merged.setdefault("host", host)
    if scheme is not None:
        merged["x-forwarded-proto"] = scheme
    query_params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        query_params[key] = f"{query_params[key]},{value}" if key in query_params else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or "$default",
        "rawPath": quote(path, safe="/%:@!$&'()*+,;=-._~"),
        "rawQueryString": query,
        "headers": merged,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": merged["host"].split(":")[0],
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key or "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query_params:
        event["queryStringParameters"] = query_params
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        raw = body.encode() if isinstance(body, str) else body
        if is_text(merged.get("content-type")):
            try:
                event["body"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    return event


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def http_response(answer: Any) -> HttpResponse:
    """Reads a payload v2 answer: a dict with statusCode…, or any other value sent as JSON."""
    import json

    if not isinstance(answer, dict) or "statusCode" not in answer:
        return HttpResponse(200, [("content-type", "application/json")], json.dumps(answer).encode())
    headers: list[tuple[str, str]] = []
    for name, value in (answer.get("headers") or {}).items():
        headers.append((name, str(value)))
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    headers.extend(("set-cookie", cookie) for cookie in answer.get("cookies") or [])
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode("utf-8")
    return HttpResponse(int(answer["statusCode"]), headers, raw)


DEFAULT_ROUTE = "$default"  # an HttpApi's route for whatever no other route takes


def match_route(template_path: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` matches `template_path` (`/v1/customers/{id}`, `/{proxy+}`;
    `$default` matches every path, without parameters)."""
    if template_path == DEFAULT_ROUTE:
        return {}
    want = [p for p in template_path.split("/") if p]
    have = [p for p in path.split("/") if p]
    params: dict[str, str] = {}
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}"):
            if index >= len(have):
                return None
            params[part[1:-2]] = "/".join(have[index:])
            return params
        if index >= len(have):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = have[index]
        elif part != have[index]:
            return None
    return params if len(want) == len(have) else None


def route_specificity(template_path: str) -> tuple[int, int]:
    """Sort key: exact segments first, greedy `{proxy+}` after, `$default` last, as API Gateway
    picks routes."""
    if template_path == DEFAULT_ROUTE:
        return (2, 0)
    parts = [p for p in template_path.split("/") if p]
    greedy = any(p.endswith("+}") for p in parts)
    literal = sum(1 for p in parts if not p.startswith("{"))
    return (1 if greedy else 0, -literal)


__all__ = [
    "DEFAULT_ROUTE",
    "HttpResponse",
    "LambdaContext",
    "Path",
    "http_event",
    "http_response",
    "load_handler",
    "match_route",
    "route_key",
]
