"""The invoice PDF: what a finance team looks for is on it, as text, escaped."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from msgspec.structs import replace
from PIL import Image
from pypdf import PdfReader

from billing.accounts import branding
from billing.accounts.records import Branding
from billing.invoicing import pdf
from billing.invoicing.records import CouponTerms
from tests.support.invoices import SAMPLE_BRANDING, SAMPLE_INVOICE
from tests.support.logos import SIMPLE_SVG, data_uri, jpeg_bytes, png_bytes


def text_of(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def test_the_pdf_names_seller_buyer_tax_ids_lines_and_totals() -> None:
    document = pdf.render(SAMPLE_INVOICE, SAMPLE_BRANDING)
    assert document.startswith(b"%PDF")
    text = text_of(document)
    for expected in (
        "DEMO-0007",
        "Demo Co GmbH",
        "Friedrichstraße 1",
        "Germany",
        "Tax ID: DE136695976",
        "GB VAT: 980780684",
        "Pro plan × 3 seats",
        "€29.00",
        "-€5.33",
        "SAVE20 (20% off)",
        "USt. 19%",
        "€77.75",
        "Amount paid",
        "https://demo.example/support",
    ):
        assert expected in text, expected
    metadata = PdfReader(io.BytesIO(document)).metadata
    assert metadata is not None and metadata.title == "Invoice DEMO-0007"


def test_a_german_invoice_reads_in_german_with_the_merchants_names_as_written() -> None:
    # Given an invoice whose lines keep their parts (a plan of 3 seats and a credit for unused
    # time), a coupon kept in its parts and a credit that paid part of it
    plan, credit = SAMPLE_INVOICE.lines
    german = replace(
        SAMPLE_INVOICE,
        lines=(
            replace(plan, kind="plan", item_description="Pro plan"),
            replace(credit, kind="unused_time", item_description="Basic", at="2026-11-15T00:00:00Z"),
        ),
        discount_terms=CouponTerms(name="SAVE20", percent_off="20"),
        applied_credit=2000,
        amount_paid=5775,
    )
    # When its PDF is made in German
    document = pdf.render(german, SAMPLE_BRANDING, "de")
    text = text_of(document)
    # Then our words are German, the lines are worded in German with German dates and money,
    # and what the merchant wrote (the plan's and the coupon's names) stays as written
    for expected in (
        "Rechnung",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Leistungszeitraum",
        "Bezahlt",
        "VON",
        "RECHNUNGSEMPFÄNGER",
        "Beschreibung",
        "Einzelpreis",
        "Pro plan × 3",
        "Nicht genutzte Zeit für Basic ab dem 15.11.2026",
        "SAVE20 (20 % Rabatt)",
        "Zwischensumme",
        "Angerechnetes Guthaben",
        "Bezahlter Betrag",
        "Hilfe: https://demo.example/support",
        "AGB: https://demo.example/terms",
        "USt-IdNr.: DE136695976",
    ):
        assert expected in text.replace("\xa0", " "), expected
    assert re.search(r"Bezahlter Betrag\s*57,75\s€\s*$", text) and "Offener Betrag" not in text, text
    for english in ("Invoice number", "Amount paid", "BILL TO", "Unused time", "Support:"):
        assert english not in text, english
    metadata = PdfReader(io.BytesIO(document)).metadata
    assert metadata is not None and metadata.title == "Rechnung DEMO-0007"


def test_a_reverse_charged_invoice_says_so_in_spanish() -> None:
    reverse = replace(SAMPLE_INVOICE, tax_name=None, reverse_charge_note="Reverse charge: …")
    text = " ".join(text_of(pdf.render(reverse, SAMPLE_BRANDING, "es")).split())
    assert "IVA (inversión del sujeto pasivo)" in text
    assert "Inversión del sujeto pasivo: el IVA lo liquida el destinatario" in text


def test_credit_that_paid_the_invoice_is_shown_so_the_figures_add_up() -> None:
    # Given an invoice of €77.75 that €20.00 of credit and a €57.75 charge paid
    paid = replace(SAMPLE_INVOICE, applied_credit=2000, amount_paid=5775, amount_remaining=0, status="paid")
    # When its PDF is made
    text = text_of(pdf.render(paid, SAMPLE_BRANDING))
    # Then total, credit applied and the amount paid are all on it, ending on what was paid
    assert re.search(r"Total\s*€77\.75", text), text
    assert re.search(r"Credit applied\s*-€20\.00", text), text
    assert re.search(r"Amount paid\s*€57\.75\s*$", text), text
    # And nothing on it reads as still owed
    assert "Amount due" not in text


def test_an_open_invoice_ends_on_the_amount_due_and_a_paid_one_on_the_amount_paid() -> None:
    # Given the same invoice of €77.75, open with €27.75 paid, then paid in full
    open_invoice = replace(SAMPLE_INVOICE, amount_paid=2775, amount_remaining=5000, status="open")
    paid = replace(SAMPLE_INVOICE, amount_paid=7775, amount_remaining=0, status="paid")
    # Then the open one's last figure is what is due, and the paid one's what was paid
    assert re.search(r"Amount paid\s*€27\.75\s*Amount due\s*€50\.00\s*$", text_of(pdf.render(open_invoice))), "open"
    paid_text = text_of(pdf.render(paid))
    assert re.search(r"Amount paid\s*€77\.75\s*$", paid_text), paid_text
    assert "Amount due" not in paid_text


def test_a_credit_invoice_says_what_went_to_the_balance() -> None:
    line = replace(SAMPLE_INVOICE.lines[0], amount=-1500, quantity=1, discount_amount=0, tax_amount=-285)
    credit = replace(SAMPLE_INVOICE, lines=(line,), amount_paid=0, amount_remaining=0, status="paid")
    text = text_of(pdf.render(credit, SAMPLE_BRANDING))
    assert re.search(r"Total\s*-€17\.85", text), text
    assert re.search(r"Credited to your balance\s*€17\.85", text), text
    assert re.search(r"Amount paid\s*€0\.00\s*$", text) and "Amount due" not in text, text


def test_markup_in_names_stays_text() -> None:
    assert "Ada Lovelace <script>x</script>" in text_of(pdf.render(SAMPLE_INVOICE))


def test_reverse_charge_note_and_zero_decimal_currencies() -> None:
    invoice = replace(
        SAMPLE_INVOICE,
        currency="jpy",
        tax_name=None,
        lines=tuple(replace(line, tax_amount=0) for line in SAMPLE_INVOICE.lines),
        reverse_charge_note="Reverse charge: VAT to be accounted for",
    )
    text = text_of(pdf.render(invoice))
    assert "VAT (reverse charge)" in text and "Reverse charge: VAT to be accounted for" in text
    assert "¥8,700" in text


# ------------------------------------------------------------------ branding
def images_of(document: bytes) -> list[Any]:
    return [image for page in PdfReader(io.BytesIO(document)).pages for image in page.images]


def masthead(document: bytes) -> list[str]:
    """The text lines above the title (the footer, drawn first, is extracted first)."""
    return [line for line in text_of(document).split("\nInvoice\n")[0].splitlines() if ": https://" not in line]


def drawing_ops(document: bytes) -> bytes:
    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(document)).pages)  # type: ignore[union-attr]


def test_the_footer_carries_every_link_on_every_page() -> None:
    invoice = replace(SAMPLE_INVOICE, lines=SAMPLE_INVOICE.lines * 40)  # several pages
    links = replace(SAMPLE_BRANDING, privacy_url="https://demo.example/privacy")
    pages = PdfReader(io.BytesIO(pdf.render(invoice, links))).pages
    assert len(pages) > 1
    for page in pages:
        text = page.extract_text()
        for expected in (
            "Support: https://demo.example/support",
            "Privacy: https://demo.example/privacy",
            "Terms: https://demo.example/terms",
        ):
            assert expected in text


def test_a_very_long_link_is_shortened_in_the_footer_not_spilled() -> None:
    long_url = "https://demo.example/" + "x" * 2000
    text = text_of(pdf.render(SAMPLE_INVOICE, Branding(terms_url=long_url)))
    assert "Terms: https://demo.example/xxx" in text and "…" in text and "x" * 200 not in text


@pytest.mark.parametrize(
    ("mime", "raw"),
    [("image/png", png_bytes(400, 100)), ("image/jpeg", jpeg_bytes(80, 160)), ("image/svg+xml", SIMPLE_SVG)],
)
def test_the_logo_heads_the_page_instead_of_the_name(mime: str, raw: bytes) -> None:
    logo = branding.validate_logo(data_uri(mime, raw))
    document = pdf.render(SAMPLE_INVOICE, replace(SAMPLE_BRANDING, logo=logo))
    if mime == "image/svg+xml":
        # svglib draws vector shapes: the logo's fill colour is in the page's drawing operators
        assert b".760784 .094118 .356863 rg" in drawing_ops(document)  # #C2185B
        assert images_of(document) == []
    else:
        [image] = images_of(document)
        assert image.image is not None and image.image.size == Image.open(io.BytesIO(raw)).size
    assert masthead(document) == []


def test_without_a_logo_the_merchant_name_heads_the_page() -> None:
    document = pdf.render(SAMPLE_INVOICE, SAMPLE_BRANDING)
    assert images_of(document) == []
    assert masthead(document) == ["Demo Co"]


@pytest.mark.parametrize(
    "logo",
    [
        "data:image/png;base64," + base64.b64encode(png_bytes()[:40]).decode(),  # truncated
        "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff" + b"\0" * 50).decode(),
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode(),
        "data:image/gif;base64,R0lGODlh",
        "not a data uri",
    ],
)
def test_a_logo_that_cannot_be_drawn_gives_way_to_the_name(logo: str) -> None:
    document = pdf.render(SAMPLE_INVOICE, replace(SAMPLE_BRANDING, logo=logo))
    assert masthead(document) == ["Demo Co"]


def test_hostile_merchant_name_and_links_stay_text() -> None:
    invoice = replace(SAMPLE_INVOICE, seller={**SAMPLE_INVOICE.seller, "name": "<b>Evil</b> & <font size=40>Co</font>"})
    links = Branding(support_url='https://demo.example/"><a href="javascript:x">?q=<b>&amp;')
    document = pdf.render(invoice, links)
    text = text_of(document)
    assert "<b>Evil</b> & <font size=40>Co</font>" in text
    assert 'https://demo.example/"><a href="javascript:x">?q=<b>&amp;' in text
    annotations = [a.get_object() for page in PdfReader(io.BytesIO(document)).pages for a in page.get("/Annots", [])]
    uris = [a["/A"]["/URI"] for a in annotations if "/A" in a]
    assert uris == ['https://demo.example/"><a href="javascript:x">?q=<b>&amp;']


def text_fills(ops: bytes) -> list[bytes]:
    """The fill colour in effect at each text object (the last `rg` before each `BT`, q/Q ignored)."""
    fills, current = [], b"0 0 0"
    for match in re.finditer(rb"([.\d]+ [.\d]+ [.\d]+) rg|BT\b", ops):
        if match.group(1):
            current = match.group(1)
        else:
            fills.append(current)
    return fills


def test_a_pale_accent_colours_rules_but_not_text() -> None:
    # Given a yellow accent (1.4:1 on white, unreadable as text)
    ops = drawing_ops(pdf.render(SAMPLE_INVOICE, Branding(accent_color="#FFD600")))
    yellow = b"1 .839216 0"
    # Then it strokes the rules and fills the table head, but no text is set in it
    assert yellow + b" RG" in ops and yellow + b" rg" in ops
    assert yellow not in text_fills(ops)
    # And the table head's text is black on it (text_color_for), not white
    assert re.search(rb"1 \.839216 0 rg\n[^\n]* re f\*\n0 0 0 rg\nBT[^\n]*\(Description\)", ops)


def test_a_dark_accent_colours_the_title() -> None:
    ops = drawing_ops(pdf.render(SAMPLE_INVOICE, Branding(accent_color="#0B6E4F")))
    assert b".043137 .431373 .309804" in text_fills(ops)
