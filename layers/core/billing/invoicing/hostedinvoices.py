"""Hosted invoice pages: opening one by its link's token, and replacing an invoice's link.

The token itself is derived (`hostedlinks`); the table keeps a lookup item under its hash, put
when the invoice is finalized (`invoices.write_ops`). Replacing the link moves the invoice's
link generation on, deletes the old lookup item and puts the new one, in one transaction: the
old link then opens nothing, exactly like a token that never existed.
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec
from msgspec.structs import replace

from billing.accounts import brandreads
from billing.invoicing import hostedlinks, store
from billing.invoicing.records import Invoice
from billing.kernel import clock
from billing.kernel.errors import BillingError, InvalidRequest
from billing.kernel.scope import RequestInfo, Scope
from billing.store import keymaterial
from billing.store.repository import Table, UnitOfWork

CSRF_PURPOSE = "hosted-invoice-csrf"


class LinkUnavailable(BillingError):
    """An unknown, replaced or lapsed link: one answer for all of them."""

    status = 404
    code = "hosted_link_expired"

    def __init__(self) -> None:
        super().__init__("This invoice link has expired or does not exist.")


class HostedInvoice(msgspec.Struct, frozen=True):
    """An invoice opened by its link, with the hash the link's CSRF token is bound to."""

    scope: Scope
    invoice: Invoice
    link_hash: str


def portal_base(scope: Scope, *, table: Table) -> str:
    """The account's portal origin (its branding's domain, else the platform's portal)."""
    return hostedlinks.portal_base(brandreads.get_branding(scope, table=table).portal_domain)


def hosted_url(scope: Scope, invoice_id: str, *, table: Table) -> str | None:
    """The invoice's current hosted URL on its account's portal host (None for a draft or an
    unknown invoice): for what is sent from an event (an email), whose payload does not carry it."""
    invoice = store.get_invoice(table, scope, invoice_id)
    return None if invoice is None else hostedlinks.url(scope, invoice, portal_base(scope, table=table))


def open_link(token: str, *, table: Table) -> HostedInvoice:
    """The invoice a link's token opens, read now, or LinkUnavailable (unknown, replaced, lapsed)."""
    if not hostedlinks.well_formed(token):
        raise LinkUnavailable()
    link_hash = hostedlinks.token_hash(token)
    target = store.hosted_link_target(table, link_hash)
    if target is None:
        raise LinkUnavailable()
    scope, invoice_id = target
    invoice = store.get_invoice(table, scope, invoice_id)
    # The lookup item names the invoice; the token must still be its current one.
    if invoice is None or not hostedlinks.has_link(invoice):
        raise LinkUnavailable()
    if hostedlinks.token_hash(hostedlinks.current_token(scope, invoice)) != link_hash:
        raise LinkUnavailable()
    if hostedlinks.lapsed(invoice, clock.now()):
        raise LinkUnavailable()
    return HostedInvoice(scope, invoice, link_hash)


def replace_link(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Invoice:
    """A new link for a finalized invoice; the old one stops working at once."""
    # Imported here: the mailer and the portal's link pages read links without the invoice service.
    from billing.invoicing import invoices

    before = invoices.get(scope, invoice_id, table=table)
    if before.status == "draft" or before.finalized_at is None:
        raise InvalidRequest(
            "A draft invoice has no hosted link; it gets one when it is finalized.",
            param="invoice",
            code="invoice_not_finalized",
        )
    after = replace(before, link_generation=before.link_generation + 1, version=before.version + 1)
    new = hostedlinks.token_hash(hostedlinks.current_token(scope, after))
    change = UnitOfWork(table, request, conflict_message="The invoice was changed by another request; retry.")
    change.add(store.replace(scope, after, before.version), store.hosted_link_put(scope, new, after.id))
    if hostedlinks.has_link(before):  # (an invoice from before hosted links has none to end)
        change.add(store.hosted_link_delete(hostedlinks.token_hash(hostedlinks.current_token(scope, before))))
    change.commit()
    return after


def csrf_token(link_hash: str) -> str:
    """The token a hosted page's forms carry (and its cookie holds): bound to the link, keyed by
    a secret the browser never sees, so no other page can make one."""
    return hmac.new(keymaterial.derive(CSRF_PURPOSE), link_hash.encode(), hashlib.sha256).hexdigest()


def csrf_valid(link_hash: str, *submitted: object) -> bool:
    """Whether every submitted copy (the form's field, the cookie) is the link's token."""
    expected = csrf_token(link_hash).encode()
    return all(
        isinstance(value, str) and hmac.compare_digest(expected, value.encode("utf-8", "surrogateescape"))
        for value in submitted
    )
