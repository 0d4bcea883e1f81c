"""The portal's forms, queries, paths and headers fed hostile input by Hypothesis.

Every form (billing details, tax IDs, card, SEPA, plan change and its confirmation,
cancellation, retention, renewal) gets bodies built byte by byte: fields missing, repeated or
unknown, values oversized (up to 1 MB), wrong-typed, broken percent-encoding (lone surrogates,
invalid UTF-8, NUL), RTL overrides and markup. Each answer must be the form's error or its
success (never a 5xx), escape every markup it shows, stay small, and a saved value must show
escaped on the pages that display it afterwards. `FUZZ_EXAMPLES` sets the examples per test.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from local.invoke import HttpResponse
from tests.conftest import Stack
from tests.fuzz.hostile import FUZZ, MARKUP, UNICODE, assert_clean_page, encode, form_bodies, text_values
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import ADDRESS_FORM, RETURN_URL, PortalBrowser, csrf_of, mint_session, signed_in
from tests.support.shop import Shop, open_shop

ANSWERED: Counter[int] = Counter()  # the portal's answers to the fuzzed requests, by status


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if not ANSWERED:  # (a run of tests that send no form)
        return
    answered = ", ".join(f"{status}: {count}" for status, count in sorted(ANSWERED.items()))
    # `make fuzz` shows it (pytest -s)
    print(f"\nfuzz: the portal's forms got {ANSWERED.total()} hostile requests; answers by status: {answered}")


FORM_ANSWERS = {303, 400, 403}
DETAILS = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+49 30 123456",
    **ADDRESS_FORM,
}
CARD = {"name": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "set_default": "on"}
SEPA = {"holder": "Ada Lovelace", "iban": "NL91 ABNA 0417 1643 00", "mandate": "accepted", "set_default": "on"}


@dataclass
class SignedIn:
    """A merchant's shop, one customer with a paid monthly subscription, signed in to the portal."""

    stack: Stack
    shop: Shop
    customer: str
    sub: str
    invoice: str
    browser: PortalBrowser
    csrf: str

    @property
    def api(self) -> ApiClient:
        return self.shop.api

    def raw(
        self,
        method: str,
        path: str,
        body: str | None = None,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> HttpResponse:
        """A request as given (body bytes, query string, headers), with the browser's cookie."""
        from local import invoke

        client = ApiClient(self.stack.template, api="PortalHttpApi")
        function, route_key, params = client._route(method, path)
        all_headers = {
            "host": self.browser.host,
            "user-agent": self.browser.user_agent,
            "cookie": "; ".join(f"{k}={v}" for k, v in self.browser.jar.items()),
        }
        if body is not None:
            all_headers["content-type"] = content_type
        all_headers.update(headers or {})
        event = invoke.http_event(
            method, path, route_key=route_key, path_parameters=params, query=query, headers=all_headers, body=body
        )
        answer = invoke.http_response(invoke.load_handler(function)(event, invoke.LambdaContext(function.name)))
        ANSWERED[answer.status] += 1
        return answer

    def check(self, answer: HttpResponse, allowed: set[int]) -> None:
        assert_clean_page(answer.status, answer.headers, answer.body, allowed=allowed)
        location = answer.header("location")
        if answer.status == 303 and location and location.startswith("/"):
            # what was saved shows, escaped, where the customer sees it next
            for path in {location, "/", "/billing-details", "/payment-methods"}:
                shown = self.browser.get(path)
                assert_clean_page(shown.status, shown.headers, shown.body, allowed={200})


def sign_in(stack: Stack, merchant: ApiClient, *, features: dict[str, Any] | None = None) -> SignedIn:
    shop = open_shop(merchant)
    if features:
        configured = merchant.post("/v1/billing/portal_configurations/default", {"features": features})
        assert configured.status == 200, configured.text
    customer = shop.customer()
    subscribed = shop.subscribe(customer)
    assert subscribed.status == 200, subscribed.text
    sub = subscribed.json()
    browser = signed_in(stack.template, merchant, customer)
    csrf = csrf_of(browser.get("/billing-details").text)
    return SignedIn(stack, shop, customer, sub["id"], sub["latestInvoice"], browser, csrf)


@pytest.fixture
def portal(stack: Stack, merchant: ApiClient) -> SignedIn:
    return sign_in(
        stack,
        merchant,
        features={"subscriptionUpdate": {"enabled": True, "products": ["prod_pro"]}},
    )


def test_billing_details_form(portal: SignedIn) -> None:
    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        body = data.draw(form_bodies(list(DETAILS), portal.csrf, DETAILS))
        portal.check(portal.raw("POST", "/billing-details", body), FORM_ANSWERS)

    run()
    # whatever was saved, the customer is still readable through the API
    assert portal.api.get(f"/v1/customers/{portal.customer}").status == 200


def test_tax_id_form(portal: SignedIn) -> None:
    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        body = data.draw(form_bodies(["tax_type", "tax_value"], portal.csrf, {"tax_type": "eu_vat"}))
        portal.check(portal.raw("POST", "/billing-details/tax-ids", body), FORM_ANSWERS)

    run()


def test_card_form(portal: SignedIn) -> None:
    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        body = data.draw(form_bodies(list(CARD), portal.csrf, CARD))
        answer = portal.raw("POST", "/payment-methods/card", body)
        portal.check(answer, FORM_ANSWERS)
        # the number and the CVC never come back
        assert b"4242 4242 4242 4242" not in answer.body and b"4242424242424242" not in answer.body

    run()


def test_sepa_form(portal: SignedIn) -> None:
    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        body = data.draw(form_bodies(list(SEPA), portal.csrf, SEPA))
        answer = portal.raw("POST", "/payment-methods/sepa", body)
        portal.check(answer, FORM_ANSWERS)
        assert b"0417 1643" not in answer.body and b"0417164300" not in answer.body

    run()


def test_subscription_update_forms(portal: SignedIn) -> None:
    valid = {"price": portal.shop.yearly, "quantity": "2"}

    @FUZZ
    @given(data=st.data(), path=st.sampled_from(("update", "update/confirm")), method=st.sampled_from(("POST", "GET")))
    def run(data: st.DataObject, path: str, method: str) -> None:
        body = data.draw(form_bodies(["price", "quantity"], portal.csrf, valid))
        url = f"/subscriptions/{portal.sub}/{path}"
        if method == "GET":
            answer = portal.raw("GET", url, query=body)
            allowed = {200, 400, 404} if path == "update/confirm" else {200, 404}
        else:
            answer = portal.raw("POST", url, body)
            allowed = {*FORM_ANSWERS, 404}  # 404 once the subscription is no longer changeable
        portal.check(answer, allowed)

    run()


def test_cancellation_forms(portal: SignedIn) -> None:
    @FUZZ
    @given(data=st.data(), action=st.sampled_from(("cancel", "cancel", "retain", "renew")))
    def run(data: st.DataObject, action: str) -> None:
        body = data.draw(form_bodies(["reason", "comment"], portal.csrf, {"reason": "too_expensive", "comment": "x"}))
        answer = portal.raw("POST", f"/subscriptions/{portal.sub}/{action}", body)
        portal.check(answer, {*FORM_ANSWERS, 404})  # retain: 404 when there is no offer

    run()


def test_multipart_bodies_and_other_content_types(portal: SignedIn) -> None:
    """Files where text is expected, a JSON body, a body with no content type: a form error."""

    @FUZZ
    @given(
        value=text_values(),
        field=st.sampled_from(("name", "number", "iban", "comment", "price", "csrf")),
        path=st.sampled_from(
            (
                "/billing-details",
                "/payment-methods/card",
                "/payment-methods/sepa",
                f"/subscriptions/{portal.sub}/cancel",
            )
        ),
        kind=st.sampled_from(("file", "field", "json", "none", "garbage")),
    )
    def run(value: str, field: str, path: str, kind: str) -> None:
        safe = value.encode("utf-8", "replace").decode("utf-8")
        if kind in ("file", "field"):
            filename = '; filename="x.txt"' if kind == "file" else ""
            body = (
                f'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{portal.csrf}\r\n'
                f'--b\r\nContent-Disposition: form-data; name="{field}"{filename}\r\n\r\n{safe}\r\n--b--\r\n'
            )
            answer = portal.raw("POST", path, body, content_type="multipart/form-data; boundary=b")
        elif kind == "json":
            answer = portal.raw("POST", path, json.dumps({"csrf": portal.csrf}), content_type="application/json")
        elif kind == "none":
            answer = portal.raw("POST", path, f"csrf={portal.csrf}&{field}={encode(value)}", content_type="")
        else:
            answer = portal.raw("POST", path, safe, content_type="application/x-www-form-urlencoded; charset=koi8-r")
        portal.check(answer, FORM_ANSWERS | {404})

    run()


def test_queries_headers_and_cookies(portal: SignedIn) -> None:
    """`?done=`, `?after=`, Accept-Language, User-Agent and extra cookies with anything in them."""

    @FUZZ
    @given(
        path=st.sampled_from(
            (
                "/",
                "/billing-details",
                "/payment-methods",
                "/invoices",
                f"/invoices/{portal.invoice}",
                "/payment-methods/card",
            )
        ),
        name=st.sampled_from(("done", "after", "price", "quantity", "done")),
        value=text_values(),
        language=st.one_of(text_values(), st.sampled_from(("de;q=x", "*;q=0.5,,de-DE", "zz-ZZ", "de_DE;q=1e400"))),
        agent=text_values(),
        cookie=st.sampled_from(("", "a=b", '__Host-vinr_portal=""', "x=%ED%A0%80", "=;;=", "vinr=\x00")),
    )
    def run(path: str, name: str, value: str, language: str, agent: str, cookie: str) -> None:
        headers = {
            "accept-language": language[:2000].encode("latin-1", "replace").decode("latin-1"),
            "user-agent": agent[:4000].encode("latin-1", "replace").decode("latin-1"),
        }
        query = f"{name}={encode(value[:2000])}"
        jar = "; ".join([*(f"{k}={v}" for k, v in portal.browser.jar.items()), cookie])
        answer = portal.raw("GET", path, query=query, headers={**headers, "cookie": jar})
        portal.check(answer, {200, 404, 410})  # 410: a cookie that replaces the session's

    run()


def test_paths_with_anything_in_them(portal: SignedIn) -> None:
    @FUZZ
    @given(
        segment=st.one_of(text_values(), st.sampled_from(("..", "%2e%2e", "inv_", "sub_" + "A" * 100, "pm_\x00"))),
        template=st.sampled_from(
            (
                "GET /invoices/{}",
                "GET /invoices/{}/pdf",
                "GET /subscriptions/{}/update",
                "GET /subscriptions/{}/cancel",
                "POST /subscriptions/{}/renew",
                "POST /payment-methods/{}/default",
                "POST /payment-methods/{}/remove",
                "POST /invoices/{}/pay",
                "POST /billing-details/tax-ids/{}/remove",
                "GET /session/{}",
                "POST /session/{}/exchange",
                "GET /assets/theme/{}.css",
                "GET /assets/logo/{}/test/abc",
            )
        ),
    )
    def run(segment: str, template: str) -> None:
        method, pattern = template.split(" ")
        # a path segment as a browser sends it: percent-encoded, then decoded by the gateway
        path = pattern.format(quote(segment[:300].encode("utf-8", "surrogatepass"), safe=""))
        body = f"csrf={portal.csrf}" if method == "POST" else None
        answer = portal.raw(method, urlsplit(path).path or "/", body)
        portal.check(answer, {200, 303, 307, 400, 404, 405, 410})  # 307: a trailing slash dropped

    run()


# ------------------------------------------------------------------ the invoice PDF
NAME_WITH_MARKUP = '<b>Bold & Co</b> <font color="red">Red</font> <br/> &amp; <script>x</script>'


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def test_the_invoice_pdf_shows_markup_in_a_customer_name_literally(stack: Stack, merchant: ApiClient) -> None:
    # Given a customer whose name and address hold markup, with an invoice
    shop = open_shop(merchant)
    address = {"line1": "<i>Street</i> 1", "city": "<u>Berlin</u>", "postalCode": "10117", "country": "DE"}
    customer = shop.customer(name=NAME_WITH_MARKUP, address=address, email="a&b@example.com")
    sub = shop.subscribe(customer).json()
    browser = signed_in(stack.template, merchant, customer)
    # When the customer opens the invoice and downloads its PDF
    page = browser.get(f"/invoices/{sub['latestInvoice']}")
    pdf = browser.get(f"/invoices/{sub['latestInvoice']}/pdf")
    # Then the page escapes the name and the PDF shows it as typed, tags and all
    assert page.status == 200 and "<b>Bold" not in page.text and "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in page.text
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    text = " ".join(_pdf_text(pdf.body).split())  # the lines the PDF wraps, joined again
    assert NAME_WITH_MARKUP in text, text
    assert "<i>Street</i> 1" in text and "<u>Berlin</u>" in text and "a&b@example.com" in text, text


def test_the_invoice_pdf_renders_any_customer_name(stack: Stack, merchant: ApiClient) -> None:
    """NUL, RTL overrides, astral characters, markup: the PDF renders (never a 5xx) and, for
    names made of printable text, shows the name."""
    shop = open_shop(merchant)
    minted_for: dict[str, PortalBrowser] = {}

    @FUZZ
    @given(
        name=st.one_of(
            st.lists(st.sampled_from((*UNICODE[:9], *MARKUP, "Ada", " ")), min_size=1, max_size=6).map("".join),
            st.text(min_size=1, max_size=60).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
        ).filter(lambda s: s.strip())
    )
    def run(name: str) -> None:
        created = merchant.post("/v1/customers", {"name": name, "address": {"country": "DE"}})
        assert created.status in (200, 400), created.text
        if created.status == 400:
            assert created.json()["error"]["param"] == "name"
            return
        customer = created.json()["id"]
        assert merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).status == 200
        sub = shop.subscribe(customer).json()
        minted = mint_session(merchant, customer, RETURN_URL)
        browser = minted_for.setdefault(customer, PortalBrowser(stack.template))
        assert browser.open_link(minted["url"]).status == 200
        page = browser.get(f"/invoices/{sub['latestInvoice']}")
        assert_clean_page(page.status, page.headers, page.body, allowed={200})
        pdf = browser.get(f"/invoices/{sub['latestInvoice']}/pdf")
        assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf.body[:500]
        if name.isprintable() and name.isascii():  # reportlab wraps and collapses whitespace
            assert "".join(name.split()) in "".join(_pdf_text(pdf.body).split())

    run()
