"""Credits for unused time are of what was charged, after the coupon: a merchant's cases, to the
cent, on a German customer (USt. 19 %) whose time is a test clock's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from billing.kernel import clock
from tests.support.apiclient import ApiClient
from tests.support.shop import ClockedMerchant, open_plans, start_clock, subscribe_on_clock

MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
MID_MAY = MAY_1 + timedelta(days=15, hours=12)  # exactly half of May's 31 days remain
JUNE_1 = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Merchant(ClockedMerchant):
    prices: dict[str, str]

    def coupon(self, coupon_id: str, **terms: Any) -> str:
        made = self.api.post("/v1/coupons", {"id": coupon_id, "duration": "forever", **terms})
        assert made.status == 200, made.text
        return coupon_id

    def subscribe(self, plan: str, quantity: int = 1, coupon: str | None = None) -> dict[str, Any]:
        return subscribe_on_clock(self.api, self.clock_id, self.prices[plan], quantity=quantity, coupon=coupon)

    def switch(self, sub: dict[str, Any], plan: str, quantity: int = 1) -> dict[str, Any]:
        body = {"items": [{"price": self.prices[plan], "quantity": quantity}], "prorationBehavior": "create_prorations"}
        response = self.api.post(f"/v1/subscriptions/{sub['id']}", body)
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.get(f"/v1/invoices/{invoice_id}").json()
        return result

    def upcoming(self, sub: dict[str, Any], **query: Any) -> dict[str, Any]:
        response = self.api.get("/v1/invoices/upcoming", query={"subscription": sub["id"], **query})
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def credit(self, sub: dict[str, Any]) -> dict[str, int]:
        found: dict[str, int] = self.api.get(f"/v1/customers/{sub['customer']}").json()["creditBalance"]
        return found


@pytest.fixture
def shop(merchant: ApiClient) -> Merchant:
    prices = open_plans(merchant, {"basic": 900, "pro": 2000, "team": 3000, "seat": 1500})
    return Merchant(merchant, start_clock(merchant, MAY_1), prices)


def test_cancelling_at_once_credits_what_a_half_price_coupon_charged(shop: Merchant) -> None:
    sub = shop.subscribe("team", coupon=shop.coupon("half", percentOff=50))
    first = shop.invoice(sub["latestInvoice"])
    assert (first["subtotal"], first["discount"], first["tax"], first["total"]) == (3000, 1500, 285, 1785)
    cancelled = shop.api.delete(f"/v1/subscriptions/{sub['id']}", query={"prorate": "true"})
    assert cancelled.status == 200, cancelled.text
    final = shop.invoice(cancelled.json()["latestInvoice"])
    assert [line["amount"] for line in final["lines"]] == [-1500]  # not -3000: the credit is of what was paid
    assert (final["discount"], final["tax"], final["total"], final["creditedToCustomer"]) == (0, -285, -1785, 1785)
    assert shop.credit(sub) == {"eur": 1785}  # exactly what the first invoice charged
    # The credit invoice names the period it credits.
    assert (final["periodStart"], final["periodEnd"]) == (clock.to_wire(MAY_1), clock.to_wire(JUNE_1))


def test_five_seats_and_back_to_three_leave_the_next_invoice_as_it_was(shop: Merchant) -> None:
    sub = shop.subscribe("seat", quantity=3, coupon=shop.coupon("twenty", percentOff=20))
    assert shop.invoice(sub["latestInvoice"])["total"] == 4284  # (45.00 - 20 %) + 19 %
    shop.advance(MID_MAY)
    up = shop.switch(sub, "seat", quantity=5)
    preview = shop.upcoming(up)
    # Five seats from June (60.00 after the coupon), and half of May of two more seats at the
    # price they are charged (12.00 a seat): 12.00; each + 19 %.
    assert preview["next"]["total"] == 7140 + 1428
    shop.switch(up, "seat", quantity=3)
    preview = shop.upcoming(up)
    assert preview["next"]["total"] == 4284  # was 14.28: the credits went undiscounted
    shop.advance(JUNE_1)
    renewal = shop.invoice(shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["latestInvoice"])
    assert renewal["total"] == 4284
    assert sum(line["amount"] for line in renewal["lines"] if line["proration"]) == 0


def test_an_amount_off_coupon_credits_no_more_than_the_plan_cost(shop: Merchant) -> None:
    sub = shop.subscribe("basic", coupon=shop.coupon("five", amountOff=500, currency="eur"))
    assert shop.invoice(sub["latestInvoice"])["subtotal"] - shop.invoice(sub["latestInvoice"])["discount"] == 400
    shop.advance(MID_MAY)
    preview = shop.upcoming(sub, price=shop.prices["pro"], prorationBehavior="always_invoice")
    switched = shop.api.post(
        f"/v1/subscriptions/{sub['id']}",
        {"items": [{"price": shop.prices["pro"]}], "prorationBehavior": "always_invoice"},
    )
    assert switched.status == 200, switched.text
    invoice = shop.invoice(switched.json()["latestInvoice"])
    credit, charge = sorted(line["amount"] for line in invoice["lines"])
    assert credit == -200  # half of the 4.00 Basic cost after the coupon (was -450, half of 9.00)
    assert charge == 750  # half of Pro's 20.00 less the coupon's 5.00
    assert (invoice["tax"], invoice["total"]) == (143 - 38, 655)  # tax per line, rounded half away
    # The preview said the same, line for line.
    assert preview["immediate"]["total"] == invoice["total"]
    assert [line["amount"] for line in preview["immediate"]["lines"]] == [line["amount"] for line in invoice["lines"]]
