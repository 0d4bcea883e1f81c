"""The Python SDK of the VINR merchant API.

    from vinr import Vinr

    vinr = Vinr("sk_test_…", base_url="https://api.example.com")  # or set VINR_API_URL
    customer = vinr.customers.create(email="ada@example.com", name="Ada")
    session = vinr.billing.portal_sessions.create(customer=customer["id"], return_url="https://example.com/account")
    # redirect the customer to session["url"]

Webhooks: `vinr.webhooks.verify(body, headers["Vinr-Signature"], secret="whsec_…")`.
"""

from vinr import webhooks
from vinr._client import Vinr
from vinr._version import __version__
from vinr._wire import NOT_GIVEN, NotGiven
from vinr.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CardError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SignatureVerificationError,
    VinrError,
)
from vinr.resources import VinrObject

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "CardError",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "SignatureVerificationError",
    "Vinr",
    "VinrError",
    "VinrObject",
    "__version__",
    "webhooks",
]
