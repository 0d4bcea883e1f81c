"""Credit the customer can see: the cancel page states what an immediate cancellation credits,
to the cent (after the coupon, with its tax), and the overview shows the credit balance and what
it pays of the next invoice; a German customer (USt. 19 %) whose time is a test clock's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.harness import counting_calls
from billing.kernel import clock
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser, csrf_of, signed_in
from tests.support.shop import ClockedMerchant

MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
MID_MAY = MAY_1 + timedelta(days=15, hours=12)  # exactly half of May's 31 days remain
JUNE_1 = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Shop(ClockedMerchant):
    stack: Stack
    prices: dict[str, str]

    def configure(self, **cancel: Any) -> None:
        features = {"subscriptionCancel": {"enabled": True, "retention": None, **cancel}}
        response = self.api.post("/v1/billing/portal_configurations/default", {"features": features})
        assert response.status == 200, response.text

    def customer(self) -> str:
        body = {"name": "Kunde", "address": {"country": "DE"}, "testClock": self.clock_id}
        customer: str = self.api.post("/v1/customers", body).json()["id"]
        assert self.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
        return customer

    def subscribe(self, customer: str, plan: str, **fields: Any) -> dict[str, Any]:
        body = {"customer": customer, "items": [{"price": self.prices[plan]}], **fields}
        response = self.api.post("/v1/subscriptions", body)
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def credit(self, customer: str) -> dict[str, int]:
        found: dict[str, int] = self.api.get(f"/v1/customers/{customer}").json()["creditBalance"]
        return found

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.get(f"/v1/invoices/{invoice_id}").json()
        return result

    def browser(self, customer: str) -> PortalBrowser:
        return signed_in(self.stack.template, self.api, customer, locale="de")


@pytest.fixture
def shop(merchant: ApiClient, stack: Stack) -> Shop:
    account = {"country": "DE", "legalName": "Shop GmbH", "taxId": "DE136695976", "defaultCurrency": "eur"}
    assert live_client(merchant).post("/v1/account", account).status == 200
    assert merchant.post("/v1/tax_rates", {"country": "DE", "percentage": 19, "displayName": "USt."}).status == 200
    assert merchant.post("/v1/products", {"id": "prod_app", "name": "App"}).status == 200
    prices = {}
    for plan, amount in (("basic", 900), ("team", 3000)):
        body = {"product": "prod_app", "unitAmount": amount, "currency": "eur", "recurring": {"interval": "month"}}
        prices[plan] = merchant.post("/v1/prices", {**body, "nickname": plan.title()}).json()["id"]
    coupon = {"id": "half", "name": "Half", "percentOff": 50, "duration": "forever"}
    assert merchant.post("/v1/coupons", coupon).status == 200
    made = merchant.post("/v1/test_clocks", {"frozenTime": clock.to_wire(MAY_1)})
    assert made.status == 200, made.text
    shop = Shop(merchant, made.json()["id"], stack, prices)
    shop.configure(mode="immediately", prorationBehavior="create_prorations")
    return shop


def shown(text: str, name: str) -> str | None:
    found = re.search(rf'data-testid="{name}"[^>]*>(.*?)</(?:p|span)>', text, re.S)
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else None


def test_the_cancel_page_states_the_credit_the_cancellation_then_gives(shop: Shop) -> None:
    # Given a Team plan (30.00) at half price with 19 % USt.: 17.85 charged for May
    customer = shop.customer()
    sub = shop.subscribe(customer, "team", coupon="half")
    assert shop.invoice(sub["latestInvoice"])["total"] == 1785
    shop.advance(MID_MAY)
    browser = shop.browser(customer)
    # When the customer opens the cancellation halfway through May
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    assert page.status == 200, page.text
    # Then it states the credit of half of what was paid: 7.50 + 1.43 USt. (half of 2.85, rounded)
    assert shown(page.text, "cancel-credit") == "8,93\xa0€ für die ungenutzte Zeit werden Ihrem Konto gutgeschrieben."
    assert "Das Guthaben wird mit Ihren nächsten Rechnungen verrechnet." in page.text
    before = shop.credit(customer)
    # When the customer confirms
    done = browser.post(f"/subscriptions/{sub['id']}/cancel", {"csrf": csrf_of(page.text)})
    assert done.status == 303 and done.header("location") == "/?done=canceled"
    # Then the customer's credit grew by exactly the figure shown
    assert before == {} and shop.credit(customer) == {"eur": 893}
    final = shop.invoice(shop.sub(sub["id"])["latestInvoice"])
    assert (final["subtotal"], final["tax"], final["creditedToCustomer"]) == (-750, -143, 893)
    # And the credit invoice, in the portal, says what it credited to the balance and the time it credits
    shown_invoice = browser.get(f"/invoices/{final['id']}")
    assert shown_invoice.status == 200, shown_invoice.text
    credited = re.search(r'data-testid="credited">([^<]*)<', shown_invoice.text)
    assert credited is not None and credited.group(1) == "8,93\xa0€"
    assert "Ihrem Guthaben gutgeschrieben" in shown_invoice.text
    assert "<dd>16.05.2026 bis 01.06.2026</dd>" in shown_invoice.text


def test_a_trial_and_a_cancellation_at_the_period_end_credit_nothing(shop: Shop) -> None:
    customer = shop.customer()
    trial = shop.subscribe(customer, "team", trialDays=14)
    paid = shop.subscribe(customer, "basic")
    shop.advance(MAY_1 + timedelta(days=3))
    browser = shop.browser(customer)
    # A trial cancelled at once: nothing was paid, so the page says nothing is refunded
    page = browser.get(f"/subscriptions/{trial['id']}/cancel")
    assert shown(page.text, "cancel-credit") is None
    assert shown(page.text, "what-happens") == (
        "Ihr Abonnement endet sofort, wenn Sie bestätigen. Der Rest des laufenden Zeitraums wird nicht erstattet."
    )
    # A configuration that cancels at the period end (a session keeps its configuration from
    # when it was minted: a new one): the plan runs until then, no figure
    shop.configure(mode="at_period_end", prorationBehavior="none")
    page = shop.browser(customer).get(f"/subscriptions/{paid['id']}/cancel")
    assert shown(page.text, "cancel-credit") is None
    assert shown(page.text, "what-happens") == (
        "Ihr Abonnement bleibt bis zum 01.06.2026 aktiv und endet dann. Es wird Ihnen nichts mehr berechnet."
    )
    # An immediate cancellation without proration refunds nothing either
    shop.configure(mode="immediately", prorationBehavior="none")
    page = shop.browser(customer).get(f"/subscriptions/{paid['id']}/cancel")
    assert shown(page.text, "cancel-credit") is None and "nicht erstattet" in (shown(page.text, "what-happens") or "")


def test_the_overview_shows_the_credit_and_what_it_pays_of_the_next_invoice(shop: Shop) -> None:
    # Given a customer on Basic (9.00 + 19 % = 10.71 a month) and on Team at half price
    customer = shop.customer()
    basic = shop.subscribe(customer, "basic")
    team = shop.subscribe(customer, "team", coupon="half")
    shop.advance(MID_MAY)
    browser = shop.browser(customer)
    home = browser.get("/")
    # No credit: nothing about it
    assert "credit-balance" not in home.text
    with counting_calls() as without_credit:
        assert browser.get("/").status == 200
    # When Team is cancelled at once halfway through May (8.93 credited)
    page = browser.get(f"/subscriptions/{team['id']}/cancel")
    assert browser.post(f"/subscriptions/{team['id']}/cancel", {"csrf": csrf_of(page.text)}).status == 303
    assert shop.credit(customer) == {"eur": 893}
    # Then the overview shows the balance and the share of Basic's next invoice it covers
    with counting_calls() as with_credit:
        home = browser.get("/")
    assert shown(home.text, "credit-balance-eur") == (
        "Guthaben: 8,93\xa0€. Es wird mit Ihren nächsten Rechnungen verrechnet: "
        "Es deckt 8,93\xa0€ Ihrer nächsten Rechnung über 10,71\xa0€ am 01.06.2026."
    )
    # And it costs no AWS call more than the overview did without credit
    assert with_credit.calls == without_credit.calls
    # And the renewal then takes exactly that off the invoice
    shop.advance(JUNE_1)
    renewal = shop.invoice(shop.sub(basic["id"])["latestInvoice"])
    assert (renewal["total"], renewal["appliedCredit"], renewal["amountDue"]) == (1071, 893, 178)
    assert shop.credit(customer) == {}
    assert "credit-balance" not in browser.get("/").text


def test_a_credit_larger_than_the_next_invoice_pays_it_and_without_one_ahead_it_waits(shop: Shop) -> None:
    customer = shop.customer()
    basic = shop.subscribe(customer, "basic")
    team = shop.subscribe(customer, "team")  # 35.70 a month, no coupon
    shop.advance(MID_MAY)
    browser = shop.browser(customer)
    page = browser.get(f"/subscriptions/{team['id']}/cancel")
    # Half of 30.00 + 19 %: 17.85
    assert shown(page.text, "cancel-credit") == "17,85\xa0€ für die ungenutzte Zeit werden Ihrem Konto gutgeschrieben."
    assert browser.post(f"/subscriptions/{team['id']}/cancel", {"csrf": csrf_of(page.text)}).status == 303
    # The credit is more than Basic's next invoice: that invoice is paid from it
    assert shown(browser.get("/").text, "credit-balance-eur") == (
        "Guthaben: 17,85\xa0€. Es wird mit Ihren nächsten Rechnungen verrechnet: "
        "Ihre nächste Rechnung über 10,71\xa0€ am 01.06.2026 wird daraus bezahlt."
    )
    # With Basic ending at the period end there is no invoice ahead: the balance waits for one
    assert shop.api.post(f"/v1/subscriptions/{basic['id']}", {"cancelAtPeriodEnd": True}).status == 200
    assert shown(browser.get("/").text, "credit-balance-eur") == (
        "Guthaben: 17,85\xa0€. Es wird mit Ihren nächsten Rechnungen verrechnet."
    )
