# ruff: noqa: E501  (sentences and inline styles read better whole)
"""The one email layout, as HTML and plain text: the brand's header, a heading, paragraphs, a
table of figures, buttons, and the brand's footer.

The core may not import Jinja2, so this small template module builds the HTML itself, and every
piece of text and every URL passes through `_text`/`_url` (HTML-escaped) on its way in: nothing
a merchant or a customer typed can become markup. Links are http(s) only.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

import msgspec

from billing.emails.wording import phrase


class Brand(msgspec.Struct, frozen=True, kw_only=True):
    """What an email wears: the merchant's name, colours, logo and footer links."""

    merchant: str
    accent: str = "#635BFF"
    text_on_accent: str = "#FFFFFF"
    logo_url: str | None = None
    support_url: str | None = None
    support_email: str | None = None
    terms_url: str | None = None
    privacy_url: str | None = None


class Content(msgspec.Struct, frozen=True, kw_only=True):
    """What one email says, already in its language."""

    locale: str
    subject: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    code: str | None = None
    rows: tuple[tuple[str, str], ...] = ()  # (description, amount) lines
    totals: tuple[tuple[str, str], ...] = ()  # (label, value), the last one stands out
    actions: tuple[tuple[str, str], ...] = ()  # (label, URL) buttons, the first one filled
    after: tuple[str, ...] = ()  # paragraphs below the buttons


def _text(value: str) -> str:
    return escape(value, quote=True)


def _url(value: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None (never a javascript: or data: link)."""
    if not value:
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("https", "http") and parts.netloc else None


def _color(value: str, fallback: str) -> str:
    return (
        value
        if len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
        else fallback
    )


def html(content: Content, brand: Brand) -> str:
    accent = _color(brand.accent, "#635BFF")
    on_accent = _color(brand.text_on_accent, "#FFFFFF")
    logo_url = _url(brand.logo_url)
    header = (
        f'<img src="{_text(logo_url)}" alt="{_text(brand.merchant)}" height="40" style="max-height:40px;border:0">'
        if logo_url
        else f'<span style="font-size:20px;font-weight:600;color:{on_accent}">{_text(brand.merchant)}</span>'
    )
    header_style = "background:#ffffff" if logo_url else f"background:{accent}"
    body = [f'<h1 style="margin:0 0 16px;font-size:22px;color:#1a1a1a">{_text(content.heading)}</h1>']
    body += [f'<p style="margin:0 0 12px">{_text(p)}</p>' for p in content.paragraphs]
    if content.code:
        body.append(
            f'<p style="margin:16px 0;font-size:32px;font-weight:700;letter-spacing:6px;color:#1a1a1a">{_text(content.code)}</p>'
        )
    if content.rows or content.totals:
        body.append('<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:16px 0">')
        for description, amount in content.rows:
            body.append(
                f'<tr><td style="padding:6px 0;border-bottom:1px solid #eeeeee">{_text(description)}</td>'
                f'<td style="padding:6px 0;border-bottom:1px solid #eeeeee;text-align:right;white-space:nowrap">{_text(amount)}</td></tr>'
            )
        for n, (label, value) in enumerate(content.totals):
            weight = "700" if n == len(content.totals) - 1 else "400"
            body.append(
                f'<tr><td style="padding:6px 0;font-weight:{weight}">{_text(label)}</td>'
                f'<td style="padding:6px 0;text-align:right;font-weight:{weight};white-space:nowrap">{_text(value)}</td></tr>'
            )
        body.append("</table>")
    for n, (label, link) in enumerate(content.actions):
        safe = _url(link)
        if safe is None:
            continue
        style = (
            f"background:{accent};color:{on_accent};border:1px solid {accent}"
            if n == 0
            else f"background:#ffffff;color:{accent};border:1px solid {accent}"
        )
        body.append(
            f'<p style="margin:16px 0"><a href="{_text(safe)}" style="{style};display:inline-block;padding:10px 18px;'
            f'border-radius:6px;text-decoration:none;font-weight:600">{_text(label)}</a></p>'
        )
    body += [f'<p style="margin:12px 0 0;color:#555555">{_text(p)}</p>' for p in content.after]
    question = _footer_question(content, brand)
    footer = " &middot; ".join(
        f'<a href="{_text(link)}" style="color:#555555">{_text(label)}</a>'
        for label, link in _footer_links(content, brand)
    )
    return (
        f'<!DOCTYPE html><html lang="{_text(content.locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_text(content.subject)}</title></head>"
        '<body style="margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;'
        'font-size:15px;line-height:1.5;color:#333333">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;'
        f'border-radius:8px;overflow:hidden;border-top:4px solid {accent}">'
        f'<tr><td style="padding:20px 28px;{header_style}">{header}</td></tr>'
        f'<tr><td style="padding:8px 28px 24px">{"".join(body)}</td></tr>'
        f'<tr><td style="padding:16px 28px;background:#fafafa;color:#555555;font-size:13px">'
        + (f'<p style="margin:0 0 6px">{_text(question)}</p>' if question else "")
        + (f'<p style="margin:0 0 6px">{footer}</p>' if footer else "")
        + f'<p style="margin:0">{_text(phrase(content.locale, "footer.sent_for", merchant=brand.merchant))}</p>'
        "</td></tr></table></td></tr></table></body></html>"
    )


def text(content: Content, brand: Brand) -> str:
    lines = [brand.merchant, "", content.heading, ""]
    for paragraph in content.paragraphs:
        lines += [paragraph, ""]
    if content.code:
        lines += [f"    {content.code}", ""]
    if content.rows or content.totals:
        lines += [f"{description}: {amount}" for description, amount in content.rows]
        lines += [f"{label}: {value}" for label, value in content.totals]
        lines.append("")
    for label, link in content.actions:
        safe = _url(link)
        if safe:
            lines += [f"{label}: {safe}", ""]
    for paragraph in content.after:
        lines += [paragraph, ""]
    lines.append("--")
    question = _footer_question(content, brand)
    if question:
        lines.append(question)
    lines += [f"{label}: {link}" for label, link in _footer_links(content, brand)]
    lines.append(phrase(content.locale, "footer.sent_for", merchant=brand.merchant))
    return "\n".join(lines) + "\n"


def _footer_question(content: Content, brand: Brand) -> str | None:
    """Where questions go: the merchant's support address (replies reach it too), when it has one."""
    if brand.support_email:
        return phrase(content.locale, "footer.write", email=brand.support_email)
    return None


def _footer_links(content: Content, brand: Brand) -> list[tuple[str, str]]:
    links = []
    for key, link in (
        ("footer.support", brand.support_url),
        ("footer.terms", brand.terms_url),
        ("footer.privacy", brand.privacy_url),
    ):
        safe = _url(link)
        if safe:
            links.append((phrase(content.locale, key), safe))
    return links
