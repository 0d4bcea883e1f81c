"""Plan changes and cancellation in the portal: the preview before the change, the change through
the billing services (the API's events, source "portal", the audit record), downgrades kept for
the period end and applied by the renewal, the survey, the retention offer, renewal, deep links,
and every way to reach what is not the customer's or not offered (404, 403, form errors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from billing.events import events
from billing.kernel import clock, formatting
from billing.kernel.scope import Scope
from billing.store.repository import Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser, csrf_of, portal_sign_in
from tests.support.shop import ClockedMerchant

MAY_1 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
MID_MAY = datetime(2026, 5, 16, 21, 0, tzinfo=UTC)  # half of May's 31 days
RETURN_URL = "https://app.example.com/account"


@dataclass
class Portal(ClockedMerchant):
    """A merchant with Basic (€9/month), Pro (€29/month, €290/year, $10/month), the coupon
    rwd_save20, German VAT, and a test clock its customers live on."""

    stack: Stack
    basic: str
    pro: str
    pro_yearly: str
    pro_usd: str

    def configure(self, **features: Any) -> None:
        body = {
            "subscriptionUpdate": {"enabled": True, "products": ["prod_basic", "prod_pro"]},
            "subscriptionCancel": {"retention": {"offerCoupon": "rwd_save20"}},
        }
        for name, settings in features.items():
            body[name] = {**body.get(name, {}), **settings}
        response = self.api.post("/v1/billing/portal_configurations/default", {"features": body})
        assert response.status == 200, response.text

    def customer(self, name: str = "Kunde", country: str = "DE", vat_id: str | None = None) -> str:
        body = {"name": name, "address": {"country": country}, "testClock": self.clock_id}
        customer: str = self.api.post("/v1/customers", body).json()["id"]
        assert self.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
        if vat_id is not None:
            added = self.api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": vat_id})
            assert added.status == 200, added.text
        return customer

    def subscribe(self, customer: str, price: str, quantity: int = 1) -> dict[str, Any]:
        body = {"customer": customer, "items": [{"price": price, "quantity": quantity}]}
        response = self.api.post("/v1/subscriptions", body)
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def events(self, customer: str, type_: str) -> list[dict[str, Any]]:
        return list(self.api.get("/v1/events", query={"customer": customer, "type": type_}).json()["data"])

    def audit(self, event_id: str) -> dict[str, Any]:
        account = self.api.get("/v1/account").json()["id"]
        scope = Scope(account, "test")
        events.get_event(scope, event_id, table=Table())
        item = Table().get(scope.key("EVT", event_id), "EVENT") or {}
        return dict(item.get("audit") or {})

    def browser(self, customer: str, **fields: Any) -> tuple[PortalBrowser, Any]:
        browser, landed, _ = portal_sign_in(self.stack.template, self.api, customer, RETURN_URL, **fields)
        return browser, landed


@pytest.fixture
def portal(merchant: ApiClient, stack: Stack) -> Portal:
    account = {"country": "DE", "legalName": "Shop GmbH", "taxId": "DE136695976", "defaultCurrency": "eur"}
    assert live_client(merchant).post("/v1/account", account).status == 200
    assert merchant.post("/v1/tax_rates", {"country": "DE", "percentage": 19, "displayName": "USt."}).status == 200
    for product, name in (("prod_basic", "Basic"), ("prod_pro", "Pro"), ("prod_other", "Other")):
        assert merchant.post("/v1/products", {"id": product, "name": name}).status == 200

    def price(product: str, amount: int, currency: str = "eur", interval: str = "month") -> str:
        body = {"product": product, "unitAmount": amount, "currency": currency, "recurring": {"interval": interval}}
        response = merchant.post("/v1/prices", body)
        assert response.status == 200, response.text
        return str(response.json()["id"])

    coupon = {"id": "rwd_save20", "name": "Save 20%", "percentOff": 20, "duration": "repeating", "durationInMonths": 3}
    assert merchant.post("/v1/coupons", coupon).status == 200
    clock_id = merchant.post("/v1/test_clocks", {"frozenTime": clock.to_wire(MAY_1)}).json()["id"]
    made = Portal(
        merchant,
        clock_id,
        stack,
        basic=price("prod_basic", 900),
        pro=price("prod_pro", 2900),
        pro_yearly=price("prod_pro", 29000, interval="year"),
        pro_usd=price("prod_pro", 1000, currency="usd"),
    )
    price("prod_other", 500)  # a product the configuration does not offer
    made.configure()
    return made


def shown(text: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', text, re.S)
    assert found, f"no {name} on the page"
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def eur(amount: int) -> str:
    return formatting.money(amount, "eur", "en")


def choose(browser: PortalBrowser, sub_id: str, price: str, quantity: int | str = 1) -> Any:
    form = browser.get(f"/subscriptions/{sub_id}/update")
    assert form.status == 200, form.text
    return browser.post(
        f"/subscriptions/{sub_id}/update", {"csrf": csrf_of(form.text), "price": price, "quantity": str(quantity)}
    )


def confirm_page(browser: PortalBrowser, sub_id: str, price: str, quantity: int = 1) -> Any:
    chosen = choose(browser, sub_id, price, quantity)
    assert chosen.status == 303, chosen.text
    location = chosen.header("location") or ""
    assert location.startswith(f"/subscriptions/{sub_id}/update/confirm?")
    assert parse_qs(urlsplit(location).query) == {"price": [price], "quantity": [str(quantity)]}
    page = browser.get(location)
    assert page.status == 200, page.text
    return page


def confirm(browser: PortalBrowser, sub_id: str, page: Any, price: str, quantity: int = 1) -> Any:
    form = {"csrf": csrf_of(page.text), "price": price, "quantity": str(quantity)}
    return browser.post(f"/subscriptions/{sub_id}/update/confirm", form)


# ------------------------------------------------------------------ the plans
def test_the_plans_page_offers_the_configured_prices_in_the_subscriptions_currency(portal: Portal) -> None:
    # Given a customer on Basic, and a configuration offering Basic and Pro
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer)
    # When the customer opens the plan change
    page = browser.get(f"/subscriptions/{sub['id']}/update")
    # Then every active euro price of the two products is offered, named and priced, Basic marked
    assert page.status == 200
    for price in (portal.basic, portal.pro, portal.pro_yearly):
        assert f'value="{price}"' in page.text
    assert portal.pro_usd not in page.text and "Other" not in page.text
    assert "€29.00 per month" in page.text and "€290.00 per year" in page.text
    assert re.search(rf'value="{portal.basic}" checked>\s*<label[^>]*>\s*<strong>Basic</strong>', page.text)
    assert "Current plan" in page.text
    assert 'id="field-quantity"' in page.text


def test_a_configuration_with_listed_prices_and_no_quantity_offers_only_those(portal: Portal) -> None:
    portal.configure(
        subscriptionUpdate={
            "products": [{"product": "prod_pro", "prices": [portal.pro_yearly]}, "prod_basic"],
            "allowedUpdates": ["price"],
        }
    )
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer)
    page = browser.get(f"/subscriptions/{sub['id']}/update")
    assert f'value="{portal.pro_yearly}"' in page.text and f'value="{portal.pro}"' not in page.text
    assert 'name="quantity"' not in page.text
    # And a price it does not list is a form error, never a change
    refused = browser.post(
        f"/subscriptions/{sub['id']}/update", {"csrf": csrf_of(page.text), "price": portal.pro, "quantity": "3"}
    )
    assert refused.status == 400 and "Choose one of the plans shown." in refused.text
    assert portal.sub(sub["id"])["items"][0]["price"] == portal.basic


# ------------------------------------------------------------------ prices and tax
def tax_notes(text: str) -> list[str]:
    return [
        re.sub(r"[ \t\n]+", " ", note).strip()
        for note in re.findall(r'data-testid="tax-note">(.*?)</span>', text, re.S)
    ]


def test_a_german_consumer_reads_that_vat_is_added_to_every_price_in_the_pages_language(portal: Portal) -> None:
    # Given a German consumer on Basic (€9.00 a month), charged €10.71 with 19% VAT
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    [first] = portal.invoices(sub["id"])
    assert (first["subtotal"], first["tax"], first["total"]) == (900, 171, 1071)
    # When the customer reads the overview, the plans and the cancellation in German
    browser, home = portal.browser(customer, locale="de")
    plans = browser.get(f"/subscriptions/{sub['id']}/update")
    cancel = browser.get(f"/subscriptions/{sub['id']}/cancel")
    # Then each price says that 19% USt. is added to it
    assert "9,00\xa0€ pro Monat <span" in home.text
    assert tax_notes(home.text) == ["zzgl. 19\xa0% USt."]
    assert shown(plans.text, "current-plan") == "Basic · 9,00\xa0€ pro Monat zzgl. 19\xa0% USt."
    # (the current plan, then Basic, Pro monthly and Pro yearly to choose from)
    assert tax_notes(plans.text) == ["zzgl. 19\xa0% USt."] * 4
    assert "290,00\xa0€ pro Jahr <span" in plans.text
    assert tax_notes(cancel.text) == ["zzgl. 19\xa0% USt."]
    # And the retention offer says what the invoice total drops by, the tax included
    assert shown(cancel.text, "retention-offer") == "Bleiben Sie und sparen Sie 3 Monate lang 2,14\xa0€ pro Monat"
    # And in English
    english, _ = portal.browser(customer)
    assert tax_notes(english.get(f"/subscriptions/{sub['id']}/update").text) == ["plus 19% USt."] * 4


def test_prices_say_nothing_false_where_no_tax_is_added(portal: Portal) -> None:
    # Given an Austrian rate added to prices and a French rate included in them
    at = {"country": "AT", "percentage": 20, "displayName": "USt."}
    fr = {"country": "FR", "percentage": 20, "displayName": "TVA", "inclusive": True}
    for rate in (at, fr):
        assert portal.api.post("/v1/tax_rates", rate).status == 200
    cases = {
        # an Austrian consumer pays the Austrian rate on top
        "consumer": (portal.customer(country="AT"), ["plus 20% USt."], (900, 180, 1080)),
        # an Austrian business with a VAT ID is reverse charged: no tax
        "business": (portal.customer(country="AT", vat_id="ATU13585627"), [], (900, 0, 900)),
        # a French consumer's prices include the French rate
        "inclusive": (portal.customer(country="FR"), ["including 20% TVA"], (900, 150, 900)),
        # no rate for the country: no tax
        "no rate": (portal.customer(country="US"), [], (900, 0, 900)),
    }
    for case, (customer, notes, figures) in cases.items():
        sub = portal.subscribe(customer, portal.basic)
        [first] = portal.invoices(sub["id"])
        assert (first["subtotal"], first["tax"], first["total"]) == figures, case
        browser, home = portal.browser(customer)
        assert tax_notes(home.text) == notes, (case, home.text)
        plans = browser.get(f"/subscriptions/{sub['id']}/update")
        assert tax_notes(plans.text) == notes * 4, case
        assert "Basic · €9.00 per month" in shown(plans.text, "current-plan"), case
        # and the offer's saving is what the invoice drops by: €1.80, plus €0.36 tax on top in Austria
        saving = "€2.16" if case == "consumer" else "€1.80"
        assert f"Stay and save {saving} per month" in browser.get(f"/subscriptions/{sub['id']}/cancel").text, case


# ------------------------------------------------------------------ switching now
def test_an_upgrade_with_always_invoice_charges_what_the_confirmation_said(portal: Portal) -> None:
    # Given always_invoice, and a customer on Basic half-way through May
    portal.configure(subscriptionUpdate={"prorationBehavior": "always_invoice"})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    portal.advance(MID_MAY)
    browser, _ = portal.browser(customer)
    # When the customer picks Pro, the confirmation shows what is due now, before any change
    page = confirm_page(browser, sub["id"], portal.pro)
    due_now = shown(page.text, "due-now")
    assert "Due now:" in due_now
    assert portal.sub(sub["id"])["items"][0]["price"] == portal.basic
    assert len(portal.invoices(sub["id"])) == 1
    # And confirms
    applied = confirm(browser, sub["id"], page, portal.pro)
    assert applied.status == 303 and applied.header("location") == "/?done=plan_changed"
    assert "Your plan was changed." in browser.get("/?done=plan_changed").text
    # Then the subscription is on Pro, and the invoice the switch made is the figure shown
    assert portal.sub(sub["id"])["items"][0]["price"] == portal.pro
    newest = portal.invoices(sub["id"])[0]
    assert newest["id"] != sub["latestInvoice"] and newest["amountDue"] > 0
    assert eur(newest["amountDue"]) in due_now
    # And the events are the API's, from the portal, with the audit record on the event item
    [updated] = portal.events(customer, "subscription.updated")
    assert updated["request"]["source"] == "portal"
    assert updated["data"]["previousAttributes"]["items"][0]["price"] == portal.basic
    assert portal.audit(updated["id"])["session"].startswith("bps_")
    assert [e["request"]["source"] for e in portal.events(customer, "invoice.paid")] == ["portal", "api"]


def test_an_upgrade_with_create_prorations_shows_the_next_invoice_the_renewal_then_makes(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    portal.advance(MID_MAY)
    browser, _ = portal.browser(customer)
    # When the customer reviews Pro × 2 under create_prorations
    page = confirm_page(browser, sub["id"], portal.pro, quantity=2)
    assert shown(page.text, "due-now").startswith("Due now: €0.00")
    next_invoice = shown(page.text, "next-invoice")
    assert "Next invoice on Jun 1, 2026" in next_invoice
    assert confirm(browser, sub["id"], page, portal.pro, quantity=2).status == 303
    # Then nothing is invoiced now; the renewal on 1 June charges exactly the figure shown
    assert len(portal.invoices(sub["id"])) == 1
    stored = portal.sub(sub["id"])
    assert stored["items"][0]["price"] == portal.pro and stored["items"][0]["quantity"] == 2
    portal.advance(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    renewal = portal.invoices(sub["id"])[0]
    assert renewal["periodStart"].startswith("2026-06-01")
    assert eur(renewal["amountDue"]) in next_invoice


# ------------------------------------------------------------------ downgrades at period end
def test_a_downgrade_is_scheduled_for_the_period_end_and_applied_by_the_renewal(portal: Portal) -> None:
    # Given a configuration that keeps decreasing amounts for the period end, a customer on Pro
    portal.configure(subscriptionUpdate={"scheduleAtPeriodEnd": {"conditions": ["decreasing_item_amount"]}})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.pro)
    portal.advance(MID_MAY)
    browser, _ = portal.browser(customer)
    # When the customer reviews Basic
    page = confirm_page(browser, sub["id"], portal.basic)
    # Then the page says when it starts and what the next invoice will be (€9 + 19 % VAT)
    assert "starts on Jun 1, 2026" in shown(page.text, "starts-on")
    assert "Next invoice on Jun 1, 2026: €10.71" in shown(page.text, "next-invoice")
    assert "Schedule the change" in page.text
    applied = confirm(browser, sub["id"], page, portal.basic)
    assert applied.header("location") == "/?done=plan_scheduled"
    # And the subscription keeps Pro until then, with the change kept on it; nothing is invoiced
    stored = portal.sub(sub["id"])
    assert stored["items"][0]["price"] == portal.pro
    assert stored["scheduledChange"]["items"][0]["price"] == portal.basic
    assert stored["scheduledChange"]["at"] == stored["currentPeriodEnd"]
    assert len(portal.invoices(sub["id"])) == 1
    [updated] = portal.events(customer, "subscription.updated")
    assert updated["request"]["source"] == "portal"
    assert updated["data"]["previousAttributes"] == {"scheduledChange": None}
    # And the overview shows it, as does the API's upcoming invoice
    home = browser.get("/?done=plan_scheduled")
    assert "Your plan will change at the end of the current period." in home.text
    assert "Changes on Jun 1, 2026 to Basic · €9.00 per month" in shown(home.text, "scheduled-change")
    upcoming = portal.api.get("/v1/invoices/upcoming", query={"subscription": sub["id"]}).json()
    assert upcoming["next"]["amountDue"] == 1071
    # When the period ends, the renewal switches first and invoices Basic
    portal.advance(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    renewed = portal.sub(sub["id"])
    assert renewed["items"][0]["price"] == portal.basic and renewed["scheduledChange"] is None
    assert portal.invoices(sub["id"])[0]["amountDue"] == 1071


def test_a_shorter_interval_starts_a_new_monthly_cycle_at_the_end_of_the_year(portal: Portal) -> None:
    portal.configure(subscriptionUpdate={"scheduleAtPeriodEnd": {"conditions": ["shortening_interval"]}})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.pro_yearly)
    browser, _ = portal.browser(customer)
    page = confirm_page(browser, sub["id"], portal.pro)
    assert "starts on May 1, 2027" in shown(page.text, "starts-on")
    assert "Next invoice on May 1, 2027: €34.51" in shown(page.text, "next-invoice")
    assert confirm(browser, sub["id"], page, portal.pro).header("location") == "/?done=plan_scheduled"
    portal.advance(datetime(2027, 5, 1, 10, 0, tzinfo=UTC))
    renewed = portal.sub(sub["id"])
    assert renewed["items"][0]["price"] == portal.pro
    assert renewed["currentPeriodEnd"].startswith("2027-06-01")
    assert portal.invoices(sub["id"])[0]["amountDue"] == 3451


def test_a_later_switch_or_a_cancellation_clears_a_scheduled_change(portal: Portal) -> None:
    portal.configure(subscriptionUpdate={"scheduleAtPeriodEnd": {"conditions": ["decreasing_item_amount"]}})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.pro)
    browser, _ = portal.browser(customer)
    confirm(browser, sub["id"], confirm_page(browser, sub["id"], portal.basic), portal.basic)
    # When the customer then takes two Pro seats (an upgrade: now)
    confirm(browser, sub["id"], confirm_page(browser, sub["id"], portal.pro, 2), portal.pro, 2)
    # Then the scheduled change is gone
    stored = portal.sub(sub["id"])
    assert stored["scheduledChange"] is None and stored["items"][0]["quantity"] == 2
    # And a scheduled change is cleared by a cancellation at period end too
    confirm(browser, sub["id"], confirm_page(browser, sub["id"], portal.pro, 1), portal.pro, 1)
    assert portal.sub(sub["id"])["scheduledChange"] is not None
    cancel = browser.get(f"/subscriptions/{sub['id']}/cancel")
    assert browser.post(f"/subscriptions/{sub['id']}/cancel", {"csrf": csrf_of(cancel.text)}).status == 303
    assert portal.sub(sub["id"])["scheduledChange"] is None


# ------------------------------------------------------------------ form errors
@pytest.mark.parametrize(
    ("price", "quantity", "message"),
    [
        ("", "1", "Choose one of the plans shown."),
        ("<script>alert(1)</script>", "1", "Choose one of the plans shown."),
        ("x" * 10_000, "1", "Choose one of the plans shown."),
        ("USD", "1", "Choose one of the plans shown."),
        ("PRO", "abc", "Enter a quantity from 1 to 10,000."),
        ("PRO", "0", "Enter a quantity from 1 to 10,000."),
        ("PRO", "10001", "Enter a quantity from 1 to 10,000."),
        ("PRO", "9" * 10_000, "Enter a quantity from 1 to 10,000."),
        ("BASIC", "1", "This is your current plan. Choose another plan or quantity."),
    ],
)
def test_a_bad_choice_is_a_form_error_and_changes_nothing(
    portal: Portal, price: str, quantity: str, message: str
) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer)
    price = {"USD": portal.pro_usd, "PRO": portal.pro, "BASIC": portal.basic}.get(price, price)
    # When the choice is posted, and when the confirmation is asked for or posted with it
    page = browser.get(f"/subscriptions/{sub['id']}/update")
    form = {"csrf": csrf_of(page.text), "price": price, "quantity": quantity}
    for response in (
        browser.post(f"/subscriptions/{sub['id']}/update", form),
        browser.get(f"/subscriptions/{sub['id']}/update/confirm?" + urlencode({"price": price, "quantity": quantity})),
        browser.post(f"/subscriptions/{sub['id']}/update/confirm", form),
    ):
        # Then the form comes back with its error, escaped, and nothing changed
        assert response.status == 400, response.text
        assert message in response.text and 'role="alert"' in response.text
        assert "<script>alert(1)</script>" not in response.text
    assert portal.sub(sub["id"])["items"][0]["price"] == portal.basic
    assert portal.events(customer, "subscription.updated") == []


def test_a_confirmation_for_a_price_outside_the_configuration_is_a_form_error(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    other = portal.api.get("/v1/prices", query={"product": "prod_other"}).json()["data"][0]["id"]
    browser, _ = portal.browser(customer)
    for query in (f"price={other}&quantity=1", "quantity=1", f"price={portal.pro}", "price=a&price=b&quantity=x"):
        page = browser.get(f"/subscriptions/{sub['id']}/update/confirm?{query}")
        assert page.status == 400, query
        assert "Please correct the following:" in page.text


def test_the_error_messages_speak_the_sessions_language(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer, locale="de")
    page = browser.get(f"/subscriptions/{sub['id']}/update")
    assert "Tarif wechseln" in page.text and "pro Monat" in page.text
    refused = browser.post(
        f"/subscriptions/{sub['id']}/update", {"csrf": csrf_of(page.text), "price": portal.pro, "quantity": "x"}
    )
    assert refused.status == 400
    assert "Geben Sie eine Menge von 1 bis 10.000 ein." in refused.text
    confirm = confirm_page(browser, sub["id"], portal.pro)
    assert "Jetzt fällig" in confirm.text and "Nächste Rechnung am 01.06.2026" in confirm.text


# ------------------------------------------------------------------ cancellation
def test_cancelling_at_period_end_records_the_reason_and_can_be_renewed(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.pro)
    browser, _ = portal.browser(customer)
    # When the customer opens the cancellation
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    # Then it says what happens and when, asks why (translated labels), and offers the coupon
    assert page.status == 200
    assert "stays active until Jun 1, 2026" in shown(page.text, "what-happens")
    assert "<legend>Why are you cancelling? (optional)</legend>" in page.text
    assert page.text.count('type="radio" name="reason"') == 8 and "It is too expensive" in page.text
    # (20% of €29.00 is €5.80, and the 19% VAT no longer added to it €1.10: €34.51 → €27.61)
    assert shown(page.text, "retention-offer") == "Stay and save €6.90 per month for 3 months"
    # When the customer cancels with a reason and a comment
    done = browser.post(
        f"/subscriptions/{sub['id']}/cancel",
        {"csrf": csrf_of(page.text), "reason": "too_expensive", "comment": "Zu teuer <b>leider</b>"},
    )
    assert done.status == 303 and done.header("location") == "/?done=cancel_scheduled"
    # Then it ends at the period end, with the survey's answer, announced as the API would
    stored = portal.sub(sub["id"])
    assert stored["status"] == "active" and stored["cancelAtPeriodEnd"] is True
    assert stored["cancellationDetails"] == {"reason": "too_expensive", "comment": "Zu teuer <b>leider</b>"}
    [updated] = portal.events(customer, "subscription.updated")
    assert updated["request"]["source"] == "portal" and updated["data"]["object"]["cancelAtPeriodEnd"] is True
    assert portal.audit(updated["id"])["session"]
    # And the overview offers to renew it, which takes the cancellation back
    home = browser.get("/?done=cancel_scheduled")
    assert "Your subscription will end at the end of the current period." in home.text
    assert f'action="/subscriptions/{sub["id"]}/renew"' in home.text
    renewed = browser.post(f"/subscriptions/{sub['id']}/renew", {"csrf": csrf_of(home.text)})
    assert renewed.header("location") == "/?done=renewed"
    assert portal.sub(sub["id"])["cancelAtPeriodEnd"] is False
    assert len(portal.events(customer, "subscription.updated")) == 2


@pytest.mark.parametrize(("behavior", "credited"), [("none", False), ("create_prorations", True)])
def test_cancelling_immediately_ends_it_now_with_the_configured_credit(
    portal: Portal, behavior: str, credited: bool
) -> None:
    portal.configure(subscriptionCancel={"mode": "immediately", "prorationBehavior": behavior})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.pro)
    portal.advance(MID_MAY)
    browser, _ = portal.browser(customer)
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    what = shown(page.text, "what-happens")
    assert "ends immediately" in what
    assert ("credited" in what) is credited
    done = browser.post(f"/subscriptions/{sub['id']}/cancel", {"csrf": csrf_of(page.text), "reason": "unused"})
    assert done.header("location") == "/?done=canceled"
    stored = portal.sub(sub["id"])
    assert stored["status"] == "canceled" and stored["cancellationDetails"]["reason"] == "unused"
    [deleted] = portal.events(customer, "subscription.deleted")
    assert deleted["request"]["source"] == "portal" and portal.audit(deleted["id"])["session"]
    invoices = portal.invoices(sub["id"])
    assert len(invoices) == (2 if credited else 1)
    if credited:
        assert -1730 < invoices[0]["total"] < -1720  # about half of €29 + 19 % back
        assert portal.events(customer, "invoice.finalized")[0]["request"]["source"] == "portal"
    # And the canceled subscription's pages are gone
    for path in ("update", "cancel"):
        assert browser.get(f"/subscriptions/{sub['id']}/{path}").status == 404


def test_the_cancel_form_rejects_a_reason_not_offered_and_a_long_comment(portal: Portal) -> None:
    portal.configure(subscriptionCancel={"cancellationReason": {"enabled": True, "options": ["unused", "other"]}})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.pro)
    browser, _ = portal.browser(customer)
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    assert page.text.count('name="reason"') == 2
    for form, message in (
        ({"reason": "too_expensive"}, "Choose one of the reasons shown."),
        ({"reason": "<script>x</script>" * 1000}, "Choose one of the reasons shown."),
        ({"reason": "other", "comment": "é" * 501}, "Keep the comment to 500 characters or fewer."),
    ):
        refused = browser.post(f"/subscriptions/{sub['id']}/cancel", {"csrf": csrf_of(page.text), **form})
        assert refused.status == 400 and message in refused.text
        assert "<script>x" not in refused.text
    kept = browser.post(
        f"/subscriptions/{sub['id']}/cancel", {"csrf": csrf_of(page.text), "reason": "other", "comment": "x" * 501}
    )
    assert 'id="field-comment"' in kept.text and "x" * 501 in kept.text  # what was typed stays
    assert portal.sub(sub["id"])["cancelAtPeriodEnd"] is False


def test_accepting_the_retention_offer_applies_the_coupon_instead(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer, locale="de")
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    # (20% of €9.00 is €1.80; with the 19% VAT on it the invoice drops from €10.71 to €8.57)
    assert "2,14\xa0€" in shown(page.text, "retention-offer")
    accepted = browser.post(f"/subscriptions/{sub['id']}/retain", {"csrf": csrf_of(page.text)})
    assert accepted.header("location") == "/?done=offer_accepted"
    stored = portal.sub(sub["id"])
    assert stored["discount"]["coupon"]["id"] == "rwd_save20" and stored["cancelAtPeriodEnd"] is False
    [updated] = portal.events(customer, "subscription.updated")
    assert updated["request"]["source"] == "portal"
    # And with a discount in place the offer is no longer made
    again = browser.get(f"/subscriptions/{sub['id']}/cancel")
    assert 'data-testid="retention-offer"' not in again.text
    assert browser.post(f"/subscriptions/{sub['id']}/retain", {"csrf": csrf_of(again.text)}).status == 404


def month(n: int) -> datetime:
    """The first of the month `n` months after May 2026, a minute after the renewal."""
    year, index = divmod(4 + n, 12)
    return datetime(2026 + year, index + 1, 1, 9, 1, tzinfo=UTC)


def test_the_retention_offer_is_accepted_once_in_a_year_and_pays_only_the_coupons_months(portal: Portal) -> None:
    # Given a customer who accepts 20% for 3 months instead of cancelling, then tries every month
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer)
    accepted_at: list[int] = []
    for n in range(12):
        if n:
            portal.advance(month(n))
        page = browser.get(f"/subscriptions/{sub['id']}/cancel")
        offered = 'data-testid="retention-offer"' in page.text
        answer = browser.post(f"/subscriptions/{sub['id']}/retain", {"csrf": csrf_of(page.text)})
        if answer.status == 303:
            accepted_at.append(n)
        else:  # no offer made, nothing accepted
            assert not offered and answer.status == 404
    # Then the offer was made and accepted once, on the first day, never again after it ran out
    assert accepted_at == [0]
    # And of the 11 renewals of the year only the coupon's 3 months were discounted
    renewals = [i for i in portal.invoices(sub["id"]) if not i["periodStart"].startswith("2026-05")]
    assert len(renewals) == 11
    assert sorted(i["periodStart"][:7] for i in renewals if i["discount"]) == ["2026-06", "2026-07"]
    # (May's invoice was made before the offer; June and July start in its 3 months from May 1,
    # August's period starts as they end)
    assert portal.sub(sub["id"])["discount"] is None


def test_two_accepts_racing_record_one(portal: Portal) -> None:
    from billing.kernel.errors import Conflict
    from billing.kernel.scope import RequestInfo
    from billing.subscriptions import changes as subscription_changes
    from billing.subscriptions.reads import Reads
    from billing.subscriptions.store import get_subscription

    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    account = portal.api.get("/v1/account").json()["id"]
    scope, table = Scope(account, "test"), Table()
    # Given two portal requests that both read the subscription before either accepted
    read = get_subscription(table, scope, sub["id"])
    assert read is not None and read.retention_accepted_at is None
    request = RequestInfo("portal", "req_race")
    subscription_changes.accept_retention(
        scope, sub["id"], "rwd_save20", request, table=table, known=Reads(subscription=read)
    )
    # Then the second one's write is refused, whatever it read
    with pytest.raises(Conflict):
        subscription_changes.accept_retention(
            scope, sub["id"], "rwd_save20", request, table=Table(), known=Reads(subscription=read)
        )
    # And one acceptance, one event
    assert len(portal.events(customer, "subscription.updated")) == 1
    # And a stale read that does not even know the version is stopped by the stored record
    stale = subscription_changes.found(get_subscription(table, scope, sub["id"]), sub["id"])
    with pytest.raises(Conflict, match="already accepted"):
        subscription_changes.accept_retention(
            scope, sub["id"], "rwd_save20", request, table=table, known=Reads(subscription=stale)
        )


def test_a_once_coupon_accepted_mid_period_discounts_the_next_invoice(portal: Portal) -> None:
    once = {"id": "rwd_once50", "name": "Half off once", "percentOff": 50, "duration": "once"}
    assert portal.api.post("/v1/coupons", once).status == 200
    portal.configure(subscriptionCancel={"retention": {"offerCoupon": "rwd_once50"}})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    # Given the offer accepted in the middle of May (May's invoice made already)
    portal.advance(MID_MAY)
    browser, _ = portal.browser(customer)
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    assert browser.post(f"/subscriptions/{sub['id']}/retain", {"csrf": csrf_of(page.text)}).status == 303
    # When the clock runs through June and July
    portal.advance(month(1))
    portal.advance(month(2))
    # Then June's renewal takes the 50% (€4.50 off €9.00), and July's is full price again
    by_month = {i["periodStart"][:7]: i for i in portal.invoices(sub["id"])}
    assert by_month["2026-06"]["discount"] == 450
    assert by_month["2026-07"]["discount"] == 0 and by_month["2026-05"]["discount"] == 0


def test_without_a_retention_coupon_there_is_no_offer(portal: Portal) -> None:
    portal.configure(subscriptionCancel={"retention": None, "cancellationReason": {"enabled": False}})
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer)
    page = browser.get(f"/subscriptions/{sub['id']}/cancel")
    assert "Stay and save" not in page.text and 'name="reason"' not in page.text
    assert browser.post(f"/subscriptions/{sub['id']}/retain", {"csrf": csrf_of(page.text)}).status == 404


# ------------------------------------------------------------------ deep links
def test_a_subscription_update_deep_link_lands_on_the_plans_and_returns_after_the_change(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, landed = portal.browser(customer, flow={"type": "subscription_update", "subscription": sub["id"]})
    assert landed.status == 200 and f'action="/subscriptions/{sub["id"]}/update"' in landed.text
    page = confirm_page(browser, sub["id"], portal.pro)
    assert "app.example.com" in (page.header("content-security-policy") or "")
    applied = confirm(browser, sub["id"], page, portal.pro)
    assert applied.status == 303 and applied.header("location") == RETURN_URL


def test_a_subscription_cancel_deep_link_lands_on_the_cancellation_and_returns_after_it(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, landed = portal.browser(customer, flow={"type": "subscription_cancel", "subscription": sub["id"]})
    assert landed.status == 200 and "Cancel subscription" in landed.text
    assert "app.example.com" in (landed.header("content-security-policy") or "")
    done = browser.post(f"/subscriptions/{sub['id']}/cancel", {"csrf": csrf_of(landed.text)})
    assert done.header("location") == RETURN_URL
    assert portal.sub(sub["id"])["cancelAtPeriodEnd"] is True


# ------------------------------------------------------------------ what is not the customer's
def every_route(sub_id: str, csrf: str, price: str) -> list[tuple[str, str, dict[str, str] | None]]:
    form = {"csrf": csrf, "price": price, "quantity": "1"}
    return [
        ("GET", f"/subscriptions/{sub_id}/update", None),
        ("POST", f"/subscriptions/{sub_id}/update", form),
        ("GET", f"/subscriptions/{sub_id}/update/confirm?price={price}&quantity=1", None),
        ("POST", f"/subscriptions/{sub_id}/update/confirm", form),
        ("GET", f"/subscriptions/{sub_id}/cancel", None),
        ("POST", f"/subscriptions/{sub_id}/cancel", form),
        ("POST", f"/subscriptions/{sub_id}/retain", form),
        ("POST", f"/subscriptions/{sub_id}/renew", form),
    ]


def test_another_customers_unknown_or_canceled_subscriptions_are_404_and_unchanged(portal: Portal) -> None:
    mine, theirs = portal.customer("Mine"), portal.customer("Theirs")
    portal.subscribe(mine, portal.basic)
    their_sub = portal.subscribe(theirs, portal.basic)
    ended = portal.subscribe(mine, portal.basic)
    assert portal.api.delete(f"/v1/subscriptions/{ended['id']}").status == 200
    browser, home = portal.browser(mine)
    csrf = csrf_of(home.text)
    for sub_id in (their_sub["id"], ended["id"], "sub_doesnotexist", "sub_<x>", "x" * 2000):
        for method, path, form in every_route(sub_id, csrf, portal.pro):
            response = browser.request(method, path, form=form)
            assert response.status == 404, (method, path)
    assert portal.sub(their_sub["id"])["items"][0]["price"] == portal.basic
    assert portal.sub(their_sub["id"])["cancelAtPeriodEnd"] is False
    assert portal.events(theirs, "subscription.updated") == []


def test_disabled_features_answer_404(portal: Portal) -> None:
    config = portal.api.post(
        "/v1/billing/portal_configurations",
        {"features": {"subscriptionUpdate": {"enabled": False}, "subscriptionCancel": {"enabled": False}}},
    ).json()["id"]
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, home = portal.browser(customer, configuration=config)
    assert "/update" not in home.text and "/cancel" not in home.text
    for method, path, form in every_route(sub["id"], csrf_of(home.text), portal.pro):
        assert browser.request(method, path, form=form).status == 404, (method, path)
    assert portal.events(customer, "subscription.updated") == []


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(portal: Portal) -> None:
    customer = portal.customer()
    sub = portal.subscribe(customer, portal.basic)
    browser, _ = portal.browser(customer)
    for method, path, form in every_route(sub["id"], "forged", portal.pro):
        if method == "POST":
            assert browser.request(method, path, form=form).status == 403, path
            assert browser.request(method, path, form={"price": portal.pro}).status == 403, path
    stored = portal.sub(sub["id"])
    assert stored["items"][0]["price"] == portal.basic and stored["cancelAtPeriodEnd"] is False
    assert stored["discount"] is None
    assert portal.events(customer, "subscription.updated") == []
