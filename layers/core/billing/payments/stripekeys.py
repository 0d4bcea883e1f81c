"""Stripe keys checked before they are saved: their shapes (each naming its field), then one call
to Stripe with the secret key, so a mistyped or revoked key is refused when it is connected,
not at the first charge.

The prefix is Stripe's own statement of a key's mode (`sk_test_` keys only ever reach test-mode
data), so a live key offered to test mode, or the reverse, is refused by its shape.
"""

from __future__ import annotations

import re

from billing.kernel.errors import InvalidRequest
from billing.payments.gateway import GatewayUnavailable

KEYS_INVALID = "payment_gateway_keys_invalid"
# The check's own bounds (Lambda gives a request 15 s): connect, read; no retry.
TIMEOUT_SECONDS = (3.0, 8.0)
# (prefixes of one mode, what the field must be)
_KEYS = {
    "secretKey": (("sk", "rk"), "a secret key (sk_{mode}_…) or restricted key (rk_{mode}_…)"),
    "publishableKey": (("pk",), "a publishable key (pk_{mode}_…)"),
}
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]{16,250}")  # Stripe: base62; others: base64(url)


def _mode(livemode: bool) -> str:
    return "live" if livemode else "test"


def _is_key(value: str, prefixes: tuple[str, ...], mode: str) -> bool:
    return any(re.fullmatch(rf"{prefix}_{mode}_[A-Za-z0-9]{{8,247}}", value) for prefix in prefixes)


def check_shapes(secret_key: str, publishable_key: str, webhook_secret: str, *, livemode: bool) -> None:
    """A 400 naming the first field that is not a Stripe key of this mode."""
    mode, other = _mode(livemode), _mode(not livemode)
    for param, value in (("secretKey", secret_key), ("publishableKey", publishable_key)):
        prefixes, what = _KEYS[param]
        if _is_key(value, prefixes, mode):
            continue
        if _is_key(value, prefixes, other):
            message = (
                f"{param} is a {other}-mode key; this request is in {mode} mode (it was made with a "
                f"{mode}-mode API key). Connect {other}-mode keys with a {other}-mode API key."
            )
        else:
            message = f"{param} must be {what.format(mode=mode)} from the Stripe dashboard."
        raise InvalidRequest(message, param=param)
    if not _WEBHOOK_SECRET.fullmatch(webhook_secret):
        raise InvalidRequest(
            "webhookSecret must be the webhook endpoint's signing secret (whsec_…) from the Stripe dashboard.",
            param="webhookSecret",
        )


def verify(secret_key: str, publishable_key: str, webhook_secret: str, *, livemode: bool, api_base: str | None) -> None:
    """The keys' shapes, then one call to Stripe (the balance) that the secret key must pass."""
    check_shapes(secret_key, publishable_key, webhook_secret, livemode=livemode)
    _authenticate(secret_key, api_base)


def _authenticate(secret_key: str, api_base: str | None) -> None:
    import stripe  # ~200 ms to import: only the requests that connect a gateway pay for it

    client = stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
    )
    try:
        client.v1.balance.retrieve()
    except stripe.AuthenticationError:
        raise InvalidRequest(
            "Stripe refused this secret key (it is mistyped, rolled or revoked).", param="secretKey", code=KEYS_INVALID
        ) from None
    except stripe.PermissionError:
        raise InvalidRequest(
            "Stripe accepted this restricted key but it may not read the balance; give it Balance (read) "
            "besides Customers, PaymentMethods, SetupIntents and PaymentIntents (write), or use the secret key.",
            param="secretKey",
            code=KEYS_INVALID,
        ) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError):
        raise GatewayUnavailable("Stripe could not be reached to check the keys; retry shortly.") from None
    except stripe.StripeError as error:
        # Not the key's fault as far as is known (the call has no parameters to get wrong).
        status = getattr(error, "http_status", None)
        message = f"Stripe answered the key check unexpectedly (HTTP {status}); retry shortly."
        raise GatewayUnavailable(message) from None
