"""The portal's sign-in page: an email address, a one-time code, a signed-in browser.

Codes go out through the real sender (`billing.emails.signin`) to moto's SES and are read back
from the messages it accepted, as a customer reads them in a mail client.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from billing.emails import ses
from billing.kernel import clock
from local.resources import LOCAL_SENDER_DOMAIN
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.emails import SentEmail, sent_emails
from tests.support.functions import import_function_module
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser, mint_session

signin_pages = import_function_module("portal", "portal_site.signin")
RETURN_URL = "https://app.example.com/account"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CODE_LINE = re.compile(r"^\s+(\d{6})\s*$", re.M)  # the code stands alone on its line of the text part
SAME_ANSWER = "we have sent a 6-digit code to it"


class Outbox:
    """The sign-in emails moto's SES accepted since the test began."""

    def __init__(self) -> None:
        self.before = len(sent_emails())

    @property
    def sent(self) -> list[SentEmail]:
        return sent_emails()[self.before :]

    def codes_to(self, address: str) -> list[str]:
        found = []
        for message in self.sent:
            if str(message.message["To"]) == address:
                code = CODE_LINE.search(message.text)
                assert code, message.text
                found.append(code.group(1))
        return found

    def last_code(self, address: str) -> str:
        found = self.codes_to(address)
        assert found, f"no code sent to {address}"
        return found[-1]


@pytest.fixture
def outbox(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbox]:
    monkeypatch.setattr(signin_pages, "ANSWER_FLOOR_SECONDS", 0.0)
    yield Outbox()


def enable_login(merchant: ApiClient, configuration: str = "default") -> dict[str, Any]:
    answer = merchant.post(f"/v1/billing/portal_configurations/{configuration}", {"loginPage": {"enabled": True}})
    assert answer.status == 200, answer.text
    return dict(answer.json())


def login_path(configuration: dict[str, Any]) -> str:
    url = configuration["loginPage"]["url"]
    return "/" + url.split("/", 3)[3]


def csrf(page: Any) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def ask_code(browser: PortalBrowser, path: str, email: str, **extra: str) -> Any:
    form = browser.get(path)
    assert form.status == 200, form.text
    return browser.post(path, {"csrf": csrf(form), "email": email, **extra})


def enter_code(browser: PortalBrowser, path: str, page: Any, email: str, code: str) -> Any:
    return browser.post(f"{path}/code", {"csrf": csrf(page), "email": email, "code": code})


@pytest.fixture
def browser(stack: Stack) -> PortalBrowser:
    return PortalBrowser(stack.template)


def customer(merchant: ApiClient, email: str = "ada@example.com", name: str = "Ada Lovelace") -> str:
    answer = merchant.post("/v1/customers", {"name": name, "email": email})
    assert answer.status == 200, answer.text
    return str(answer.json()["id"])


def table_items(stack: Stack) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    return client.scan(TableName=stack.resources.table_name)["Items"]


# ------------------------------------------------------------------ the configuration
def test_the_login_page_is_off_by_default_and_its_url_is_answered_once_enabled(merchant: ApiClient) -> None:
    default = merchant.get("/v1/billing/portal_configurations/default").json()
    assert default["loginPage"] == {"enabled": False, "url": None}
    enabled = enable_login(merchant)
    assert enabled["loginPage"]["enabled"] is True
    assert enabled["loginPage"]["url"] == f"http://127.0.0.1:3001/login/{enabled['id']}"
    refused = merchant.post("/v1/billing/portal_configurations/default", {"loginPage": {"enabled": "yes"}})
    assert refused.status == 400 and "loginPage.enabled" in refused.text
    read_only = merchant.post("/v1/billing/portal_configurations/default", {"loginPage": {"url": "https://x.example"}})
    assert read_only.status == 400 and "loginPage.url" in read_only.text


