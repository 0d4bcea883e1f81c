"""The hosted invoice page: `hostedInvoiceUrl` on finalized invoices, opened without a portal
session, replaced through the API, lapsing 30 days after the invoice is settled, paid with a
CSRF token bound to the link, and never stored as a token."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from billing.accounts.domains import RecordsResolver
from billing.kernel import clock
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok
from tests.support.dns import verified_domain
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser, csrf_of
from tests.support.shop import Shop, open_shop

LINK = re.compile(r"^http://127\.0\.0\.1:3001/i/[A-Za-z0-9_-]{43}\Z")


def table_items(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.resources.table_name)["Items"])


def open_invoice(shop: Shop) -> dict[str, Any]:
    """An open invoice (its first charge declined) whose subscription names a card that pays."""
    customer = shop.customer(name="Ada Lovelace", token="tok_chargeDeclined")
    sub = shop.subscribe(customer).json()
    visa = shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).json()["id"]
    assert shop.api.post(f"/v1/subscriptions/{sub['id']}", {"defaultPaymentMethod": visa}).status == 200
    invoice = shop.invoice(sub)
    assert invoice["status"] == "open"
    return invoice


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_finalized_invoices_answer_the_same_url_on_every_read_and_drafts_none(shop: Shop) -> None:
    # Given a paid invoice
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    # Then it has a hosted URL on the portal's host, with a 256-bit token
    url = invoice["hostedInvoiceUrl"]
    assert LINK.match(url), url
    # And every read (retrieve, list) answers the same URL
    again = shop.api.get(f"/v1/invoices/{invoice['id']}").json()
    listed = shop.api.get("/v1/invoices", query={"customer": invoice["customer"]}).json()["data"]
    assert again["hostedInvoiceUrl"] == url and listed[0]["hostedInvoiceUrl"] == url
    # And a preview (not finalized) has none
    sub = invoice["subscription"]
    preview = shop.api.get("/v1/invoices/upcoming", query={"subscription": sub, "price": shop.yearly}).json()
    assert preview["immediate"]["hostedInvoiceUrl"] is None


def test_the_link_opens_the_invoice_without_a_session_and_changes_nothing(shop: Shop, stack: Stack) -> None:
    invoice = open_invoice(shop)
    browser = PortalBrowser(stack.template)
    before = table_items(stack)
    # When someone with no session opens the link
    page = browser.get(path_of(invoice["hostedInvoiceUrl"]))
    # Then they see the invoice: number, buyer, status, totals, in the merchant's brand
    assert page.status == 200, page.text
    assert invoice["number"] in page.text and "Ada Lovelace" in page.text and "Shop GmbH" in page.text
    assert "status-open" in page.text and "€34.51" in page.text
    # And it is not cached, sends no referrer, and runs no script without a gateway
    assert page.header("cache-control") == "no-store" and page.header("referrer-policy") == "no-referrer"
    assert "script-src" not in (page.header("content-security-policy") or "")
    # And the CSRF cookie is __Host-, Secure, HttpOnly, SameSite=Strict
    (cookie,) = [c for c in browser.last_set_cookies if c.name.startswith("__Host-vinr_invoice_")]
    assert {"secure", "httponly"} <= cookie.flags and cookie.attributes["samesite"].lower() == "strict"
    assert cookie.attributes["path"] == "/" and "domain" not in cookie.attributes
    # And viewing wrote nothing
    assert table_items(stack) == before


def test_the_pdf_is_the_apis_pdf_with_the_link_in_its_footer(shop: Shop, stack: Stack) -> None:
    invoice = open_invoice(shop)
    browser = PortalBrowser(stack.template)
    pdf = browser.get(path_of(invoice["hostedInvoiceUrl"]) + "/pdf")
    assert pdf.status == 200 and pdf.header("content-type") == "application/pdf"
    assert pdf.body.startswith(b"%PDF")
    api_pdf = shop.api.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert api_pdf.status == 200
    for document in (pdf.body, api_pdf.body):
        assert invoice["hostedInvoiceUrl"].encode() in document


def test_replacing_the_link_ends_the_old_one(shop: Shop, stack: Stack) -> None:
    invoice = open_invoice(shop)
    old = invoice["hostedInvoiceUrl"]
    # When the merchant replaces the link (idempotently)
    headers = {"Idempotency-Key": "replace-1"}
    replaced = shop.api.post(f"/v1/invoices/{invoice['id']}/hosted_link", {}, headers=headers)
    assert replaced.status == 200, replaced.text
    new = replaced.json()["hostedInvoiceUrl"]
    assert LINK.match(new) and new != old
    repeated = shop.api.post(f"/v1/invoices/{invoice['id']}/hosted_link", {}, headers=headers)
    assert repeated.json()["hostedInvoiceUrl"] == new
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["hostedInvoiceUrl"] == new
    # Then the old link is the expired page (404), the new one opens the invoice
    browser = PortalBrowser(stack.template)
    gone = browser.get(path_of(old))
    assert gone.status == 404 and "This invoice link has expired" in gone.text
    assert invoice["number"] not in gone.text
    assert browser.get(path_of(old) + "/pdf").status == 404
    assert browser.get(path_of(new)).status == 200


def test_a_draft_has_no_link_to_replace_and_another_accounts_invoice_is_not_found(
    shop: Shop, stack: Stack, merchant: ApiClient
) -> None:
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    _, key = stack.new_account()
    other = ApiClient(template=stack.template, key=key)
    assert other.post(f"/v1/invoices/{invoice['id']}/hosted_link", {}).status == 404


def test_the_link_lapses_30_days_after_the_invoice_is_settled(
    shop: Shop, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a paid invoice and a voided one
    paid = shop.invoice(shop.subscribe(shop.customer()).json())
    voided = open_invoice(shop)
    assert shop.api.post(f"/v1/invoices/{voided['id']}/void", {}).status == 200
    browser = PortalBrowser(stack.template)
    settled = clock.from_wire(paid["paidAt"])
    now = clock.now()
    # Then both open until 30 days after they were settled
    monkeypatch.setattr(clock, "now", lambda: max(settled, now) + timedelta(days=29, hours=23))
    assert browser.get(path_of(paid["hostedInvoiceUrl"])).status == 200
    assert browser.get(path_of(voided["hostedInvoiceUrl"])).status == 200
    # And not after
    monkeypatch.setattr(clock, "now", lambda: max(settled, now) + timedelta(days=30, minutes=1))
    assert browser.get(path_of(paid["hostedInvoiceUrl"])).status == 404
    assert browser.get(path_of(voided["hostedInvoiceUrl"])).status == 404


def test_an_open_invoices_link_stays_valid(shop: Shop, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = open_invoice(shop)
    later = clock.now() + timedelta(days=400)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert PortalBrowser(stack.template).get(path_of(invoice["hostedInvoiceUrl"])).status == 200


def test_no_made_up_or_other_accounts_token_opens_anything(shop: Shop, stack: Stack) -> None:
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    token = path_of(invoice["hostedInvoiceUrl"]).removeprefix("/i/")
    browser = PortalBrowser(stack.template)
    # A token of the right shape that no invoice has, one character off, too short, hostile
    for candidate in ("A" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), token[:20], "..%2f..", "<b>"):
        page = browser.get(f"/i/{candidate}")
        assert page.status == 404 and invoice["number"] not in page.text, candidate
    # And a real token on another host than the portal's (or the account's domain) opens nothing
    elsewhere = PortalBrowser(stack.template, host="evil.example.com")
    assert elsewhere.get(path_of(invoice["hostedInvoiceUrl"])).status == 404


def test_paying_is_refused_without_the_cookie_or_the_field(shop: Shop, stack: Stack) -> None:
    invoice = open_invoice(shop)
    path = path_of(invoice["hostedInvoiceUrl"])
    browser = PortalBrowser(stack.template)
    csrf = csrf_of(browser.get(path).text)
    # Without the field
    assert browser.post(f"{path}/pay", {}).status == 403
    # With a wrong field
    assert browser.post(f"{path}/pay", {"csrf": "0" * 64}).status == 403
    # With the field but without the cookie (another site's form: SameSite=Strict keeps it back)
    stranger = PortalBrowser(stack.template)
    assert stranger.post(f"{path}/pay", {"csrf": csrf}).status == 403
    # Another link's token does not pay this one
    other = open_invoice(shop)
    other_csrf = csrf_of(browser.get(path_of(other["hostedInvoiceUrl"])).text)
    assert browser.post(f"{path}/pay", {"csrf": other_csrf}).status == 403
    # And every form of the page (the new card's, the 3-D Secure step's) is refused the same way
    for action in ("pay", "card", "card/setup", "authentication", "complete"):
        assert browser.post(f"{path}/{action}", {"setup_intent": "seti_1"}).status == 403, action
        assert stranger.post(f"{path}/{action}", {"csrf": csrf, "setup_intent": "seti_1"}).status == 403, action
    # Nothing was paid
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["status"] == "open"


def test_paying_with_the_saved_method_writes_invoice_paid_from_the_portal(shop: Shop, stack: Stack) -> None:
    invoice = open_invoice(shop)
    path = path_of(invoice["hostedInvoiceUrl"])
    browser = PortalBrowser(stack.template)
    page = browser.get(path)
    assert "Visa ending in 4242" in page.text
    paid = browser.post(f"{path}/pay", {"csrf": csrf_of(page.text)})
    assert paid.status == 303 and paid.header("location") == f"{path}?done=invoice_paid"
    after = browser.get(paid.header("location") or "")
    assert "The invoice was paid." in after.text and "status-paid" in after.text
    assert f"{path}/pay" not in after.text
    # Then the invoice is paid, with one invoice.paid whose request came from the portal
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["status"] == "paid"
    query = {"customer": invoice["customer"], "type": "invoice.paid"}
    (event,) = shop.api.get("/v1/events", query=query).json()["data"]
    assert event["request"]["source"] == "portal"
    (stored,) = [
        i
        for i in table_items(stack)
        if i.get("sk", {}).get("S") == "EVENT" and i["pk"]["S"].endswith(f"#EVT#{event['id']}")
    ]
    audit = stored["audit"]["M"]
    assert audit["userAgent"]["S"] == "pytest-browser" and audit["ip"]["S"]
    # And paying again does not charge twice
    assert browser.post(f"{path}/pay", {"csrf": csrf_of(page.text)}).status == 303
    assert len(shop.api.get("/v1/events", query=query).json()["data"]) == 1


def test_the_table_holds_no_token(shop: Shop, stack: Stack) -> None:
    invoice = open_invoice(shop)
    replaced = shop.api.post(f"/v1/invoices/{invoice['id']}/hosted_link", {}).json()
    tokens = [path_of(url).removeprefix("/i/") for url in (invoice["hostedInvoiceUrl"], replaced["hostedInvoiceUrl"])]
    dump = json.dumps(table_items(stack))
    for token in tokens:
        assert token not in dump
    # (what it holds is one lookup item per current link, under the token's hash)
    links = [i for i in table_items(stack) if i.get("type", {}).get("S") == "hosted_invoice_link"]
    assert {i["invoice"]["S"] for i in links} >= {invoice["id"]}
    assert sum(1 for i in links if i["invoice"]["S"] == invoice["id"]) == 1


def test_the_page_is_in_the_invoices_language_else_the_browsers(shop: Shop, stack: Stack) -> None:
    customer = shop.customer(preferredLocale="fr")
    invoice = shop.invoice(shop.subscribe(customer).json())
    french = PortalBrowser(stack.template).get(path_of(invoice["hostedInvoiceUrl"]))
    assert '<html lang="fr">' in french.text and "Télécharger le PDF" in french.text
    english = shop.invoice(shop.subscribe(shop.customer()).json())
    german = PortalBrowser(stack.template).get(
        path_of(english["hostedInvoiceUrl"]), headers={"accept-language": "de-DE,de;q=0.9"}
    )
    assert '<html lang="de">' in german.text


def test_events_carry_no_url_and_the_url_is_derived_for_what_is_sent_from_them(shop: Shop, stack: Stack) -> None:
    from billing.invoicing import hostedinvoices
    from billing.kernel.scope import Scope
    from billing.store.repository import Table

    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    (finalized,) = shop.api.get("/v1/events", query={"type": "invoice.finalized", "limit": 1}).json()["data"]
    assert finalized["data"]["object"]["id"] == invoice["id"]
    assert "hostedInvoiceUrl" not in finalized["data"]["object"]
    account = shop.api.get("/v1/account").json()["id"]
    derived = hostedinvoices.hosted_url(Scope(account, "test"), invoice["id"], table=Table())
    assert derived == invoice["hostedInvoiceUrl"]


def test_the_url_is_on_the_accounts_own_domain_when_its_branding_has_one(
    shop: Shop, stack: Stack, dns: RecordsResolver
) -> None:
    # (a domain serves live mode: a live shop's trial invoice, paid at 0 with no gateway)
    live = open_shop(live_client(shop.api))
    verified_domain(live.api, dns, "billing.example.com")
    invoice = live.invoice(ok(live.subscribe(live.customer(token=None), trialDays=14)))
    url = invoice["hostedInvoiceUrl"]
    assert url.startswith("https://billing.example.com/i/")
    # It opens on that host, and on the platform's portal; another host opens nothing
    assert PortalBrowser(stack.template, host="billing.example.com").get(path_of(url)).status == 200
    assert PortalBrowser(stack.template).get(path_of(url)).status == 200
    assert PortalBrowser(stack.template, host="other.example.com").get(path_of(url)).status == 404
    # And the PDF's footer names it
    assert url.encode() in live.api.get(f"/v1/invoices/{invoice['id']}/pdf").body


def test_an_invoice_finalized_before_hosted_links_has_none_until_one_is_made(shop: Shop, stack: Stack) -> None:
    # Given a paid invoice stored as invoices were before hosted links (no link generation, no lookup)
    invoice = shop.invoice(shop.subscribe(shop.customer()).json())
    dynamodb = boto3.client("dynamodb")
    for item in table_items(stack):
        if item.get("type", {}).get("S") == "hosted_invoice_link" and item["invoice"]["S"] == invoice["id"]:
            dynamodb.delete_item(TableName=stack.resources.table_name, Key={"pk": item["pk"], "sk": item["sk"]})
        if item.get("type", {}).get("S") == "invoice" and item["id"]["S"] == invoice["id"]:
            key = {"pk": item["pk"], "sk": item["sk"]}
            dynamodb.update_item(
                TableName=stack.resources.table_name, Key=key, UpdateExpression="REMOVE linkGeneration"
            )
    # Then the API answers no hosted URL (rather than one that opens nothing)
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["hostedInvoiceUrl"] is None
    # When the merchant makes one, it opens the invoice
    made = shop.api.post(f"/v1/invoices/{invoice['id']}/hosted_link")
    assert made.status == 200, made.text
    assert LINK.match(made.json()["hostedInvoiceUrl"])
    page = PortalBrowser(stack.template).get(path_of(made.json()["hostedInvoiceUrl"]))
    assert page.status == 200 and invoice["number"] in page.text
