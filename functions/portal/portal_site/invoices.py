"""Invoice history: the list, one invoice with its lines, and its PDF.

Every invoice is read through the session's customer: another customer's, another account's or
an unknown ID is the same 404. The PDF is the one the API's `GET /v1/invoices/{id}/pdf` answers
(`billing.invoicing.pdf.invoice_document`), imported only by its route so that no other page loads
reportlab.

An open invoice whose payment waits for the customer (3-D Secure) offers to authenticate it in the
gateway's flow (`hosted`, the script `static/gateway.js`): only then does the page's policy let the
gateway's script run.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from billing.invoicing import invoices, wording
from billing.invoicing.records import Invoice
from billing.payments import gateway
from portal_site import hosted
from portal_site.billing_details import TAX_ID_TYPES, country_names
from portal_site.pages import SignedIn, owned, signed_in
from portal_site.rendering import locale_of, page

PAGE_SIZE = 20
INVOICE_ID = re.compile(r"^inv_[A-Za-z0-9]{1,40}\Z")


def own_invoice(who: SignedIn, invoice_id: str) -> Invoice:
    """The session's customer's finalized invoice, or a 404 that says nothing more."""
    return owned(who, invoices.get, invoice_id, INVOICE_ID, shown=lambda invoice: invoice.status != "draft")


async def invoice_list(request: Request) -> Response:
    """GET /invoices: newest first, a page at a time (`?after=<the last invoice shown>`)."""
    who = signed_in(request)
    who.require("invoiceHistory")
    after = request.query_params.get("after") or None
    if after is not None and not INVOICE_ID.match(after):
        raise HTTPException(404)
    found = invoices.list_invoices(
        who.scope, limit=PAGE_SIZE, starting_after=after, customer=who.customer_id, table=who.table
    )
    data: list[dict[str, Any]] = found["data"]
    return page(
        request,
        "invoices.html",
        who.session,
        signed_in=True,
        invoices=[i for i in data if i["status"] != "draft"],
        older=data[-1]["id"] if found["hasMore"] and data else None,
        paged=after is not None,
    )


async def invoice_detail(request: Request) -> Response:
    """GET /invoices/{inv}: the lines, the totals, seller and buyer as the invoice states them."""
    who = signed_in(request)
    who.require("invoiceHistory")
    invoice = own_invoice(who, request.path_params["invoice_id"])
    payable = invoice.status == "open" and bool((who.features.get("paymentMethodUpdate") or {}).get("enabled"))
    # Live mode without a connected gateway: the page says so instead of offering to pay.
    unavailable = payable and not gateway.connected(who.scope, who.table)
    waiting = payable and not unavailable and invoice.payment_pending == "requires_action"
    fields = hosted.fields(who) if waiting else None
    locale = locale_of(request, who.session)
    names = country_names(locale)
    response = page(
        request,
        "invoices_detail.html",
        who.session,
        signed_in=True,
        invoice=invoices.to_wire(invoice, who.scope),
        # The invoice's words in the page's language, as its PDF has them (`billing.invoicing.wording`)
        descriptions=[wording.line_description(line, locale) for line in invoice.lines],
        discount_label=wording.discount_label(invoice, locale),
        reverse_charge_note=wording.reverse_charge_note(invoice, locale),
        payable=payable and not unavailable,
        payments_unavailable=unavailable,
        payment_pending=invoice.payment_pending if invoice.status == "open" else None,
        hosted=fields,
        country=lambda code: names.get(code, code) if code else None,
        tax_id_types=TAX_ID_TYPES,
        csrf=who.csrf,
        notice=request.query_params.get("done"),
    )
    return hosted.allow_gateway(response) if fields is not None else response


def _filename(number: str | None, invoice_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", number or invoice_id) + ".pdf"


async def invoice_pdf(request: Request) -> Response:
    """GET /invoices/{inv}/pdf: the API's PDF, in the page's language, as a download."""
    who = signed_in(request)
    who.require("invoiceHistory")
    invoice = own_invoice(who, request.path_params["invoice_id"])
    from billing.invoicing import pdf  # reportlab: loaded by this route only

    document = pdf.invoice_document(who.scope, invoice, locale_of(request, who.session), table=who.table)
    return Response(
        document,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{_filename(invoice.number, invoice.id)}"'},
    )


ROUTES: list[BaseRoute] = [
    Route("/invoices", invoice_list, methods=["GET"]),
    Route("/invoices/{invoice_id}", invoice_detail, methods=["GET"]),
    Route("/invoices/{invoice_id}/pdf", invoice_pdf, methods=["GET"]),
]
