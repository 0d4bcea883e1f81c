"""The Stripe adapter against localstripe, through the real `stripe` client: customers made once,
methods attached from Stripe's IDs, off-session charges made once per idempotency key, declines,
3-D Secure completed as localstripe's Stripe.js does it, a card saved through a SetupIntent, a SEPA
mandate saved and charged, and Stripe's signed events (made here as localstripe signs them, and a
real one POSTed by the fake).

What localstripe does not do as Stripe does is tested against Stripe's answers served by a stub
(`RecordedStripe`): off-session, Stripe answers a card that needs authentication with a CardError
`authentication_required` naming the PaymentIntent (the fake answers `requires_action`), a
decline names its PaymentIntent and `decline_code`, and a 5xx is Stripe's own fault.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from billing.kernel.errors import InvalidRequest
from billing.payments.gateway import ChargeRequest, GatewayUnavailable
from billing.payments.paymentmethods import CardDeclined
from billing.payments.stripegateway import GatewayKeysRefused, StripeGateway
from local.loopback import LoopbackReceiver
from tests.support.motoserver import free_port
from tests.support.stripefake import StripeFake

IBAN = "DE89370400440532013000"
IBAN_FAILING = "DE62370400440532013001"  # localstripe (and Stripe) fail its debits after a while
CHARGE_DECLINED = "4000000000000341"  # attaches; every charge is declined
ATTACH_DECLINED = "4000000000000002"
THREE_D_SECURE = "4000002500003155"


@dataclass
class Stripe:
    """The adapter on fresh keys of the fake, and a client of the same keys (as Stripe.js and the
    dashboard would see the account)."""

    fake: StripeFake
    gateway: StripeGateway
    client: stripe.StripeClient
    publishable_key: str
    webhook_secret: str

    def customer(self) -> str:
        return self.gateway.ensure_customer(f"cust_{secrets.token_hex(6)}", "kunde@example.com", "Kunde", None)

    def card(self, number: str) -> str:
        """A PaymentMethod made as Stripe.js makes it (the number goes to the gateway only)."""
        card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
        return str(self.client.v1.payment_methods.create(params={"type": "card", "card": card}).id)

    def charge(self, customer: str, method: str, *, key: str | None = None, currency: str = "eur") -> Any:
        return self.gateway.charge(
            ChargeRequest(
                amount=2500,
                currency=currency,
                customer_ref=customer,
                method_ref=method,
                idempotency_key=key or f"in_{secrets.token_hex(6)}-1",
                off_session=True,
                invoice_id=f"in_{secrets.token_hex(6)}",
                account_id="acct_adapter",
                livemode=False,
            )
        )

    def browser_post(self, path: str, data: dict[str, str]) -> httpx.Response:
        """What localstripe's Stripe.js posts from the browser (with the publishable key)."""
        return httpx.post(f"{self.fake.url}{path}", data={**data, "key": self.publishable_key}, timeout=10)


def keys() -> tuple[str, str, str]:
    return "sk_test_" + secrets.token_hex(16), "pk_test_" + secrets.token_hex(12), "whsec_" + secrets.token_hex(20)


@pytest.fixture
def on_fake(stripe_fake: StripeFake) -> Stripe:
    secret_key, publishable_key, webhook_secret = keys()
    gateway = StripeGateway(
        secret_key, publishable_key, webhook_secret, api_base=stripe_fake.url, script_url=stripe_fake.script_url
    )
    client = stripe.StripeClient(secret_key, base_addresses={"api": stripe_fake.url})
    return Stripe(stripe_fake, gateway, client, publishable_key, webhook_secret)


