"""`make dev`'s webhook receiver: an endpoint of the demo account on 127.0.0.1 that verifies
each delivery with the SDK (`vinr.webhooks.verify`) and prints one line per event."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from vinr.webhooks import SignatureVerificationError, verify

from local.console import say
from local.loopback import LoopbackReceiver

PATH = "/webhooks"


class LocalReceiver(LoopbackReceiver):
    def __init__(self, port: int) -> None:
        self.secret = ""  # set once the demo endpoint exists; until then every delivery is refused
        super().__init__(port, PATH, thread_name="webhook-receiver")

    def receive(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        if request.path != PATH:
            return self.answer(request, 404, b"not found", "application/json")
        try:
            event = verify(body, request.headers.get("vinr-signature"), secret=self.secret)
        except SignatureVerificationError as refused:
            say(f"webhook  REJECTED  {refused}")
            return self.answer(request, 400, b"bad signature", "application/json")
        say(f"webhook  {event['id']}  {event['type']}  verified")
        return self.answer(request, 200, b'{"received": true}', "application/json")

    def use_secret(self, secret: str) -> None:
        self.secret = secret
