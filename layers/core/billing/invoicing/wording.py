"""An invoice's words in a language: its line descriptions, its discount label, the reverse-charge
sentence and the PDF's labels, for the PDF (`billing.invoicing.pdf`) and the portal's invoice page.

A line is worded from its parts (`kind`, the item's own description, its quantity, the instant
of a change); a line stored before it kept them reads as its stored (English) text. What the
merchant wrote (a price's or a coupon's name) stays as written. Dates and money are Babel's, in
the same locale. Translations are `locales/<lang>/invoice.po` (German, French, Spanish), read
when a language is first asked for; English is the source language and needs no catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from billing.invoicing.records import Invoice, InvoiceLine
from billing.kernel import formatting

LOCALES = ("en", "de", "fr", "es")
DEFAULT = "en"
CATALOGS = Path(__file__).parent / "locales"


def N_(message: str) -> str:
    """Marks `message` for the catalogs (translated where it is shown)."""
    return message


LINE_WORDS = {
    "plan": N_("%(item)s × %(quantity)s"),  # one of an item shows its name alone
    "trial": N_("Trial period for %(item)s"),
    "unused_time": N_("Unused time on %(item)s after %(date)s"),
    "remaining_time": N_("Remaining time on %(item)s after %(date)s"),
}
PERCENT_OFF = N_("%(percent)s off")
AMOUNT_OFF = N_("%(amount)s off")
REVERSE_CHARGE = N_(
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
)
STATUSES = {
    "draft": N_("Draft"),
    "open": N_("Open"),
    "paid": N_("Paid"),
    "void": N_("Void"),
    "uncollectible": N_("Uncollectible"),
}


def language(locale: str | None) -> str:
    """`de` for `de`, `de-DE` or `de_AT`; English for none or one we do not write in."""
    found = (locale or "").replace("_", "-").split("-")[0].lower()
    return found if found in LOCALES else DEFAULT


@lru_cache(maxsize=len(LOCALES))
def _catalog(locale: str) -> dict[str, str]:
    if locale == DEFAULT:
        return {}
    from babel.messages.pofile import read_po  # only when a language other than English is asked

    with (CATALOGS / locale / "invoice.po").open("rb") as source:
        catalog = read_po(source, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def translate(message: str, locale: str | None, **values: Any) -> str:
    """`message` in `locale`, with its `%(name)s` filled."""
    text = _catalog(language(locale)).get(message, message)
    return text % values if values else text


def gettext_for(locale: str | None) -> Callable[..., str]:
    """`_(message, **values)` in `locale`."""
    chosen = language(locale)

    def gettext(message: str, **values: Any) -> str:
        return translate(message, chosen, **values)

    return gettext


def line_description(line: InvoiceLine, locale: str | None) -> str:
    """What the line is, in `locale`: "Pro × 3", "Unused time on Basic after Dec 2, 2026"."""
    if line.kind not in LINE_WORDS or line.item_description is None:
        return line.description
    if line.kind == "plan" and line.quantity <= 1:
        return line.item_description
    chosen = language(locale)
    return translate(
        LINE_WORDS[line.kind],
        chosen,
        item=line.item_description,
        quantity=line.quantity,
        date=formatting.day(line.at or line.period_start, chosen),
    )


def _percent(value: str, locale: str) -> str:
    from babel.numbers import format_percent

    # the locale's pattern ("20 %" in German), without rounding 12.5 to 13
    return str(format_percent(Decimal(value) / 100, locale=locale, decimal_quantization=False))


def discount_label(invoice: Invoice, locale: str | None) -> str | None:
    """The coupon's name as the merchant wrote it, with what it takes off in `locale`:
    "Save 20 (20 % Rabatt)", "Five off (5,00 € de réduction)"; the stored label on an invoice
    made before the parts were kept."""
    terms = invoice.discount_terms
    if terms is None:
        return invoice.discount_name
    chosen = language(locale)
    if terms.percent_off is not None:
        off = translate(PERCENT_OFF, chosen, percent=_percent(terms.percent_off, chosen))
    elif terms.amount_off is not None:
        off = translate(AMOUNT_OFF, chosen, amount=formatting.money(terms.amount_off, invoice.currency, chosen))
    else:
        return terms.name
    return f"{terms.name} ({off})"


def reverse_charge_note(invoice: Invoice, locale: str | None) -> str | None:
    """The reverse-charge sentence in `locale`, on an invoice that is reverse charged."""
    return translate(REVERSE_CHARGE, locale) if invoice.reverse_charge_note else None


def status_label(status: str, locale: str | None) -> str:
    return translate(STATUSES[status], locale) if status in STATUSES else status
