"""A local API Gateway (HTTP API): the template's routes in front of the real handlers.

One `ThreadingHTTPServer` per HttpApi. Each request becomes a payload v2 event for the
function whose route matches (most specific first, as API Gateway picks; a `$default` route
takes what no other does), and the handler's answer becomes the HTTP response. In this
process, invocations of one function are serialised: one warm "container" per function, as
Powertools keeps the current event in a class attribute. With `workers`, each function runs in
that many processes of its own instead (`local.workers`), as Lambda's containers.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import sys
import threading
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from local import invoke
from local.template import Function
from local.workers import WorkerFailed, WorkerPools

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
MAX_HEAD_BYTES = 10240  # API Gateway (HTTP API): the request line and the header values together
# When set, a file each event is appended to (a JSON line: the function and the event), so that a
# test can read everything that reached the functions.
RECORD_EVENTS = "VINR_LOCAL_RECORD_EVENTS"
_record_lock = threading.Lock()


def _record(function: Function, event: dict[str, Any]) -> None:
    path = os.environ.get(RECORD_EVENTS)
    if path:
        line = json.dumps({"function": function.logical_id, "event": event})
        with _record_lock, open(path, "a", encoding="utf-8") as target:
            target.write(line + "\n")


# A hosted invoice's path carries its link's token: logged as `/i/…` (as API Gateway's access log
# has only the route key).
_HOSTED_INVOICE = re.compile(r"^/i/[^/]+")


def loggable_path(path: str) -> str:
    """`path` as the log shows it: without its query, and without a hosted invoice link's token."""
    return _HOSTED_INVOICE.sub("/i/…", path.split("?")[0])


def new_request_id() -> str:
    """An ID in the shape of API Gateway's (HTTP API): 10 random bytes, base64 (`Ab3dEf9hIjKlMn=`)."""
    return base64.b64encode(secrets.token_bytes(10)).decode("ascii")


@dataclass(frozen=True)
class BoundRoute:
    method: str
    path: str
    function: Function


def routes_for(api: str, functions: list[Function]) -> list[BoundRoute]:
    bound = [BoundRoute(r.method, r.path, f) for f in functions for r in f.routes if r.api == api]
    return sorted(bound, key=lambda r: invoke.route_specificity(r.path))


class Gateway:
    """One HTTP API on 127.0.0.1:`port`."""

    def __init__(self, name: str, routes: list[BoundRoute], port: int, workers: int = 0) -> None:
        self.name = name
        self.routes = routes
        self._locks: dict[str, threading.Lock] = {r.function.logical_id: threading.Lock() for r in routes}
        self._workers = WorkerPools(workers) if workers else None
        gateway = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            request_id = ""

            def _serve(self) -> None:
                self.request_id = new_request_id()
                try:
                    gateway.serve(self, self.request_id)
                finally:
                    self.request_id = ""

            def end_headers(self) -> None:
                # As API Gateway, on every answer: the function's and the gateway's own refusals
                self.send_header("apigw-requestid", self.request_id or new_request_id())
                super().end_headers()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                # API Gateway's access log, shortened: the request ID finds the functions' lines about it
                shown = f" {self.request_id}" if self.request_id else ""
                sys.stderr.write(f"[{gateway.name}] {self.command} {loggable_path(self.path)} {args[1]}{shown}\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"gateway-{name}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        if self._workers is not None:  # on this thread, which outlives them (`die_with_parent`)
            self._workers.start(list({r.function.logical_id: r.function for r in self.routes}.values()))
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
        if self._workers is not None:
            self._workers.stop()

    def match(self, method: str, path: str) -> tuple[BoundRoute, dict[str, str]] | None:
        for route in self.routes:
            if route.method not in (method, "ANY"):
                continue
            params = invoke.match_route(route.path, path)
            if params is not None:
                return route, params
        return None

    def serve(self, request: BaseHTTPRequestHandler, request_id: str | None = None) -> None:
        """One request: `request_id` is its ID (as API Gateway's, in the event's
        `requestContext.requestId` and in the answer's `apigw-requestid`)."""
        request_id = request_id or new_request_id()
        split = urlsplit(request.path)
        head = len(request.requestline) + sum(len(value) for value in request.headers.values())
        if head > MAX_HEAD_BYTES:
            self._refuse(request, 431, "Request Header Fields Too Large")
            return
        declared = request.headers.get_all("content-length") or []
        if len(declared) > 1 or (declared and not declared[0].strip().isdigit()):
            self._refuse(request, 400, "Bad Request")
            return
        length = int(declared[0]) if declared else 0
        if length > MAX_BODY_BYTES:
            self._refuse(request, 413, "Request Entity Too Large")
            return
        body = request.rfile.read(length) if length else b""
        found = self.match(request.command, split.path or "/")
        if found is None:
            self._send(request, 404, {"message": "Not Found"})
            return
        route, params = found
        event = invoke.http_event(
            request.command,
            split.path or "/",
            route_key=invoke.route_key(route.method, route.path),
            path_parameters=params or None,
            query=split.query,
            headers=list(request.headers.items()),
            body=body or None,
            source_ip=request.client_address[0],
            host=request.headers.get("host", "127.0.0.1"),
            scheme="http",  # this gateway serves plain http: redirects the handlers build stay on it
        )
        event["requestContext"]["requestId"] = request_id
        function = route.function
        _record(function, event)
        try:
            if self._workers is not None:
                answer = self._workers.invoke(function, event)
            else:
                handler = invoke.load_handler(function)
                with self._locks[function.logical_id]:
                    answer = handler(event, invoke.LambdaContext(function.name))
            response = invoke.http_response(answer)
        except WorkerFailed:  # the worker printed the handler's traceback
            self._send(request, 502, {"message": "Internal Server Error"})
            return
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send(request, 502, {"message": "Internal Server Error"})
            return
        request.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                request.send_header(name, value)
        request.send_header("content-length", str(len(response.body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(response.body)

    def _refuse(self, request: BaseHTTPRequestHandler, status: int, message: str) -> None:
        """Refused before the body is read: the connection closes, so that the unread body is
        never taken for the next request on it."""
        request.close_connection = True
        self._send(request, status, {"message": message}, close=True)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict[str, str], *, close: bool = False) -> None:
        raw = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(raw)))
        if close:
            request.send_header("connection", "close")
        request.end_headers()
        request.wfile.write(raw)
