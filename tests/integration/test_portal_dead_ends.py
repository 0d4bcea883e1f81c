"""Inside a valid session no answer is a dead end: a form whose object changed in another tab,
a form from before another billing link was opened, an unknown or disabled page — each answers
in the merchant's brand and the session's language, says what happened and links back to the
overview, without telling a foreign or unknown object from a gone one."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser, mint_session, page_csrf, portal_sign_in
from tests.support.shop import Shop, open_shop

RETURN_URL = "https://app.example.com/account"
BACK = re.compile(r'<a class="button[^"]*" href="/">Zurück zur Übersicht</a>')


@pytest.fixture
def shop(merchant: ApiClient) -> Shop:
    made = open_shop(merchant)
    assert live_client(merchant).post("/v1/account", {"name": "Acme Rockets"}).status == 200
    assert merchant.post("/v1/branding", {"accentColor": "#FFD500"}).status == 200
    return made


def german(stack: Stack, shop: Shop, customer: str, **fields: Any) -> PortalBrowser:
    browser, landed, _ = portal_sign_in(stack.template, shop.api, customer, RETURN_URL, locale="de", **fields)
    assert landed.status == 200, landed.text
    return browser


def assert_branded_with_the_way_back(response: Any, status: int) -> None:
    """The merchant's name and colour, the session's language, the tabs and the way back."""
    assert response.status == status, response.text
    text = response.text
    assert '<html lang="de">' in text
    assert "Acme Rockets" in text and "/assets/theme/FFD500.css" in text
    assert '<a href="/">Übersicht</a>' in text  # the navigation
    assert BACK.search(text), text


def test_a_cancel_form_for_a_subscription_cancelled_in_another_tab(
    shop: Shop, stack: Stack, merchant: ApiClient
) -> None:
    customer, other = shop.customer(), shop.customer()
    sub, theirs = shop.subscribe(customer).json(), shop.subscribe(other).json()
    browser = german(stack, shop, customer)
    path = f"/subscriptions/{sub['id']}/cancel"
    csrf = page_csrf(browser.get(path))
    # When the subscription ends elsewhere while the cancel form is open
    assert merchant.delete(f"/v1/subscriptions/{sub['id']}").status == 200
    stale = browser.post(path, {"csrf": csrf})
    # Then the answer is the 404, in the brand and in German, saying why and linking back
    assert_branded_with_the_way_back(stale, 404)
    assert "Seite nicht gefunden" in stale.text
    assert "in einem anderen Tab oder Fenster geändert" in stale.text and "Hier wurde nichts geändert." in stale.text
    # And it is the very same page as for another customer's or an unknown subscription's form
    for elsewhere in (theirs["id"], "sub_doesnotexist"):
        assert browser.post(f"/subscriptions/{elsewhere}/cancel", {"csrf": csrf}).text == stale.text
    assert merchant.get(f"/v1/subscriptions/{theirs['id']}").json()["status"] == "active"


def test_a_payment_method_removed_in_another_tab(shop: Shop, stack: Stack, merchant: ApiClient) -> None:
    customer, other = shop.customer(), shop.customer()
    assert merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_mastercard"}).status == 200
    listed = merchant.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    removed = next(pm["id"] for pm in listed if pm["card"]["brand"] == "mastercard")
    theirs = merchant.get(f"/v1/customers/{other}/payment_methods").json()["data"][0]["id"]
    browser = german(stack, shop, customer)
    csrf = page_csrf(browser.get("/payment-methods"))
    # When one tab removes the card and another, still showing it, makes it the default
    assert browser.post(f"/payment-methods/{removed}/remove", {"csrf": csrf}).status == 303
    for action in ("default", "remove"):
        stale = browser.post(f"/payment-methods/{removed}/{action}", {"csrf": csrf})
        # Then the answer is the branded 404 with the way back, the same as for a foreign or unknown card
        assert_branded_with_the_way_back(stale, 404)
        assert "eine entfernte Zahlungsmethode" in stale.text
        for elsewhere in (theirs, "pm_doesnotexist"):
            assert browser.post(f"/payment-methods/{elsewhere}/{action}", {"csrf": csrf}).text == stale.text
    assert len(merchant.get(f"/v1/customers/{other}/payment_methods").json()["data"]) == 1


def test_a_form_from_before_another_billing_link_was_opened(shop: Shop, stack: Stack, merchant: ApiClient) -> None:
    customer = shop.customer(name="Erika Mustermann")
    browser = german(stack, shop, customer)
    csrf = page_csrf(browser.get("/billing-details"))
    # When the customer opens a second billing link in the same browser (a new session, a new cookie)
    second = mint_session(merchant, customer, RETURN_URL, locale="de")
    assert browser.open_link(second["url"]).status == 200
    # And then submits the form the first session showed
    stale = browser.post("/billing-details", {"csrf": csrf, "name": "Changed", "email": "changed@example.com"})
    # Then it is refused, branded, in German, with a way to open the form again and back to the overview
    assert_branded_with_the_way_back(stale, 403)
    assert "Dieses Formular war nicht mehr aktuell" in stale.text and "Es wurde nichts geändert." in stale.text
    assert '<a class="button" href="/billing-details">Seite erneut öffnen</a>' in stale.text
    # And nothing changed
    assert merchant.get(f"/v1/customers/{customer}").json()["name"] == "Erika Mustermann"
    # A refused form that has no page of its own (the return) links back to the overview only
    refused = browser.post("/return", {"csrf": csrf})
    assert_branded_with_the_way_back(refused, 403)
    assert "Seite erneut öffnen" not in refused.text
    assert browser.get("/").status == 200


def test_an_unknown_or_disabled_page_inside_a_session(shop: Shop, stack: Stack, merchant: ApiClient) -> None:
    config = merchant.post(
        "/v1/billing/portal_configurations", {"features": {"customerUpdate": {"enabled": False}}}
    ).json()["id"]
    browser = german(stack, shop, shop.customer(), configuration=config)
    unknown, disabled = browser.get("/no-such-page"), browser.get("/billing-details")
    for response in (unknown, disabled):
        assert_branded_with_the_way_back(response, 404)
    # The disabled part looks like any unknown address
    assert disabled.text == unknown.text
    # A method the address does not take is branded too
    assert_branded_with_the_way_back(browser.get("/return"), 405)


def test_outside_a_session_the_pages_wear_no_brand(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser = german(stack, shop, customer)
    # No cookie, or a forged one: the plain 404, with no way into a portal
    for cookies in ({}, {"__Host-vinr_portal": "garbage"}):
        stranger = PortalBrowser(stack.template, jar=dict(cookies))
        plain = stranger.get("/no-such-page")
        assert plain.status == 404 and "There is nothing at this address." in plain.text
        assert "Acme Rockets" not in plain.text and 'href="/"' not in plain.text
    # And a signed-in page without a valid cookie is still the expired screen
    expired = PortalBrowser(stack.template).get("/billing-details")
    assert expired.status == 410 and "This session has expired" in expired.text
    assert browser.get("/").status == 200


def test_the_sign_in_page_offers_only_the_message_that_applies_and_the_way_back(
    shop: Shop, stack: Stack, merchant: ApiClient
) -> None:
    session = mint_session(merchant, shop.customer(), RETURN_URL, locale="de")
    browser = PortalBrowser(stack.template)
    landing = browser.get(urlsplit(session["url"]).path)
    assert landing.status == 200
    text = landing.text
    # "Signing you in…" is what the script completes: hidden without JavaScript by a stylesheet
    # that only a <noscript> loads, and hidden by the script when the link has no secret
    signing = re.search(r'<section class="card needs-js" id="signing"[^>]*>\s*<h1[^>]*>Sie werden angemeldet …', text)
    assert signing, text
    assert '<noscript><link rel="stylesheet" href="/assets/static/noscript.css"></noscript>' in text
    assert 'getElementById("signing").hidden = true' in text
    stylesheet = browser.get("/assets/static/noscript.css")
    assert stylesheet.status == 200 and ".needs-js { display: none; }" in stylesheet.text
    # The incomplete-link message starts hidden, and it and the no-JavaScript message lead back
    incomplete = re.search(r'<section class="card" id="incomplete"[^>]*hidden>(.*?)</section>', text, re.S)
    no_script = re.search(r"<noscript>\s*<section(.*?)</section>", text, re.S)
    assert incomplete and no_script, text
    back = f'<a class="button" href="{RETURN_URL}">Zurück zu Acme Rockets</a>'
    assert "Dieser Link ist unvollständig" in incomplete.group(1) and back in incomplete.group(1)
    assert "JavaScript ist deaktiviert" in no_script.group(1) and back in no_script.group(1)


def test_a_stale_plan_confirmation_opens_again_with_the_plan_chosen(
    shop: Shop, stack: Stack, merchant: ApiClient
) -> None:
    features = {
        "subscriptionUpdate": {"enabled": True, "products": ["prod_pro"], "allowedUpdates": ["price", "quantity"]}
    }
    assert merchant.post("/v1/billing/portal_configurations/default", {"features": features}).status == 200
    customer = shop.customer()
    sub = shop.subscribe(customer).json()
    browser = german(stack, shop, customer)
    query = urlencode({"price": shop.yearly, "quantity": 2})
    confirm = browser.get(f"/subscriptions/{sub['id']}/update/confirm?{query}")
    assert confirm.status == 200, confirm.text
    csrf = page_csrf(confirm)
    # When another billing link is opened, and then the confirmation the first session showed is sent
    second = mint_session(merchant, customer, RETURN_URL, locale="de")
    assert browser.open_link(second["url"]).status == 200
    stale = browser.post(
        f"/subscriptions/{sub['id']}/update/confirm?{query}", {"csrf": csrf, "price": shop.yearly, "quantity": "2"}
    )
    # Then it is refused, and "Open the page again" is the confirmation with the plan and quantity chosen
    assert_branded_with_the_way_back(stale, 403)
    reopen = f"/subscriptions/{sub['id']}/update/confirm?{query}"
    assert f'<a class="button" href="{reopen.replace("&", "&amp;")}">Seite erneut öffnen</a>' in stale.text
    again = browser.get(reopen)
    assert again.status == 200 and "Änderung bestätigen" in again.text
    assert merchant.get(f"/v1/subscriptions/{sub['id']}").json()["items"][0]["price"] == shop.monthly
    # And the confirmation's own form keeps that query in its action, so a refusal can link back to it
    assert f'action="{reopen.replace("&", "&amp;")}"' in again.text
