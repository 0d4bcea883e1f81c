"""Invoices: list, retrieve, preview a change, pay again, void, mark uncollectible; the PDF's route."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.invoicing import hostedinvoices, invoices
from billing.invoicing.records import Invoice
from billing.kernel.scope import Scope
from billing.subscriptions import collection
from billing.subscriptions import preview as upcoming
from merchant_api import request
from merchant_api.models import EndingBefore, Limit, StartingAfter
from merchant_api.responses import ok
from merchant_api.routes.subscriptions import CustomerQuery
from merchant_api.wire import error_response

router = APIGatewayHttpRouter()


def _answer(scope: Scope, invoice: Invoice) -> dict[str, Any]:
    """The invoice with its hosted URL on the account's portal host."""
    base = hostedinvoices.portal_base(scope, table=request.table(router))
    return invoices.to_wire(invoice, scope, hosted_base=base)


@router.get("/v1/invoices", summary="List invoices", tags=["Invoices"], responses=ok("InvoiceList"))
def list_invoices(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    endingBefore: EndingBefore = None,
    customer: CustomerQuery = None,
    subscription: Annotated[str | None, Query(pattern=r"^sub_[A-Za-z0-9]{1,40}$")] = None,
    status: Annotated[Literal["draft", "open", "paid", "void", "uncollectible"] | None, Query()] = None,
) -> Any:
    scope = request.scope(router)
    return invoices.list_invoices(
        scope,
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        customer=customer,
        subscription=subscription,
        status=status,
        hosted_base=hostedinvoices.portal_base(scope, table=request.table(router)),
        table=request.table(router),
    )


@router.get(
    "/v1/invoices/upcoming",
    summary="Preview the invoices a change would make (now and next); nothing is written",
    tags=["Invoices"],
    responses=ok("UpcomingInvoice"),
)
def upcoming_invoice(
    subscription: Annotated[str, Query(pattern=r"^sub_[A-Za-z0-9]{1,40}$")],
    price: Annotated[str | None, Query(max_length=64)] = None,
    quantity: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    prorationBehavior: Annotated[Literal["create_prorations", "none", "always_invoice"], Query()] = "create_prorations",
) -> Any:
    return upcoming.preview(
        request.scope(router),
        subscription,
        price=price,
        quantity=quantity,
        behavior=prorationBehavior,
        table=request.table(router),
    )


@router.get("/v1/invoices/<invoice>", summary="Retrieve an invoice", tags=["Invoices"], responses=ok("Invoice"))
def get_invoice(invoice_id: Annotated[str, Path(alias="invoice", pattern=r"^inv_[A-Za-z0-9]{1,40}$")]) -> Any:
    scope = request.scope(router)
    return _answer(scope, invoices.get(scope, invoice_id, table=request.table(router)))


InvoiceId = Annotated[str, Path(alias="invoice", pattern=r"^inv_[A-Za-z0-9]{1,40}$")]
# `GET /v1/invoices/{id}/pdf` is served by a function of its own (`functions/invoicepdf`, so that
# this one never loads the PDF library): API Gateway routes it there. It is declared here for the
# OpenAPI document and so that another method on its path is a 405 naming GET.
PDF_SERVED_ELSEWHERE = "GET /v1/invoices/{id}/pdf is served by the invoice PDF function, never by this one"


@router.get(
    "/v1/invoices/<invoice>/pdf",
    summary="Download an invoice as a PDF",
    description="The invoice as the customer sees it (`Content-Disposition: inline`), never cached.",
    tags=["Invoices"],
    responses={
        200: {
            "description": "The invoice as a PDF document",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def invoice_pdf(invoice_id: InvoiceId) -> Any:
    raise RuntimeError(PDF_SERVED_ELSEWHERE)  # a deployment that routes it here is broken: a 500, logged


@router.post(
    "/v1/invoices/<invoice>/pay",
    summary="Charge an open invoice again",
    description=(
        "Paid: the invoice (and a `past_due`, `unpaid` or `incomplete` subscription whose latest invoice it is is"
        " `active`). Declined: 402 `card_error` (`code` `card_declined`, the issuer's reason in `declineCode`); the"
        " attempt is recorded and the invoice stays open. In live mode, with no payment gateway connected: 409"
        " `payment_gateway_not_configured`."
    ),
    tags=["Invoices"],
    responses={
        **ok("Invoice"),
        402: {
            "description": "The card was declined (`card_error`, with `declineCode`); the invoice stays open",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    },
)
def pay_invoice(invoice_id: InvoiceId) -> Any:
    scope = request.scope(router)
    paid = collection.pay_invoice(scope, invoice_id, request.info(router), table=request.table(router))
    declined = invoices.decline_error(paid)
    # Answered, not raised: the attempt is committed, and a retry with the same Idempotency-Key
    # must replay this 402 rather than charge again.
    return error_response(declined) if declined is not None else _answer(scope, paid)


SUBSCRIPTION_MOVES_ON = (
    " When it is the latest invoice of a `past_due` or `unpaid` subscription, that subscription is `active` again"
    " (its retries over); the first invoice of an `incomplete` one makes it `incomplete_expired`. Both as Stripe's."
)


@router.post(
    "/v1/invoices/<invoice>/void",
    summary="Void an open invoice",
    description="Nothing is owed on it any more; its number stays used." + SUBSCRIPTION_MOVES_ON,
    tags=["Invoices"],
    responses=ok("Invoice"),
)
def void_invoice(invoice_id: InvoiceId) -> Any:
    scope = request.scope(router)
    voided = collection.close_invoice(scope, invoice_id, "void", request.info(router), table=request.table(router))
    return _answer(scope, voided)


@router.post(
    "/v1/invoices/<invoice>/mark_uncollectible",
    summary="Mark an open invoice uncollectible",
    description="Written off: nothing collects it any more (it can still be paid)." + SUBSCRIPTION_MOVES_ON,
    tags=["Invoices"],
    responses=ok("Invoice"),
)
def mark_uncollectible(invoice_id: InvoiceId) -> Any:
    scope = request.scope(router)
    marked = collection.close_invoice(
        scope, invoice_id, "uncollectible", request.info(router), table=request.table(router)
    )
    return _answer(scope, marked)


@router.post(
    "/v1/invoices/<invoice>/hosted_link",
    summary="Replace an invoice's hosted link",
    description=(
        "A new `hostedInvoiceUrl` for a finalized invoice; the old link stops working at once (it opens the"
        ' portal\'s "link expired" page). A draft: 400 `invoice_not_finalized`.'
    ),
    tags=["Invoices"],
    responses=ok("Invoice"),
)
def replace_hosted_link(invoice_id: InvoiceId) -> Any:
    scope = request.scope(router)
    return _answer(
        scope, hostedinvoices.replace_link(scope, invoice_id, request.info(router), table=request.table(router))
    )
