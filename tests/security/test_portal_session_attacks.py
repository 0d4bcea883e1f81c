"""Attacks on the portal's session: fixation, replay, stolen cookies, CSRF, framing, open redirects.

Already proven elsewhere, and not repeated here:
- tests/integration/test_portal_site.py: a link works once (a second exchange from another
  browser is the expired screen), a wrong secret spends nothing, racing exchanges have one
  winner, expiry is read from the clock, a revoked session ends on the next request, forged
  cookies open nothing, the return form's CSRF token, host binding on custom domains.
- tests/integration/test_portal_sessions_api.py: unsafe return URLs (http, javascript:, ftp,
  credentials, no host, markup, length), browsers cannot mint sessions.
- tests/integration/test_portal_isolation.py: every portal route with another customer's (and
  another account's) IDs is a 404 that shows and changes nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from billing.accounts.domains import RecordsResolver
from billing.kernel import clock
from tests.conftest import Stack
from tests.integration.test_portal_isolation import customer_objects, id_for, portal_routes
from tests.security.state import queued_messages, table_items
from tests.support.apiclient import ApiClient
from tests.support.dns import verified_domain
from tests.support.livekeys import live_client
from tests.support.portalbrowser import CSRF, PortalBrowser, mint_session, portal_sign_in
from tests.support.shop import Shop, open_shop

COOKIE = "__Host-vinr_portal"
RETURN_URL = "https://app.example.com/account"

# Plausible fields for each POST route (the token is checked before any field is read).
FORMS: dict[str, dict[str, str]] = {
    "/return": {},
    "/payment-methods/card": {"name": "Ada", "number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"},
    "/payment-methods/sepa": {"holder": "Ada", "iban": "DE89 3704 0044 0532 0130 00", "mandate": "on"},
    "/payment-methods/{pm_id}/default": {},
    "/payment-methods/{pm_id}/remove": {},
    "/invoices/{invoice_id}/pay": {},
    "/payment-methods/card/setup": {},
    "/invoices/{invoice_id}/authentication": {},
    "/invoices/{invoice_id}/complete": {"from": "invoice"},
    "/billing-details": {"name": "Changed By Csrf", "email": "csrf@example.com"},
    "/billing-details/tax-ids": {"tax_type": "eu_vat", "tax_value": "DE136695976"},
    "/billing-details/tax-ids/{tax_id}/remove": {},
    "/subscriptions/{sub_id}/update": {"quantity": "3"},
    "/subscriptions/{sub_id}/update/confirm": {"quantity": "3"},
    "/subscriptions/{sub_id}/cancel": {"reason": "other", "comment": "csrf"},
    "/subscriptions/{sub_id}/retain": {},
    "/subscriptions/{sub_id}/renew": {},
}


def everything_on(shop: Shop) -> None:
    """The default configuration with every feature the portal has, so no route is a 404."""
    coupon = shop.api.post("/v1/coupons", {"name": "Stay", "percentOff": 20, "duration": "once"}).json()["id"]
    configured = shop.api.post(
        "/v1/billing/portal_configurations/default",
        {
            "features": {
                "subscriptionUpdate": {"enabled": True, "products": ["prod_pro"]},
                "subscriptionCancel": {"enabled": True, "mode": "at_period_end", "retention": {"offerCoupon": coupon}},
            }
        },
    )
    assert configured.status == 200, configured.text


def sign_in(stack: Stack, api: ApiClient, customer: str) -> tuple[PortalBrowser, str, dict[str, Any]]:
    """A browser signed in as `customer`: the browser, its CSRF token and the session."""
    browser, home, session = portal_sign_in(stack.template, api, customer, RETURN_URL)
    assert home.status == 200, home.text
    token = CSRF.search(home.text)
    assert token, "the overview carries a CSRF token"
    return browser, token.group(1), session


def concrete(path: str, objects: dict[str, str]) -> str:
    for param in re.findall(r"{(\w+)(?::\w+)?}", path):
        path = re.sub(r"{" + param + r"(?::\w+)?}", id_for(param, objects), path)
    return path


# ------------------------------------------------------------------ fixation and replay
def test_a_cookie_planted_before_the_exchange_is_replaced_and_opens_nothing(merchant: ApiClient, stack: Stack) -> None:
    shop = open_shop(merchant)
    victim_customer = shop.customer(name="Victoria Victim")
    attacker_customer = shop.customer(name="Mallory Attacker")
    session = mint_session(merchant, victim_customer, RETURN_URL)
    # Given an attacker who planted a cookie naming the victim's session with a token of their choosing
    planted = f"{session['id']}.{'A' * 43}"
    victim = PortalBrowser(stack.template)
    victim.jar[COOKIE] = planted
    assert victim.get("/").status == 410
    # When the victim follows their link
    landing = victim.get(urlsplit(session["url"]).path)
    exchanged = victim.exchange(session["url"])
    # Then the exchange sets a fresh cookie: the planted value is replaced, not adopted
    assert landing.status == 200 and exchanged.status == 303
    [cookie] = [c for c in victim.last_set_cookies if c.name == COOKIE]
    assert cookie.value != planted and cookie.value.startswith(f"{session['id']}.")
    assert victim.get("/").status == 200
    # And the planted value still opens nothing, in the attacker's browser
    attacker = PortalBrowser(stack.template, user_agent="attacker")
    attacker.jar[COOKIE] = planted
    assert attacker.get("/").status == 410
    # Given an attacker who planted their own valid cookie (to make the victim act as them)
    own_browser, _, _ = sign_in(stack, merchant, attacker_customer)
    second = mint_session(merchant, victim_customer, RETURN_URL)
    victim2 = PortalBrowser(stack.template)
    victim2.jar[COOKIE] = own_browser.jar[COOKIE]
    # When the victim follows their own link, the victim's session replaces the attacker's
    home = victim2.open_link(second["url"])
    assert home.status == 200 and "Victoria Victim" in home.text and "Mallory Attacker" not in home.text
    assert victim2.jar[COOKIE] != own_browser.jar[COOKIE]


def test_replaying_the_exchange_in_the_signed_in_browser_spends_nothing_and_keeps_the_session(
    merchant: ApiClient, stack: Stack
) -> None:
    shop = open_shop(merchant)
    browser, _, session = sign_in(stack, merchant, shop.customer(name="Ada"))
    cookie = browser.jar[COOKIE]
    # When the same secret is posted again, from the browser that used it
    again = browser.exchange(session["url"])
    # Then it is the expired screen, no new cookie is issued, and the first one still works
    assert again.status == 410 and "This session has expired" in again.text
    assert not [c for c in browser.last_set_cookies if c.name == COOKIE and c.value and c.value != '""']
    browser.jar[COOKIE] = cookie
    assert browser.get("/").status == 200


# ------------------------------------------------------------------ stolen cookies
@pytest.mark.parametrize("ending", ["return", "revoke", "expiry"])
def test_a_stolen_cookie_is_worthless_once_the_session_ends(
    ending: str, merchant: ApiClient, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(merchant)
    customer = shop.customer(name="Ada Stolenby")
    browser, token, session = sign_in(stack, merchant, customer)
    # Given a thief holding a copy of the cookie (and the page's CSRF token)
    thief = PortalBrowser(stack.template, user_agent="thief")
    thief.jar[COOKIE] = browser.jar[COOKIE]
    assert thief.get("/").status == 200
    # When the session ends: the customer goes back to the merchant, the merchant revokes it, or it expires
    if ending == "return":
        assert browser.post("/return", {"csrf": token}).status == 303
    elif ending == "revoke":
        assert merchant.post(f"/v1/billing/portal_sessions/{session['id']}/revoke", {}).status == 200
    else:
        expires = clock.from_wire(session["expiresAt"])
        monkeypatch.setattr(clock, "now", lambda: expires + timedelta(seconds=1))
    before = table_items(stack)
    # Then the copy opens no page and changes nothing, whatever it posts
    for path in ("/", "/payment-methods", "/invoices", "/billing-details"):
        answer = thief.get(path)
        assert answer.status == 410 and "This session has expired" in answer.text, (path, answer.status)
        assert "Stolenby" not in answer.text
    changed = thief.post("/billing-details", {"csrf": token, "name": "Thief"})
    assert changed.status == 410
    assert thief.post("/payment-methods/card", {"csrf": token, **FORMS["/payment-methods/card"]}).status == 410
    assert table_items(stack) == before
    assert merchant.get(f"/v1/customers/{customer}").json()["name"] == "Ada Stolenby"


# ------------------------------------------------------------------ CSRF
def test_every_portal_form_refuses_a_missing_or_wrong_csrf_token_and_changes_nothing(
    merchant: ApiClient, stack: Stack
) -> None:
    # Given a customer with one of everything, signed in, with every feature on
    shop = open_shop(merchant)
    everything_on(shop)
    mine = customer_objects(shop, "Alice")
    browser, token, _ = sign_in(stack, merchant, mine["customer"])
    # And a second session of the same customer, whose token is valid, but not for this cookie
    _, other_token, _ = sign_in(stack, merchant, mine["customer"])
    assert other_token != token
    post_routes = sorted(path for path, methods in portal_routes() if "POST" in methods)
    assert set(post_routes) == set(FORMS), "a POST route without a form here: add it to FORMS"
    before, queued = table_items(stack), queued_messages(stack)
    # When every form is posted without its token, with a forged one, the other session's, an empty
    # one, and the token with non-ASCII after it
    for path in post_routes:
        target = concrete(path, mine)
        for label, csrf in (
            ("missing", None),
            ("forged", "0" * 64),
            ("other session", other_token),
            ("empty", ""),
            ("non-ASCII", f"{token};name=\u0080"),  # a `;` read as no separator: was a 500
        ):
            form = dict(FORMS[path])
            if csrf is not None:
                form["csrf"] = csrf
            answer = browser.post(target, form)
            # Then it is refused with a 403, and nothing changes
            assert answer.status == 403, (target, label, answer.status, answer.text[:200])
            assert answer.header("location") is None
    assert table_items(stack) == before and queued_messages(stack) == queued
    cancel = "/subscriptions/{sub_id}/cancel"
    # And the same token in the query string instead of the body is refused too
    assert browser.post(f"/billing-details?csrf={token}", FORMS["/billing-details"]).status == 403
    assert table_items(stack) == before
    # While the right token does make the change (the refusals were the token's doing)
    cancelled = browser.post(f"/subscriptions/{mine['subscription']}/cancel", {**FORMS[cancel], "csrf": token})
    assert cancelled.status == 303, cancelled.text[:300]
    assert merchant.get(f"/v1/subscriptions/{mine['subscription']}").json()["cancelAtPeriodEnd"] is True


# ------------------------------------------------------------------ clickjacking
def assert_unframeable(response: Any, where: str) -> None:
    assert (response.header("x-frame-options") or "").upper() == "DENY", (where, response.header("x-frame-options"))
    csp = response.header("content-security-policy") or ""
    assert "frame-ancestors 'none'" in csp, (where, csp)


def test_every_page_and_answer_refuses_to_be_framed(merchant: ApiClient, stack: Stack) -> None:
    shop = open_shop(merchant)
    everything_on(shop)
    mine = customer_objects(shop, "Alice")
    session = mint_session(merchant, mine["customer"], RETURN_URL)
    browser = PortalBrowser(stack.template)
    # The public answers: the landing page, the exchange's redirect, unknown and expired pages, assets
    seen = 0
    for where, response in (
        ("landing", browser.get(urlsplit(session["url"]).path)),
        ("exchange", browser.exchange(session["url"])),
        ("replayed exchange", PortalBrowser(stack.template).exchange(session["url"])),
        ("unknown session", PortalBrowser(stack.template).get("/session/bps_unknown")),
        ("not found", browser.get("/nope")),
        ("health", browser.get("/health")),
        ("static", browser.get("/assets/static/portal.css")),
        ("theme", browser.get("/assets/theme/FFD500.css")),
        ("signed out", PortalBrowser(stack.template).get("/")),
        ("csrf refused", browser.post("/billing-details", {})),
        ("method not allowed", browser.request("DELETE", "/")),
    ):
        assert_unframeable(response, where)
        seen += 1
    # And every GET route of the portal, signed in, with the customer's own objects
    for path, methods in portal_routes():
        if "GET" not in methods:
            continue
        for query in ("", "?quantity=2&price=x"):
            target = concrete(path, mine) + query
            response = browser.get(target)
            assert response.status < 500, (target, response.status)
            assert_unframeable(response, target)
            seen += 1
    assert seen > 20


# ------------------------------------------------------------------ open redirects
@pytest.mark.parametrize(
    "url",
    [
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "JAVASCRIPT:alert(1)",
        "javascript://app.example.com/%0Aalert(1)",
        "//evil.example.net/",
        "///evil.example.net/",
        "https:evil.example.net",
        "https:/evil.example.net",
        "https://evil.example.net@app.example.com/",
        "https://app.example.com@evil.example.net/",
        "https://app.example.com:443@evil.example.net/",
        "https:\\\\evil.example.net",
        "https://app.example.com\\@evil.example.net/",
        "https://app.example.com\\.evil.example.net/",
        "/\\evil.example.net",
        "https://аpp.example.com/",  # Cyrillic а
        "https://app．example．com/",  # fullwidth full stops
        "https://evil.example.net／app.example.com/",  # fullwidth solidus
        "https://app.example.com\u2044evil.example.net/",  # fraction slash
        "https://ℯvil.example.net/",  # script small e
        "https://app.example.com /",
        "https://app.example.com\t.evil.example.net/",
        "https://app.example.com\n/",
        "https://app.example.com/\r\nLocation: https://evil.example.net/",
        "https://app.example.com\u00a0.evil.example.net/",  # no-break space in the host
        "https://app.example.com\u2028.evil.example.net/",  # line separator in the host
        "\u200bhttps://app.example.com/",
        "https://app.exa\u200bmple.com/",
        "/account",
        "app.example.com/account",
        "",
    ],
)
def test_an_open_redirect_through_return_url_is_refused_at_mint(merchant: ApiClient, url: str) -> None:
    customer = merchant.post("/v1/customers", {"name": "Ada"}).json()["id"]
    # When a session names a return URL that a browser could read as another site (or no site)
    response = merchant.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": url})
    # Then it is a 400 naming returnUrl, and no session is minted
    assert response.status == 400, (url, response.status, response.text[:300])
    assert response.json()["error"]["param"] == "returnUrl"
    assert merchant.get("/v1/events", query={"type": "portal_session.created"}).json()["data"] == []


@pytest.mark.parametrize("url", [" https://app.example.com/account", "https://app.example.com/account\t\n "])
def test_whitespace_around_a_return_url_is_refused_or_never_reaches_the_browser(merchant: ApiClient, url: str) -> None:
    customer = merchant.post("/v1/customers", {"name": "Ada"}).json()["id"]
    response = merchant.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": url})
    # Either refused, or stored trimmed: the URL the portal sends the browser to carries no whitespace
    if response.status == 200:
        assert response.json()["returnUrl"] == url.strip()
    else:
        assert response.status == 400 and response.json()["error"]["param"] == "returnUrl"


def test_a_cookie_carried_to_another_accounts_host_gets_the_plain_404(stack: Stack, dns: RecordsResolver) -> None:
    # Given account B's customer signed in on the default host, and account A's portal on its own (verified) domain
    _, key_a = stack.new_account()
    _, key_b = stack.new_account()
    a, b = ApiClient(stack.template, key=key_a), ApiClient(stack.template, key=key_b)
    verified_domain(live_client(a), dns, "billing.example.com")
    assert live_client(b).post("/v1/account", {"name": "Bravo Widgets"}).status == 200
    customer = b.post("/v1/customers", {"name": "Bea"}).json()["id"]
    browser, home, _ = portal_sign_in(stack.template, b, customer, RETURN_URL)
    assert home.status == 200 and "Bravo Widgets" in home.text
    # When the cookie is sent to A's host (an error page inside a session wears its brand)
    carried = PortalBrowser(stack.template, host="billing.example.com", jar=dict(browser.jar))
    for path in ("/", "/no-such-page", "/billing-details"):
        response = carried.get(path)
        # Then it is the plain 404: nothing of B's, and no way into a portal
        assert response.status == 404, (path, response.status)
        assert "Bravo Widgets" not in response.text and "Bea" not in response.text, path
        assert "There is nothing at this address." in response.text and 'href="/"' not in response.text, path
