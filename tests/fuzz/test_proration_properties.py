"""Money properties of proration, over random sequences of plan, quantity and coupon changes and
cancellations inside one period, made through the merchant API on a test clock:

- the credits for a period never exceed what was charged for it;
- a change and its reverse at the same instant net to zero;
- the preview of a change (and of the next renewal) is the invoice that follows.

Rounding: each proration rounds its lines once, by cumulative rounding (each line within one
minor unit of its exact amount, the lines of one change summing to their exact total rounded
once), and tax is rounded per line. So what a period nets may fall short of exact by at most one
minor unit per change and one per taxed line; the bounds below say so. `make test` runs
`FUZZ_EXAMPLES` (default 12) sequences per property; `make fuzz` many more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.kernel import clock
from tests.support.apiclient import ApiClient
from tests.support.shop import open_plans, start_clock, subscribe_on_clock

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 12,  # the bounded run in `make test` is the same every time
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
PERIOD_SECONDS = 31 * 24 * 3600  # May
PLANS = {"basic": 900, "pro": 2000, "team": 2999}
COUPONS: dict[str, dict[str, Any]] = {
    "none": {},
    "p20": {"percentOff": 20},
    "p50": {"percentOff": 50},
    "p33": {"percentOff": 33.3},
    "a500": {"amountOff": 500, "currency": "eur"},
    "a1500": {"amountOff": 1500, "currency": "eur"},
}
BEHAVIORS = ("create_prorations", "always_invoice", "none")


@dataclass
class Shop:
    api: ApiClient
    prices: dict[str, str]

    def subscribe(self, plan: str, quantity: int, coupon: str) -> tuple[dict[str, Any], str]:
        """A German customer on a test clock of its own at May 1st, subscribed."""
        clock_id = start_clock(self.api, MAY_1)
        sub = subscribe_on_clock(
            self.api, clock_id, self.prices[plan], quantity=quantity, coupon=None if coupon == "none" else coupon
        )
        return sub, clock_id

    def advance(self, clock_id: str, seconds: int) -> None:
        if seconds == 0:
            return  # the clock stands at May 1st already (it only moves forward)
        moved = self.api.post(
            f"/v1/test_clocks/{clock_id}/advance", {"frozenTime": clock.to_wire(MAY_1 + timedelta(seconds=seconds))}
        )
        assert moved.status == 200, moved.text

    def change(self, sub_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post(f"/v1/subscriptions/{sub_id}", body)
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def switch(self, sub_id: str, plan: str, quantity: int, behavior: str) -> dict[str, Any]:
        items = [{"price": self.prices[plan], "quantity": quantity}]
        return self.change(sub_id, {"items": items, "prorationBehavior": behavior})

    def upcoming(self, sub_id: str, **query: Any) -> dict[str, Any]:
        response = self.api.get("/v1/invoices/upcoming", query={"subscription": sub_id, **query})
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def invoices(self, sub_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get("/v1/invoices", query={"subscription": sub_id, "limit": 100}).json()[
            "data"
        ]
        return found


@pytest.fixture
def shop(merchant: ApiClient) -> Shop:
    prices = open_plans(merchant, PLANS)
    for coupon_id, terms in COUPONS.items():
        if terms:
            made = merchant.post("/v1/coupons", {"id": coupon_id, "duration": "forever", **terms})
            assert made.status == 200, made.text
    return Shop(merchant, prices)


def net(line: dict[str, Any]) -> int:
    """What a line charges after its discount, before tax (negative for a credit)."""
    amount: int = line["amount"] - line["discountAmount"]
    return amount


plans = st.sampled_from(sorted(PLANS))
quantities = st.integers(1, 4)
coupons = st.sampled_from(sorted(COUPONS))
# A step a little later in the period (the clock never reaches its end): a switch, a coupon change.
steps = st.lists(
    st.tuples(
        st.integers(0, PERIOD_SECONDS // 8),
        st.one_of(
            st.tuples(st.just("switch"), plans, quantities, st.sampled_from(BEHAVIORS)),
            st.tuples(st.just("coupon"), coupons),
        ),
    ),
    min_size=1,
    max_size=5,
)


@PROPERTY
@given(plan=plans, quantity=quantities, coupon=coupons, steps=steps)
def test_what_a_period_credits_never_exceeds_what_it_charged(
    shop: Shop, plan: str, quantity: int, coupon: str, steps: list[tuple[int, tuple[Any, ...]]]
) -> None:
    sub, clock_id = shop.subscribe(plan, quantity, coupon)
    elapsed, changes = 0, 0
    for wait, (kind, *args) in steps:
        if wait:
            elapsed += wait
            shop.advance(clock_id, elapsed)
        if kind == "switch":
            shop.switch(sub["id"], *args)
            changes += 1
        else:
            shop.change(sub["id"], {"coupon": None if args[0] == "none" else args[0]})
    # Cancelled now, with the unused time credited and the pending items invoiced: every line
    # for this period is then on an invoice.
    response = shop.api.delete(f"/v1/subscriptions/{sub['id']}", query={"prorate": "true", "invoiceNow": "true"})
    assert response.status == 200, response.text
    changes += 1
    invoices = shop.invoices(sub["id"])
    lines = [line for invoice in invoices for line in invoice["lines"]]
    # Net of discounts, before tax: within one minor unit per change of never negative.
    assert sum(net(line) for line in lines) >= -changes
    # With tax (rounded per line): within one more minor unit per line.
    assert sum(invoice["total"] for invoice in invoices) >= -changes - len(lines)


@PROPERTY
@given(
    plan=plans,
    quantity=quantities,
    coupon=coupons,
    other=st.tuples(plans, quantities),
    wait=st.integers(0, PERIOD_SECONDS - 1),
    behavior=st.sampled_from(("create_prorations", "always_invoice")),
)
def test_a_change_and_its_reverse_at_the_same_instant_net_to_zero(
    shop: Shop, plan: str, quantity: int, coupon: str, other: tuple[str, int], wait: int, behavior: str
) -> None:
    sub, clock_id = shop.subscribe(plan, quantity, coupon)
    shop.advance(clock_id, wait)
    before = shop.invoices(sub["id"])
    shop.switch(sub["id"], *other, behavior)
    shop.switch(sub["id"], plan, quantity, behavior)
    made = [i for i in shop.invoices(sub["id"]) if i["id"] not in {b["id"] for b in before}]
    prorated = [line for invoice in made for line in invoice["lines"]]
    pending = [line for line in shop.upcoming(sub["id"])["next"]["lines"] if line["proration"]]
    # Each change's lines are rounded once, cumulatively, so the two changes' lines cancel
    # exactly (each line is within one minor unit of its exact share).
    assert sum(net(line) for line in prorated + pending) == 0
    assert sum(invoice["total"] for invoice in made) + sum(line["taxAmount"] for line in pending) in range(
        -len(prorated + pending), len(prorated + pending) + 1
    )


@PROPERTY
@given(
    plan=plans,
    quantity=quantities,
    coupon=coupons,
    other=st.tuples(plans, quantities),
    wait=st.integers(0, PERIOD_SECONDS - 1),
    behavior=st.sampled_from(BEHAVIORS),
)
def test_the_preview_is_the_invoice_that_follows(
    shop: Shop, plan: str, quantity: int, coupon: str, other: tuple[str, int], wait: int, behavior: str
) -> None:
    sub, clock_id = shop.subscribe(plan, quantity, coupon)
    shop.advance(clock_id, wait)
    target, count = other
    preview = shop.upcoming(sub["id"], price=shop.prices[target], quantity=count, prorationBehavior=behavior)
    changed = shop.switch(sub["id"], target, count, behavior)
    if preview["immediate"] is not None:
        made = shop.api.get(f"/v1/invoices/{changed['latestInvoice']}").json()
        assert figures(preview["immediate"]) == figures(made)
    else:
        assert changed["latestInvoice"] == sub["latestInvoice"]
    following = shop.upcoming(sub["id"])["next"]
    assert figures(preview["next"]) == figures(following)
    shop.advance(clock_id, PERIOD_SECONDS)  # the renewal
    latest = shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["latestInvoice"]
    renewal = shop.api.get(f"/v1/invoices/{latest}").json()
    assert figures(following) == figures(renewal)


def figures(invoice: dict[str, Any]) -> tuple[Any, ...]:
    lines = [
        (line["amount"], line["discountAmount"], line["taxAmount"], line["proration"]) for line in invoice["lines"]
    ]
    return (sorted(lines), invoice["subtotal"], invoice["discount"], invoice["tax"], invoice["total"])
