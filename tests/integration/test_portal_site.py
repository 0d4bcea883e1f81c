"""The portal side of a session: the link, the exchange, the cookie, every request's checks."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from billing.accounts.domains import RecordsResolver
from billing.kernel import clock
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.dns import verified_domain
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser

RETURN_URL = "https://app.example.com/account"
SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "strict-transport-security": "max-age=",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def minted(merchant: ApiClient, name: str = "Ada Lovelace", **fields: Any) -> dict[str, Any]:
    customer = merchant.post("/v1/customers", {"name": name, "email": "ada@example.com"}).json()["id"]
    body = merchant.post(
        "/v1/billing/portal_sessions", {"customer": customer, "returnUrl": RETURN_URL, **fields}
    ).json()
    assert "url" in body, body
    return dict(body)


@pytest.fixture
def browser(stack: Stack) -> PortalBrowser:
    return PortalBrowser(stack.template)


def assert_security_headers(response: Any) -> None:
    for name, expected in SECURITY_HEADERS.items():
        value = response.header(name)
        assert value is not None and expected in value, (name, value)


def test_following_the_link_signs_the_customer_in_with_a_host_cookie(
    merchant: ApiClient, browser: PortalBrowser
) -> None:
    session = minted(merchant)
    # When the customer opens the landing page
    landing = browser.get(urlsplit(session["url"]).path)
    # Then nothing is spent yet, and the one script is allowed by its hash only
    assert landing.status == 200 and "Signing you in" in landing.text
    csp = landing.header("content-security-policy") or ""
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp
    assert merchant.get(f"/v1/billing/portal_sessions/{session['id']}").json()["status"] == "open"
    # When the fragment is exchanged
    exchanged = browser.exchange(session["url"])
    # Then a __Host- cookie is set with every flag, expiring with the session, and the customer goes home
    assert exchanged.status == 303 and exchanged.header("location") == "/"
    [cookie] = browser.last_set_cookies
    assert cookie.name == "__Host-vinr_portal"
    assert {"secure", "httponly"} <= cookie.flags
    assert cookie.attributes["path"] == "/" and cookie.attributes["samesite"].lower() == "strict"
    assert "domain" not in cookie.attributes
    assert 1790 <= int(cookie.attributes["max-age"]) <= 1800
    home = browser.get("/")
    assert home.status == 200 and "Ada Lovelace" in home.text
    assert_security_headers(home)
    # And the session shows as used
    assert merchant.get(f"/v1/billing/portal_sessions/{session['id']}").json()["status"] == "used"


def test_a_link_works_once(merchant: ApiClient, stack: Stack) -> None:
    session = minted(merchant)
    first, second = PortalBrowser(stack.template), PortalBrowser(stack.template)
    assert first.open_link(session["url"]).status == 200
    # When the link is opened again, in another browser
    again = second.get(urlsplit(session["url"]).path)
    replay = second.exchange(session["url"])
    # Then both the landing page and a replayed exchange answer the expired screen, with the way back
    for response in (again, replay):
        assert response.status == 410 and "This session has expired" in response.text
        assert f'href="{RETURN_URL}"' in response.text
        assert_security_headers(response)
    assert "__Host-vinr_portal" not in second.jar
    # And the first browser is still signed in
    assert first.get("/").status == 200


def test_a_wrong_secret_is_refused_and_does_not_spend_the_link(merchant: ApiClient, browser: PortalBrowser) -> None:
    session = minted(merchant)
    path = urlsplit(session["url"]).path
    refused = browser.post(f"{path}/exchange", {"secret": "x" * 32})
    assert refused.status == 410 and "__Host-vinr_portal" not in browser.jar
    assert browser.post(f"{path}/exchange", {}).status == 410
    assert browser.open_link(session["url"]).status == 200


def test_two_exchanges_racing_for_one_link_have_one_winner(merchant: ApiClient, stack: Stack) -> None:
    session = minted(merchant)
    browsers = [PortalBrowser(stack.template) for _ in range(8)]
    statuses: list[int] = []
    start = threading.Barrier(len(browsers))

    def race(browser: PortalBrowser) -> None:
        start.wait()
        statuses.append(browser.exchange(session["url"]).status)

    threads = [threading.Thread(target=race, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303] + [410] * 7
    winners = [b for b in browsers if "__Host-vinr_portal" in b.jar]
    assert len(winners) == 1 and winners[0].get("/").status == 200


def test_expiry_is_read_from_the_clock_at_request_time(
    merchant: ApiClient, browser: PortalBrowser, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = minted(merchant)
    unused = minted(merchant, "Unused")
    assert browser.open_link(session["url"]).status == 200
    expires = clock.from_wire(session["expiresAt"])
    # When the clock passes the session's expiry (DynamoDB's TTL has not deleted anything)
    monkeypatch.setattr(clock, "now", lambda: expires + timedelta(seconds=1))
    # Then the signed-in cookie no longer opens the portal, and an unused link no longer signs in
    home = browser.get("/")
    assert home.status == 410 and "This session has expired" in home.text
    other = PortalBrowser(browser.template)
    assert other.get(urlsplit(unused["url"]).path).status == 410
    assert other.exchange(unused["url"]).status == 410
    assert merchant.get(f"/v1/billing/portal_sessions/{unused['id']}").json()["status"] == "expired"


def test_a_revoked_session_ends_on_the_next_request(merchant: ApiClient, browser: PortalBrowser) -> None:
    session = minted(merchant)
    assert browser.open_link(session["url"]).status == 200
    merchant.post(f"/v1/billing/portal_sessions/{session['id']}/revoke", {})
    assert browser.get("/").status == 410
    # A revoked, unused link no longer signs in either
    unused = minted(merchant)
    merchant.post(f"/v1/billing/portal_sessions/{unused['id']}/revoke", {})
    assert PortalBrowser(browser.template).open_link(unused["url"]).status == 410


def test_a_forged_or_missing_cookie_opens_nothing(merchant: ApiClient, browser: PortalBrowser) -> None:
    session = minted(merchant)
    assert browser.get("/").status == 410
    browser.jar["__Host-vinr_portal"] = f"{session['id']}.{'A' * 43}"
    assert browser.get("/").status == 410  # an unexchanged session
    assert browser.open_link(session["url"]).status == 200
    real = browser.jar["__Host-vinr_portal"]
    browser.jar["__Host-vinr_portal"] = real[:-4] + "AAAA"
    assert browser.get("/").status == 410  # the right session, a wrong token
    browser.jar["__Host-vinr_portal"] = "garbage"
    assert browser.get("/").status == 410


def test_the_return_form_needs_its_csrf_token(merchant: ApiClient, stack: Stack) -> None:
    session, other_session = minted(merchant), minted(merchant, "Other")
    browser, other = PortalBrowser(stack.template), PortalBrowser(stack.template)
    home = browser.open_link(session["url"])
    other_home = other.open_link(other_session["url"])
    token = home.text.split('name="csrf" value="')[1].split('"')[0]
    other_token = other_home.text.split('name="csrf" value="')[1].split('"')[0]
    # Without a token, or with another session's token, the form is refused and nothing ends
    assert browser.post("/return", {}).status == 403
    assert browser.post("/return", {"csrf": other_token}).status == 403
    assert browser.get("/").status == 200
    # With its own token, the session ends and the customer goes back to the merchant
    back = browser.post("/return", {"csrf": token})
    assert back.status == 303 and back.header("location") == RETURN_URL
    assert "__Host-vinr_portal" not in browser.jar
    assert merchant.get(f"/v1/billing/portal_sessions/{session['id']}").json()["status"] == "revoked"
    # And the home page's policy lets that form's redirect reach the merchant's origin
    assert "form-action 'self' https://app.example.com;" in (home.header("content-security-policy") or "")


def test_a_custom_domain_serves_only_its_accounts_sessions(stack: Stack, dns: RecordsResolver) -> None:
    _, key_a = stack.new_account()
    _, key_b = stack.new_account()
    a, b = (live_client(ApiClient(stack.template, key=key)) for key in (key_a, key_b))
    verified_domain(a, dns, "billing.example.com")  # (live mode: a domain serves live sessions)
    on_domain, on_default, of_b = minted(a), minted(a), minted(b)
    # A's sessions open on its domain and on the default portal host
    assert PortalBrowser(stack.template, host="billing.example.com").open_link(on_domain["url"]).status == 200
    default_url = f"http://127.0.0.1:3001{urlsplit(on_default['url']).path}#{urlsplit(on_default['url']).fragment}"
    assert PortalBrowser(stack.template).open_link(default_url).status == 200
    # B's sessions do not open on A's domain, and nothing opens on an unknown host
    b_path = urlsplit(of_b["url"]).path
    assert PortalBrowser(stack.template, host="billing.example.com").get(b_path).status == 404
    assert PortalBrowser(stack.template, host="evil.example.net").get(b_path).status == 404
    # And an exchange on the wrong host is refused without spending the link
    assert PortalBrowser(stack.template, host="billing.example.com").exchange(of_b["url"]).status == 404
    assert PortalBrowser(stack.template, host="evil.example.net").exchange(of_b["url"]).status == 404
    assert PortalBrowser(stack.template).open_link(of_b["url"]).status == 200


def test_the_expired_screen_and_home_wear_the_brand(merchant: ApiClient, browser: PortalBrowser) -> None:
    assert live_client(merchant).post("/v1/account", {"name": "Acme Rockets"}).status == 200
    merchant.post(
        "/v1/branding",
        {"accentColor": "#FFD500", "supportUrl": "https://acme.example/help", "termsUrl": "https://acme.example/terms"},
    )
    merchant.post("/v1/billing/portal_configurations/default", {"businessProfile": {"headline": "Acme billing"}})
    session = minted(merchant)
    home = browser.open_link(session["url"])
    # A yellow accent gets dark text, served as the theme stylesheet
    assert "/assets/theme/FFD500.css" in home.text
    theme = browser.get("/assets/theme/FFD500.css")
    assert theme.status == 200 and "--on-accent: #000000" in theme.text
    for page in (home, PortalBrowser(browser.template).get(urlsplit(session["url"]).path)):
        assert "Acme Rockets" in page.text and "Acme billing" in page.text
        assert 'href="https://acme.example/help"' in page.text and 'href="https://acme.example/terms"' in page.text


def test_a_logo_is_served_by_its_hash_and_shown(merchant: ApiClient, browser: PortalBrowser) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40"/></svg>'
    import base64

    merchant.post("/v1/branding", {"logo": "data:image/svg+xml;base64," + base64.b64encode(svg).decode()})
    home = browser.open_link(minted(merchant)["url"])
    src = home.text.split('class="logo" src="')[1].split('"')[0]
    logo = browser.get(src)
    assert logo.status == 200 and logo.header("content-type") == "image/svg+xml"
    assert b"<rect" in logo.body and "immutable" in (logo.header("cache-control") or "")
    assert browser.get(src[:-2] + "00").status == 404


def test_customer_data_is_escaped(merchant: ApiClient, browser: PortalBrowser) -> None:
    home = browser.open_link(minted(merchant, "<script>alert('x')</script>")["url"])
    assert "<script>alert" not in home.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in home.text


def test_every_portal_response_has_the_security_headers(browser: PortalBrowser) -> None:
    for path in ("/", "/health", "/nope", "/session/bps_unknown", "/assets/static/portal.css"):
        response = browser.get(path)
        assert_security_headers(response)
        assert response.status in (200, 404, 410), (path, response.status)
    assert browser.get("/nope").status == 404 and "Page not found" in browser.get("/nope").text
