"""A renewal never stalls silently: removing the payment method a subscription names makes it
fall back to the customer's default (in the removal's transaction, with its event); a renewal
that cannot be charged goes `past_due` with its open invoice and `invoice.payment_failed`; and a
renewal that raises is logged and counted by the clock while the others still renew."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.harness import counting_calls
from billing.kernel import clock
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import store as payment_store
from billing.payments.records import PaymentMethod
from billing.store.repository import Table, UnitOfWork
from billing.subscriptions import renewals
from billing.subscriptions.records import Subscription
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import csrf_of, signed_in
from tests.support.shop import ClockedMerchant, Shop, start_clock

JAN_31 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
FEB_28 = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # the first period's end
MAR_1 = datetime(2026, 3, 1, tzinfo=UTC)
APR_1_WIRE = clock.to_wire(datetime(2026, 4, 1, tzinfo=UTC))
RENEWAL_TOTAL = 3451  # 29.00 EUR and 19 % USt.


def attach(api: ApiClient, customer: str, token: str, **fields: Any) -> str:
    response = api.post(f"/v1/customers/{customer}/payment_methods", {"token": token, **fields})
    assert response.status == 200, response.text
    pm_id: str = response.json()["id"]
    return pm_id


def subscribe(api: ApiClient, customer: str, price: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/subscriptions", {"customer": customer, "items": [{"price": price}], **fields})
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def events_of(api: ApiClient, type_: str, customer: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get("/v1/events", query={"type": type_, "customer": customer}).json()["data"]
    return found


def on_clock(shop: Shop) -> tuple[ClockedMerchant, str]:
    """A test clock at 31 Jan 10:00 and a customer on it paying by Visa (its default)."""
    clocked = ClockedMerchant(shop.api, start_clock(shop.api, JAN_31))
    return clocked, shop.customer(testClock=clocked.clock_id)


def renewal_of(clocked: ClockedMerchant, sub_id: str) -> dict[str, Any]:
    """The renewal's invoice: the one of the period that starts where the first ended."""
    invoices = clocked.invoices(sub_id)
    assert len(invoices) == 2, invoices
    (renewal,) = [i for i in invoices if i["periodStart"] == clock.to_wire(FEB_28)]
    return renewal


# ------------------------------------------------------------------ removing the method a subscription names
def test_removing_the_card_the_subscription_names_makes_it_renew_on_the_default(shop: Shop) -> None:
    # Given a subscription that names the customer's Visa, and a Mastercard added second
    clocked, customer = on_clock(shop)
    visa = shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    sub = subscribe(shop.api, customer, shop.monthly, defaultPaymentMethod=visa)
    assert sub["defaultPaymentMethod"] == visa
    mastercard = attach(shop.api, customer, "tok_mastercard")
    # When the Visa is removed through the API
    removed = shop.api.delete(f"/v1/customers/{customer}/payment_methods/{visa}")
    # Then it is gone, the customer's default is the Mastercard, and the subscription names no
    # method any more (it falls back to the customer's default), saying so in its event
    assert removed.status == 200, removed.text
    assert removed.json()["deleted"] is True
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == mastercard
    assert clocked.sub(sub["id"])["defaultPaymentMethod"] is None
    (updated,) = events_of(shop.api, "subscription.updated", customer)
    assert updated["data"]["object"]["defaultPaymentMethod"] is None
    assert updated["data"]["previousAttributes"] == {"defaultPaymentMethod": visa}
    assert updated["request"]["source"] == "api"
    # When the clock passes the period's end
    clocked.advance(MAR_1)
    # Then the subscription renewed, charged to the Mastercard
    renewed = clocked.sub(sub["id"])
    assert (renewed["status"], renewed["currentPeriodStart"]) == ("active", clock.to_wire(FEB_28))
    renewal = renewal_of(clocked, sub["id"])
    assert (renewal["status"], renewal["total"], renewal["amountPaid"]) == ("paid", RENEWAL_TOTAL, RENEWAL_TOTAL)
    assert renewed["latestInvoice"] == renewal["id"]


def test_removing_it_in_the_portal_falls_back_to_a_default_that_declines_and_the_renewal_goes_past_due(
    shop: Shop, stack: Stack
) -> None:
    # Given a subscription that names the customer's Visa, and a card whose charges decline added second
    clocked, customer = on_clock(shop)
    visa = shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    sub = subscribe(shop.api, customer, shop.monthly, defaultPaymentMethod=visa)
    declining = attach(shop.api, customer, "tok_chargeDeclined")
    # When the customer removes the Visa in the portal
    browser = signed_in(stack.template, shop.api, customer)
    page = browser.get("/payment-methods")
    removed = browser.post(f"/payment-methods/{visa}/remove", {"csrf": csrf_of(page.text)})
    assert removed.status == 303 and removed.header("location") == "/payment-methods?done=removed"
    # Then the subscription falls back to the customer's default, now the declining card
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == declining
    (updated,) = events_of(shop.api, "subscription.updated", customer)
    assert updated["data"]["previousAttributes"] == {"defaultPaymentMethod": visa}
    assert updated["request"]["source"] == "portal"
    # When the clock passes the period's end
    clocked.advance(MAR_1)
    # Then the renewal was charged to it and declined: the subscription is past_due, its
    # renewal invoice open with the decline, and invoice.payment_failed says so
    after = clocked.sub(sub["id"])
    assert (after["status"], after["currentPeriodStart"]) == ("past_due", clock.to_wire(FEB_28))
    renewal = renewal_of(clocked, sub["id"])
    assert (renewal["status"], renewal["total"], renewal["amountPaid"]) == ("open", RENEWAL_TOTAL, 0)
    assert renewal["lastPaymentError"]["code"] == "card_declined"
    assert after["latestInvoice"] == renewal["id"]
    failed = events_of(shop.api, "invoice.payment_failed", customer)
    assert [e["data"]["object"]["id"] for e in failed] == [renewal["id"]]


