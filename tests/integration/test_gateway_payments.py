"""Money through a connected gateway, as a merchant sees it: a test-mode account connected to
Stripe (localstripe, through the real `stripe` client), its methods held by the gateway, its
charges made there, and the outcomes the gateway reports later (a SEPA debit failing days after,
a 3-D Secure payment the customer completed) settled from the gateway's own signed webhooks,
which localstripe POSTs to a receiver that hands them to the API's public route as API Gateway
would. Each gateway event settles once."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
import stripe

from billing.kernel import config
from local.loopback import LoopbackReceiver
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok
from tests.support.shop import ClockedMerchant, Shop, open_shop, start_clock
from tests.support.stripefake import StripeFake

THREE_D_SECURE = "4000002500003155"
SEPA_FAILING = "DE62370400440532013001"


class Forwarder(LoopbackReceiver):
    """Where localstripe sends its webhooks. Each is handed, unchanged, to the API's gateway route
    by `pump`, on the test's thread: a Lambda function serves one request at a time, and so does
    the in-process handler."""

    def __init__(self, api: ApiClient, account: str) -> None:
        super().__init__(path="/stripe")
        self.api, self.account = api, account
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.bodies: list[tuple[bytes, str]] = []
        self.pending: queue.Queue[tuple[bytes, str]] = queue.Queue()

    def receive(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        self.pending.put((body, request.headers.get("Stripe-Signature", "")))
        request.send_response(200)
        request.send_header("content-length", "0")
        request.end_headers()

    def pump(self) -> None:
        while not self.pending.empty():
            body, signature = self.pending.get()
            answer = deliver(self.api, self.account, body, signature)
            self.bodies.append((body, signature))
            self.answers.append((answer.status, answer.json()))


def deliver(api: ApiClient, account: str, body: bytes, signature: str) -> Any:
    headers = {"content-type": "application/json", "stripe-signature": signature}
    return api.request("POST", f"/v1/gateway_webhooks/{account}/stripe", body=body, headers=headers, key="")


@dataclass
class Connected:
    shop: Shop
    account: str
    gateway: stripe.StripeClient
    fake: StripeFake
    forwarder: Forwarder
    webhook_secret: str
    _seen: set[str] = field(default_factory=set)

    @property
    def api(self) -> ApiClient:
        return self.shop.api

    def method(self, **card_or_sepa: Any) -> str:
        """A method made at the gateway as its browser library would (the number goes there only)."""
        if "iban" in card_or_sepa:
            params: dict[str, Any] = {
                "type": "sepa_debit",
                "sepa_debit": {"iban": card_or_sepa["iban"]},
                "billing_details": {"name": "Kunde", "email": "kunde@example.com"},
            }
        else:
            card = {"number": card_or_sepa["number"], "exp_month": 12, "exp_year": 2034, "cvc": "123"}
            params = {"type": "card", "card": card}
        return str(self.gateway.v1.payment_methods.create(params=params).id)

    def customer_with(self, token: str) -> str:
        return self.shop.customer(token=token)

    def payments_of(self, invoice_id: str) -> list[Any]:
        found = self.gateway.v1.payment_intents.list(params={"limit": 100})
        return [
            pi for pi in found.auto_paging_iter() if pi.to_dict().get("metadata", {}).get("vinr_invoice") == invoice_id
        ]

    def events(self, customer: str, type_: str) -> list[dict[str, Any]]:
        found = ok(self.api.get("/v1/events", query={"customer": customer, "type": type_, "limit": 100}))
        return list(found["data"])

    def wait_for(self, predicate: Any, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.forwarder.pump()
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"not seen within {timeout} s; gateway webhooks answered: {self.forwarder.answers}")


@pytest.fixture
def connected(stack: Stack, stripe_fake: StripeFake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connected]:
    monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
    monkeypatch.setenv("STRIPE_JS_URL", stripe_fake.script_url)
    config.reset()
    account, key = stack.new_account()
    api = ApiClient(stack.template, key=key)
    secret_key = "sk_test_" + secrets.token_hex(12)
    webhook_secret = "whsec_" + secrets.token_urlsafe(18)
    body = {
        "type": "stripe",
        "secretKey": secret_key,
        "publishableKey": "pk_test_" + secrets.token_hex(12),
        "webhookSecret": webhook_secret,
    }
    ok(api.post("/v1/payment_gateway", body))
    forwarder = Forwarder(api, account)
    forwarder.start()
    stripe_fake.send_webhooks_to(account, forwarder.url, webhook_secret)
    client = stripe.StripeClient(secret_key, base_addresses={"api": stripe_fake.url})
    try:
        yield Connected(open_shop(api), account, client, stripe_fake, forwarder, webhook_secret)
    finally:
        forwarder.stop()
        config.reset()


def test_a_subscription_is_charged_through_the_gateway_once(connected: Connected) -> None:
    # Given a customer whose card the gateway holds (attached by its pm_ ID, as Stripe.js makes it)
    customer = connected.customer_with(connected.method(number="4242424242424242"))
    methods = ok(connected.api.get(f"/v1/customers/{customer}/payment_methods"))["data"]
    assert [(m["card"]["brand"], m["card"]["last4"]) for m in methods] == [("visa", "4242")]
    # When it subscribes
    sub = ok(connected.shop.subscribe(customer))
    invoice = connected.shop.invoice(sub)
    # Then the invoice is paid by one PaymentIntent at the gateway, for the amount due
    assert (sub["status"], invoice["status"], invoice["amountPaid"]) == ("active", "paid", invoice["amountDue"])
    payments = connected.payments_of(invoice["id"])
    assert [(p.status, p.amount, p.currency) for p in payments] == [("succeeded", invoice["amountDue"], "eur")]
    assert payments[0].customer is not None and payments[0].metadata["vinr_account"] == connected.account
    assert [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.paid")] == [invoice["id"]]


def test_a_payment_that_needs_3d_secure_waits_for_the_customer_then_settles_once(connected: Connected) -> None:
    # Given a customer whose card asks for 3-D Secure
    customer = connected.customer_with(connected.method(number=THREE_D_SECURE))
    # When it subscribes, the payment waits for the customer
    sub = ok(connected.shop.subscribe(customer))
    invoice = connected.shop.invoice(sub)
    assert (invoice["status"], invoice["paymentActionRequired"]["type"]) == ("open", "authenticate")
    assert sub["status"] == "incomplete"  # a first payment not made yet: not a failed renewal
    assert [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.payment_action_required")] == [
        invoice["id"]
    ]
    assert connected.events(customer, "invoice.paid") == []
    # When the customer authenticates in the gateway's flow (what its Stripe.js does)
    (payment,) = connected.payments_of(invoice["id"])
    assert payment.status == "requires_action"
    authenticated = httpx.post(
        f"{connected.fake.url}/v1/payment_intents/{payment.id}/_authenticate",
        params={"success": "true"},
        json={"client_secret": payment.client_secret, "key": "pk_test_x"},
    )
    assert authenticated.status_code == 200, authenticated.text
    # Then the gateway's signed webhook settles the invoice and the subscription recovers
    connected.wait_for(lambda: connected.shop.invoice(sub)["status"] == "paid")
    assert ok(connected.api.get(f"/v1/subscriptions/{sub['id']}"))["status"] == "active"
    paid = connected.events(customer, "invoice.paid")
    assert [e["data"]["object"]["id"] for e in paid] == [invoice["id"]]
    # And the same gateway event delivered again changes nothing
    # (the fake sends every receiver every event: this invoice's is the one naming it)
    settled = [
        body
        for body, _ in connected.forwarder.bodies
        if b"payment_intent.succeeded" in body and invoice["id"].encode() in body
    ]
    assert settled, connected.forwarder.answers
    body = settled[0]
    again = deliver(connected.api, connected.account, body, sign(body, connected.webhook_secret))
    assert (again.status, again.json()["result"]) == (200, "duplicate")
    assert len(connected.events(customer, "invoice.paid")) == 1


def test_a_sepa_debit_processing_then_failing_later_moves_the_subscription_to_past_due(connected: Connected) -> None:
    # Given a customer paying by a SEPA mandate whose debit the bank returns days later
    customer = connected.customer_with(connected.method(iban=SEPA_FAILING))
    methods = ok(connected.api.get(f"/v1/customers/{customer}/payment_methods"))["data"]
    assert [(m["type"], m["sepaDebit"]["last4"]) for m in methods] == [("sepa_debit", "3001")]
    # When it subscribes, the debit is processing: nothing paid, nothing failed, the subscription active
    sub = ok(connected.shop.subscribe(customer))
    invoice = connected.shop.invoice(sub)
    assert (invoice["status"], invoice["paymentProcessing"], sub["status"]) == ("open", True, "active")
    # Then the gateway reports the failure, and it lands on the invoice and the subscription
    connected.wait_for(lambda: connected.shop.invoice(sub)["lastPaymentError"] is not None)
    failed = connected.shop.invoice(sub)
    assert (failed["status"], failed["paymentProcessing"]) == ("open", False)
    assert ok(connected.api.get(f"/v1/subscriptions/{sub['id']}"))["status"] == "past_due"
    assert [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.payment_failed")] == [invoice["id"]]


def test_a_webhook_that_does_not_verify_changes_nothing(connected: Connected) -> None:
    body = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "livemode": False}).encode()
    forged = deliver(connected.api, connected.account, body, sign(body, "whsec_not_the_secret"))
    assert forged.status == 400 and forged.json()["error"]["code"] == "signature_invalid", forged.text
    unsigned = deliver(connected.api, connected.account, body, "")
    assert unsigned.status == 400, unsigned.text
    nobody = deliver(connected.api, "acct_notconnected1", body, sign(body, connected.webhook_secret))
    assert nobody.status == 404, nobody.text


def test_a_method_the_gateway_does_not_hold_is_refused(connected: Connected) -> None:
    # (the simulator's test tokens are not the gateway's: Stripe has no `tok_visa` payment method)
    created = connected.api.post("/v1/customers", {"name": "Kunde"})
    customer = ok(created)["id"]
    refused = connected.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "pm_does_not_exist"})
    assert refused.status in (400, 404), refused.text
    assert ok(connected.api.get(f"/v1/customers/{customer}/payment_methods"))["data"] == []


def sign(body: bytes, secret: str) -> str:
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def test_a_declined_first_payment_is_incomplete_a_402_when_paid_again_and_a_new_default_card_completes_it(
    connected: Connected,
) -> None:
    # Given a customer whose card the issuer declines at every charge (Stripe's test ID)
    customer = connected.customer_with("pm_card_chargeCustomerFail")
    sub = ok(connected.shop.subscribe(customer))
    invoice = connected.shop.invoice(sub)
    assert (sub["status"], invoice["status"]) == ("incomplete", "open")
    assert invoice["lastPaymentError"]["code"] == "card_declined"
    assert [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.payment_failed")] == [invoice["id"]]
    # Paying it again with that card: Stripe declines, the API answers 402 and records the attempt
    declined = connected.api.post(f"/v1/invoices/{invoice['id']}/pay")
    assert declined.status == 402, declined.text
    assert (declined.json()["error"]["type"], declined.json()["error"]["code"]) == ("card_error", "card_declined")
    assert connected.shop.invoice(sub)["attemptCount"] == 2
    # When the customer's new card becomes the default
    token = connected.method(number="4242424242424242")
    attached = connected.api.post(f"/v1/customers/{customer}/payment_methods", {"token": token, "setDefault": True})
    assert attached.status == 200, attached.text
    # Then the open invoice is charged at once with it, and the subscription is active again
    assert connected.shop.invoice(sub)["status"] == "paid"
    assert ok(connected.api.get(f"/v1/subscriptions/{sub['id']}"))["status"] == "active"
    assert [p.status for p in connected.payments_of(invoice["id"])][-1] == "succeeded"
    assert [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.paid")] == [invoice["id"]]


def test_another_accounts_gateway_events_settle_nothing_here(
    connected: Connected, stack: Stack, stripe_fake: StripeFake
) -> None:
    # Given this account's customer with a payment waiting for 3-D Secure
    customer = connected.customer_with(connected.method(number=THREE_D_SECURE))
    sub = ok(connected.shop.subscribe(customer))
    invoice = connected.shop.invoice(sub)
    (payment,) = connected.payments_of(invoice["id"])
    event = {
        "id": "evt_" + secrets.token_hex(8),
        "type": "payment_intent.succeeded",
        "livemode": False,
        "data": {"object": {**payment.to_dict(), "status": "succeeded"}},
    }
    body = json.dumps(event).encode()
    # When another account, with its own gateway and webhook secret, signs an event for it
    other, key = stack.new_account()
    other_api = ApiClient(stack.template, key=key)
    other_secret = "whsec_" + secrets.token_urlsafe(18)
    connect = {
        "type": "stripe",
        "secretKey": "sk_test_" + secrets.token_hex(12),
        "publishableKey": "pk_test_" + secrets.token_hex(12),
        "webhookSecret": other_secret,
    }
    ok(other_api.post("/v1/payment_gateway", connect))
    # Then sent to this account's route it does not verify, and sent to its own route it settles
    # nothing (the payment is not one of its invoices')
    here = deliver(connected.api, connected.account, body, sign(body, other_secret))
    assert (here.status, here.json()["error"]["code"]) == (400, "signature_invalid")
    there = deliver(other_api, other, body, sign(body, other_secret))
    assert (there.status, there.json()["result"]) == (200, "ignored")
    assert connected.shop.invoice(sub)["status"] == "open"
    assert connected.events(customer, "invoice.paid") == []


def test_a_card_the_customer_already_has_is_refused_and_released_at_the_gateway(connected: Connected) -> None:
    # Given a customer with a card the gateway holds
    first = connected.method(number="4242424242424242")
    customer = connected.customer_with(first)
    # When the same card, saved again at the gateway, is attached; and then the first one again
    second = connected.method(number="4242424242424242")
    again = connected.api.post(f"/v1/customers/{customer}/payment_methods", {"token": second})
    same = connected.api.post(f"/v1/customers/{customer}/payment_methods", {"token": first})
    # Then both are refused; the second is detached at the gateway, the first stays attached there
    for refused in (again, same):
        assert (refused.status, refused.json()["error"]["code"]) == (400, "payment_method_exists"), refused.text
    assert connected.gateway.v1.payment_methods.retrieve(second).customer is None
    assert connected.gateway.v1.payment_methods.retrieve(first).customer is not None
    assert len(ok(connected.api.get(f"/v1/customers/{customer}/payment_methods"))["data"]) == 1


def test_a_declined_renewal_goes_past_due_and_is_recovered_by_a_new_card(connected: Connected) -> None:
    # Given a customer on a test clock, subscribed and paid by a card the gateway holds
    api = connected.api
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    merchant = ClockedMerchant(api, start_clock(api, start))
    created = ok(
        api.post("/v1/customers", {"name": "Kunde", "address": {"country": "DE"}, "testClock": merchant.clock_id})
    )
    customer = created["id"]
    good = connected.method(number="4242424242424242")
    ok(api.post(f"/v1/customers/{customer}/payment_methods", {"token": good}))
    sub = ok(connected.shop.subscribe(customer))
    assert sub["status"] == "active"
    # and whose default is then a card the issuer declines
    declining = ok(
        api.post(
            f"/v1/customers/{customer}/payment_methods", {"token": "pm_card_chargeCustomerFail", "setDefault": True}
        )
    )
    # When the period ends, the renewal is charged off-session at the gateway and declined
    merchant.advance(start + timedelta(days=32))
    renewed = merchant.sub(sub["id"])
    renewal = connected.shop.invoice(renewed)
    assert (renewed["status"], renewal["status"]) == ("past_due", "open")
    assert renewal["lastPaymentError"]["code"] == "card_declined"
    assert [p.status for p in connected.payments_of(renewal["id"])] == ["requires_payment_method"]
    # When the customer adds a new card as the default
    token = connected.method(number="5555555555554444")
    ok(api.post(f"/v1/customers/{customer}/payment_methods", {"token": token, "setDefault": True}))
    # Then the renewal is paid with it at once, the subscription is active, with the events a merchant receives
    assert connected.shop.invoice(renewed)["status"] == "paid"
    assert merchant.sub(sub["id"])["status"] == "active"
    assert [p.status for p in connected.payments_of(renewal["id"])][-1] == "succeeded"
    assert renewal["id"] in [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.payment_failed")]
    assert renewal["id"] in [e["data"]["object"]["id"] for e in connected.events(customer, "invoice.paid")]
    assert declining["card"]["last4"] == "0341"
