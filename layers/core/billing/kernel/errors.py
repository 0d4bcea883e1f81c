"""Typed domain errors. Each carries its HTTP status, so handlers map them in one place."""

from __future__ import annotations

from typing import Any


class BillingError(Exception):
    """One code a kind of problem (docs/api-guide.md, "Errors"). A 400 is `parameter_invalid`
    when the value does not fit what the OpenAPI document states for it (the request models'
    refusals, and the core's checks of the same), and `invalid_request` (the default) when the
    request fits the document but a rule refuses it, `param` naming the field most at fault
    (tests/fuzz/test_api_schemathesis.py holds schema-valid requests to that)."""

    status = 400
    type = "invalid_request_error"
    code = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


class InvalidRequest(BillingError):
    status = 400


class AuthenticationFailed(BillingError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class CardError(BillingError):
    """402: the payment method was declined. `decline_code` is the issuer's reason
    (`insufficient_funds`, `generic_decline`, …), answered as `declineCode` when known."""

    status = 402
    type = "card_error"
    code = "card_declined"

    def __init__(
        self, message: str, *, param: str | None = None, code: str | None = None, decline_code: str | None = None
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.decline_code = decline_code

    def envelope(self) -> dict[str, Any]:
        envelope = super().envelope()
        if self.decline_code is not None:
            envelope["error"]["declineCode"] = self.decline_code
        return envelope


class PermissionDenied(BillingError):
    status = 403
    type = "permission_error"
    code = "forbidden"


class NotFound(BillingError):
    status = 404
    code = "resource_missing"


class Conflict(BillingError):
    status = 409
    code = "conflict"


class AlreadyExists(Conflict):
    """409: an object with the ID the request chose exists already (`param` names the ID's field)."""

    code = "resource_already_exists"


class Unprocessable(BillingError):
    status = 422
    code = "unprocessable"


class RateLimited(BillingError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limited"


class ServiceUnavailable(BillingError):
    status = 503
    type = "api_error"
    code = "service_unavailable"
