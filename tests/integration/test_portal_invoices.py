"""Invoice history in the portal: the list (paged), one invoice with its lines and totals, and
the same PDF the API answers, only ever for the session's own customer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from billing.invoicing import invoices as invoice_service
from billing.kernel import clock
from billing.store.repository import Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.functions import import_function_module
from tests.support.portalbrowser import PortalBrowser
from tests.support.shop import Shop


def mint(api: ApiClient, customer: str, **fields: Any) -> str:
    body = {"customer": customer, "returnUrl": "https://app.example.com/", **fields}
    response = api.post("/v1/billing/portal_sessions", body)
    assert response.status == 200, response.text
    return str(response.json()["url"])


def signed_in(stack: Stack, api: ApiClient, customer: str, **fields: Any) -> PortalBrowser:
    browser = PortalBrowser(stack.template)
    assert browser.open_link(mint(api, customer, **fields)).status == 200
    return browser


def configuration(api: ApiClient, features: dict[str, Any]) -> str:
    created = api.post("/v1/billing/portal_configurations", {"name": "restricted", "features": features})
    assert created.status == 200, created.text
    return str(created.json()["id"])


def test_the_list_shows_number_date_total_and_status_newest_first(shop: Shop, stack: Stack) -> None:
    # Given a customer with a monthly and a yearly subscription: two invoices
    customer = shop.customer(name="Ada Lovelace")
    first = shop.invoice(shop.subscribe(customer).json())
    second = shop.invoice(shop.subscribe(customer, items=[{"price": shop.yearly}]).json())
    # When the customer opens the invoice history
    page = signed_in(stack, shop.api, customer).get("/invoices")
    # Then both are listed with number, total and status, the newest first
    assert page.status == 200
    text = page.text
    assert text.index(second["number"]) < text.index(first["number"])
    assert f'href="/invoices/{first["id"]}"' in text and f'href="/invoices/{second["id"]}"' in text
    assert "€34.51" in text and "€345.10" in text
    assert "status-paid" in text and "Paid" in text
    assert "Older invoices" not in text


def test_the_list_pages_with_older_invoices(shop: Shop, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given three invoices and a page size of two
    customer = shop.customer()
    made = [shop.invoice(shop.subscribe(customer).json()) for _ in range(3)]
    portal_invoices = import_function_module("portal", "portal_site.invoices")
    monkeypatch.setattr(portal_invoices, "PAGE_SIZE", 2)
    browser = signed_in(stack, shop.api, customer)
    # When the customer opens the list, then follows "Older invoices"
    first = browser.get("/invoices")
    link = re.search(r'href="(/invoices\?after=inv_[A-Za-z0-9]+)"', first.text)
    assert link, first.text
    older = browser.get(link.group(1).replace("&amp;", "&"))
    # Then the first page holds the two newest, the second the oldest, and links back
    assert made[2]["number"] in first.text and made[1]["number"] in first.text
    assert made[0]["number"] not in first.text
    assert made[0]["number"] in older.text and made[2]["number"] not in older.text
    assert 'href="/invoices"' in older.text and "Older invoices" not in older.text
    # And the same service as the API's list: it agrees with `GET /v1/invoices?customer=`
    api = shop.api.get("/v1/invoices", query={"customer": customer, "limit": 2}).json()
    assert [i["id"] for i in api["data"]] == [made[2]["id"], made[1]["id"]]
    # And a malformed cursor is a 404, not a 500
    assert browser.get("/invoices?after=%3Cscript%3E").status == 404


def test_an_invoice_shows_its_lines_totals_seller_and_buyer(shop: Shop, stack: Stack) -> None:
    # Given an invoice for two seats with a coupon, for a customer in Berlin
    coupon = shop.api.post("/v1/coupons", {"id": "SAVE10", "percentOff": 10, "duration": "forever"})
    assert coupon.status == 200, coupon.text
    customer = shop.customer(
        name="Ada <b>Lovelace</b>",
        email="ada@example.com",
        address={"line1": "Unter den Linden 5", "postalCode": "10117", "city": "Berlin", "country": "DE"},
    )
    sub = shop.subscribe(customer, items=[{"price": shop.monthly, "quantity": 2}], coupon="SAVE10").json()
    invoice = shop.invoice(sub)
    # When the customer opens it
    page = signed_in(stack, shop.api, customer).get(f"/invoices/{invoice['id']}")
    # Then its lines, totals, parties and download link show, escaped
    assert page.status == 200, page.text
    text = page.text
    assert f"Invoice {invoice['number']}" in text
    assert "Quantity 2 × €29.00" in text and "€58.00" in text
    assert "Discount −€5.80" in text or "Discount -€5.80" in text
    assert "Subtotal" in text and "Tax: USt. 19%" in text
    assert f"{invoice['total'] / 100:.2f}" in text
    assert "Amount paid" in text and "Amount due" in text
    assert "Shop GmbH" in text and "VAT number: DE136695976" in text
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in text and "<b>Lovelace" not in text
    assert "Germany" in text and "Unter den Linden 5" in text
    assert f'href="/invoices/{invoice["id"]}/pdf"' in text
    # And a paid invoice offers no payment
    assert f"/invoices/{invoice['id']}/pay" not in text


def test_a_reverse_charge_invoice_shows_the_note_instead_of_tax(shop: Shop, stack: Stack) -> None:
    # Given a French business customer with an EU VAT number (reverse charge from Germany)
    customer = shop.customer(country="FR")
    added = shop.api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "FR40303265045"})
    assert added.status == 200, added.text
    invoice = shop.invoice(shop.subscribe(customer).json())
    # When the customer opens the invoice
    text = signed_in(stack, shop.api, customer).get(f"/invoices/{invoice['id']}").text
    # Then the reverse-charge line and note replace the tax, and the buyer's VAT number shows
    assert "VAT (reverse charge)" in text and 'data-testid="reverse-charge"' in text
    assert "Tax: " not in text
    assert "EU VAT number: FR40303265045" in text


def test_a_french_session_reads_line_descriptions_and_the_discount_in_french(
    shop: Shop, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a customer with a "Bienvenue" coupon (20 % off) who went from 1 to 3 seats mid-May
    moment = {"now": datetime(2026, 5, 1, tzinfo=UTC)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    coupon = shop.api.post("/v1/coupons", {"name": "Bienvenue", "percentOff": 20, "duration": "forever"})
    assert coupon.status == 200, coupon.text
    customer = shop.customer()
    sub = shop.subscribe(customer, coupon=coupon.json()["id"]).json()
    first = shop.invoice(sub)
    moment["now"] = datetime(2026, 5, 16, 12, tzinfo=UTC)
    changed = shop.api.post(
        f"/v1/subscriptions/{sub['id']}",
        {"items": [{"price": shop.monthly, "quantity": 3}], "prorationBehavior": "always_invoice"},
    )
    assert changed.status == 200, changed.text
    change = shop.invoice(changed.json())
    # When the customer opens both invoices in a French session
    browser = signed_in(stack, shop.api, customer, locale="fr")
    change_page = browser.get(f"/invoices/{change['id']}").text
    first_page = browser.get(f"/invoices/{first['id']}").text
    # Then the change's lines are worded in French, with French dates
    descriptions = re.findall(r'<span class="line-description">([^<]*)</span>', change_page)
    assert descriptions == [
        "Temps non utilisé sur Pro après le 16 mai 2026",
        "Temps restant sur Pro après le 16 mai 2026",
    ]
    # And the coupon keeps its name, with what it takes off in French
    assert '<th scope="row">Bienvenue (20\xa0% de réduction)</th>' in first_page
    assert re.findall(r'<span class="line-description">([^<]*)</span>', first_page) == ["Pro"]
    # While the API's descriptions stay English
    assert change["lines"][0]["description"] == "Unused time on Pro after 16 May 2026"


def test_an_open_invoice_offers_payment_when_payment_methods_are_enabled(shop: Shop, stack: Stack) -> None:
    # Given an invoice left open by a declined card
    customer = shop.customer(token="tok_chargeDeclined")
    invoice = shop.invoice(shop.subscribe(customer).json())
    assert invoice["status"] == "open"
    # When the customer opens it
    browser = signed_in(stack, shop.api, customer)
    page = browser.get(f"/invoices/{invoice['id']}")
    # Then it says why and offers to pay it, through a form with the CSRF token
    assert "status-open" in page.text and 'data-testid="payment-error"' in page.text
    form = re.search(
        rf'<form method="post" action="/invoices/{invoice["id"]}/pay"[^>]*>\s*<input[^>]+name="csrf"', page.text
    )
    assert form, page.text
    # And without the payment-method feature there is no such form
    config = configuration(shop.api, {"paymentMethodUpdate": {"enabled": False}})
    other = signed_in(stack, shop.api, customer, configuration=config)
    assert f"/invoices/{invoice['id']}/pay" not in other.get(f"/invoices/{invoice['id']}").text


def test_the_pdf_is_the_apis_pdf_as_a_download(shop: Shop, stack: Stack) -> None:
    # Given an invoice, and the PDF the API's invoice function answers for it
    customer = shop.customer(name="Ada Lovelace")
    invoice = shop.invoice(shop.subscribe(customer).json())
    api_pdf = shop.api.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert api_pdf.status == 200
    # When the customer downloads it from the portal
    pdf = signed_in(stack, shop.api, customer).get(f"/invoices/{invoice['id']}/pdf")
    # Then it is a PDF attachment named by the invoice number, with the same content
    assert pdf.status == 200
    assert pdf.header("content-type") == "application/pdf"
    assert pdf.header("content-disposition") == f'attachment; filename="{invoice["number"]}.pdf"'
    assert pdf.body.startswith(b"%PDF") and invoice["number"].encode() in api_pdf.body
    assert strip_volatile(pdf.body) == strip_volatile(api_pdf.body)


def strip_volatile(document: bytes) -> bytes:
    """A PDF without its creation time and document ID (which differ between two renderings)."""
    document = re.sub(rb"/(CreationDate|ModDate) \([^)]*\)", b"", document)
    return re.sub(rb"/ID\s*\[[^\]]*\]", b"", document)


def test_the_pdf_is_rendered_in_the_sessions_language(shop: Shop, stack: Stack) -> None:
    # Given an invoice and a German session
    customer = shop.customer()
    invoice = shop.invoice(shop.subscribe(customer).json())
    browser = signed_in(stack, shop.api, customer, locale="de")
    # When the PDF is rendered for the download
    pdf = browser.get(f"/invoices/{invoice['id']}/pdf")
    # Then it matches the core's German rendering of that invoice
    from billing.invoicing import pdf as pdf_service
    from billing.kernel.scope import Scope

    account = shop.api.get("/v1/account").json()["id"]
    scope = Scope(account, "test")
    german = pdf_service.invoice_document(
        scope, invoice_service.get(scope, invoice["id"], table=Table()), "de", table=Table()
    )
    assert strip_volatile(pdf.body) == strip_volatile(german)


def test_the_invoice_pages_in_german(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    invoice = shop.invoice(shop.subscribe(customer).json())
    browser = signed_in(stack, shop.api, customer, locale="de")
    listing = browser.get("/invoices").text
    assert "Rechnungen" in listing and "Bezahlt" in listing and "34,51\xa0€" in listing
    detail = browser.get(f"/invoices/{invoice['id']}").text
    assert "Zwischensumme" in detail and "PDF herunterladen" in detail and "Deutschland" in detail


def test_another_customers_and_unknown_invoices_are_not_found(merchant: ApiClient, shop: Shop, stack: Stack) -> None:
    # Given two customers of one merchant, and a customer of another merchant
    mine = shop.customer(name="Mine")
    theirs = shop.customer(name="Theirs")
    their_invoice = shop.invoice(shop.subscribe(theirs).json())
    _, other_key = stack.new_account()
    other_shop = ApiClient(stack.template, key=other_key)
    from tests.support.shop import open_shop

    elsewhere = open_shop(other_shop)
    foreign = elsewhere.invoice(elsewhere.subscribe(elsewhere.customer()).json())
    browser = signed_in(stack, shop.api, mine)
    # When my session asks for their invoices, an unknown one, or a malformed ID
    for invoice_id in (their_invoice["id"], foreign["id"], "inv_doesnotexist", "<script>"):
        for suffix in ("", "/pdf"):
            response = browser.get(f"/invoices/{invoice_id}{suffix}")
            # Then each is the same 404, which names nothing of theirs
            assert response.status == 404, (invoice_id, suffix)
            assert "Theirs" not in response.text and their_invoice["number"] not in response.text
    # And their invoices are not in my list
    assert their_invoice["number"] not in browser.get("/invoices").text


def test_a_disabled_invoice_history_is_not_found(shop: Shop, stack: Stack) -> None:
    # Given a configuration without invoice history
    customer = shop.customer()
    invoice = shop.invoice(shop.subscribe(customer).json())
    config = configuration(shop.api, {"invoiceHistory": {"enabled": False}})
    browser = signed_in(stack, shop.api, customer, configuration=config)
    # Then every invoice route is a 404 and the navigation does not offer it
    for path in ("/invoices", f"/invoices/{invoice['id']}", f"/invoices/{invoice['id']}/pdf"):
        assert browser.get(path).status == 404, path
    assert 'href="/invoices"' not in browser.get("/").text


def test_the_invoice_pages_need_a_session(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    invoice = shop.invoice(shop.subscribe(customer).json())
    for path in ("/invoices", f"/invoices/{invoice['id']}", f"/invoices/{invoice['id']}/pdf"):
        assert PortalBrowser(stack.template).get(path).status == 410, path


def test_the_portal_modules_do_not_load_reportlab_for_other_pages() -> None:
    import ast
    from pathlib import Path

    source = Path("functions/portal/portal_site/invoices.py").read_text()
    top_level = [n for n in ast.parse(source).body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all("pdf" not in ast.unparse(n) for n in top_level)
