"""The portal's overview: what a signed-in customer sees first, in its language and brand."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import PortalBrowser
from tests.support.shop import Shop


def mint(shop: Shop, customer: str, **fields: Any) -> str:
    body = {"customer": customer, "returnUrl": "https://app.example.com/", **fields}
    response = shop.api.post("/v1/billing/portal_sessions", body)
    assert response.status == 200, response.text
    return str(response.json()["url"])


def test_the_overview_shows_subscriptions_payment_method_details_and_invoices(shop: Shop, stack: Stack) -> None:
    # Given a customer with an address, a card, a subscription and its first invoice
    customer = shop.customer(
        name="Ada Lovelace",
        email="ada@example.com",
        address={"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"},
    )
    sub = shop.subscribe(customer, items=[{"price": shop.monthly, "quantity": 2}]).json()
    invoice = shop.invoice(sub)
    # When the customer opens the portal
    home = PortalBrowser(stack.template).open_link(mint(shop, customer))
    # Then the overview shows each of them
    assert home.status == 200
    text = home.text
    assert 'data-testid="customer-name">Ada Lovelace<' in text
    assert "Pro × 2" in text and "€58.00 per month" in text
    # (the invoice adds the merchant's German VAT to the price, and the overview says so)
    assert re.search(
        r'€58\.00 per month <span class="muted tax-note" data-testid="tax-note">plus 19% USt\.</span>', text
    )
    assert "Renews on" in text
    assert "Visa ending in 4242" in text
    assert "Unter den Linden 5" in text
    assert f'href="/invoices/{invoice["id"]}">{invoice["number"]}</a>' in text, text
    assert "€69.02" in text
    # And the navigation offers the configured parts
    for path in ("/payment-methods", "/invoices", "/billing-details"):
        assert f'href="{path}"' in text


def test_the_overview_speaks_the_sessions_language(shop: Shop, stack: Stack) -> None:
    customer = shop.customer(name="Jean Dupont")
    shop.subscribe(customer)
    for locale, expected, money, note in (
        ("de", "Verlängert sich am", "29,00\xa0€", "zzgl. 19\xa0% USt."),
        ("fr", "Se renouvelle le", "29,00\xa0€", "hors USt. (19\xa0%)"),
        ("es", "Se renueva el", "29,00\xa0€", "más USt. (19\xa0%)"),
    ):
        home = PortalBrowser(stack.template).open_link(mint(shop, customer, locale=locale))
        assert f'<html lang="{locale}">' in home.text
        assert expected in home.text and money in home.text, locale
        assert note in home.text, locale
        assert "Renews on" not in home.text


def test_auto_locale_follows_the_browser(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser = PortalBrowser(stack.template)
    browser.open_link(mint(shop, customer))
    spanish = browser.get("/", headers={"accept-language": "es-ES,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in spanish.text
    unknown = browser.get("/", headers={"accept-language": "ja-JP"})
    assert '<html lang="en">' in unknown.text


def test_a_restricted_configuration_hides_what_it_disables(merchant: ApiClient, stack: Stack) -> None:
    # Given a configuration for customers in dunning: invoices only
    config = merchant.post(
        "/v1/billing/portal_configurations",
        {
            "name": "dunning",
            "features": {
                "customerUpdate": {"enabled": False},
                "paymentMethodUpdate": {"enabled": False},
                "subscriptionCancel": {"enabled": False},
            },
        },
    ).json()["id"]
    customer = merchant.post("/v1/customers", {"name": "Late Payer"}).json()["id"]
    url = merchant.post(
        "/v1/billing/portal_sessions",
        {"customer": customer, "returnUrl": "https://app.example.com/", "configuration": config},
    ).json()["url"]
    # When the customer opens the portal
    browser = PortalBrowser(stack.template)
    home = browser.open_link(url)
    # Then only the invoices are offered, and the disabled parts' pages are 404
    assert 'href="/invoices"' in home.text
    assert 'href="/payment-methods"' not in home.text and 'href="/billing-details"' not in home.text
    for path in ("/payment-methods", "/billing-details"):
        assert browser.get(path).status == 404, path


def test_a_customer_name_with_markup_stays_text_everywhere_on_the_overview(shop: Shop, stack: Stack) -> None:
    customer = shop.customer(name='<img src=x onerror="alert(1)">', address={"line1": "<b>Main</b> St"})
    home = PortalBrowser(stack.template).open_link(mint(shop, customer))
    assert "<img src=x" not in home.text and "<b>Main</b>" not in home.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in home.text


def test_the_latest_invoices_are_named_by_their_numbers(shop: Shop, stack: Stack) -> None:
    # Given three invoices of the same day (a subscription, a plan switch invoiced at once, another switch)
    customer = shop.customer()
    sub = shop.subscribe(customer).json()
    for price in (shop.yearly, shop.monthly):
        body = {"items": [{"price": price}], "prorationBehavior": "always_invoice"}
        assert shop.api.post(f"/v1/subscriptions/{sub['id']}", body).status == 200
    listed = shop.api.get("/v1/invoices", query={"customer": customer}).json()["data"]
    assert len(listed) == 3 and len({i["number"] for i in listed}) == 3
    # When the customer opens the overview
    home = PortalBrowser(stack.template).open_link(mint(shop, customer, locale="de"))
    # Then each invoice's link reads its number, newest first, with its date beside it
    links = re.findall(r'<a href="/invoices/(inv_[A-Za-z0-9]+)">([^<]+)</a>', home.text)
    assert links == [(i["id"], i["number"]) for i in listed]
    assert '<th scope="col">Rechnung</th>' in home.text