def test_the_last_card_a_paid_subscription_charges_is_still_refused(shop: Shop) -> None:
    # Given a subscription that names the customer's only card
    clocked, customer = on_clock(shop)
    visa = shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    sub = subscribe(shop.api, customer, shop.monthly, defaultPaymentMethod=visa)
    # When it is removed
    refused = shop.api.delete(f"/v1/customers/{customer}/payment_methods/{visa}")
    # Then the removal is refused and nothing changed
    assert refused.status == 409 and refused.json()["error"]["code"] == "payment_method_required"
    assert clocked.sub(sub["id"])["defaultPaymentMethod"] == visa
    assert [m["id"] for m in shop.api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]] == [visa]
    assert events_of(shop.api, "subscription.updated", customer) == []


def test_a_removal_no_subscription_names_repoints_nothing_and_costs_no_more_calls(shop: Shop) -> None:
    # Given a subscription on the customer's default (it names no method) and a second card
    clocked, customer = on_clock(shop)
    sub = subscribe(shop.api, customer, shop.monthly)
    mastercard = attach(shop.api, customer, "tok_mastercard")
    before = clocked.sub(sub["id"])
    # When the second card is removed, its AWS calls counted
    with counting_calls() as counter:
        removed = shop.api.delete(f"/v1/customers/{customer}/payment_methods/{mastercard}")
    # Then no subscription changed, and the removal read the method, the customer (once), its
    # methods and its subscriptions, and wrote once (the API key's read included): before
    # subscriptions were repointed it read the customer twice and queried no subscription
    assert removed.status == 200, removed.text
    assert events_of(shop.api, "subscription.updated", customer) == []
    assert clocked.sub(sub["id"]) == before
    assert dict(counter.calls) == {"GetItem": 3, "Query": 2, "TransactWriteItems": 1}, counter.breakdown()


# ------------------------------------------------------------------ a method already gone
def gone(stack: Stack, api: ApiClient, customer: str, pm_id: str) -> None:
    """`pm_id` deleted from the table as a removal did before removals repointed subscriptions
    (the subscription and the customer's default still name it)."""
    scope = Scope(stack_account(api), "test")
    pm = payment_store.get_payment_method(Table(), scope, customer, pm_id)
    assert isinstance(pm, PaymentMethod)
    UnitOfWork(Table(), RequestInfo("api", "legacy")).add(payment_store.delete(scope, pm)).commit()


def stack_account(api: ApiClient) -> str:
    account_id: str = api.get("/v1/account").json()["id"]
    return account_id


def test_a_subscription_naming_a_method_already_gone_renews_on_the_customers_other_card(
    shop: Shop, stack: Stack
) -> None:
    # Given a subscription that names a Visa removed without repointing, and a Mastercard
    clocked, customer = on_clock(shop)
    visa = shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    sub = subscribe(shop.api, customer, shop.monthly, defaultPaymentMethod=visa)
    attach(shop.api, customer, "tok_mastercard", setDefault=True)
    gone(stack, shop.api, customer, visa)
    # When the clock passes the period's end
    clocked.advance(MAR_1)
    # Then it renewed on the customer's default
    renewed = clocked.sub(sub["id"])
    assert (renewed["status"], renewed["currentPeriodStart"]) == ("active", clock.to_wire(FEB_28))
    assert renewal_of(clocked, sub["id"])["status"] == "paid"


def test_a_subscription_whose_customer_has_no_method_left_goes_past_due_with_its_invoice(
    shop: Shop, stack: Stack
) -> None:
    # Given a subscription whose customer's only card (its default, the one it names) is gone
    clocked, customer = on_clock(shop)
    visa = shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    sub = subscribe(shop.api, customer, shop.monthly, defaultPaymentMethod=visa)
    gone(stack, shop.api, customer, visa)
    # When the clock passes the period's end
    clocked.advance(MAR_1)
    # Then it is past_due with its renewal invoice open (no method to charge) and the event sent
    after = clocked.sub(sub["id"])
    assert (after["status"], after["currentPeriodStart"]) == ("past_due", clock.to_wire(FEB_28))
    renewal = renewal_of(clocked, sub["id"])
    assert (renewal["status"], renewal["amountDue"], renewal["amountPaid"]) == ("open", RENEWAL_TOTAL, 0)
    assert renewal["lastPaymentError"]["code"] == "payment_method_missing"
    failed = events_of(shop.api, "invoice.payment_failed", customer)
    assert [e["data"]["object"]["id"] for e in failed] == [renewal["id"]]


