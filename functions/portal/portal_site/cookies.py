"""The portal cookie and the CSRF token bound to it.

The cookie is `__Host-vinr_portal=<session id>.<token>`: the browser sends it only over
HTTPS, to this host, on same-site requests, never to scripts. The token is random and made
at the exchange; only its hash is stored. The CSRF token is an HMAC of the fixed purpose
under the cookie token, so it is bound to one session and unguessable without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import msgspec

COOKIE_NAME = "__Host-vinr_portal"
CSRF_FIELD = "csrf"
_VALUE = re.compile(r"^(bps_[A-Za-z0-9]{1,60})\.([A-Za-z0-9]{20,100})\Z")


class PortalCookie(msgspec.Struct, frozen=True):
    session_id: str
    token: str

    @property
    def value(self) -> str:
        return f"{self.session_id}.{self.token}"


def parse(value: str | None) -> PortalCookie | None:
    match = _VALUE.match(value or "")
    return PortalCookie(match.group(1), match.group(2)) if match else None


def csrf_token(cookie: PortalCookie) -> str:
    return hmac.new(cookie.token.encode(), b"vinr-portal-csrf", hashlib.sha256).hexdigest()


def csrf_valid(cookie: PortalCookie, submitted: object) -> bool:
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    if not isinstance(submitted, str):
        return False
    return hmac.compare_digest(csrf_token(cookie).encode(), submitted.encode("utf-8", "surrogateescape"))
