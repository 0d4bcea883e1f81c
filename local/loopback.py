"""A webhook receiver's HTTP server on 127.0.0.1, shared by `make dev`'s receiver
(`local.receiver`), the tests' scripted one (`tests.support.webhooks`) and the bench's.

It speaks HTTP/1.1 with keep-alive, so a sender reuses its connections as `deliver` does, and
without Nagle's algorithm, so headers and body leave at once (no delayed-ACK stalls). A
subclass answers each POST in `receive`; requests are not logged.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackReceiver:
    """A ThreadingHTTPServer on 127.0.0.1 (`port` 0: any free one) whose POSTs go to `receive`;
    `url` is its address with `path`. `start` serves on a daemon thread, `stop` closes it."""

    def __init__(self, port: int = 0, path: str = "/hooks", *, thread_name: str | None = None) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so the sender can reuse its connections
            disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stalls)

            def do_POST(self) -> None:
                receiver.receive(self, self.rfile.read(int(self.headers.get("content-length", "0"))))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=thread_name, daemon=True)

    def receive(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        """Answer one POST (`request` is its handler: path, headers, client address; `answer`)."""
        raise NotImplementedError

    @staticmethod
    def answer(request: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None = None) -> None:
        request.send_response(status)
        if content_type:
            request.send_header("content-type", content_type)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
