"""The invoice PDF: what a finance team looks for is on it, as text, escaped."""

from __future__ import annotations

import copy
import io

from pypdf import PdfReader

from billing import pdf
from tests.support.invoices import SAMPLE_BRANDING, SAMPLE_INVOICE


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
        "Amount due",
        "https://demo.example/support",
    ):
        assert expected in text, expected
    metadata = PdfReader(io.BytesIO(document)).metadata
    assert metadata is not None and metadata.title == "Invoice DEMO-0007"


def test_markup_in_names_stays_text() -> None:
    assert "Ada Lovelace <script>x</script>" in text_of(pdf.render(SAMPLE_INVOICE))


def test_reverse_charge_note_and_zero_decimal_currencies() -> None:
    invoice = copy.deepcopy(SAMPLE_INVOICE)
    invoice.update(currency="jpy", taxName=None, tax=0, reverseChargeNote="Reverse charge: VAT to be accounted for")
    text = text_of(pdf.render(invoice))
    assert "VAT (reverse charge)" in text and "Reverse charge: VAT to be accounted for" in text
    assert "¥8,700" in text


def test_money_uses_the_currency_exponent() -> None:
    assert pdf.money(123456, "eur") == "€1,234.56"
    assert pdf.money(500, "jpy") == "¥500"
    assert pdf.money(1234, "kwd").endswith("1.234")  # three decimals
    assert pdf.money(-533, "usd", "de") == "-5,33\xa0$"