# ------------------------------------------------------------------ the scheduled clock
def run_clock(stack: Stack, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """One scheduled run through the real handler: its answer and the JSON lines it printed
    (its EMF metrics; its log lines are in `caplog`)."""
    capsys.readouterr()
    answer = invoke.load_handler(stack.template.function("clock"))(
        {"source": "aws.events"}, invoke.LambdaContext("clock")
    )
    printed = capsys.readouterr().out.splitlines()
    return answer, [json.loads(line) for line in printed if line.startswith("{")]


def renewal_failures(lines: list[dict[str, Any]]) -> list[float]:
    """The RenewalFailures values the run published, with their EMF namespace checked."""
    published = [line for line in lines if "RenewalFailures" in line]
    for line in published:
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "VinrPortal"
        assert {"Name": "RenewalFailures", "Unit": "Count"} in directive["Metrics"]
    values = [line["RenewalFailures"] for line in published]
    return [sum(value) if isinstance(value, list) else value for value in values]  # EMF allows either


def test_a_declined_scheduled_renewal_goes_past_due_and_is_not_a_failure(
    shop: Shop, stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a subscription (real time) whose customer's default card now declines every charge
    start = MAR_1
    monkeypatch.setattr(clock, "now", lambda: start)
    customer = shop.customer()
    sub = subscribe(shop.api, customer, shop.monthly)
    attach(shop.api, customer, "tok_chargeDeclined", setDefault=True)
    # When the scheduled clock runs after the period's end
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=32))
    answer, printed = run_clock(stack, capsys)
    # Then it renewed past_due, its invoice open with the decline, invoice.payment_failed sent,
    # and the run counted no failure
    assert answer == {"processed": 1}
    after = shop.api.get(f"/v1/subscriptions/{sub['id']}").json()
    assert (after["status"], after["currentPeriodStart"]) == ("past_due", APR_1_WIRE)
    renewal = shop.api.get(f"/v1/invoices/{after['latestInvoice']}").json()
    assert (renewal["status"], renewal["total"], renewal["lastPaymentError"]["code"]) == (
        "open",
        RENEWAL_TOTAL,
        "card_declined",
    )
    failed = events_of(shop.api, "invoice.payment_failed", customer)
    assert [e["data"]["object"]["id"] for e in failed] == [renewal["id"]]
    assert renewal_failures(printed) == [0]


def test_a_renewal_that_raises_is_logged_and_counted_and_the_others_still_renew(
    shop: Shop,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given three subscriptions (real time) whose period has ended, one of which raises when renewed
    start = MAR_1
    monkeypatch.setattr(clock, "now", lambda: start)
    subs = [subscribe(shop.api, shop.customer(), shop.monthly) for _ in range(3)]
    broken = subs[1]["id"]
    real_next_renewal = renewals.next_renewal

    def next_renewal(sub: Subscription) -> renewals.Renewal:
        if sub.id == broken:
            raise RuntimeError("renewal exploded")
        return real_next_renewal(sub)

    monkeypatch.setattr(renewals, "next_renewal", next_renewal)
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=32))
    # When the scheduled clock runs
    answer, printed = run_clock(stack, capsys)
    # Then the other two renewed, the broken one is logged with its subscription and error and
    # counted, and it is left as it was (one invoice, its period unchanged)
    assert answer == {"processed": 2}
    for sub in (subs[0], subs[2]):
        assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["currentPeriodStart"] == APR_1_WIRE
    (logged,) = [record for record in caplog.records if record.getMessage() == "renewal failed"]
    fields = {name: getattr(logged, name) for name in ("account", "livemode", "subscription", "error")}
    assert logged.levelno == logging.ERROR
    assert fields == {
        "account": stack_account(shop.api),
        "livemode": False,
        "subscription": broken,
        "error": "RuntimeError",
    }
    assert logged.exc_info is not None and str(logged.exc_info[1]) == "renewal exploded"
    assert renewal_failures(printed) == [1]
    left = shop.api.get(f"/v1/subscriptions/{broken}").json()
    assert (left["status"], left["currentPeriodStart"]) == ("active", clock.to_wire(MAR_1))
    # When the fault is gone and the next run comes
    monkeypatch.setattr(renewals, "next_renewal", real_next_renewal)
    answer, printed = run_clock(stack, capsys)
    # Then it renews then, and the run counts no failure
    assert answer == {"processed": 1}
    assert shop.api.get(f"/v1/subscriptions/{broken}").json()["currentPeriodStart"] == APR_1_WIRE
    assert renewal_failures(printed) == [0]