def wait_until(predicate: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not seen within {timeout} s")


# Customers and methods


def test_a_customer_is_made_once_for_ours(on_fake: Stripe) -> None:
    # When our customer's gateway customer is asked for twice (a retry, or two racing requests)
    first = on_fake.gateway.ensure_customer("cust_once", "kunde@example.com", "Kunde", None)
    second = on_fake.gateway.ensure_customer("cust_once", "kunde@example.com", "Kunde", None)

    # Then Stripe made one customer, which names ours
    assert first == second and first.startswith("cus_")
    made = on_fake.client.v1.customers.retrieve(first)
    assert (made.metadata["vinr_customer"], made.email, made.name) == ("cust_once", "kunde@example.com", "Kunde")
    # And a known one is answered as it is
    assert on_fake.gateway.ensure_customer("cust_once", None, None, "cus_known") == "cus_known"


def test_a_card_from_stripe_is_attached_as_brand_last4_and_expiry(on_fake: Stripe) -> None:
    customer = on_fake.customer()

    saved = on_fake.gateway.attach_method(customer, "pm_card_visa")

    assert saved.card is not None and saved.sepa_debit is None
    assert (saved.card.brand, saved.card.last4, saved.card.exp_month, saved.card.exp_year) == ("visa", "4242", 12, 2030)
    assert saved.card.country == "FR"
    assert saved.reference.startswith("pm_") and saved.fingerprint.startswith("card:")
    assert on_fake.client.v1.payment_methods.retrieve(saved.reference).customer == customer
    # The same number has the same fingerprint (what refuses a duplicate card)
    again = on_fake.gateway.attach_method(customer, on_fake.card("4242424242424242"))
    assert again.fingerprint == saved.fingerprint and again.reference != saved.reference


def test_a_card_the_bank_refuses_when_attached_is_a_402(on_fake: Stripe) -> None:
    with pytest.raises(CardDeclined) as refused:
        on_fake.gateway.attach_method(on_fake.customer(), on_fake.card(ATTACH_DECLINED))
    assert (refused.value.status, refused.value.code, refused.value.param) == (402, "card_declined", "token")


def test_an_unknown_method_is_refused_naming_the_token(on_fake: Stripe) -> None:
    with pytest.raises(InvalidRequest) as refused:
        on_fake.gateway.attach_method(on_fake.customer(), "pm_nosuchmethod")
    assert (refused.value.status, refused.value.param) == (400, "token")


def test_a_detached_method_is_no_longer_the_customers(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    saved = on_fake.gateway.attach_method(customer, "pm_card_visa")

    on_fake.gateway.detach(saved.reference)
    on_fake.gateway.detach(saved.reference)  # again: nothing left to do, no error

    assert on_fake.client.v1.payment_methods.retrieve(saved.reference).customer is None


# Charges


def test_an_off_session_charge_succeeds_with_our_metadata(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    method = on_fake.gateway.attach_method(customer, "pm_card_visa").reference

    result = on_fake.charge(customer, method)

    assert result.status == "succeeded" and result.succeeded and result.reference is not None
    intent = on_fake.client.v1.payment_intents.retrieve(result.reference)
    assert (intent.amount, intent.currency, intent.customer, intent.payment_method) == (2500, "eur", customer, method)
    assert intent.metadata["vinr_account"] == "acct_adapter" and intent.metadata["vinr_livemode"] == "false"
    assert intent.metadata["vinr_invoice"].startswith("in_")


def test_the_same_idempotency_key_charges_once(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    method = on_fake.gateway.attach_method(customer, "pm_card_visa").reference
    request = ChargeRequest(
        amount=990,
        currency="eur",
        customer_ref=customer,
        method_ref=method,
        idempotency_key=f"in_{secrets.token_hex(6)}-1",
        off_session=True,
        invoice_id=f"in_{secrets.token_hex(6)}",
        account_id="acct_adapter",
        livemode=False,
    )

    first = on_fake.gateway.charge(request)
    retried = on_fake.gateway.charge(request)

    assert first.status == retried.status == "succeeded"
    assert first.reference == retried.reference
    intents = on_fake.client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    assert [pi.id for pi in intents if pi.to_dict()["metadata"].get("vinr_invoice") == request.invoice_id] == [
        first.reference
    ]


def test_a_declined_charge_says_why(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    method = on_fake.gateway.attach_method(customer, on_fake.card(CHARGE_DECLINED)).reference

    result = on_fake.charge(customer, method)

    assert (result.status, result.code, result.message) == ("declined", "card_declined", "Your card was declined.")


def test_a_method_that_cannot_be_charged_fails_the_attempt_without_raising(on_fake: Stripe) -> None:
    result = on_fake.charge(on_fake.customer(), "pm_gonesincelong")

    assert result.status == "failed" and result.code is not None and result.reference is None


def test_a_3d_secure_card_off_session_waits_for_the_customer_then_succeeds(on_fake: Stripe) -> None:
    # Given a card that needs 3-D Secure, charged with nobody there
    customer = on_fake.customer()
    method = on_fake.gateway.attach_method(customer, on_fake.card(THREE_D_SECURE)).reference
    result = on_fake.charge(customer, method)
    assert (result.status, result.code) == ("requires_action", "authentication_required")
    assert result.reference is not None and on_fake.gateway.payment(result.reference).status == "requires_action"

    # When the customer authenticates in the gateway's flow (what localstripe's Stripe.js posts)
    secret = on_fake.gateway.payment_client_secret(result.reference)
    assert secret.startswith(f"{result.reference}_secret_")
    answer = on_fake.browser_post(
        f"/v1/payment_intents/{result.reference}/_authenticate", {"client_secret": secret, "success": "true"}
    )
    assert answer.status_code == 200, answer.text

    # Then the payment has succeeded
    assert on_fake.gateway.payment(result.reference).status == "succeeded"


def test_a_payment_is_only_looked_up_by_a_payment_reference(on_fake: Stripe) -> None:
    with pytest.raises(InvalidRequest) as refused:
        on_fake.gateway.payment("seti_notapayment")
    assert refused.value.param == "payment"
    with pytest.raises(InvalidRequest):
        on_fake.gateway.payment_client_secret("pi_nosuchpayment")


# Saving in Stripe's own fields (a SetupIntent)


def confirm_setup_as_stripe_js(on_fake: Stripe, client_secret: str, number: str = "4242424242424242") -> None:
    setup_id = client_secret.split("_secret_")[0]
    answer = on_fake.browser_post(
        f"/v1/setup_intents/{setup_id}/confirm",
        {
            "client_secret": client_secret,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "11",
            "payment_method_data[card][exp_year]": "2033",
            "payment_method_data[card][cvc]": "123",
        },
    )
    assert answer.status_code == 200, answer.text


def test_a_card_saved_in_stripes_fields_is_the_customers_once_the_setup_succeeded(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    session = on_fake.gateway.start_setup(customer, "card", f"setup_{secrets.token_hex(6)}")
    assert session.reference.startswith("seti_") and session.client_secret.startswith(f"{session.reference}_secret_")
    assert (session.publishable_key, session.script_url) == (on_fake.publishable_key, on_fake.fake.script_url)
    setup = on_fake.client.v1.setup_intents.retrieve(session.reference)
    assert (setup.customer, setup.usage, setup.payment_method_types) == (customer, "off_session", ["card"])

    # Not yet confirmed in the browser: nothing is saved
    with pytest.raises(InvalidRequest) as early:
        on_fake.gateway.finish_setup(session.reference, customer)
    assert (early.value.param, early.value.code) == ("setup_intent", "setup_incomplete")

    confirm_setup_as_stripe_js(on_fake, session.client_secret)
    saved = on_fake.gateway.finish_setup(session.reference, customer)

    assert saved.card is not None
    assert (saved.card.last4, saved.card.exp_month, saved.card.exp_year) == ("4242", 11, 2033)
    assert on_fake.charge(customer, saved.reference).status == "succeeded"


def test_a_setup_of_another_customer_is_refused(on_fake: Stripe) -> None:
    mine, theirs = on_fake.customer(), on_fake.customer()
    session = on_fake.gateway.start_setup(theirs, "card", f"setup_{secrets.token_hex(6)}")
    confirm_setup_as_stripe_js(on_fake, session.client_secret)

    for setup_ref in (session.reference, "pm_card_visa", "seti_nosuchsetup"):
        with pytest.raises(InvalidRequest) as refused:
            on_fake.gateway.finish_setup(setup_ref, mine)
        assert (refused.value.status, refused.value.param) == (400, "setup_intent")


# SEPA Direct Debit (a plain form: an IBAN is not card data)


def test_a_sepa_mandate_is_saved_and_charged(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    saved = on_fake.gateway.save_sepa_debit(
        customer,
        iban=IBAN,
        name="Kunde",
        email="kunde@example.com",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0",
        idempotency_key=f"mandate_{secrets.token_hex(6)}",
    )

    debit = saved.sepa_debit
    assert debit is not None and saved.card is None
    assert (debit.bank_code, debit.last4, debit.country) == ("37040044", "3000", "DE")
    assert debit.mandate.reference and debit.mandate.accepted_at.endswith("Z")
    assert (debit.mandate.ip, debit.mandate.user_agent) == ("203.0.113.7", "Mozilla/5.0")
    assert saved.fingerprint.startswith("sepa_debit:")
    method = on_fake.client.v1.payment_methods.retrieve(saved.reference)
    assert method.billing_details["name"] == "Kunde" and method.billing_details["email"] == "kunde@example.com"

    # Charged off-session with the mandate. (Stripe answers `processing` for days; localstripe
    # answers `succeeded` at once for a debit that will succeed: see the failing IBAN's test.)
    result = on_fake.charge(customer, saved.reference)
    assert result.status in ("processing", "succeeded") and result.reference is not None
    intent = on_fake.client.v1.payment_intents.retrieve(result.reference)
    assert (intent.payment_method, intent.customer, intent.amount) == (saved.reference, customer, 2500)
    reference = result.reference
    wait_until(lambda: on_fake.gateway.payment(reference).status == "succeeded")


def test_a_sepa_debit_that_the_bank_returns_is_declined_later(on_fake: Stripe) -> None:
    customer = on_fake.customer()
    saved = on_fake.gateway.save_sepa_debit(
        customer,
        iban=IBAN_FAILING,
        name="Kunde",
        email="kunde@example.com",
        ip=None,
        user_agent=None,
        idempotency_key=f"mandate_{secrets.token_hex(6)}",
    )

    result = on_fake.charge(customer, saved.reference)
    assert result.status == "processing" and result.reference is not None
    reference = result.reference

    later = wait_until(lambda: (found := on_fake.gateway.payment(reference)).status != "processing" and found)
    assert (later.status, later.code) == ("declined", "card_declined")


def test_an_iban_stripe_refuses_is_a_400_naming_iban_without_repeating_it(on_fake: Stripe) -> None:
    with pytest.raises(InvalidRequest) as refused:
        on_fake.gateway.save_sepa_debit(
            on_fake.customer(),
            iban="DE8937040044",
            name="Kunde",
            email="kunde@example.com",
            ip=None,
            user_agent=None,
            idempotency_key=f"mandate_{secrets.token_hex(6)}",
        )
    assert (refused.value.status, refused.value.param) == (400, "iban")
    assert "DE8937040044" not in refused.value.message


# Stripe's events


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header as localstripe (and Stripe) make it."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def event_payload(type_: str, intent: dict[str, Any]) -> bytes:
    event = {"id": f"evt_{secrets.token_hex(7)}", "object": "event", "type": type_, "livemode": False}
    return json.dumps({**event, "created": int(time.time()), "data": {"object": intent}}, indent=2).encode()


INTENT = {
    "id": "pi_3Adapter",
    "object": "payment_intent",
    "status": "requires_payment_method",
    "metadata": {"vinr_invoice": "in_123", "vinr_account": "acct_adapter", "vinr_livemode": "false"},
    "last_payment_error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"},
}


def test_a_signed_event_verifies_and_says_what_happened(on_fake: Stripe) -> None:
    payload = event_payload("payment_intent.payment_failed", INTENT)

    event = on_fake.gateway.verify_event(payload, signed(payload, on_fake.webhook_secret))

    assert (event.type, event.reference, event.status, event.code) == (
        "payment_intent.payment_failed",
        "pi_3Adapter",
        "declined",
        "insufficient_funds",
    )
    assert (event.invoice_id, event.account_id) == ("in_123", "acct_adapter")
    other = event_payload("customer.created", {"id": "cus_1", "object": "customer"})
    assert on_fake.gateway.verify_event(other, signed(other, on_fake.webhook_secret)).status is None


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda payload, secret: signed(payload, "whsec_" + "0" * 40), id="another secret"),
        pytest.param(lambda payload, secret: signed(payload, secret, int(time.time()) - 600), id="ten minutes old"),
        pytest.param(lambda payload, secret: signed(payload + b" ", secret), id="another body"),
        pytest.param(lambda payload, secret: "t=12345", id="no v1"),
        pytest.param(lambda payload, secret: None, id="missing"),
    ],
)
def test_an_event_that_does_not_verify_is_refused(
    on_fake: Stripe, signature: Callable[[bytes, str], str | None]
) -> None:
    payload = event_payload("payment_intent.succeeded", {**INTENT, "status": "succeeded"})

    with pytest.raises(InvalidRequest) as refused:
        on_fake.gateway.verify_event(payload, signature(payload, on_fake.webhook_secret))

    assert (refused.value.status, refused.value.code, refused.value.param) == (
        400,
        "signature_invalid",
        "Stripe-Signature",
    )


class WebhookCatcher(LoopbackReceiver):
    """Where localstripe POSTs its events: each kept with its signature, answered 200."""

    def __init__(self) -> None:
        super().__init__(path="/stripe-events")
        self.received: list[tuple[bytes, str]] = []
        self.lock = threading.Lock()

    def receive(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            self.received.append((body, request.headers.get("Stripe-Signature", "")))
        self.answer(request, 200, b"")

    def about(self, reference: str, type_: str) -> tuple[bytes, str] | None:
        with self.lock:
            for body, signature in self.received:
                document = json.loads(body)
                if document["type"] == type_ and document["data"]["object"].get("id") == reference:
                    return body, signature
        return None


@pytest.fixture
def catcher(on_fake: Stripe) -> Iterator[WebhookCatcher]:
    receiver = WebhookCatcher()
    receiver.start()
    on_fake.fake.send_webhooks_to(f"adapter-{secrets.token_hex(4)}", receiver.url, on_fake.webhook_secret)
    try:
        yield receiver
    finally:
        receiver.stop()


def test_a_real_event_from_the_fake_verifies(on_fake: Stripe, catcher: WebhookCatcher) -> None:
    customer = on_fake.customer()
    method = on_fake.gateway.attach_method(customer, "pm_card_visa").reference
    result = on_fake.charge(customer, method)
    assert result.reference is not None
    reference = result.reference

    body, signature = wait_until(lambda: catcher.about(reference, "payment_intent.succeeded"))
    event = on_fake.gateway.verify_event(body, signature)

    assert event.id.startswith("evt_") and (event.reference, event.status) == (reference, "succeeded")
    assert event.account_id == "acct_adapter" and event.invoice_id is not None
    with pytest.raises(InvalidRequest):
        on_fake.gateway.verify_event(body.replace(b"succeeded", b"failed"), signature)


# Keys and reachability


def test_keys_stripe_refuses_are_a_409_saying_to_reconnect(stripe_fake: StripeFake) -> None:
    _, publishable_key, webhook_secret = keys()
    gateway = StripeGateway(
        "rk_test_" + secrets.token_hex(12), publishable_key, webhook_secret, api_base=stripe_fake.url
    )

    with pytest.raises(GatewayKeysRefused) as refused:
        gateway.ensure_customer("cust_keys", None, None, None)

    assert (refused.value.status, refused.value.code) == (409, "payment_gateway_keys_invalid")
    assert "reconnect" in refused.value.message


def test_an_unreachable_gateway_is_a_503_and_nothing_is_known_to_have_moved() -> None:
    secret_key, publishable_key, webhook_secret = keys()
    gateway = StripeGateway(secret_key, publishable_key, webhook_secret, api_base=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(GatewayUnavailable) as unavailable:
        gateway.charge(
            ChargeRequest(
                amount=100,
                currency="eur",
                customer_ref="cus_x",
                method_ref="pm_x",
                idempotency_key="in_x-1",
                off_session=True,
                invoice_id="in_x",
                account_id="acct_x",
                livemode=False,
            )
        )
    assert (unavailable.value.status, unavailable.value.code) == (503, "payment_gateway_unavailable")


# Stripe's own answers where localstripe answers otherwise


@dataclass
class RecordedStripe:
    """A stub of Stripe's API on 127.0.0.1: each (method, path) answers its recorded (status, body);
    the requests it received are kept (method, path, headers, form fields)."""

    answers: dict[tuple[str, str], tuple[int, dict[str, Any]]]
    requests: list[tuple[str, str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)

    @contextmanager
    def serving(self) -> Iterator[str]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("content-length", "0"))
                fields = urllib.parse.parse_qs(self.rfile.read(length).decode() if length else query)
                stub.requests.append((self.command, path, dict(self.headers), fields))
                status, body = stub.answers.get(
                    (self.command, path), (404, {"error": {"type": "invalid_request_error"}})
                )
                encoded = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("stripe-should-retry", "false")
                self.send_header("content-length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            do_GET = do_POST = answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


CARD_METHOD = {
    "id": "pm_1SCA",
    "object": "payment_method",
    "type": "card",
    "customer": "cus_SCA",
    "card": {"brand": "visa", "last4": "3184", "exp_month": 12, "exp_year": 2034, "fingerprint": "Xt5EWLLDS7FJjR1c"},
}


def declined_intent(code: str, decline_code: str, message: str) -> dict[str, Any]:
    """A PaymentIntent as Stripe embeds it in a CardError (abridged)."""
    return {
        "id": "pi_3SCA",
        "object": "payment_intent",
        "status": "requires_payment_method",
        "amount": 2500,
        "currency": "eur",
        "customer": "cus_SCA",
        "last_payment_error": {"type": "card_error", "code": code, "decline_code": decline_code, "message": message},
    }


# Stripe's answer to an off-session charge of a card that needs authentication (test card
# 4000002760003184), as documented for off-session payments: a 402 card_error naming the intent.
AUTHENTICATION_REQUIRED = {
    "error": {
        "type": "card_error",
        "code": "authentication_required",
        "decline_code": "authentication_required",
        "message": "Your card was declined. This transaction requires authentication.",
        "doc_url": "https://stripe.com/docs/error-codes/authentication-required",
        "payment_intent": declined_intent(
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
        "payment_method": CARD_METHOD,
    }
}
INSUFFICIENT_FUNDS = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
        "charge": "ch_3SCA",
        "payment_intent": declined_intent("card_declined", "insufficient_funds", "Your card has insufficient funds."),
        "payment_method": CARD_METHOD,
    }
}
STRIPE_FAULT = {"error": {"type": "api_error", "message": "An unknown error occurred."}}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param((402, AUTHENTICATION_REQUIRED), ("requires_action", "authentication_required", None), id="sca"),
        pytest.param(
            (402, INSUFFICIENT_FUNDS), ("declined", "insufficient_funds", "Your card has insufficient funds."), id="nsf"
        ),
    ],
)
def test_stripes_card_errors_off_session(answer: tuple[int, dict[str, Any]], expected: tuple[Any, ...]) -> None:
    stub = RecordedStripe(
        {("GET", "/v1/payment_methods/pm_1SCA"): (200, CARD_METHOD), ("POST", "/v1/payment_intents"): answer}
    )
    with stub.serving() as base:
        secret_key, publishable_key, webhook_secret = keys()
        gateway = StripeGateway(secret_key, publishable_key, webhook_secret, api_base=base)
        result = gateway.charge(
            ChargeRequest(
                amount=2500,
                currency="eur",
                customer_ref="cus_SCA",
                method_ref="pm_1SCA",
                idempotency_key="in_sca-2",
                off_session=True,
                invoice_id="in_sca",
                account_id="acct_adapter",
                livemode=True,
            )
        )

    assert (result.status, result.code, result.message) == expected
    assert result.reference == "pi_3SCA"  # the intent the customer completes (or that failed)
    # What the adapter asked of Stripe: the API version's parameter names, our key, our metadata
    method, path, headers, sent = stub.requests[-1]
    assert (method, path, headers["Idempotency-Key"]) == ("POST", "/v1/payment_intents", "in_sca-2")
    assert sent["allowed_payment_method_types[0]"] == ["card"] and "payment_method_types[0]" not in sent
    assert (sent["confirm"], sent["off_session"], sent["customer"], sent["payment_method"]) == (
        ["true"],
        ["true"],
        ["cus_SCA"],
        ["pm_1SCA"],
    )
    assert (sent["metadata[vinr_invoice]"], sent["metadata[vinr_livemode]"]) == (["in_sca"], ["true"])


def test_a_fault_of_stripes_own_is_a_503() -> None:
    stub = RecordedStripe({("POST", "/v1/customers"): (500, STRIPE_FAULT)})
    with stub.serving() as base:
        secret_key, publishable_key, webhook_secret = keys()
        gateway = StripeGateway(secret_key, publishable_key, webhook_secret, api_base=base)
        with pytest.raises(GatewayUnavailable):
            gateway.ensure_customer("cust_fault", None, None, None)
    assert [(method, path) for method, path, _, _ in stub.requests] == [("POST", "/v1/customers")]
