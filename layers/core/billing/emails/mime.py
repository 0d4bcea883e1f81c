"""One email as SES sends it raw: From (the merchant's name at the platform's address), To,
Reply-To, Subject, and a multipart/alternative body of plain text and HTML."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

HEADER_LIMIT = 120


def _header_text(value: str) -> str:
    """A header's words on one line (no CR/LF to inject headers with), at most HEADER_LIMIT long."""
    return " ".join(value.split())[:HEADER_LIMIT]


def sender_address(domain: str) -> str:
    return f"noreply@{domain}"


def build(
    *, merchant: str, domain: str, to: str, reply_to: str | None, subject: str, text: str, html: str, language: str
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=_header_text(merchant), addr_spec=sender_address(domain))
    message["To"] = Address(addr_spec=to)
    if reply_to:
        message["Reply-To"] = Address(addr_spec=reply_to)
    message["Subject"] = _header_text(subject)
    message.set_content(text, cte="quoted-printable")  # 7-bit clean, as every relay takes it
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = language  # after the body: setting content drops Content-* headers
    return message.as_bytes()
