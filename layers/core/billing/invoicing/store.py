"""Invoices in the table: their item layout, keys and indexes, the number counter, and the
change an invoice makes to its customer's credit.

Item: pk `<scope>#INV#<inv>`, sk `INVOICE` (versioned); gsi1 `<scope>#CUST#<cust>#ALL` /
`INV#<inv>` (the customer's bundle); gsi2 `<scope>#INVOICES` / id; gsi3
`<scope>#SUB#<sub>#INVOICES` / id (a subscription's invoices).
Hosted link: pk `HINVLINK#<SHA-256 of the token>`, sk `HOSTED_INVOICE_LINK`, naming the account,
mode and invoice (`billing.invoicing.hostedlinks`: the token itself is never stored).
Counter: pk `<scope>#COUNTER`, sk `INVOICE_NUMBER`, `last` = the last number given out. The
counter moves in the same transaction as the invoice it numbers, so numbers have no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from billing.invoicing.records import (
    CouponTerms,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PaymentError,
    PaymentPending,
)
from billing.kernel.scope import Scope
from billing.store.repository import Delete, Item, Put, Table, Update, versioned_put_op

SORT_KEY = "INVOICE"
HOSTED_LINK_SORT_KEY = "HOSTED_INVOICE_LINK"
COUNTER_SORT_KEY = "INVOICE_NUMBER"
BUNDLE_PREFIX = "INV#"


def invoice_key(scope: Scope, invoice_id: str) -> tuple[str, str]:
    return scope.key("INV", invoice_id), SORT_KEY


def counter_key(scope: Scope) -> tuple[str, str]:
    return scope.key("COUNTER"), COUNTER_SORT_KEY


# ------------------------------------------------------------------ item layout
def line_to_item(line: InvoiceLine) -> dict[str, Any]:
    """A line as stored: its parts (`kind`, `itemDescription`, `at`) only when it has them."""
    stored: dict[str, Any] = {
        "id": line.id,
        "description": line.description,
        "amount": line.amount,
        "quantity": line.quantity,
        "unitAmount": line.unit_amount,
        "price": line.price,
        "periodStart": line.period_start,
        "periodEnd": line.period_end,
        "proration": line.proration,
        "discountAmount": line.discount_amount,
        "taxAmount": line.tax_amount,
    }
    parts = {"kind": line.kind, "itemDescription": line.item_description, "at": line.at}
    stored.update({name: value for name, value in parts.items() if value is not None})
    return stored


def line_from_item(stored: Mapping[str, Any]) -> InvoiceLine:
    return InvoiceLine(
        id=stored["id"],
        description=stored["description"],
        amount=int(stored["amount"]),
        quantity=int(stored["quantity"]),
        unit_amount=None if stored.get("unitAmount") is None else int(stored["unitAmount"]),
        price=stored.get("price"),
        period_start=stored["periodStart"],
        period_end=stored["periodEnd"],
        proration=bool(stored.get("proration")),
        discount_amount=int(stored.get("discountAmount") or 0),
        tax_amount=int(stored.get("taxAmount") or 0),
        kind=cast(LineKind | None, stored.get("kind")),
        item_description=stored.get("itemDescription"),
        at=stored.get("at"),
    )


def _terms_to_item(terms: CouponTerms | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {"name": terms.name, "percentOff": terms.percent_off, "amountOff": terms.amount_off}


def _terms_from_item(stored: Mapping[str, Any] | None) -> CouponTerms | None:
    if not stored:
        return None
    amount_off = stored.get("amountOff")
    return CouponTerms(
        name=stored["name"],
        percent_off=stored.get("percentOff"),
        amount_off=None if amount_off is None else int(amount_off),
    )


def _error_to_item(error: PaymentError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"code": error.code, "message": error.message, **({"declined": True} if error.declined else {})}


def _error_from_item(stored: Mapping[str, Any] | None) -> PaymentError | None:
    if stored is None:
        return None
    return PaymentError(code=stored.get("code"), message=stored.get("message"), declined=bool(stored.get("declined")))


def to_item(scope: Scope, invoice: Invoice) -> Item:
    """The stored item: every figure the invoice's lines add up to is written with it (readers of
    the table and the events rely on them)."""
    from billing.customers import store as customer_store  # writers' alone: the mailer reads invoices

    pk, sk = invoice_key(scope, invoice.id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "invoice",
        "id": invoice.id,
        "number": invoice.number,
        "customer": invoice.customer,
        "subscription": invoice.subscription,
        "status": invoice.status,
        "currency": invoice.currency,
        "lines": [line_to_item(line) for line in invoice.lines],
        "subtotal": invoice.subtotal,
        "discount": invoice.discount,
        "discountName": invoice.discount_name,
        "tax": invoice.tax,
        "taxName": invoice.tax_name,
        "taxInclusive": invoice.tax_inclusive,
        "reverseChargeNote": invoice.reverse_charge_note,
        "total": invoice.total,
        "appliedCredit": invoice.applied_credit,
        "amountDue": invoice.amount_due,
        "amountPaid": invoice.amount_paid,
        "amountRemaining": invoice.amount_remaining,
        "creditedToCustomer": invoice.credited_to_customer,
        "periodStart": invoice.period_start,
        "periodEnd": invoice.period_end,
        "createdAt": invoice.created_at,
        "finalizedAt": invoice.finalized_at,
        "paidAt": invoice.paid_at,
        "attemptCount": invoice.attempt_count,
        "lastPaymentError": _error_to_item(invoice.last_payment_error),
        "seller": invoice.seller,
        "customerDetails": invoice.customer_details,
        "version": invoice.version,
        "gsi1pk": customer_store.bundle_partition(scope, invoice.customer),
        "gsi1sk": f"{BUNDLE_PREFIX}{invoice.id}",
        "gsi2pk": scope.key("INVOICES"),
        "gsi2sk": invoice.id,
    }
    if invoice.finalized_at is not None and invoice.link_generation >= 1:
        item["linkGeneration"] = invoice.link_generation  # (a finalized item without it predates hosted links)
    if invoice.closed_at is not None:
        item["closedAt"] = invoice.closed_at
    if invoice.payment_reference is not None:  # (only a gateway's payments have them)
        item["paymentReference"] = invoice.payment_reference
    if invoice.payment_pending is not None:
        item["paymentPending"] = invoice.payment_pending
    if invoice.discount_terms is not None:
        item["discountTerms"] = _terms_to_item(invoice.discount_terms)
    if invoice.subscription:
        item["gsi3pk"] = scope.key("SUB", invoice.subscription, "INVOICES")
        item["gsi3sk"] = invoice.id
    return item


def from_item(item: Mapping[str, Any]) -> Invoice:
    """The invoice of a stored item (its figures are the record's own, from its lines)."""
    return Invoice(
        id=item["id"],
        number=item.get("number"),
        customer=item["customer"],
        subscription=item.get("subscription"),
        status=cast(InvoiceStatus, item["status"]),
        currency=item["currency"],
        lines=tuple(line_from_item(line) for line in item["lines"]),
        discount_name=item.get("discountName"),
        discount_terms=_terms_from_item(item.get("discountTerms")),
        tax_name=item.get("taxName"),
        tax_inclusive=bool(item.get("taxInclusive")),
        reverse_charge_note=item.get("reverseChargeNote"),
        applied_credit=int(item.get("appliedCredit") or 0),
        amount_paid=int(item.get("amountPaid") or 0),
        amount_remaining=int(item.get("amountRemaining") or 0),
        period_start=item["periodStart"],
        period_end=item["periodEnd"],
        created_at=item["createdAt"],
        finalized_at=item.get("finalizedAt"),
        paid_at=item.get("paidAt"),
        attempt_count=int(item.get("attemptCount") or 0),
        last_payment_error=_error_from_item(item.get("lastPaymentError")),
        payment_reference=item.get("paymentReference"),
        payment_pending=cast(PaymentPending | None, item.get("paymentPending")),
        seller=dict(item["seller"]),
        customer_details=dict(item["customerDetails"]),
        version=int(item["version"]),
        # 0: finalized before hosted links existed, so it has none until one is made (the API's
        # `POST /v1/invoices/{id}/hosted_link`); a draft gets generation 1 when it is finalized.
        link_generation=int(item.get("linkGeneration", 0 if item.get("finalizedAt") else 1)),
        closed_at=item.get("closedAt"),
    )


# ------------------------------------------------------------------ reads
def get_invoice(table: Table, scope: Scope, invoice_id: str) -> Invoice | None:
    item = table.get(*invoice_key(scope, invoice_id))
    return None if item is None else from_item(item)


def list_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    subscription: str | None,
    to_wire: Callable[[Invoice], dict[str, Any]],
    status: str | None = None,
    ending_before: str | None = None,
) -> dict[str, Any]:
    """A page of the account's invoices, a subscription's, or a customer's (newest first); with
    `status`, of those in that status (a filter: the page is read within the list's read bound)."""
    from billing.customers import store as customer_store
    from billing.store.listing import collection_page  # (lists' alone, as `to_item`'s import)

    return collection_page(
        table,
        scope,
        "INVOICES",
        owner=("SUB", subscription),
        bundle=(customer_store.bundle_partition(scope, customer), BUNDLE_PREFIX) if customer else None,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda invoice_id: invoice_key(scope, invoice_id),
        to_wire=lambda item: to_wire(from_item(item)),
        keep=lambda item: (
            (customer is None or item["customer"] == customer) and (status is None or item["status"] == status)
        ),
    )


