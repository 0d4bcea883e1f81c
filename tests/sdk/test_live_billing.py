"""A merchant's integration, written with the SDK, against the local stack over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from vinr import AuthenticationError, CardError, InvalidRequestError, NotFoundError, PermissionDeniedError, Vinr

from local.template import ROOT
from tests.e2e.conftest import Running

pytestmark = pytest.mark.slow


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def live_key(running: Running, account: str) -> str:
    """A live key of the demo account, made by the operator CLI (`make add-key MODE=live`) on this stack."""
    args = [str(arg) for arg in running.process.args]  # type: ignore[union-attr]
    stack_file = args[args.index("--stack-file") + 1]
    made = subprocess.run(
        [sys.executable, "-m", "local.admin", "add-key", "--account", account, "--mode", "live"],
        cwd=ROOT,
        env={**os.environ, "VINR_STACK_FILE": str(stack_file)},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"sk_live_[A-Za-z0-9]{32}", made.stdout)
    assert found, made.stdout + made.stderr
    return found.group(0)


def test_a_merchant_bills_upgrades_and_opens_the_portal_through_the_sdk(live: Vinr, running: Running) -> None:
    # Given the merchant's business details (what live invoices show needs a live key) and German VAT
    with pytest.raises(PermissionDeniedError) as refused:
        live.account.update(legal_name="Acme GmbH")
    assert (refused.value.code, refused.value.param) == ("live_key_required", "legalName")
    with Vinr(
        live_key(running, live.account.retrieve()["id"]), base_url=running.api, timeout=30, max_retries=1
    ) as owner:
        account = owner.account.update(
            legal_name="Acme GmbH",
            country="DE",
            address={"line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE"},
            default_session_minutes=30,
        )
    assert account["legalName"] == "Acme GmbH" and account["address"]["postalCode"] == "10117"
    assert live.account.retrieve()["legalName"] == "Acme GmbH"
    vat = live.tax_rates.create(country="DE", percentage=Decimal("19"), display_name="MwSt")
    assert vat["percentage"] == 19 and vat["displayName"] == "MwSt"
    assert vat["id"] in [rate["id"] for rate in live.tax_rates.auto_paging_iter(limit=1)]
    # And a catalog of two monthly plans
    basic = live.products.create(id=unique("prod_basic"), name="Basic", description="For starters")
    pro = live.products.create(id=unique("prod_pro"), name="Pro")
    basic_price = live.prices.create(
        product=basic["id"], unit_amount=1000, currency="eur", recurring={"interval": "month"}
    )
    pro_price = live.prices.create(
        product=pro["id"], unit_amount=3100, currency="eur", recurring={"interval": "month"}, nickname="Pro monthly"
    )
    assert live.prices.retrieve(pro_price["id"])["recurring"] == {"interval": "month", "intervalCount": 1}
    assert [p["id"] for p in live.prices.list(product=basic["id"])["data"]] == [basic_price["id"]]
    assert live.products.retrieve(basic["id"])["description"] == "For starters"
    # And a German customer on a test clock frozen at the start of January, with a card
    clock = live.test_clocks.create(frozen_time=datetime(2027, 1, 1, tzinfo=UTC), name="sdk flow")
    customer = live.customers.create(
        email="ada@example.com",
        name="Ada",
        address={"line1": "Friedrichstr. 1", "postal_code": "10117", "city": "Berlin", "country": "DE"},
        metadata={"crm_id": "42"},
        test_clock=clock["id"],
    )
    assert customer["metadata"] == {"crm_id": "42"} and customer["testClock"] == clock["id"]
    card = live.customers.payment_methods.create(customer["id"], token="tok_visa", set_default=True)
    assert card["card"]["last4"] == "4242"

    # When the customer subscribes to Basic
    subscription = live.subscriptions.create(customer=customer["id"], items=[{"price": basic_price["id"]}])
    # Then the first month is invoiced with VAT and paid, and the PDF is a PDF
    first = live.invoices.retrieve(subscription["latestInvoice"])
    assert (first["status"], first["subtotal"], first["tax"], first["total"]) == ("paid", 1000, 190, 1190)
    assert live.invoices.pdf(first["id"]).startswith(b"%PDF")

    # When, half-way through January, the merchant previews and then makes an upgrade to Pro
    live.test_clocks.advance(clock["id"], frozen_time=datetime(2027, 1, 16, tzinfo=UTC))
    preview = live.invoices.upcoming(
        subscription=subscription["id"], price=pro_price["id"], proration_behavior="always_invoice"
    )
    upgraded = live.subscriptions.update(
        subscription["id"], items=[{"price": pro_price["id"], "quantity": 1}], proration_behavior="always_invoice"
    )
    # Then the subscription is on Pro and the proration invoice is exactly the one previewed
    assert [item["price"] for item in upgraded["items"]] == [pro_price["id"]]
    proration = live.invoices.retrieve(upgraded["latestInvoice"])
    assert proration["id"] != first["id"] and proration["status"] == "paid"
    assert preview["immediate"] is not None
    assert proration["total"] == preview["immediate"]["total"] > 0
    assert [line["amount"] for line in proration["lines"]] == [line["amount"] for line in preview["immediate"]["lines"]]
    assert live.subscriptions.retrieve(subscription["id"])["items"][0]["price"] == pro_price["id"]
    # And the subscription's invoices list both, newest first
    listed = live.invoices.list(subscription=subscription["id"])["data"]
    assert [inv["id"] for inv in listed] == [proration["id"], first["id"]]

    # When the merchant offers cancellation at period end with reasons, in the default configuration
    configured = live.billing.portal_configurations.update(
        "default",
        features={
            "subscription_cancel": {
                "mode": "at_period_end",
                "cancellation_reason": {"enabled": True, "options": ["too_expensive", "other"]},
            }
        },
    )
    # Then the configuration reads back with the change, and keeps what was not sent
    assert configured["isDefault"] is True
    cancel = live.billing.portal_configurations.retrieve("default")["features"]["subscriptionCancel"]
    assert cancel["mode"] == "at_period_end"
    assert cancel["cancellationReason"] == {"enabled": True, "options": ["too_expensive", "other"]}
    assert configured["features"]["invoiceHistory"]["enabled"] is True

    # When the merchant sends the customer to the portal
    session = live.billing.portal_sessions.create(customer=customer["id"], return_url="https://acme.example/account")
    # Then the URL is a portal link for this session, on the portal's host
    assert session["url"].startswith(f"{running.portal}/session/{session['id']}#")
    assert urlsplit(session["url"]).fragment
    assert live.billing.portal_sessions.retrieve(session["id"])["status"] == "open"
    # And revoking it closes it
    revoked = live.billing.portal_sessions.revoke(session["id"])
    assert revoked["status"] == "revoked" and revoked["revokedAt"]

    # And the customer's events tell the story, one page or page by page
    events = live.events.list(customer=customer["id"], limit=100)["data"]
    types = [event["type"] for event in events]
    for expected in ("customer.created", "payment_method.attached", "subscription.created", "subscription.updated"):
        assert expected in types
    assert types.count("invoice.paid") == 2 and types[0] == "portal_session.created"
    assert [e["id"] for e in live.events.auto_paging_iter(customer=customer["id"], limit=3)] == [
        e["id"] for e in events
    ]
    created = next(e for e in events if e["type"] == "subscription.created")
    assert live.events.retrieve(created["id"])["data"]["object"]["id"] == subscription["id"]


def test_customers_tax_ids_payment_methods_coupons_and_open_invoices(live: Vinr) -> None:
    # Given a customer, updated and found by email
    email = f"{unique('kunde')}@example.com"
    customer = live.customers.create(name="Kunde", email=email, address={"country": "DE"})
    updated = live.customers.update(customer["id"], name="Kunde GmbH", phone="+49 30 123456", metadata={"tier": "b"})
    assert (updated["name"], updated["phone"], updated["metadata"]) == ("Kunde GmbH", "+49 30 123456", {"tier": "b"})
    assert [c["id"] for c in live.customers.list(email=email)["data"]] == [customer["id"]]
    # When a VAT ID is added, Then it is validated and can be removed
    tax_id = live.customers.tax_ids.create(customer["id"], type="eu_vat", value="DE136695976")
    assert live.customers.retrieve(customer["id"])["taxIds"][0]["id"] == tax_id["id"]
    live.customers.tax_ids.delete(customer["id"], tax_id["id"])
    assert live.customers.retrieve(customer["id"])["taxIds"] == []
    # And a coupon reads back
    coupon = live.coupons.create(id=unique("rwd_"), name="Save 20", percent_off=20, duration="once")
    assert live.coupons.retrieve(coupon["id"])["percentOff"] == 20

    # Given a card that declines charges, and a subscription whose first invoice therefore stays open
    product = live.products.create(name="Declinable")
    price = live.prices.create(product=product["id"], unit_amount=500, currency="eur", recurring={"interval": "month"})
    declining = live.customers.payment_methods.create(customer["id"], token="tok_chargeDeclined", set_default=True)
    subscription = live.subscriptions.create(customer=customer["id"], items=[{"price": price["id"]}])
    assert subscription["status"] == "incomplete"  # a failed signup, not a failed renewal
    invoice = live.invoices.retrieve(subscription["latestInvoice"])
    assert invoice["status"] == "open"
    # When it is paid again with the same card, Then the decline is a CardError with its reason
    with pytest.raises(CardError) as declined:
        live.invoices.pay(invoice["id"])
    assert (declined.value.status, declined.value.code, declined.value.decline_code) == (
        402,
        "card_declined",
        "generic_decline",
    )
    assert live.invoices.retrieve(invoice["id"])["status"] == "open"
    # When a working card is named on the subscription and the invoice is paid again (a new
    # default would pay it at once: dunning)
    visa = live.customers.payment_methods.create(customer["id"], token="tok_visa")
    live.subscriptions.update(subscription["id"], default_payment_method=visa["id"])
    paid = live.invoices.pay(invoice["id"])
    # Then it is paid and the subscription is active
    assert paid["status"] == "paid"
    assert live.subscriptions.retrieve(subscription["id"])["status"] == "active"
    live.customers.payment_methods.set_default(customer["id"], visa["id"])
    assert live.customers.retrieve(customer["id"])["defaultPaymentMethod"] == visa["id"]
    # And the declining card can be detached
    detached = live.customers.payment_methods.delete(customer["id"], declining["id"])
    assert detached["deleted"] is True
    assert [pm["id"] for pm in live.customers.payment_methods.list(customer["id"])["data"]] == [visa["id"]]
    # When the subscription is cancelled now, Then it is canceled and listed so
    canceled = live.subscriptions.cancel(subscription["id"])
    assert canceled["status"] == "canceled"
    assert subscription["id"] in [
        s["id"] for s in live.subscriptions.list(customer=customer["id"], status="canceled")["data"]
    ]


def test_an_open_invoice_can_be_voided_or_marked_uncollectible(live: Vinr) -> None:
    customer = live.customers.create(name="Late payer")
    live.customers.payment_methods.create(customer["id"], token="tok_chargeDeclined", set_default=True)
    product = live.products.create(name="Two seats")
    price = live.prices.create(product=product["id"], unit_amount=700, currency="eur", recurring={"interval": "month"})
    first = live.subscriptions.create(customer=customer["id"], items=[{"price": price["id"]}])
    second = live.subscriptions.create(customer=customer["id"], items=[{"price": price["id"], "quantity": 2}])
    voided = live.invoices.void(first["latestInvoice"])
    uncollectible = live.invoices.mark_uncollectible(second["latestInvoice"])
    assert (voided["status"], voided["amountRemaining"]) == ("void", 0)
    assert uncollectible["status"] == "uncollectible"
    # And a voided invoice cannot be paid any more: a typed 400, not retried
    with pytest.raises(InvalidRequestError):
        live.invoices.pay(first["latestInvoice"])


def test_errors_are_typed_with_their_param_and_idempotent_retries_replay(live: Vinr, running: Running) -> None:
    # When a missing customer is fetched, Then a NotFoundError names the parameter
    with pytest.raises(NotFoundError) as missing:
        live.customers.retrieve("cust_doesnotexist0")
    assert (missing.value.status, missing.value.code, missing.value.param) == (404, "resource_missing", "customer")
    # When a field is invalid, Then an InvalidRequestError names it, dotted
    with pytest.raises(InvalidRequestError) as invalid:
        live.customers.create(name="X", address={"country": "XX"})
    assert (invalid.value.status, invalid.value.param) == (400, "address.country")
    assert invalid.value.type == "invalid_request_error"
    # And an unknown snake_case-looking field that is not an API field is refused by name
    with pytest.raises(InvalidRequestError) as unknown:
        live.request("POST", "/v1/customers", body={"nickname": "X"})
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "nickname")
    # And a VAT ID that does not fit its type names `value`
    customer = live.customers.create(name="Tax")
    with pytest.raises(InvalidRequestError) as bad_vat:
        live.customers.tax_ids.create(customer["id"], type="eu_vat", value="nonsense")
    assert bad_vat.value.param == "value"
    # When a key is wrong, Then AuthenticationError
    with Vinr("sk_test_" + "x" * 32, base_url=running.api) as stranger, pytest.raises(AuthenticationError) as denied:
        stranger.account.retrieve()
    assert denied.value.status == 401 and denied.value.type == "authentication_error"
    # When the same create is sent twice with one Idempotency-Key, Then one customer exists
    key = unique("sdk-create-")
    once = live.customers.create(name="Only once", email=f"{key}@example.com", idempotency_key=key)
    again = live.customers.create(name="Only once", email=f"{key}@example.com", idempotency_key=key)
    assert once["id"] == again["id"]
    assert [c["id"] for c in live.customers.list(email=f"{key}@example.com")["data"]] == [once["id"]]
    # And the same key for a different request is refused, naming the header
    with pytest.raises(InvalidRequestError) as reused:
        live.customers.create(name="Someone else", idempotency_key=key)
    assert (reused.value.code, reused.value.param) == ("idempotency_key_reused", "Idempotency-Key")


def test_branding_reads_back_and_null_clears(live: Vinr) -> None:
    branded = live.branding.update(accent_color="#0A7C5A", support_url="https://acme.example/help")
    assert (branded["accentColor"], branded["supportUrl"]) == ("#0A7C5A", "https://acme.example/help")
    cleared = live.branding.update(support_url=None)
    assert cleared["supportUrl"] is None and cleared["accentColor"] == "#0A7C5A"
    assert live.branding.retrieve()["accentColor"] == "#0A7C5A"
    with pytest.raises(InvalidRequestError) as invalid:
        live.branding.update(accent_color="green")
    assert invalid.value.param == "accentColor"
