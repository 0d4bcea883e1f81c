"""Invoices: built from lines, numbered without gaps per account and mode, charged through the
test processor, and written with their events in one transaction.

Item: pk `<scope>#INV#<inv>`, sk `INVOICE`; gsi1 `<scope>#CUST#<cust>#ALL` / `INV#<inv>`;
gsi2 `<scope>#INVOICES` / id; gsi3 `<scope>#SUB#<sub>#INVOICES` / id.
Counter: pk `<scope>#COUNTER`, sk `INVOICE_NUMBER`, `last` = the last number given out. The
counter moves in the same transaction as the invoice it numbers, so numbers have no gaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.customers import customers
from billing.events import events
from billing.invoicing import invoicemath, tax
from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.listing import collection_page
from billing.store.repository import Item, Operation, Put, Table, UnitOfWork, Update, versioned_put_op


@dataclass(frozen=True)
class Line:
    description: str
    amount: int
    quantity: int
    unit_amount: int | None
    price: str | None
    period_start: datetime
    period_end: datetime
    proration: bool = False


@dataclass(frozen=True)
class ChargeOutcome:
    paid: bool
    error_code: str | None = None
    error_message: str | None = None


def invoice_key(scope: Scope, invoice_id: str) -> tuple[str, str]:
    return scope.key("INV", invoice_id), "INVOICE"


def number_prefix(account_id: str) -> str:
    return account_id.removeprefix("acct_")[:8].upper()


def counter_op(scope: Scope, table: Table) -> tuple[int, Update]:
    """The next invoice number and the update that claims it (conditional on the last one)."""
    pk = scope.key("COUNTER")
    current = table.get(pk, "INVOICE_NUMBER")
    last = int(current["last"]) if current else 0
    condition = "#last = :last" if current else "attribute_not_exists(pk)"
    values: dict[str, Any] = {":next": last + 1}
    if current:
        values[":last"] = last
    return last + 1, Update(pk, "INVOICE_NUMBER", "SET #last = :next", condition, {"#last": "last"}, values)


def credit_attribute(currency: str) -> str:
    return f"credit_{currency}"


def credit_balance(customer: Item, currency: str) -> int:
    """What the customer has to its credit in `currency` (from credit notes of earlier invoices)."""
    return int(customer.get(credit_attribute(currency)) or 0)


def credit_op(scope: Scope, invoice: Item) -> Update | None:
    """The change to the customer's credit an invoice makes: its negative total added, the
    credit it used taken (guarded, so two invoices can never spend the same credit)."""
    delta = int(invoice.get("creditedToCustomer") or 0) - int(invoice.get("appliedCredit") or 0)
    if delta == 0:
        return None
    pk, sk = customers.customer_key(scope, invoice["customer"])
    names = {"#c": credit_attribute(invoice["currency"])}
    condition = "attribute_exists(pk)"
    values: dict[str, Any] = {":delta": delta}
    if delta < 0:
        condition += " AND #c >= :spent"
        values[":spent"] = -delta
    return Update(pk, sk, "ADD #c :delta", condition, names, values)


def party_snapshot(customer: Item) -> dict[str, Any]:
    return {
        "name": customer.get("name"),
        "email": customer.get("email"),
        "address": customer.get("address"),
        "taxIds": [{"type": t["type"], "value": t["value"]} for t in customer.get("taxIds") or []],
    }


def seller_snapshot(account: Item) -> dict[str, Any]:
    return {
        "name": account.get("name"),
        "legalName": account.get("legalName"),
        "address": account.get("address"),
        "taxId": account.get("taxId"),
        "country": account.get("country"),
    }


def _rates(items: Sequence[Item]) -> list[tax.Rate]:
    return [
        tax.Rate(
            id=i["id"],
            country=i["country"],
            state=i.get("state"),
            percentage=Decimal(str(i["percentage"])),
            display_name=i["displayName"],
            inclusive=bool(i["inclusive"]),
        )
        for i in items
    ]


def coupon_discount(coupon: Mapping[str, Any]) -> invoicemath.Discount:
    """A coupon as an invoice applies it: a percentage off each line, or an amount spread over them."""
    percent = coupon.get("percentOff")
    return invoicemath.Discount(
        percent_off=Decimal(str(percent)) if percent is not None else None, amount_off=coupon.get("amountOff")
    )


def build(
    scope: Scope,
    *,
    account: Item,
    customer: Item,
    currency: str,
    lines: Sequence[Line],
    discount: dict[str, Any] | None,
    tax_rates: Sequence[Item],
    subscription: str | None,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
) -> Item:
    """A draft invoice: lines, the coupon's discount, tax by the customer's country, totals."""
    amounts = [line.amount for line in lines]
    coupon = (discount or {}).get("coupon")
    reduction = coupon_discount(coupon) if coupon and coupon.get("currency") in (None, currency) else None
    discounts = invoicemath.line_discounts(amounts, reduction)
    address = customer.get("address") or {}
    tax_ids = [tax.CustomerTaxId(t["type"], t["country"]) for t in customer.get("taxIds") or []]
    taxable = [a - d for a, d in zip(amounts, discounts, strict=True)]
    taxed = tax.compute(
        taxable,
        _rates(tax_rates),
        seller_country=account.get("country"),
        customer_country=address.get("country"),
        customer_state=address.get("state"),
        customer_tax_ids=tax_ids,
    )
    inclusive = bool(taxed.rate and taxed.rate.inclusive)
    totals = invoicemath.totals(amounts, discounts, taxed, inclusive=inclusive)
    applied = min(credit_balance(customer, currency), totals.amount_due)
    invoice_id = sortable_id("inv")
    wire_lines = [
        {
            "id": sortable_id("il"),
            "description": line.description,
            "amount": line.amount,
            "quantity": line.quantity,
            "unitAmount": line.unit_amount,
            "price": line.price,
            "periodStart": clock.to_wire(line.period_start),
            "periodEnd": clock.to_wire(line.period_end),
            "proration": line.proration,
            "discountAmount": discounts[n],
            "taxAmount": taxed.line_taxes[n],
        }
        for n, line in enumerate(lines)
    ]
    rate = taxed.rate
    item: Item = {
        "pk": scope.key("INV", invoice_id),
        "sk": "INVOICE",
        "type": "invoice",
        "id": invoice_id,
        "number": None,
        "customer": customer["id"],
        "subscription": subscription,
        "status": "draft",
        "currency": currency,
        "lines": wire_lines,
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "discountName": _coupon_name(coupon) if totals.discount else None,
        "tax": totals.tax,
        "taxName": f"{rate.display_name} {rate.percentage.normalize():f}%" if rate else None,
        "taxInclusive": inclusive,
        "reverseChargeNote": taxed.note,
        "total": totals.total,
        "appliedCredit": applied,
        "amountDue": totals.amount_due - applied,
        "amountPaid": 0,
        "amountRemaining": totals.amount_due - applied,
        "creditedToCustomer": totals.credit,
        "periodStart": clock.to_wire(period_start),
        "periodEnd": clock.to_wire(period_end),
        "createdAt": clock.to_wire(now),
        "finalizedAt": None,
        "paidAt": None,
        "attemptCount": 0,
        "lastPaymentError": None,
        "seller": seller_snapshot(account),
        "customerDetails": party_snapshot(customer),
        "version": 1,
        "gsi1pk": customers.bundle_partition(scope, customer["id"]),
        "gsi1sk": f"INV#{invoice_id}",
        "gsi2pk": scope.key("INVOICES"),
        "gsi2sk": invoice_id,
    }
    if subscription:
        item["gsi3pk"] = scope.key("SUB", subscription, "INVOICES")
        item["gsi3sk"] = invoice_id
    return item


def _coupon_name(coupon: dict[str, Any] | None) -> str | None:
    if not coupon:
        return None
    label = coupon.get("name") or coupon["id"]
    if coupon.get("percentOff") is not None:
        return f"{label} ({Decimal(str(coupon['percentOff'])).normalize():f}% off)"
    return str(label)


def charge(amount_due: int, payment_method: Item | None) -> ChargeOutcome:
    """The test processor: each test payment method succeeds, declines or fails, as its token says."""
    if amount_due <= 0:
        return ChargeOutcome(paid=True)
    if payment_method is None:
        return ChargeOutcome(False, "payment_method_missing", "The customer has no payment method to charge.")
    behavior = payment_method.get("testBehavior", "succeed")
    if behavior == "decline":
        return ChargeOutcome(False, "card_declined", "Your card was declined.")
    if behavior == "fail":
        return ChargeOutcome(False, "processing_error", "The payment could not be processed; try again later.")
    return ChargeOutcome(paid=True)


def finalize(scope: Scope, invoice: Item, number: int, outcome: ChargeOutcome, now: datetime) -> Item:
    """The draft numbered, finalized and paid (or left open with the error)."""
    finalized = dict(invoice)
    finalized["number"] = f"{number_prefix(scope.account_id)}-{number:04d}"
    finalized["finalizedAt"] = clock.to_wire(now)
    finalized["attemptCount"] = 1 if invoice["amountDue"] > 0 else 0
    if outcome.paid:
        finalized.update(status="paid", amountPaid=invoice["amountDue"], amountRemaining=0, paidAt=clock.to_wire(now))
    else:
        finalized.update(status="open", lastPaymentError={"code": outcome.error_code, "message": outcome.error_message})
    return finalized


def write_ops(scope: Scope, invoice: Item, request: RequestInfo, counter: Update) -> list[Operation]:
    """The invoice, its number, and its events: created, finalized, then paid or payment_failed."""
    wire = to_wire(invoice, scope)
    customer = invoice["customer"]
    kinds = [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid" if invoice["status"] == "paid" else "invoice.payment_failed",
    ]
    return [
        Put(invoice, condition="attribute_not_exists(pk)"),
        counter,
        *(events.event_op(events.event_item(scope, kind, wire, request, customer=customer)) for kind in kinds),
    ]


NUMBER_RETRIES = 5


def commit(
    scope: Scope,
    table: Table,
    draft: Item,
    outcome: ChargeOutcome,
    now: datetime,
    request: RequestInfo,
    other_ops: Sequence[Operation],
) -> Item:
    """Numbers and finalizes `draft` and writes it with `other_ops` in one transaction.

    Two invoices racing for one number: the loser re-reads the counter and tries again; a
    conflict that persists (another change to the same subscription) ends as a 409.
    """
    for attempt in range(NUMBER_RETRIES):
        number, counter = counter_op(scope, table)
        invoice = finalize(scope, draft, number, outcome, now)
        credit = credit_op(scope, invoice)
        try:
            change = UnitOfWork(table, request).add(*other_ops, *write_ops(scope, invoice, request, counter))
            change.add(*([credit] if credit else [])).commit()
            return invoice
        except Conflict:
            if attempt == NUMBER_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    hidden = {"pk", "sk", "type", "version", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
    wire = {k: v for k, v in item.items() if k not in hidden}
    wire["object"] = "invoice"
    wire["livemode"] = scope.livemode
    return wire


def get(scope: Scope, invoice_id: str, *, table: Table) -> Item:
    pk, sk = invoice_key(scope, invoice_id)
    item = table.get(pk, sk)
    if item is None:
        raise NotFound(f"No such invoice: '{invoice_id}'.", param="id")
    return item


def list_invoices(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None = None,
    subscription: str | None = None,
    table: Table,
) -> dict[str, Any]:
    return collection_page(
        table,
        scope,
        "INVOICES",
        owner=("SUB", subscription),
        bundle=(customers.bundle_partition(scope, customer), "INV#") if customer else None,
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda iid: invoice_key(scope, iid),
        to_wire=lambda item: to_wire(item, scope),
        keep=lambda item: customer is None or item["customer"] == customer,
    )


# ------------------------------------------------------------------ after finalization
def _transition(
    scope: Scope,
    invoice: Item,
    changes: dict[str, Any],
    event_type: str,
    request: RequestInfo,
    table: Table,
    extra_ops: Sequence[Operation] = (),
) -> Item:
    after = {**invoice, **changes, "version": invoice["version"] + 1}
    event = events.event_item(scope, event_type, to_wire(after, scope), request, customer=invoice["customer"])
    change = UnitOfWork(table, request, conflict_message="The invoice was changed by another request; retry.")
    change.add(versioned_put_op(after, invoice["version"]), events.event_op(event), *extra_ops).commit()
    return after


def _require_open(invoice: Item, action: str) -> None:
    if invoice["status"] != "open":
        raise InvalidRequest(
            f"Only an open invoice can be {action}; this one is {invoice['status']}.",
            param="id",
            code="invoice_not_open",
        )


def void(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Item:
    """An open invoice cancelled: nothing is owed. Its number stays used (numbers have no gaps)."""
    invoice = get(scope, invoice_id, table=table)
    _require_open(invoice, "voided")
    return _transition(scope, invoice, {"status": "void", "amountRemaining": 0}, "invoice.voided", request, table)


def mark_uncollectible(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Item:
    invoice = get(scope, invoice_id, table=table)
    _require_open(invoice, "marked uncollectible")
    return _transition(scope, invoice, {"status": "uncollectible"}, "invoice.marked_uncollectible", request, table)


def pay(
    scope: Scope,
    invoice_id: str,
    payment_method: Item | None,
    request: RequestInfo,
    now: datetime,
    *,
    subscription_ops: Sequence[Operation] = (),
    table: Table,
) -> Item:
    """Charges an open (or uncollectible) invoice again; paid, or open with the new error."""
    invoice = get(scope, invoice_id, table=table)
    if invoice["status"] not in ("open", "uncollectible"):
        raise InvalidRequest(
            f"Only an open invoice can be paid; this one is {invoice['status']}.", param="id", code="invoice_not_open"
        )
    outcome = charge(invoice["amountRemaining"], payment_method)
    attempts = int(invoice.get("attemptCount", 0)) + 1
    if not outcome.paid:
        return _transition(
            scope,
            invoice,
            {
                "attemptCount": attempts,
                "lastPaymentError": {"code": outcome.error_code, "message": outcome.error_message},
            },
            "invoice.payment_failed",
            request,
            table,
        )
    paid = {
        "status": "paid",
        "amountPaid": invoice["amountPaid"] + invoice["amountRemaining"],
        "amountRemaining": 0,
        "paidAt": clock.to_wire(now),
        "attemptCount": attempts,
        "lastPaymentError": None,
    }
    return _transition(scope, invoice, paid, "invoice.paid", request, table, subscription_ops)
