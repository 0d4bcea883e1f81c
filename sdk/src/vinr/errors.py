"""Typed errors: one class per kind of failure, each carrying what the API said.

The API answers every failure with `{"error": {"type", "code", "message", "param"}}`; those
fields are on every `VinrError` (None when absent), with the HTTP status and request ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "CardError",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "SignatureVerificationError",
    "VinrError",
    "error_from_response",
]

REQUEST_ID_HEADERS = ("request-id", "x-request-id", "apigw-requestid", "x-amzn-requestid")


class VinrError(Exception):
    """Every error the SDK raises. `status` is None when no HTTP answer was received."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.param = param
        self.type = type
        self.request_id = request_id
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        parts = [self.message]
        if self.param:
            parts.append(f"(param: {self.param})")
        if self.request_id:
            parts.append(f"[request {self.request_id}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, code={self.code!r}, "
            f"param={self.param!r}, request_id={self.request_id!r})"
        )


class InvalidRequestError(VinrError):
    """400 or 422: a parameter is missing or invalid (see `param`), or the request cannot be done."""


class CardError(VinrError):
    """402: the card (or other payment method) was declined. `code` is `card_declined` or the
    gateway's reason; `decline_code` the issuer's reason when the API gives one
    (`insufficient_funds`, `expired_card`, …), else None."""

    def __init__(self, message: str, *, decline_code: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.decline_code = decline_code


class AuthenticationError(VinrError):
    """401: the secret key is missing, malformed, revoked or unknown."""


class PermissionDeniedError(VinrError):
    """403: the key may not do this (e.g. a test-mode-only call with a live key)."""


class NotFoundError(VinrError):
    """404: no such object (see `param`), or no such route."""


class ConflictError(VinrError):
    """409: the request conflicts with the object's state, or its Idempotency-Key is still in progress."""


class RateLimitError(VinrError):
    """429: too many requests; retried automatically up to `max_retries`."""


class APIError(VinrError):
    """5xx, or an answer the SDK cannot read; retried automatically up to `max_retries`."""


class APIConnectionError(VinrError):
    """The API could not be reached (DNS, refused connection, TLS, broken connection)."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class SignatureVerificationError(VinrError):
    """A webhook's signature header is missing, malformed, stale, or does not match the payload."""


def _status_class(status: int) -> type[VinrError]:
    if status in (400, 422):
        return InvalidRequestError
    if status == 401:
        return AuthenticationError
    if status == 402:
        return CardError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return APIError
    if 400 <= status < 500:
        return InvalidRequestError
    return APIError


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def request_id_of(headers: Mapping[str, str]) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in REQUEST_ID_HEADERS:
        if lowered.get(name):
            return lowered[name]
    return None


def error_from_response(status: int, body: Any, headers: Mapping[str, str]) -> VinrError:
    """The typed error for an HTTP answer: the API's envelope, or API Gateway's `{"message"}`."""
    envelope = body.get("error") if isinstance(body, dict) else None
    if isinstance(envelope, dict):
        message = _text(envelope.get("message")) or f"HTTP {status}"
        code, param, kind = _text(envelope.get("code")), _text(envelope.get("param")), _text(envelope.get("type"))
    else:
        message = (_text(body.get("message")) if isinstance(body, dict) else None) or f"HTTP {status}"
        code = param = kind = None
    details: dict[str, Any] = {
        "status": status,
        "code": code,
        "param": param,
        "type": kind,
        "request_id": request_id_of(headers),
        "body": body,
        "headers": headers,
    }
    kind_of_error = _status_class(status)
    if kind_of_error is CardError:
        return CardError(message, decline_code=_decline_code(envelope, code), **details)
    return kind_of_error(message, **details)


def _decline_code(envelope: Any, code: str | None) -> str | None:
    """The envelope's `declineCode`; else its `code` when that is more precise than `card_declined`
    (the API puts the gateway's decline reason there)."""
    if isinstance(envelope, dict):
        given = _text(envelope.get("declineCode")) or _text(envelope.get("decline_code"))
        if given:
            return given
    return code if code and code != "card_declined" else None
