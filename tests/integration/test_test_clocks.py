"""Time on a test clock: a year of renewals, trials, period-end cancellations, declined renewals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from billing.accounts import accounts
from billing.kernel import clock
from billing.store.repository import Table
from billing.subscriptions.proration import period_boundary
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.shop import ClockedMerchant

JAN_31 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


@dataclass
class Timeline(ClockedMerchant):
    price: str

    def customer(self, token: str | None = "tok_visa") -> str:
        customer: str = self.api.post("/v1/customers", {"name": "Timed", "testClock": self.clock_id}).json()["id"]
        if token:
            assert self.api.post(f"/v1/customers/{customer}/payment_methods", {"token": token}).status == 200
        return customer

    def subscribe(self, customer: str, **fields: Any) -> dict[str, Any]:
        response = self.api.post(
            "/v1/subscriptions", {"customer": customer, "items": [{"price": self.price}], **fields}
        )
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def timeline(merchant: ApiClient) -> Timeline:
    made = merchant.post("/v1/test_clocks", {"frozenTime": clock.to_wire(JAN_31), "name": "year"})
    assert made.status == 200, made.text
    assert made.json()["frozenTime"] == clock.to_wire(JAN_31)
    merchant.post("/v1/products", {"id": "prod_t", "name": "Timed plan"})
    price = merchant.post(
        "/v1/prices", {"product": "prod_t", "unitAmount": 1500, "currency": "eur", "recurring": {"interval": "month"}}
    ).json()["id"]
    return Timeline(merchant, made.json()["id"], price)


def test_a_year_of_monthly_renewals_on_a_month_end_anchor(timeline: Timeline) -> None:
    sub = timeline.subscribe(timeline.customer())
    assert sub["currentPeriodStart"] == clock.to_wire(JAN_31)  # the clock's time, not the real one
    timeline.advance(datetime(2027, 1, 31, 10, 0, tzinfo=UTC))
    invoices = timeline.invoices(sub["id"])
    assert len(invoices) == 13  # the first period and twelve renewals
    starts = sorted(i["periodStart"] for i in invoices)
    assert starts == [clock.to_wire(period_boundary(JAN_31, "month", 1, n)) for n in range(13)]
    assert starts[1].startswith("2026-02-28") and starts[2].startswith("2026-03-31")
    numbers = sorted(int(i["number"].rsplit("-", 1)[1]) for i in invoices)
    assert numbers == list(range(1, 14))
    assert all((i["status"], i["total"]) == ("paid", 1500) for i in invoices)
    stored = timeline.sub(sub["id"])
    assert stored["status"] == "active"
    assert stored["currentPeriodEnd"] == clock.to_wire(period_boundary(JAN_31, "month", 1, 13))
    renewed = timeline.api.get("/v1/events", query={"type": "invoice.paid", "limit": 100}).json()["data"]
    sources = sorted(e["request"]["source"] for e in renewed)
    assert sources == ["api"] + ["clock"] * 12  # the first by the API call, the renewals by the clock


def test_cancel_at_period_end_runs_through_to_subscription_deleted(timeline: Timeline) -> None:
    sub = timeline.subscribe(timeline.customer())
    timeline.api.post(f"/v1/subscriptions/{sub['id']}", {"cancelAtPeriodEnd": True})
    timeline.advance(datetime(2026, 2, 15, tzinfo=UTC))
    assert timeline.sub(sub["id"])["status"] == "active"
    timeline.advance(datetime(2026, 3, 15, tzinfo=UTC))
    ended = timeline.sub(sub["id"])
    assert (ended["status"], ended["endedAt"]) == ("canceled", sub["currentPeriodEnd"])
    assert len(timeline.invoices(sub["id"])) == 1  # no renewal
    deleted = timeline.api.get("/v1/events", query={"type": "subscription.deleted"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in deleted] == [sub["id"]]


def test_a_trial_ends_into_a_paid_period(timeline: Timeline) -> None:
    sub = timeline.subscribe(timeline.customer(), trialDays=7)
    timeline.advance(datetime(2026, 2, 8, tzinfo=UTC))
    after = timeline.sub(sub["id"])
    assert after["status"] == "active"
    assert after["currentPeriodStart"] == sub["trialEnd"]
    paid = timeline.invoices(sub["id"])[0]
    assert (paid["total"], paid["status"], paid["periodStart"]) == (1500, "paid", sub["trialEnd"])


def test_a_declined_renewal_leaves_the_subscription_past_due(timeline: Timeline) -> None:
    sub = timeline.subscribe(timeline.customer("tok_visa"))
    # the card is replaced by one that declines before the renewal
    customer = sub["customer"]
    declining = timeline.api.post(
        f"/v1/customers/{customer}/payment_methods", {"token": "tok_chargeDeclined", "setDefault": True}
    ).json()
    assert declining["id"]
    timeline.advance(datetime(2026, 3, 1, tzinfo=UTC))
    assert timeline.sub(sub["id"])["status"] == "past_due"
    renewal = timeline.invoices(sub["id"])[0]
    assert (renewal["status"], renewal["lastPaymentError"]["code"]) == ("open", "card_declined")
    failed = timeline.api.get("/v1/events", query={"type": "invoice.payment_failed"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in failed] == [renewal["id"]]


def test_once_and_repeating_coupons_end_when_they_should(timeline: Timeline) -> None:
    timeline.api.post("/v1/coupons", {"id": "rwd_once", "percentOff": 50, "duration": "once"})
    timeline.api.post(
        "/v1/coupons", {"id": "rwd_two", "percentOff": 10, "duration": "repeating", "durationInMonths": 2}
    )
    once = timeline.subscribe(timeline.customer(), coupon="rwd_once")
    two = timeline.subscribe(timeline.customer(), coupon="rwd_two")
    timeline.advance(datetime(2026, 5, 1, tzinfo=UTC))
    assert [i["total"] for i in sorted(timeline.invoices(once["id"]), key=lambda i: i["periodStart"])] == [
        750,
        1500,
        1500,
        1500,
    ]
    assert [i["total"] for i in sorted(timeline.invoices(two["id"]), key=lambda i: i["periodStart"])] == [
        1350,
        1350,
        1500,
        1500,
    ]


def test_pending_prorations_land_on_the_next_renewal(timeline: Timeline) -> None:
    sub = timeline.subscribe(timeline.customer())
    pro = timeline.api.post(
        "/v1/prices", {"product": "prod_t", "unitAmount": 4500, "currency": "eur", "recurring": {"interval": "month"}}
    ).json()["id"]
    timeline.advance(datetime(2026, 2, 14, 10, 0, tzinfo=UTC))  # half of the 31 Jan → 28 Feb period
    timeline.api.post(
        f"/v1/subscriptions/{sub['id']}", {"items": [{"price": pro}], "prorationBehavior": "create_prorations"}
    )
    timeline.advance(datetime(2026, 3, 1, tzinfo=UTC))
    renewal = timeline.invoices(sub["id"])[0]
    assert [line["amount"] for line in renewal["lines"]] == [-750, 2250, 4500]
    assert renewal["total"] == 6000


def test_clocks_only_move_forward_and_only_in_test_mode(timeline: Timeline, stack: Stack) -> None:
    back = timeline.api.post(f"/v1/test_clocks/{timeline.clock_id}/advance", {"frozenTime": "2025-01-01T00:00:00Z"})
    assert back.status == 400 and back.json()["error"]["param"] == "frozenTime"
    account, _ = stack.new_account()
    live = ApiClient(stack.template, key=accounts.add_key(account, "live", table=Table()).secret)
    refused = live.post("/v1/test_clocks", {"frozenTime": "2026-01-01T00:00:00Z"})
    assert refused.status == 403
    unknown = timeline.api.post("/v1/customers", {"name": "x", "testClock": "clock_nope"})
    assert unknown.status == 400 and unknown.json()["error"]["param"] == "testClock"


def test_an_advance_runs_a_bounded_number_of_renewals_and_says_that_more_is_left(
    timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from billing.subscriptions import testclocks

    monkeypatch.setattr(testclocks, "MAX_STEPS", 10)
    # Given two monthly subscriptions and a clock moved two years on: 48 renewals to do
    subs = [timeline.subscribe(timeline.customer())["id"] for _ in range(2)]
    target = {"frozenTime": clock.to_wire(datetime(2028, 1, 31, 10, 0, tzinfo=UTC))}
    path = f"/v1/test_clocks/{timeline.clock_id}/advance"

    def renewals() -> int:
        return sum(len(timeline.invoices(sub)) - 1 for sub in subs)

    # When it is advanced, each request does at most 10 of them, and says `advancing` until done
    answers = []
    while not answers or answers[-1]["status"] == "advancing":
        before = renewals()
        answer = timeline.api.post(path, target)
        assert answer.status == 200, answer.text
        answers.append(answer.json())
        assert renewals() - before <= 10
        assert answers[-1]["frozenTime"] == target["frozenTime"]
        assert len(answers) <= 6
    assert [a["status"] for a in answers] == ["advancing"] * 4 + ["ready"]
    assert renewals() == 48
    assert timeline.api.get(f"/v1/test_clocks/{timeline.clock_id}").json()["status"] == "ready"
    # And a ready clock moves only forward
    again = timeline.api.post(path, target)
    assert again.status == 400 and again.json()["error"]["code"] == "clock_backwards"


def test_a_downgrade_credit_is_carried_to_the_next_invoices(timeline: Timeline) -> None:
    pro = timeline.api.post(
        "/v1/prices", {"product": "prod_t", "unitAmount": 4500, "currency": "eur", "recurring": {"interval": "month"}}
    ).json()["id"]
    customer = timeline.customer()
    response = timeline.api.post("/v1/subscriptions", {"customer": customer, "items": [{"price": pro}]})
    sub = response.json()
    # Half-way through 31 Jan → 28 Feb, downgrade to 15.00 and invoice the difference now.
    timeline.advance(datetime(2026, 2, 14, 10, 0, tzinfo=UTC))
    switched = timeline.api.post(
        f"/v1/subscriptions/{sub['id']}", {"items": [{"price": timeline.price}], "prorationBehavior": "always_invoice"}
    )
    assert switched.status == 200, switched.text
    credit_note = timeline.invoices(sub["id"])[0]
    assert (credit_note["total"], credit_note["creditedToCustomer"]) == (-1500, 1500)
    assert timeline.api.get(f"/v1/customers/{customer}").json()["creditBalance"] == {"eur": 1500}
    # The next renewal (15.00) is paid from the credit, and the one after is charged again.
    timeline.advance(datetime(2026, 3, 1, tzinfo=UTC))
    renewal = timeline.invoices(sub["id"])[0]
    assert (renewal["total"], renewal["appliedCredit"], renewal["amountDue"], renewal["status"]) == (
        1500,
        1500,
        0,
        "paid",
    )
    assert timeline.api.get(f"/v1/customers/{customer}").json()["creditBalance"] == {}
    timeline.advance(datetime(2026, 4, 1, tzinfo=UTC))
    charged = timeline.invoices(sub["id"])[0]
    assert (charged["appliedCredit"], charged["amountPaid"]) == (0, 1500)