def test_a_disabled_or_unknown_login_page_is_not_found(merchant: ApiClient, browser: PortalBrowser) -> None:
    configuration = enable_login(merchant)
    path = login_path(configuration)
    assert browser.get(path).status == 200
    merchant.post("/v1/billing/portal_configurations/default", {"loginPage": {"enabled": False}})
    assert browser.get(path).status == 404
    assert browser.get("/login/bpc_doesnotexist").status == 404


# ------------------------------------------------------------------ codes
def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_a_code(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox
) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    known = ask_code(browser, path, "Ada@Example.com")
    unknown = ask_code(browser, path, "nobody@example.com")
    assert known.status == unknown.status == 200
    scrub = lambda text: text.replace("Ada@Example.com", "X").replace("nobody@example.com", "X")  # noqa: E731
    assert scrub(csrf_free(known.text)) == scrub(csrf_free(unknown.text))
    assert SAME_ANSWER in known.text
    assert [str(m.message["To"]) for m in outbox.sent] == ["ada@example.com"]
    assert re.fullmatch(r"\d{6}", outbox.last_code("ada@example.com"))


def csrf_free(text: str) -> str:
    return CSRF.sub("", text)


def test_the_code_is_mailed_from_the_merchants_name_in_the_customers_language(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox
) -> None:
    live = live_client(merchant)
    assert live.post("/v1/account", {"name": "Shop & Söhne"}).status == 200
    assert live.post("/v1/account/emails", {"replyTo": "hilfe@shop.example"}).status == 200
    answer = merchant.post("/v1/customers", {"name": "Ada", "email": "ada@example.com", "preferredLocale": "de"})
    assert answer.status == 200, answer.text
    path = login_path(enable_login(merchant))
    ask_code(browser, path, "ada@example.com")
    [mail] = outbox.sent
    code = outbox.last_code("ada@example.com")
    assert mail.sender == f"Shop & Söhne <noreply@{LOCAL_SENDER_DOMAIN}>"
    assert mail.reply_to == "hilfe@shop.example"
    assert mail.subject == "Ihr Anmeldecode für Shop & Söhne"
    assert code in mail.html and "10 Minuten" in mail.text