# ------------------------------------------------------------------ writes
def insert(scope: Scope, invoice: Invoice) -> Put:
    return Put(to_item(scope, invoice), condition="attribute_not_exists(pk)")


def replace(scope: Scope, after: Invoice, expected_version: int) -> Put:
    """`after` written whole, only over the version it was read at."""
    return versioned_put_op(to_item(scope, after), expected_version)


def gateway_event_key(scope: Scope, event_id: str) -> tuple[str, str]:
    return scope.key("GWEVT", event_id), "GATEWAY_EVENT"


def claim_gateway_event(scope: Scope, event_id: str, invoice_id: str, expires_at: int) -> Put:
    """The mark that a gateway event was settled, put only where none is (each event settles once);
    it expires (TTL) long after the gateway stops retrying."""
    pk, sk = gateway_event_key(scope, event_id)
    item: Item = {"pk": pk, "sk": sk, "type": "gateway_event", "invoice": invoice_id, "expiresAt": expires_at}
    return Put(item, condition="attribute_not_exists(pk)")


def gateway_event_settled(table: Table, scope: Scope, event_id: str) -> bool:
    pk, sk = gateway_event_key(scope, event_id)
    return table.get(pk, sk) is not None


def claim_number(table: Table, scope: Scope) -> tuple[int, Update]:
    """The next invoice number and the update that claims it (conditional on the last one read)."""
    return claim_after(scope, table.get(*counter_key(scope)))


