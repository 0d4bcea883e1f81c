"""Security headers on every portal response (a pure ASGI middleware, so streaming is untouched)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing.kernel import config

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


STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"
# Stripe.js loads its parts from subdomains of js.stripe.com, and 3-D Secure runs in frames of
# hooks.stripe.com.
STRIPE_SCRIPT_SOURCES = (STRIPE_JS_ORIGIN, "https://*.js.stripe.com")
STRIPE_FRAME_SOURCES = (*STRIPE_SCRIPT_SOURCES, "https://hooks.stripe.com")


class GatewaySources(msgspec.Struct, frozen=True):
    """What a page with the payment gateway's own fields loads from the gateway."""

    scripts: tuple[str, ...]
    frames: tuple[str, ...]
    connect: tuple[str, ...]


def _origin_of(url: str, setting: str) -> str:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if not _ORIGIN.match(origin):
        raise config.ConfigurationError(f"{setting} is not an http(s) URL")
    return origin


def gateway_sources(js_url: str, api_base: str | None) -> GatewaySources:
    """The gateway's script origin (`STRIPE_JS_URL`), its frames, and the API its script calls
    (`STRIPE_API_BASE`, Stripe's own unless set): localstripe serves all three from one origin."""
    js_origin = _origin_of(js_url, "STRIPE_JS_URL")
    own_js = js_origin == STRIPE_JS_ORIGIN
    return GatewaySources(
        scripts=STRIPE_SCRIPT_SOURCES if own_js else (js_origin,),
        frames=STRIPE_FRAME_SOURCES if own_js else (js_origin,),
        connect=(_origin_of(api_base, "STRIPE_API_BASE") if api_base else STRIPE_API_ORIGIN,),
    )


def with_gateway(policy: str, sources: GatewaySources) -> str:
    """`policy` plus what the gateway's fields need: its script (and the portal's own, which
    drives it), its frames, and fetches to the gateway's API (and to the portal, for the setup
    and the payment's client secret). Every other page keeps the policy without them."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            directives.setdefault(name, []).extend(values)
    for name, added in (
        ("script-src", ("'self'", *sources.scripts)),
        ("frame-src", sources.frames),
        ("connect-src", ("'self'", *sources.connect)),
    ):
        present = directives.setdefault(name, [])
        present.extend(value for value in added if value not in present)
    return "; ".join(" ".join((name, *values)) for name, values in directives.items())


def gateway_page_csp(policy: str | None) -> str:
    """A gateway page's policy: `policy` (the page's own, else the portal's) with the origins
    of the configured gateway (`config.settings()`)."""
    settings = config.settings()
    return with_gateway(policy or CSP, gateway_sources(settings.stripe_js_url, settings.stripe_api_base))


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
