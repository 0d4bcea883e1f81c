"""`make dev`'s webhook receiver: an endpoint of the demo account on 127.0.0.1 that verifies
each delivery with the SDK (`vinr.webhooks.verify`) and prints one line per event."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vinr.webhooks import SignatureVerificationError, verify

PATH = "/webhooks"


class LocalReceiver:
    def __init__(self, port: int) -> None:
        self.secret = ""  # set once the demo endpoint exists; until then every delivery is refused
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stalls)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path != PATH:
                    return self.answer(404, b"not found")
                try:
                    event = verify(body, self.headers.get("vinr-signature"), secret=receiver.secret)
                except SignatureVerificationError as refused:
                    print(f"webhook  REJECTED  {refused}", flush=True)
                    return self.answer(400, b"bad signature")
                print(f"webhook  {event['id']}  {event['type']}  verified", flush=True)
                return self.answer(200, b'{"received": true}')

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    def use_secret(self, secret: str) -> None:
        self.secret = secret

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
