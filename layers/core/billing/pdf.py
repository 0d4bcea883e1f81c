"""Invoice PDFs (reportlab): seller and buyer with tax IDs, lines, totals, notes, branding.

`render(invoice)` takes the invoice as its wire dict with the seller and buyer snapshots taken
at finalization, so a PDF never changes after the fact. Text is set in Bitstream Vera (shipped
inside reportlab, so the same glyphs on Lambda as here) and escaped for reportlab's markup.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing import clock
from billing.money import exponent

FONT, BOLD = "Vera", "VeraBd"
DEFAULT_ACCENT = "#1F3A5F"
_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    if not _fonts_ready:
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))
        _fonts_ready = True


def money(amount: int, currency: str, locale: str = "en") -> str:
    return str(format_currency(Decimal(amount).scaleb(-exponent(currency)), currency.upper(), locale=locale))


def day(wire_time: str | None, locale: str = "en") -> str:
    if not wire_time:
        return ""
    moment: datetime = clock.from_wire(wire_time)
    return str(format_date(moment.date(), format="medium", locale=locale))


def _text(value: Any) -> str:
    return escape(str(value)) if value not in (None, "") else ""


def country_name(code: str | None, locale: str = "en") -> str | None:
    if not code:
        return None
    return str(Locale.parse(locale).territories.get(code, code))


def _address_lines(party: Mapping[str, Any], locale: str) -> list[str]:
    address = party.get("address") or {}
    city_line = " ".join(p for p in (address.get("postalCode"), address.get("city")) if p)
    country = country_name(address.get("country"), locale)
    parts = [address.get("line1"), address.get("line2"), city_line, address.get("state"), country]
    return [_text(p) for p in parts if p]


def _party(title: str, party: Mapping[str, Any], styles: Mapping[str, ParagraphStyle], locale: str) -> list[Paragraph]:
    lines = [f"<b>{_text(party.get('legalName') or party.get('name'))}</b>", *_address_lines(party, locale)]
    if party.get("email"):
        lines.append(_text(party["email"]))
    for tax_id in party.get("taxIds") or []:
        lines.append(f"{_text(tax_id['type']).upper().replace('_', ' ')}: {_text(tax_id['value'])}")
    if party.get("taxId"):
        lines.append(f"Tax ID: {_text(party['taxId'])}")
    return [Paragraph(title, styles["label"]), Paragraph("<br/>".join(lines), styles["body"])]


def _styles(accent: colors.Color) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, fontSize=7.5, textColor=accent, spaceAfter=2),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=20, leading=24, textColor=accent),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def render(invoice: Mapping[str, Any], branding: Mapping[str, Any] | None = None, locale: str = "en") -> bytes:
    _register_fonts()
    branding = branding or {}
    accent = colors.HexColor(branding.get("accentColor") or DEFAULT_ACCENT)
    styles = _styles(accent)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"Invoice {invoice['number']}",
        author=str(invoice["seller"].get("legalName") or invoice["seller"].get("name")),
    )
    facts = [
        ["Invoice number", _text(invoice["number"])],
        ["Date of issue", day(invoice.get("finalizedAt") or invoice["createdAt"], locale)],
        ["Service period", f"{day(invoice.get('periodStart'), locale)} – {day(invoice.get('periodEnd'), locale)}"],
        ["Status", _text(invoice["status"]).capitalize()],
    ]
    header = Table(
        [
            [Paragraph("Invoice", styles["title"]), _party("FROM", invoice["seller"], styles, locale)],
            [
                Table(
                    facts,
                    style=[
                        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                        ("FONT", (0, 0), (0, -1), BOLD, 8.5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ],
                ),
                _party("BILL TO", invoice["customerDetails"], styles, locale),
            ],
        ],
        colWidths=[95 * mm, 79 * mm],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ],
    )
    story: list[Any] = [header, Spacer(1, 6 * mm), _lines_table(invoice, styles, accent, locale), Spacer(1, 4 * mm)]
    story.append(_totals_table(invoice, styles, accent, locale))
    notes = [n for n in (invoice.get("reverseChargeNote"), invoice.get("footer")) if n]
    for note in notes:
        story += [Spacer(1, 4 * mm), Paragraph(_text(note), styles["body"])]
    links = [
        f"{label}: {_text(branding[key])}"
        for key, label in (("supportUrl", "Support"), ("privacyUrl", "Privacy"), ("termsUrl", "Terms"))
        if branding.get(key)
    ]
    if links:
        story += [Spacer(1, 8 * mm), Paragraph(" · ".join(links), styles["small"])]
    document.build(story)
    return out.getvalue()


def _lines_table(
    invoice: Mapping[str, Any], styles: Mapping[str, ParagraphStyle], accent: colors.Color, locale: str
) -> Table:
    currency = invoice["currency"]
    rows: list[Sequence[Any]] = [["Description", "Qty", "Unit price", "Amount"]]
    for line in invoice["lines"]:
        period = f"{day(line.get('periodStart'), locale)} – {day(line.get('periodEnd'), locale)}"
        description = f"{_text(line['description'])}<br/><font size=7.5 color='#555555'>{period}</font>"
        rows.append(
            [
                Paragraph(description, styles["body"]),
                str(line.get("quantity", 1)),
                money(line["unitAmount"], currency, locale) if line.get("unitAmount") is not None else "",
                money(line["amount"], currency, locale),
            ]
        )
    return Table(
        rows,
        colWidths=[100 * mm, 14 * mm, 30 * mm, 30 * mm],
        repeatRows=1,
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), accent),
                ("FONT", (0, 1), (-1, -1), FONT, 9),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#CCCCCC")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
    )


def _totals_table(
    invoice: Mapping[str, Any], styles: Mapping[str, ParagraphStyle], accent: colors.Color, locale: str
) -> Table:
    currency = invoice["currency"]
    rows: list[list[str]] = [["Subtotal", money(invoice["subtotal"], currency, locale)]]
    if invoice.get("discount"):
        rows.append([_text(invoice.get("discountName") or "Discount"), money(-invoice["discount"], currency, locale)])
    if invoice.get("taxName"):
        rows.append([_text(invoice["taxName"]), money(invoice.get("tax", 0), currency, locale)])
    elif invoice.get("reverseChargeNote"):
        rows.append(["VAT (reverse charge)", money(0, currency, locale)])
    rows.append(["Total", money(invoice["total"], currency, locale)])
    rows.append(["Amount paid", money(invoice.get("amountPaid", 0), currency, locale)])
    rows.append(["Amount due", money(invoice.get("amountDue", 0), currency, locale)])
    last = len(rows) - 1
    return Table(
        rows,
        colWidths=[50 * mm, 30 * mm],
        hAlign="RIGHT",
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (0, last - 2), (-1, last - 2), BOLD, 9.5),
                ("LINEABOVE", (0, last - 2), (-1, last - 2), 0.75, accent),
                ("FONT", (0, last), (-1, last), BOLD, 10),
                ("TEXTCOLOR", (0, last), (-1, last), accent),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
