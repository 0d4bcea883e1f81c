"""Typed domain errors. Each carries its HTTP status, so handlers map them in one place."""

from __future__ import annotations

from typing import Any


class BillingError(Exception):
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
