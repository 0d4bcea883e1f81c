"""The Stripe adapter of the payment gateway port (`billing.payments.gateway.Gateway`), on the
account's own keys through the pinned `stripe` package.

Customers, PaymentMethods (attached from Stripe.js or a test ID), SetupIntents (a card saved in
Stripe's own fields, a SEPA mandate accepted in our plain form), off-session PaymentIntents with
our idempotency key, and Stripe's signed events. What Stripe's answers mean is
`billing.payments.stripeoutcomes`; this module makes the calls and translates Stripe's errors:
unreachable or failing → 503 `payment_gateway_unavailable` (nothing is known to have moved), keys
refused → 409 `payment_gateway_keys_invalid`, a method refused while being saved → 402
`card_declined`, anything else Stripe refuses → 400 naming our field.

Nothing here logs: Stripe's own logger is kept above DEBUG, where it would print request bodies
(card data, IBANs) and answers (client secrets).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import stripe

from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest
from billing.payments.gateway import (
    ChargeRequest,
    ChargeResult,
    GatewayEvent,
    GatewayUnavailable,
    MethodType,
    SavedMethod,
    SetupSession,
)
from billing.payments.paymentmethods import CardDeclined
from billing.payments.stripekeys import KEYS_INVALID
from billing.payments.stripeoutcomes import card_error_result, charge_result, gateway_event, saved_method

if TYPE_CHECKING:
    from stripe.params import (
        CustomerCreateParams,
        PaymentIntentCreateParams,
        PaymentMethodCreateParams,
        SetupIntentConfirmParams,
        SetupIntentConfirmParamsMandateData,
        SetupIntentCreateParams,
    )

# Connect, read. Stripe's client retries a request that timed out or met a 409/5xx once, with the
# same idempotency key, so a retried charge is still one charge; both tries together stay inside
# the API and portal functions' 15 s timeout (2 × 6 s, and its short backoff).
TIMEOUT_SECONDS = (2.0, 4.0)
MAX_NETWORK_RETRIES = 1
SIGNATURE_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"
STRIPE_JS_URL = "https://js.stripe.com/v3/"

logging.getLogger("stripe").setLevel(logging.INFO)
# One pool for every client of this process: a warm function reuses its connections to Stripe.
_HTTP_CLIENT = stripe.new_default_http_client(timeout=TIMEOUT_SECONDS)


class GatewayKeysRefused(Conflict):
    code = KEYS_INVALID


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        *,
        api_base: str | None = None,
        script_url: str = STRIPE_JS_URL,
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=_HTTP_CLIENT,
        )
        self._publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self._script_url = script_url

    def __repr__(self) -> str:  # never the keys
        return f"StripeGateway(publishable_key={self._publishable_key!r})"

    def ensure_customer(self, customer_id: str, email: str | None, name: str | None, existing: str | None) -> str:
        if existing:
            return existing
        params: CustomerCreateParams = {"metadata": {"vinr_customer": customer_id}}
        if email:
            params["email"] = email
        if name:
            params["name"] = name
        with _translated("customer"):
            made = self._client.v1.customers.create(
                params=params,
                options={"idempotency_key": f"vinr-customer-{customer_id}"},
            )
        return str(made.id)

    def attach_method(self, customer_ref: str, method_ref: str) -> SavedMethod:
        with _translated("token"):
            pm = self._client.v1.payment_methods.attach(method_ref, params={"customer": customer_ref})
        saved = _saved(pm.to_dict(), mandate_fallback=str(pm.id))
        if saved is None:
            self.detach(str(pm.id))
            raise InvalidRequest(
                "Only cards and SEPA Direct Debit accounts can be saved.",
                param="token",
                code="payment_method_unsupported",
            )
        return saved

    def start_setup(self, customer_ref: str, method_type: MethodType, idempotency_key: str) -> SetupSession:
        params: SetupIntentCreateParams = {
            "customer": customer_ref,
            "usage": "off_session",
            "allowed_payment_method_types": [method_type],
        }
        with _translated("type"):
            setup = self._client.v1.setup_intents.create(
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        return SetupSession(
            reference=str(setup.id),
            client_secret=str(setup.client_secret),
            publishable_key=self._publishable_key,
            script_url=self._script_url,
        )

    def finish_setup(self, setup_ref: str, customer_ref: str) -> SavedMethod:
        refused = InvalidRequest(
            "This setup has not saved a payment method for this customer.",
            param="setup_intent",
            code="setup_incomplete",
        )
        if not setup_ref.startswith("seti_"):
            raise refused
        with _translated("setup_intent"):
            setup = self._client.v1.setup_intents.retrieve(setup_ref, params={"expand": ["payment_method"]}).to_dict()
        if setup.get("status") != "succeeded" or _id_of(setup.get("customer")) != customer_ref:
            raise refused
        pm = setup.get("payment_method")
        if not isinstance(pm, dict):  # not expanded (an ID, or none)
            if not pm:
                raise refused
            with _translated("setup_intent"):
                pm = self._client.v1.payment_methods.retrieve(str(pm)).to_dict()
        saved = _saved(pm, mandate_fallback=_id_of(setup.get("mandate")) or setup_ref)
        if saved is None:
            raise InvalidRequest(
                "Only cards and SEPA Direct Debit accounts can be saved.",
                param="setup_intent",
                code="payment_method_unsupported",
            )
        return saved

    def save_sepa_debit(
        self,
        customer_ref: str,
        *,
        iban: str,
        name: str,
        email: str,
        ip: str | None,
        user_agent: str | None,
        idempotency_key: str,
    ) -> SavedMethod:
        method_params: PaymentMethodCreateParams = {
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": name, "email": email},
        }
        with _translated("iban", echo=False):
            pm = self._client.v1.payment_methods.create(
                params=method_params,
                options={"idempotency_key": f"{idempotency_key}-method"},
            )
        setup_params: SetupIntentCreateParams = {
            "customer": customer_ref,
            "usage": "off_session",
            "allowed_payment_method_types": ["sepa_debit"],
        }
        confirm_params: SetupIntentConfirmParams = {
            "payment_method": pm.id,
            "mandate_data": _mandate_data(ip, user_agent),
        }
        with _translated("iban", echo=False):
            setup = self._client.v1.setup_intents.create(
                params=setup_params,
                options={"idempotency_key": f"{idempotency_key}-setup"},
            )
            setup = self._client.v1.setup_intents.confirm(
                setup.id,
                params=confirm_params,
                options={"idempotency_key": f"{idempotency_key}-confirm"},
            )
        if setup.status != "succeeded":
            raise InvalidRequest(
                f"The bank account's mandate was not accepted (Stripe says the setup is {setup.status}).",
                param="iban",
                code="mandate_not_accepted",
            )
        saved = _saved(
            pm.to_dict(),
            mandate_fallback=_id_of(setup.to_dict().get("mandate")) or str(setup.id),
            ip=ip,
            user_agent=user_agent,
        )
        if saved is None:  # never: the method was made as a sepa_debit above
            raise GatewayUnavailable("The payment gateway answered with another kind of payment method.")
        return saved

    def detach(self, method_ref: str) -> None:
        try:
            with _translated("payment_method"):
                self._client.v1.payment_methods.detach(method_ref)
        except InvalidRequest:
            return  # not attached (any more), or unknown there: nothing is left to detach

    def charge(self, request: ChargeRequest) -> ChargeResult:
        try:
            return self._charge(request)
        except InvalidRequest as refused:
            # The method cannot be charged as it stands (detached, expired, another currency…): an
            # attempt that failed, which the invoice records, not a request of ours to refuse.
            return ChargeResult(status="failed", code=refused.code, message=refused.message)

    def _charge(self, request: ChargeRequest) -> ChargeResult:
        # (Stripe wants the types the intent allows)
        method_type = request.method_type or self._method_type(request.method_ref)
        params: PaymentIntentCreateParams = {
            "amount": request.amount,
            "currency": request.currency,
            "payment_method": request.method_ref,
            "allowed_payment_method_types": [method_type],
            "confirm": True,
            "off_session": request.off_session,
            "metadata": {
                "vinr_invoice": request.invoice_id,
                "vinr_account": request.account_id,
                "vinr_livemode": "true" if request.livemode else "false",
            },
        }
        if request.customer_ref:
            params["customer"] = request.customer_ref
        with _translated("payment_method"):
            try:
                intent = self._client.v1.payment_intents.create(
                    params=params,
                    options={"idempotency_key": request.idempotency_key},
                )
            except stripe.CardError as error:  # the bank's no (or, off-session, "authenticate first")
                return card_error_result(error.json_body)
        return charge_result(intent.to_dict())

    def payment(self, reference: str) -> ChargeResult:
        return charge_result(self._payment_intent(reference))

    def payment_client_secret(self, reference: str) -> str:
        return str(self._payment_intent(reference)["client_secret"])

    def verify_event(self, payload: bytes, signature: str | None) -> GatewayEvent:
        refused = InvalidRequest(
            "The gateway event's signature does not verify with the connected webhook secret.",
            param=SIGNATURE_HEADER,
            code="signature_invalid",
        )
        if not signature:
            raise refused
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self._webhook_secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            raise refused from None
        except ValueError:
            raise InvalidRequest("The body is not a gateway event.", param="body", code="event_invalid") from None
        try:
            return gateway_event(event.to_dict())
        except (KeyError, TypeError, AttributeError):
            raise InvalidRequest("The body is not a gateway event.", param="body", code="event_invalid") from None

    def _method_type(self, method_ref: str) -> str:
        with _translated("payment_method"):
            return str(self._client.v1.payment_methods.retrieve(method_ref).type)

    def _payment_intent(self, reference: str) -> dict[str, Any]:
        if not reference.startswith("pi_"):
            raise InvalidRequest("This is not a payment of the connected gateway.", param="payment")
        with _translated("payment"):
            return self._client.v1.payment_intents.retrieve(reference).to_dict()


def _saved(
    pm: dict[str, Any], *, mandate_fallback: str, ip: str | None = None, user_agent: str | None = None
) -> SavedMethod | None:
    return saved_method(
        pm, accepted_at=clock.to_wire(clock.now()), mandate_fallback=mandate_fallback, ip=ip, user_agent=user_agent
    )


def _mandate_data(ip: str | None, user_agent: str | None) -> SetupIntentConfirmParamsMandateData:
    """How the customer accepted the SEPA mandate: online (our portal's form) needs both the IP
    and the user agent; without them it is recorded as accepted offline."""
    if ip and user_agent:
        return {"customer_acceptance": {"type": "online", "online": {"ip_address": ip, "user_agent": user_agent}}}
    return {"customer_acceptance": {"type": "offline"}}


def _id_of(value: Any) -> str | None:
    """An ID whether Stripe gave it as a string or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


@contextmanager
def _translated(param: str, *, echo: bool = True) -> Iterator[None]:
    """Stripe's errors as the core's: `param` is our field a refusal names; `echo=False` keeps
    Stripe's message out of the answer (it may repeat what was sent, an IBAN say)."""
    try:
        yield
    except stripe.CardError as error:
        declined = CardDeclined(
            "Your card was declined." if echo else "The payment method was declined.",
            param=param,
            code=_decline_code(error) or CardDeclined.code,
            decline_code=_issuer_reason(error),
        )
        if echo and error.user_message:
            declined.message = str(error.user_message)
        raise declined from None
    except stripe.InvalidRequestError as error:
        if echo:
            message = f"The payment gateway refused this {param}: {error.user_message or 'invalid'}"
        else:
            message = f"The payment gateway refused this {param}; check it and try again."
        raise InvalidRequest(message, param=param, code=error.code or f"{param}_invalid") from None
    except stripe.IdempotencyError:
        raise IdempotencyKeyReused(
            "The payment gateway saw this request's idempotency key with other parameters; nothing was done."
        ) from None
    except (stripe.AuthenticationError, stripe.PermissionError):
        raise GatewayKeysRefused(
            "The connected payment gateway refused its keys; reconnect it (POST /v1/payment_gateway) with valid keys."
        ) from None
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError):
        raise GatewayUnavailable("The payment gateway could not be reached; retry shortly.") from None
    except stripe.StripeError as error:
        raise GatewayUnavailable(
            f"The payment gateway answered unexpectedly (HTTP {error.http_status}); retry shortly."
        ) from None


def _decline_code(error: stripe.CardError) -> str | None:
    return _issuer_reason(error) or error.code


def _issuer_reason(error: stripe.CardError) -> str | None:
    """Stripe's `decline_code` (the issuer's reason), when it gives one."""
    body = error.json_body if isinstance(error.json_body, dict) else {}
    detail = body.get("error")
    decline_code = detail.get("decline_code") if isinstance(detail, dict) else None
    return str(decline_code) if decline_code else None
