"""Verify the webhooks VINR sends, with the endpoint's `whsec_…` secret. No client needed.

    from vinr.webhooks import verify

    event = verify(request_body, request.headers["Vinr-Signature"], secret="whsec_…")

Every delivery carries `Vinr-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`, where each hex is
HMAC-SHA256(key, f"{t}." + body) with key = the base64-decoded part of a live secret (during a
secret roll there is one `v1=` per live secret, and any one matching is enough). It also carries
the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature`, which
`verify_standard` checks. Both refuse a timestamp more than `tolerance` seconds from now, in
either direction, so a captured delivery cannot be replayed later.

Verify the raw body exactly as received: a body parsed and re-serialised is different bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from vinr.errors import SignatureVerificationError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "SignatureVerificationError",
    "Webhooks",
    "verify",
    "verify_standard",
]

DEFAULT_TOLERANCE = 300
SIGNATURE_HEADER = "Vinr-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SCHEME = "v1"


def _key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret. Any other secret (empty, another prefix, bad
    base64) cannot verify anything: a `SignatureVerificationError` like a wrong one, never a
    `ValueError` a webhook handler would not expect. The message never repeats the secret."""
    if not isinstance(secret, str) or not secret.strip():
        raise SignatureVerificationError("The webhook secret is empty: pass the endpoint's whsec_… secret.")
    text = secret.strip()
    if not text.startswith(SECRET_PREFIX):
        raise SignatureVerificationError("The webhook secret does not start with whsec_: use the endpoint's secret.")
    try:
        key = base64.b64decode(text.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise SignatureVerificationError("The webhook secret is not a whsec_… secret as VINR shows it (bad base64).")
    return key


def _bytes(payload: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    raise TypeError("The payload must be the raw request body, as bytes or str.")


def _timestamp(text: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise SignatureVerificationError(f"The signature's timestamp is not a Unix time: {text[:20]!r}.")
    return int(text)


def _check_age(timestamp: int, tolerance: int | None, now: float | None) -> None:
    if tolerance is None:
        return
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative.")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        direction = "old" if timestamp < current else "far in the future"
        raise SignatureVerificationError(
            f"The signature's timestamp is too {direction}: {int(abs(current - timestamp))} s away, "
            f"the tolerance is {tolerance} s."
        )


def _event(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise SignatureVerificationError("The payload is not JSON.") from None
    if not isinstance(decoded, dict):
        raise SignatureVerificationError("The payload is not a JSON object.")
    return decoded


def _matches(expected: str, candidates: list[str]) -> bool:
    """Constant-time comparison against every candidate (no early exit on the first hit)."""
    wanted = expected.encode("ascii")
    found = False
    for candidate in candidates:
        if candidate.isascii() and hmac.compare_digest(wanted, candidate.encode("ascii")):
            found = True
    return found


def parse_signature(header: str | None) -> tuple[int, list[str]]:
    """`t=1700000000,v1=ab…,v1=cd…` → (1700000000, ["ab…", "cd…"]); other schemes are ignored."""
    if not isinstance(header, str) or not header.strip():
        raise SignatureVerificationError(f"The {SIGNATURE_HEADER} header is missing or empty.")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals:
            raise SignatureVerificationError(f"The {SIGNATURE_HEADER} header is malformed: {part.strip()[:40]!r}.")
        if name == "t":
            timestamps.append(value)
        elif name == SCHEME and value:
            signatures.append(value.strip())
    if len(timestamps) != 1:
        raise SignatureVerificationError(f"The {SIGNATURE_HEADER} header needs exactly one t=<unix time>.")
    if not signatures:
        raise SignatureVerificationError(f"The {SIGNATURE_HEADER} header has no {SCHEME}= signature.")
    return _timestamp(timestamps[0]), signatures


def verify(
    payload: bytes | str,
    signature: str | None,
    tolerance: int | None = DEFAULT_TOLERANCE,
    *,
    secret: str,
    now: float | None = None,
) -> dict[str, Any]:
    """The event of a delivery whose `Vinr-Signature` header checks out; `SignatureVerificationError` otherwise.

    `payload` is the raw request body; `signature` the `Vinr-Signature` header; `tolerance` the
    seconds the signed timestamp may be from now in either direction (None: do not check, for
    replaying stored deliveries in tests); `now` overrides the current Unix time.
    """
    key = _key(secret)
    body = _bytes(payload)
    timestamp, candidates = parse_signature(signature)
    expected = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not _matches(expected, candidates):
        raise SignatureVerificationError(
            "No signature matches the payload: check the endpoint's secret and that the body is verified unparsed."
        )
    _check_age(timestamp, tolerance, now)
    return _event(body)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise SignatureVerificationError(f"The {name} header is missing.")


def verify_standard(
    payload: bytes | str,
    headers: Mapping[str, str],
    tolerance: int | None = DEFAULT_TOLERANCE,
    *,
    secret: str,
    now: float | None = None,
) -> dict[str, Any]:
    """The same check on the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)."""
    key = _key(secret)
    body = _bytes(payload)
    message_id = _header(headers, "webhook-id")
    timestamp = _timestamp(_header(headers, "webhook-timestamp"))
    candidates = [
        value
        for scheme, comma, value in (p.partition(",") for p in _header(headers, "webhook-signature").split())
        if comma and scheme == SCHEME and value
    ]
    if not candidates:
        raise SignatureVerificationError("The webhook-signature header has no v1,<signature>.")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
    if not _matches(expected, candidates):
        raise SignatureVerificationError(
            "No signature matches the payload: check the endpoint's secret and that the body is verified unparsed."
        )
    _check_age(timestamp, tolerance, now)
    return _event(body)


class Webhooks:
    """`client.webhooks`: the module's functions with the client's `webhook_secret` as the default secret."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret

    def _secret_or(self, secret: str | None) -> str:
        chosen = secret if secret is not None else self._secret
        if chosen is None:
            # Not a delivery's fault but the code's: no secret was given anywhere.
            raise ValueError("No webhook secret: pass Vinr(..., webhook_secret='whsec_…') or secret='whsec_…'.")
        return chosen

    def verify(
        self,
        payload: bytes | str,
        signature: str | None,
        tolerance: int | None = DEFAULT_TOLERANCE,
        *,
        secret: str | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """See `vinr.webhooks.verify`; `secret` defaults to the client's `webhook_secret`."""
        return verify(payload, signature, tolerance, secret=self._secret_or(secret), now=now)

    def verify_standard(
        self,
        payload: bytes | str,
        headers: Mapping[str, str],
        tolerance: int | None = DEFAULT_TOLERANCE,
        *,
        secret: str | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """See `vinr.webhooks.verify_standard`; `secret` defaults to the client's `webhook_secret`."""
        return verify_standard(payload, headers, tolerance, secret=self._secret_or(secret), now=now)
