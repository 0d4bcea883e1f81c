"""`client.invoices`: list, retrieve, preview a change, the PDF, pay again, void, mark uncollectible,
replace the hosted link."""

from __future__ import annotations

from collections.abc import Iterator

from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, query_of, segment
from vinr.types import Invoice, InvoiceStatus, Page, ProrationBehavior, UpcomingInvoice


class Invoices(Resource):
    def retrieve(self, invoice: str) -> Invoice:
        """`GET /v1/invoices/{id}`."""
        return self._get(Invoice, f"/v1/invoices/{segment(invoice, 'invoice')}")

    def list(
        self,
        *,
        customer: str | NotGiven = NOT_GIVEN,
        subscription: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
        status: InvoiceStatus | NotGiven = NOT_GIVEN,
    ) -> Page[Invoice]:
        """`GET /v1/invoices?customer=&subscription=&status=`: one page (`ending_before`: the newer page)."""
        params = query_of(
            customer=customer,
            subscription=subscription,
            status=status,
            limit=limit,
            starting_after=starting_after,
            ending_before=ending_before,
        )
        return self._get(Page[Invoice], "/v1/invoices", params)

    def auto_paging_iter(
        self,
        *,
        customer: str | NotGiven = NOT_GIVEN,
        subscription: str | NotGiven = NOT_GIVEN,
        status: InvoiceStatus | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
    ) -> Iterator[Invoice]:
        """Every matching invoice, page after page."""
        params = query_of(customer=customer, subscription=subscription, status=status, limit=limit)
        return self._iterate(Invoice, "/v1/invoices", params)

    def upcoming(
        self,
        *,
        subscription: str,
        price: str | NotGiven = NOT_GIVEN,
        quantity: int | NotGiven = NOT_GIVEN,
        proration_behavior: ProrationBehavior | NotGiven = NOT_GIVEN,
    ) -> UpcomingInvoice:
        """`GET /v1/invoices/upcoming`: what changing to `price`/`quantity` would invoice; nothing is written."""
        params = query_of(
            subscription=subscription, price=price, quantity=quantity, proration_behavior=proration_behavior
        )
        return self._get(UpcomingInvoice, "/v1/invoices/upcoming", params)

    def pdf(self, invoice: str) -> bytes:
        """`GET /v1/invoices/{id}/pdf`: the invoice document, as PDF bytes."""
        path = f"/v1/invoices/{segment(invoice, 'invoice')}/pdf"
        return self._transport.send("GET", path, accept="application/pdf").content

    def pay(self, invoice: str, *, idempotency_key: str | None = None) -> Invoice:
        """`POST /v1/invoices/{id}/pay`: charge an open invoice again. A decline raises `CardError`
        (402, with `decline_code`); the attempt is recorded and the invoice stays open."""
        return self._post(Invoice, f"/v1/invoices/{segment(invoice, 'invoice')}/pay", None, idempotency_key)

    def void(self, invoice: str, *, idempotency_key: str | None = None) -> Invoice:
        """`POST /v1/invoices/{id}/void`."""
        return self._post(Invoice, f"/v1/invoices/{segment(invoice, 'invoice')}/void", None, idempotency_key)

    def mark_uncollectible(self, invoice: str, *, idempotency_key: str | None = None) -> Invoice:
        """`POST /v1/invoices/{id}/mark_uncollectible`."""
        path = f"/v1/invoices/{segment(invoice, 'invoice')}/mark_uncollectible"
        return self._post(Invoice, path, None, idempotency_key)

    def replace_hosted_link(self, invoice: str, *, idempotency_key: str | None = None) -> Invoice:
        """`POST /v1/invoices/{id}/hosted_link`: a new `hostedInvoiceUrl`; the old link stops working."""
        return self._post(Invoice, f"/v1/invoices/{segment(invoice, 'invoice')}/hosted_link", None, idempotency_key)
