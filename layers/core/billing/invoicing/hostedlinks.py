"""The hosted invoice link: `<portal base>/i/<token>`, derived, never stored.

The token is HMAC-SHA256, under a key derived for this purpose from the deploy-time secret
(`keymaterial.derive("hosted-invoice")`), of the invoice's account, mode, ID and link
generation, base64url (256 bits). Derived, so every read of an invoice answers its URL without
the URL (or the token) being kept anywhere; the table holds the token's SHA-256 only, in a lookup
item (`store.hosted_link_put`) that takes the portal from the token to the invoice. Replacing the
link moves the generation on: the old token then finds nothing.

A link lapses `LINK_DAYS` after the invoice was paid, voided or marked uncollectible, or after
it was finalized, whichever is later; an open invoice's link stays valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from billing.invoicing.records import Invoice
from billing.kernel import clock, config
from billing.kernel.scope import Scope
from billing.store import keymaterial

PURPOSE = "hosted-invoice"
LINK_DAYS = 30
PATH_PREFIX = "/i/"
TOKEN_LENGTH = 43  # 32 bytes of HMAC-SHA256, base64url without padding


def token(scope: Scope, invoice_id: str, generation: int) -> str:
    message = "\x1f".join((scope.account_id, scope.mode, invoice_id, str(generation))).encode()
    digest = hmac.new(keymaterial.derive(PURPOSE), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def well_formed(value: str) -> bool:
    """A string that could be a token (checked before any read)."""
    return len(value) == TOKEN_LENGTH and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)


def has_link(invoice: Invoice) -> bool:
    """Finalized invoices have a hosted link; drafts and previews do not, nor do invoices finalized
    before hosted links existed (generation 0) until one is made for them."""
    return invoice.status != "draft" and invoice.finalized_at is not None and invoice.link_generation >= 1


def current_token(scope: Scope, invoice: Invoice) -> str:
    return token(scope, invoice.id, invoice.link_generation)


def portal_base(portal_domain: str | None) -> str:
    """The portal's origin for an account: its own domain when its branding names one (as
    portal session URLs pick their host), else the platform's portal."""
    return f"https://{portal_domain}" if portal_domain else config.settings().portal_base_url


def url(scope: Scope, invoice: Invoice, base: str | None = None) -> str | None:
    """The invoice's hosted URL on `base` (the platform's portal when None); None for a draft."""
    if not has_link(invoice):
        return None
    return f"{base or config.settings().portal_base_url}{PATH_PREFIX}{current_token(scope, invoice)}"


def lapses_at(invoice: Invoice) -> datetime | None:
    """When the link stops working: None while the invoice is open (or has no link)."""
    if not has_link(invoice) or invoice.status == "open" or invoice.finalized_at is None:
        return None
    moments = [invoice.finalized_at, invoice.paid_at, invoice.closed_at]
    latest = max(clock.from_wire(moment) for moment in moments if moment)
    return latest + timedelta(days=LINK_DAYS)


def lapsed(invoice: Invoice, now: datetime) -> bool:
    until = lapses_at(invoice)
    return until is not None and now >= until