def test_a_transient_ses_refusal_answers_the_same_page_and_the_next_request_mails_a_code(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Throttled:
        def send_email(self, **request: Any) -> Any:
            error = {"Error": {"Code": "TooManyRequestsException"}, "ResponseMetadata": {"HTTPStatusCode": 429}}
            raise ClientError(error, "SendEmail")

    customer(merchant)
    path = login_path(enable_login(merchant))
    unknown = ask_code(browser, path, "nobody@example.com")
    real_client = ses.client
    monkeypatch.setattr(ses, "client", lambda service: Throttled())
    refused = ask_code(browser, path, "ada@example.com")
    assert refused.status == 200 and outbox.sent == []
    scrub = lambda text: text.replace("ada@example.com", "X").replace("nobody@example.com", "X")  # noqa: E731
    assert scrub(csrf_free(refused.text)) == scrub(csrf_free(unknown.text))
    monkeypatch.setattr(ses, "client", real_client)
    page = ask_code(browser, path, "ada@example.com")
    assert enter_code(browser, path, page, "ada@example.com", outbox.last_code("ada@example.com")).status == 303


def test_a_right_code_signs_the_browser_in_like_a_link_and_is_audited(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox
) -> None:
    ada = customer(merchant)
    path = login_path(enable_login(merchant))
    page = ask_code(browser, path, "ada@example.com")
    signed = enter_code(browser, path, page, "ada@example.com", outbox.last_code("ada@example.com"))
    assert signed.status == 303 and signed.header("location") == "/"
    [cookie] = [c for c in browser.last_set_cookies if c.name == "__Host-vinr_portal"]
    assert {"secure", "httponly"} <= cookie.flags and cookie.attributes["samesite"].lower() == "strict"
    home = browser.get("/")
    assert home.status == 200 and "Ada Lovelace" in home.text
    events = merchant.get("/v1/events", query={"type": "customer.portal_login"}).json()["data"]
    assert len(events) == 1 and events[0]["request"]["source"] == "portal"
    assert events[0]["data"]["object"]["customer"] == ada
    assert outbox.last_code("ada@example.com") not in json.dumps(events)
    audit = merchant.get("/v1/audit_log", query={"customer": ada}).json()
    assert "pytest-browser" in json.dumps(audit)


def test_a_code_is_single_use(merchant: ApiClient, stack: Stack, outbox: Outbox) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    first, second = PortalBrowser(stack.template), PortalBrowser(stack.template)
    page = ask_code(first, path, "ada@example.com")
    code = outbox.last_code("ada@example.com")
    assert enter_code(first, path, page, "ada@example.com", code).status == 303
    other_page = second.get(path)
    again = second.post(f"{path}/code", {"csrf": csrf(other_page), "email": "ada@example.com", "code": code})
    assert again.status == 400 and "__Host-vinr_portal" not in second.jar


def test_the_sixth_attempt_is_refused_even_with_the_right_code(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox
) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    page = ask_code(browser, path, "ada@example.com")
    code = outbox.last_code("ada@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = enter_code(browser, path, page, "ada@example.com", wrong)
        assert refused.status == 400 and "That code is wrong or has expired" in refused.text
    sixth = enter_code(browser, path, page, "ada@example.com", code)
    assert sixth.status == 400 and "__Host-vinr_portal" not in browser.jar


def test_a_new_code_replaces_the_old_one(merchant: ApiClient, browser: PortalBrowser, outbox: Outbox) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    ask_code(browser, path, "ada@example.com")
    old = outbox.last_code("ada@example.com")
    page = ask_code(browser, path, "ada@example.com")
    new = outbox.last_code("ada@example.com")
    if old != new:
        assert enter_code(browser, path, page, "ada@example.com", old).status == 400
    assert enter_code(browser, path, page, "ada@example.com", new).status == 303


def test_a_code_expires_after_ten_minutes(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    page = ask_code(browser, path, "ada@example.com")
    code = outbox.last_code("ada@example.com")
    later = clock.now() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert enter_code(browser, path, page, "ada@example.com", code).status == 400
    assert "__Host-vinr_portal" not in browser.jar


def test_codes_are_rate_limited_per_address(merchant: ApiClient, stack: Stack, outbox: Outbox) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    for n in range(5):
        # each request from another client: only the address's limit applies
        answer = ask_code(PortalBrowser(stack.template), path, "ada@example.com")
        assert answer.status == 200, n
    limited = ask_code(PortalBrowser(stack.template), path, "ADA@example.com")
    assert limited.status == 429 and "Please wait a few minutes" in limited.text
    assert len(outbox.sent) == 5
    unknown_limited = [ask_code(PortalBrowser(stack.template), path, "ghost@example.com").status for _ in range(6)]
    assert unknown_limited == [200] * 5 + [429]


def test_requests_are_rate_limited_per_client(merchant: ApiClient, browser: PortalBrowser, outbox: Outbox) -> None:
    path = login_path(enable_login(merchant))
    statuses = [ask_code(browser, path, f"someone{n}@example.com").status for n in range(21)]
    assert statuses == [200] * 20 + [429]


def test_another_accounts_configuration_cannot_sign_in_this_accounts_customer(
    merchant: ApiClient, stack: Stack, browser: PortalBrowser, outbox: Outbox
) -> None:
    customer(merchant)
    _, other_key = stack.new_account()
    other = ApiClient(template=stack.template, key=other_key)
    path = login_path(enable_login(other))
    page = ask_code(browser, path, "ada@example.com")
    assert page.status == 200 and outbox.sent == []
    assert enter_code(browser, path, page, "ada@example.com", "000000").status == 400


def test_the_most_recently_active_customer_with_an_address_is_signed_in(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox
) -> None:
    older = customer(merchant, name="Older Ada")
    customer(merchant, email="ADA@example.com", name="Newer Ada")
    time.sleep(0.01)
    mint_session(merchant, older, RETURN_URL)  # the older customer's newest activity
    path = login_path(enable_login(merchant))
    page = ask_code(browser, path, "ada@example.com")
    assert enter_code(browser, path, page, "ada@example.com", outbox.last_code("ada@example.com")).status == 303
    assert "Older Ada" in browser.get("/").text


def test_forms_without_the_double_submit_token_are_refused(merchant: ApiClient, browser: PortalBrowser) -> None:
    path = login_path(enable_login(merchant))
    browser.get(path)
    assert browser.jar.get("__Host-vinr_signin")
    assert browser.post(path, {"email": "ada@example.com"}).status == 403
    assert browser.post(path, {"email": "ada@example.com", "csrf": "x" * 43}).status == 403


def test_the_code_is_never_stored_in_plain_text(
    merchant: ApiClient, stack: Stack, browser: PortalBrowser, outbox: Outbox
) -> None:
    customer(merchant)
    path = login_path(enable_login(merchant))
    ask_code(browser, path, "ada@example.com")
    ask_code(browser, path, "ghost@example.com")
    code = outbox.last_code("ada@example.com")
    dump = json.dumps(table_items(stack))
    assert code not in dump and "ghost@example.com" not in dump


def test_the_expired_screen_offers_sign_in_and_lands_on_the_links_flow(
    merchant: ApiClient, stack: Stack, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = customer(merchant)
    enable_login(merchant)
    session = mint_session(merchant, ada, RETURN_URL, flow={"type": "payment_method_update"})
    browser = PortalBrowser(stack.template)
    later = clock.from_wire(session["expiresAt"]) + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = browser.get(f"/session/{session['id']}")
    assert expired.status == 410 and "Sign in with your email" in expired.text
    offer = re.search(r'href="(/login/[^"]+)"', expired.text)
    assert offer and f"session={session['id']}" in offer.group(1)
    form = browser.get(offer.group(1).replace("&amp;", "&"))
    assert f'name="session" value="{session["id"]}"' in form.text
    path = offer.group(1).split("?")[0]
    page = browser.post(path, {"csrf": csrf(form), "email": "ada@example.com", "session": session["id"]})
    assert f'name="session" value="{session["id"]}"' in page.text
    signed = browser.post(
        f"{path}/code",
        {
            "csrf": csrf(page),
            "email": "ada@example.com",
            "code": outbox.last_code("ada@example.com"),
            "session": session["id"],
        },
    )
    assert signed.status == 303 and signed.header("location") == "/payment-methods"
    assert browser.get("/payment-methods").status == 200


def test_another_customers_expired_session_does_not_choose_the_flow(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox
) -> None:
    customer(merchant)
    bob = customer(merchant, email="bob@example.com", name="Bob")
    bobs = mint_session(merchant, bob, RETURN_URL, flow={"type": "payment_method_update"})
    path = login_path(enable_login(merchant))
    page = ask_code(browser, path, "ada@example.com", session=bobs["id"])
    signed = browser.post(
        f"{path}/code",
        {
            "csrf": csrf(page),
            "email": "ada@example.com",
            "code": outbox.last_code("ada@example.com"),
            "session": bobs["id"],
        },
    )
    assert signed.status == 303 and signed.header("location") == "/"
    assert "Ada Lovelace" in browser.get("/").text


def test_the_answer_takes_as_long_for_an_unknown_address(
    merchant: ApiClient, browser: PortalBrowser, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin_pages, "ANSWER_FLOOR_SECONDS", 0.5)
    path = login_path(enable_login(merchant))
    started = time.monotonic()
    ask_code(browser, path, "nobody@example.com")
    assert time.monotonic() - started >= 0.5
