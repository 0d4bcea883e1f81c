"""Invoice PDFs (reportlab): seller and buyer with tax IDs, lines, totals, notes, branding.

`render(invoice, branding)` takes the invoice record with the seller and buyer snapshots taken
when it was made, so a PDF never changes after the fact. Text is set in Bitstream Vera (shipped
inside reportlab, so the same glyphs on Lambda as here) and escaped for reportlab's markup.

Branding (the record of `billing.accounts.branding`): the logo heads the page, scaled into a
fixed box keeping its aspect ratio, in the form `billing.invoicing.pdflogo` prepared once per
logo (SVG through svglib, PNG/JPEG scaled to print size; the logo was sanitised and bounded
when it was stored). A logo that cannot be drawn gives way to the merchant's name. The accent
colour draws the rule under the header, the title, the table head and the totals; the support,
privacy and terms links sit in every page's footer, under the invoice's hosted link
(`billing.invoicing.hostedlinks`), written out whole so that a printed copy still leads to it.

Every word of ours on it is in `locale` (`billing.invoicing.wording`, which also words the lines,
the discount and the reverse-charge sentence); what the merchant wrote stays as written.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from babel import Locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.accounts import brandreads
from billing.accounts.records import Branding
from billing.invoicing import hostedlinks, pdflogo, wording
from billing.invoicing.records import Invoice
from billing.invoicing.wording import N_
from billing.kernel.formatting import day, money
from billing.kernel.scope import Scope
from billing.store import repository

FONT, BOLD = "Vera", "VeraBd"
DEFAULT_ACCENT = "#1F3A5F"
FOOTER_LINKS = (("support_url", N_("Support")), ("privacy_url", N_("Privacy")), ("terms_url", N_("Terms")))
MAX_SHOWN_URL = 60  # three shortened links fit in the bottom margin (two lines at most)
MIN_TEXT_CONTRAST = 4.5  # WCAG AA for body text: a paler accent colours rules and bands, not text
CONTENT_WIDTH = 174 * mm  # A4 less the margins: the width of the header, lines and footer
_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    if not _fonts_ready:
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))
        _fonts_ready = True


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
    _ = wording.gettext_for(locale)
    lines = [f"<b>{_text(party.get('legalName') or party.get('name'))}</b>", *_address_lines(party, locale)]
    if party.get("email"):
        lines.append(_text(party["email"]))
    for tax_id in party.get("taxIds") or []:
        lines.append(f"{_text(tax_id['type']).upper().replace('_', ' ')}: {_text(tax_id['value'])}")
    if party.get("taxId"):
        label = _("Tax ID")
        lines.append(f"{_text(label)}: {_text(party['taxId'])}")
    return [Paragraph(title, styles["label"]), Paragraph("<br/>".join(lines), styles["body"])]


def _styles(ink: colors.Color) -> dict[str, ParagraphStyle]:
    """`ink`: the accent where it reads well as text on white, black where it does not."""
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, fontSize=7.5, textColor=ink, spaceAfter=2),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=20, leading=24, textColor=ink),
        "brand": ParagraphStyle("brand", parent=base, fontName=BOLD, fontSize=16, leading=20, textColor=ink),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def _masthead(seller: Mapping[str, Any], branding: Branding, styles: Mapping[str, ParagraphStyle]) -> Flowable:
    """The logo in its box, or the merchant's name when there is none (or it cannot be drawn)."""
    logo = pdflogo.prepared(branding)
    if logo is not None:
        return logo.flowable()
    return Paragraph(_text(seller.get("name") or seller.get("legalName")), styles["brand"])


def _footer(
    branding: Branding,
    styles: Mapping[str, ParagraphStyle],
    accent: colors.Color,
    _: Callable[..., str],
    hosted_url: str | None = None,
) -> Any:
    """Draws the hosted link, and the support, privacy and terms links, at the foot of each page."""
    lines = []
    if hosted_url:
        href = escape(hosted_url, {'"': "&quot;"})
        lines.append(f'{_text(_("View and pay this invoice online"))}: <a href="{href}">{_text(hosted_url)}</a>')
    links = []
    for field, label in FOOTER_LINKS:
        url = getattr(branding, field)
        if url:
            shown = url if len(url) <= MAX_SHOWN_URL else url[: MAX_SHOWN_URL - 1] + "…"
            href = escape(str(url), {'"': "&quot;"})
            links.append(f'{_text(_(label))}: <a href="{href}">{_text(shown)}</a>')

    if links:
        lines.append(" · ".join(links))

    def draw(canvas: Canvas, document: SimpleDocTemplate) -> None:
        if not lines:
            return
        canvas.saveState()
        left, width = document.leftMargin, document.width
        footer = Paragraph("<br/>".join(lines), styles["small"])
        _, height = footer.wrap(width, document.bottomMargin)
        top = document.bottomMargin - 4 * mm
        canvas.setStrokeColor(accent)
        canvas.setLineWidth(0.75)
        canvas.line(left, top, left + width, top)
        footer.drawOn(canvas, left, top - 2 * mm - height)
        canvas.restoreState()

    return draw


def invoice_document(scope: Scope, invoice: Invoice, locale: str = "en", *, table: repository.Table) -> bytes:
    """The PDF of a stored invoice in its account's branding, with its hosted link on the
    account's portal host: what `GET /v1/invoices/{id}/pdf` answers, and the portal's download."""
    brand = brandreads.get_branding(scope, table=table)
    hosted_url = hostedlinks.url(scope, invoice, hostedlinks.portal_base(brand.portal_domain))
    return render(invoice, brand, locale, hosted_url=hosted_url)


