"""Security headers on every portal response (a pure ASGI middleware, so streaming is untouched)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
BASE_HEADERS = {
    "content-security-policy": CSP,
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


_ORIGIN = re.compile(r"^https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?\Z")


def page_csp(*, script_sha256: str | None = None, form_redirect_to: str | None = None) -> str:
    """The portal's policy, plus the one inline script whose SHA-256 (base64) is given, and
    the origin of a URL a form's answer redirects to (browsers hold redirects after a form
    post to `form-action`, so the return to the merchant's site must be named)."""
    policy = CSP
    if form_redirect_to:
        parts = urlsplit(form_redirect_to)
        origin = f"{parts.scheme}://{parts.netloc}"
        if _ORIGIN.match(origin):
            policy = policy.replace("form-action 'self'", f"form-action 'self' {origin}")
    if script_sha256:
        policy += f"; script-src 'sha256-{script_sha256}'"
    return policy


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.decode().lower() for name, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in BASE_HEADERS.items() if k not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