def claim_after(scope: Scope, current: Item | None) -> tuple[int, Update]:
    """`claim_number` from the counter item as the request read it (None: no number given yet)."""
    pk, sk = counter_key(scope)
    last = int(current["last"]) if current else 0
    condition = "#last = :last" if current else "attribute_not_exists(pk)"
    values: dict[str, Any] = {":next": last + 1}
    if current:
        values[":last"] = last
    return last + 1, Update(pk, sk, "SET #last = :next", condition, {"#last": "last"}, values)


def credit_update(scope: Scope, invoice: Invoice) -> Update | None:
    """The change to the customer's credit an invoice makes: its negative total added, the credit
    it used taken (guarded, so two invoices can never spend the same credit)."""
    from billing.customers import store as customer_store

    return customer_store.credit_update(scope, invoice.customer, invoice.currency, invoice.credit_change)


# ------------------------------------------------------------------ hosted links
def hosted_link_key(token_hash: str) -> tuple[str, str]:
    return f"HINVLINK#{token_hash}", HOSTED_LINK_SORT_KEY


def hosted_link_put(scope: Scope, token_hash: str, invoice_id: str) -> Put:
    pk, sk = hosted_link_key(token_hash)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "hosted_invoice_link",
        "account": scope.account_id,
        "mode": scope.mode,
        "invoice": invoice_id,
    }
    return Put(item, condition="attribute_not_exists(pk)")


def hosted_link_delete(token_hash: str) -> Delete:
    return Delete(*hosted_link_key(token_hash))


def hosted_link_target(table: Table, token_hash: str) -> tuple[Scope, str] | None:
    """The scope and invoice ID a link's hash leads to, or None."""
    item = table.get(*hosted_link_key(token_hash))
    if item is None or item.get("mode") not in ("test", "live"):
        return None
    return Scope(str(item["account"]), item["mode"]), str(item["invoice"])