def render(
    invoice: Invoice, branding: Branding | None = None, locale: str = "en", *, hosted_url: str | None = None
) -> bytes:
    """The PDF of `invoice` in `branding`, its words in `locale`, `hosted_url` in its footer."""
    _register_fonts()
    locale = wording.language(locale)
    _ = wording.gettext_for(locale)
    accent_hex = branding.accent_color if branding is not None else DEFAULT_ACCENT
    branding = branding or Branding()
    accent = colors.HexColor(accent_hex)
    legible = brandreads.contrast_ratio(accent_hex, "#FFFFFF") >= MIN_TEXT_CONTRAST
    ink = accent if legible else colors.black
    styles = _styles(ink)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=_("Invoice %(number)s", number=invoice.number or invoice.id),
        author=str(invoice.seller.get("legalName") or invoice.seller.get("name")),
    )
    facts = [
        [_("Invoice number"), _text(invoice.number)],
        [_("Date of issue"), day(invoice.finalized_at or invoice.created_at, locale)],
        [_("Service period"), f"{day(invoice.period_start, locale)} – {day(invoice.period_end, locale)}"],
        [_("Status"), wording.status_label(invoice.status, locale)],
    ]
    header = Table(
        [
            [Paragraph(_text(_("Invoice")), styles["title"]), _party(_("FROM"), invoice.seller, styles, locale)],
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
                _party(_("BILL TO"), invoice.customer_details, styles, locale),
            ],
        ],
        colWidths=[95 * mm, 79 * mm],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ],
    )
    story: list[Any] = [
        Table(
            [[_masthead(invoice.seller, branding, styles)]],
            colWidths=[CONTENT_WIDTH],
            style=[
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
                ("LINEBELOW", (0, 0), (-1, -1), 2, accent),
            ],
        ),
        Spacer(1, 5 * mm),
        header,
        Spacer(1, 6 * mm),
        _lines_table(invoice, styles, accent, colors.HexColor(brandreads.text_color_for(accent_hex)), locale),
        Spacer(1, 4 * mm),
    ]
    story.append(_totals_table(invoice, styles, accent, ink, locale))
    note = wording.reverse_charge_note(invoice, locale)
    if note:
        story += [Spacer(1, 4 * mm), Paragraph(_text(note), styles["body"])]
    footer = _footer(branding, styles, accent, _, hosted_url)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _lines_table(
    invoice: Invoice,
    styles: Mapping[str, ParagraphStyle],
    accent: colors.Color,
    on_accent: colors.Color,
    locale: str,
) -> Table:
    currency = invoice.currency
    _ = wording.gettext_for(locale)
    rows: list[Sequence[Any]] = [[_("Description"), _("Qty"), _("Unit price"), _("Amount")]]
    for line in invoice.lines:
        period = f"{day(line.period_start, locale)} – {day(line.period_end, locale)}"
        worded = wording.line_description(line, locale)
        description = f"{_text(worded)}<br/><font size=7.5 color='#555555'>{period}</font>"
        rows.append(
            [
                Paragraph(description, styles["body"]),
                str(line.quantity),
                money(line.unit_amount, currency, locale) if line.unit_amount is not None else "",
                money(line.amount, currency, locale),
            ]
        )
    return Table(
        rows,
        colWidths=[100 * mm, 14 * mm, 30 * mm, 30 * mm],
        repeatRows=1,
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), on_accent),
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
    invoice: Invoice,
    styles: Mapping[str, ParagraphStyle],
    accent: colors.Color,
    ink: colors.Color,
    locale: str,
) -> Table:
    currency = invoice.currency
    _ = wording.gettext_for(locale)
    rows: list[list[str]] = [[_("Subtotal"), money(invoice.subtotal, currency, locale)]]
    if invoice.discount:
        label = wording.discount_label(invoice, locale) or _("Discount")
        rows.append([label, money(-invoice.discount, currency, locale)])  # a cell's text is not markup
    if invoice.tax_name:
        rows.append([_text(invoice.tax_name), money(invoice.tax, currency, locale)])
    elif invoice.reverse_charge_note:
        rows.append([_("VAT (reverse charge)"), money(0, currency, locale)])
    total_row = len(rows)
    rows.append([_("Total"), money(invoice.total, currency, locale)])
    # What paid the total, so the figures add up: the customer's credit, then the charge.
    if invoice.applied_credit:
        rows.append([_("Credit applied"), money(-invoice.applied_credit, currency, locale)])
    if invoice.credited_to_customer:
        rows.append([_("Credited to your balance"), money(invoice.credited_to_customer, currency, locale)])
    rows.append([_("Amount paid"), money(invoice.amount_paid, currency, locale)])
    # A paid invoice ends on what was paid: an emphasised "Amount due" read as money still owed.
    if invoice.status != "paid":
        rows.append([_("Amount due"), money(invoice.amount_remaining, currency, locale)])
    last = len(rows) - 1
    return Table(
        rows,
        colWidths=[50 * mm, 30 * mm],
        hAlign="RIGHT",
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (0, total_row), (-1, total_row), BOLD, 9.5),
                ("LINEABOVE", (0, total_row), (-1, total_row), 0.75, accent),
                ("FONT", (0, last), (-1, last), BOLD, 10),
                ("TEXTCOLOR", (0, last), (-1, last), ink),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
