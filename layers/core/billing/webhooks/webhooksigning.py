"""Webhook signatures: Standard Webhooks headers and `Vinr-Signature`, from one secret.

A secret is `whsec_` + base64 of 32 random bytes (the Standard Webhooks format); the HMAC key
is those 32 bytes, for both headers:

- `webhook-id: <event id>`, `webhook-timestamp: <unix>`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` (one `v1,…` per
  live secret, space-separated), so any Standard Webhooks library verifies it;
- `Vinr-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">` (one `v1=` per live secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(key_of(secret), message, hashlib.sha256).digest()


def standard_signature(secrets_: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(_hmac(s, signed)).decode("ascii") for s in secrets_)


def vinr_signature(secrets_: Sequence[str], timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return ",".join([f"t={timestamp}", *(f"v1={_hmac(s, signed).hex()}" for s in secrets_)])


def headers(secrets_: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of one signed delivery (the body is sent exactly as signed)."""
    return {
        "content-type": "application/json",
        "user-agent": "VINR-Webhooks/1.0",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secrets_, message_id, timestamp, body),
        "vinr-signature": vinr_signature(secrets_, timestamp, body),
    }
