"""Invoices: built from lines, numbered without gaps per account and mode, charged through the
test processor, and written with their events in one transaction (`billing.invoicing.store`
keeps them and their number counter)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from billing.accounts.records import Account
from billing.catalog.records import Coupon, Discount, TaxRate
from billing.customers.records import Customer
from billing.events import events
from billing.invoicing import hostedlinks, invoicemath, store, tax
from billing.invoicing.records import CouponTerms, Invoice, InvoiceLine, LineKind, PaymentError, PaymentPending
from billing.kernel import clock
from billing.kernel.errors import CardError, Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import gateway
from billing.payments.gateway import ChargeRequest, ChargeResult
from billing.payments.records import PaymentMethod
from billing.store.repository import Operation, Table, UnitOfWork, Update


class Line(msgspec.Struct, frozen=True):
    description: str
    amount: int
    quantity: int
    unit_amount: int | None
    price: str | None
    period_start: datetime
    period_end: datetime
    proration: bool = False
    # False for a line whose amount is already what was charged after the discount (a proration
    # line): the invoice's coupon does not discount it again.
    discountable: bool = True
    # Its parts, so that it can be worded in the invoice's language (`description` is the English).
    kind: LineKind | None = None
    item_description: str | None = None
    at: datetime | None = None


class ChargeOutcome(msgspec.Struct, frozen=True):
    paid: bool
    error_code: str | None = None
    error_message: str | None = None
    # Not paid yet, and not failed: the gateway reports later, or the customer must authenticate.
    pending: PaymentPending | None = None
    reference: str | None = None  # the gateway's payment
    declined: bool = False  # the issuer or bank said no (`error_code` is its reason)

    @property
    def in_good_standing(self) -> bool:
        """Paid, or processing (a SEPA debit): the subscription stays active until the gateway says otherwise."""
        return self.paid or self.pending == "processing"


def number_prefix(account_id: str) -> str:
    return account_id.removeprefix("acct_")[:8].upper()


def party_snapshot(customer: Customer) -> dict[str, Any]:
    """The customer as the invoice keeps it; with its preferred locale, the invoice's language."""
    snapshot: dict[str, Any] = {
        "name": customer.name,
        "email": customer.email,
        "address": customer.address,
        "taxIds": [{"type": t.type, "value": t.value} for t in customer.tax_ids],
    }
    if customer.preferred_locale is not None:
        snapshot["preferredLocale"] = customer.preferred_locale
    return snapshot


def seller_snapshot(account: Account) -> dict[str, Any]:
    return {
        "name": account.name,
        "legalName": account.legal_name,
        "address": account.address,
        "taxId": account.tax_id,
        "country": account.country,
    }


def coupon_terms(coupon: Coupon) -> CouponTerms:
    """The coupon as an invoice keeps it, in parts (its name as written; what it takes off)."""
    percent = coupon.percent
    return CouponTerms(
        name=coupon.name or coupon.id,
        percent_off=None if percent is None else f"{percent.normalize():f}",
        amount_off=None if percent is not None else coupon.amount_off,
    )


def coupon_discount(coupon: Coupon) -> invoicemath.Discount:
    """A coupon as an invoice applies it: a percentage off each line, or an amount spread over them."""
    return invoicemath.Discount(percent_off=coupon.percent, amount_off=coupon.amount_off)


def build(
    scope: Scope,
    *,
    account: Account,
    customer: Customer,
    currency: str,
    lines: Sequence[Line],
    discount: Discount | None,
    tax_rates: Sequence[TaxRate],
    subscription: str | None,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
) -> Invoice:
    """A draft invoice: lines, the coupon's discount, tax by the customer's country, the
    customer's credit taken off what it charges."""
    amounts = [line.amount for line in lines]
    coupon = discount.coupon if discount and discount.coupon.applies_to(currency) else None
    open_to_discount = [n for n, line in enumerate(lines) if line.discountable]
    discounts = [0] * len(lines)
    reductions = invoicemath.line_discounts(
        [amounts[n] for n in open_to_discount], coupon_discount(coupon) if coupon else None
    )
    for n, reduction in zip(open_to_discount, reductions, strict=True):
        discounts[n] = reduction
    address = customer.address or {}
    taxed = tax.compute(
        [a - d for a, d in zip(amounts, discounts, strict=True)],
        tax_rates,
        seller_country=account.country,
        customer_country=address.get("country"),
        customer_state=address.get("state"),
        customer_tax_ids=customer.tax_ids,
    )
    invoice_id = sortable_id("inv")
    invoice_lines = tuple(
        InvoiceLine(
            id=sortable_id("il"),
            description=line.description,
            amount=line.amount,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            price=line.price,
            period_start=clock.to_wire(line.period_start),
            period_end=clock.to_wire(line.period_end),
            proration=line.proration,
            discount_amount=discounts[n],
            tax_amount=taxed.line_taxes[n],
            kind=line.kind,
            item_description=line.item_description,
            at=clock.to_wire(line.at) if line.at is not None else None,
        )
        for n, line in enumerate(lines)
    )
    rate = taxed.rate
    draft = Invoice(
        id=invoice_id,
        number=None,
        customer=customer.id,
        subscription=subscription,
        status="draft",
        currency=currency,
        lines=invoice_lines,
        discount_name=None,
        tax_name=rate.label if rate else None,
        tax_inclusive=bool(rate and rate.inclusive),
        reverse_charge_note=taxed.note,
        applied_credit=0,
        amount_paid=0,
        amount_remaining=0,
        period_start=clock.to_wire(period_start),
        period_end=clock.to_wire(period_end),
        created_at=clock.to_wire(now),
        finalized_at=None,
        paid_at=None,
        attempt_count=0,
        last_payment_error=None,
        seller=seller_snapshot(account),
        customer_details=party_snapshot(customer),
        version=1,
    )
    applied = min(customer.credit_balance(currency), draft.amount_before_credit)
    return replace(
        draft,
        discount_name=coupon.label if coupon and draft.discount else None,
        discount_terms=coupon_terms(coupon) if coupon and draft.discount else None,
        applied_credit=applied,
        amount_remaining=draft.amount_before_credit - applied,
    )


def charge(
    scope: Scope,
    invoice: Invoice,
    amount_due: int,
    payment_method: PaymentMethod | None,
    *,
    off_session: bool = False,
    table: Table,
) -> ChargeOutcome:
    """The one place a charge is made: through the scope's gateway (`gateway.for_scope`), the
    attempt's idempotency key derived from the invoice and its attempt number, so a retried
    attempt charges once. Without a gateway (live mode, none connected) a charge asked for now
    (a subscription created or changed, an invoice paid) is refused with a 409, and one nobody
    waits for (`off_session`: a renewal, a retry) fails, so the invoice stays open. A gateway that
    cannot be reached raises (503): nothing is known to have moved, nothing is written."""
    if amount_due <= 0:
        return ChargeOutcome(paid=True)
    processor = gateway.for_scope(scope, table)
    if processor is None:
        if not off_session:
            raise gateway.PaymentGatewayNotConfigured(gateway.NOT_CONFIGURED_MESSAGE)
        return ChargeOutcome(False, gateway.NOT_CONFIGURED, gateway.NOT_CONFIGURED_MESSAGE)
    if payment_method is None:
        return ChargeOutcome(False, "payment_method_missing", "The customer has no payment method to charge.")
    if (payment_method.gateway_ref is None) != (processor.name == "simulator"):
        return ChargeOutcome(False, METHOD_ELSEWHERE, METHOD_ELSEWHERE_MESSAGE)
    result = processor.charge(
        ChargeRequest(
            amount=amount_due,
            currency=invoice.currency,
            customer_ref=payment_method.gateway_customer,
            method_ref=payment_method.gateway_ref or payment_method.id,
            idempotency_key=f"{invoice.id}-{invoice.attempt_count + 1}",
            off_session=off_session,
            invoice_id=invoice.id,
            account_id=scope.account_id,
            livemode=scope.livemode,
            method_type=payment_method.type,
            test_behavior=payment_method.test_behavior,
        )
    )
    return outcome_of(result)


METHOD_ELSEWHERE = "payment_method_unusable"
METHOD_ELSEWHERE_MESSAGE = (
    "This payment method is held by another payment gateway than the one connected now; add it again."
)
ACTION_REQUIRED_MESSAGE = "The customer must authenticate this payment (3-D Secure) to complete it."


def outcome_of(result: ChargeResult) -> ChargeOutcome:
    """What an invoice records of a gateway's answer."""
    if result.status == "succeeded":
        return ChargeOutcome(paid=True, reference=result.reference)
    if result.status == "processing":
        return ChargeOutcome(False, pending="processing", reference=result.reference)
    if result.status == "requires_action":
        return ChargeOutcome(
            False,
            result.code or "authentication_required",
            result.message or ACTION_REQUIRED_MESSAGE,
            pending="requires_action",
            reference=result.reference,
        )
    declined = result.status == "declined"
    code = result.code or ("card_declined" if declined else "processing_error")
    return ChargeOutcome(
        False,
        code,
        result.message or "The payment could not be processed.",
        reference=result.reference,
        declined=declined,
    )


def _payment_error(outcome: ChargeOutcome) -> PaymentError:
    return PaymentError(code=outcome.error_code, message=outcome.error_message, declined=outcome.declined)


GENERIC_DECLINE = "generic_decline"


def decline_error(invoice: Invoice) -> CardError | None:
    """The 402 of a payment the caller asked for that the issuer declined (the attempt is
    recorded on `invoice`, still open), with the issuer's reason as `declineCode`; None when
    the last attempt was not declined."""
    error = invoice.last_payment_error
    if invoice.status != "open" or error is None or not error.declined:
        return None
    reason = error.code if error.code and error.code != CardError.code else GENERIC_DECLINE
    message = error.message or "The card was declined."
    return CardError(f"{message} The invoice stays open.", decline_code=reason)


def finalize(scope: Scope, invoice: Invoice, number: int, outcome: ChargeOutcome, now: datetime) -> Invoice:
    """The draft numbered, finalized and paid (or left open with the error)."""
    finalized = replace(
        invoice,
        number=f"{number_prefix(scope.account_id)}-{number:04d}",
        finalized_at=clock.to_wire(now),
        attempt_count=1 if invoice.amount_due > 0 else 0,
    )
    return attempted(finalized, outcome, now)


def attempted(invoice: Invoice, outcome: ChargeOutcome, now: datetime) -> Invoice:
    """`invoice` after a charge attempt: paid; open waiting for the gateway or the customer;
    or open with the error."""
    charged = replace(invoice, payment_reference=outcome.reference, payment_pending=outcome.pending)
    if outcome.paid:
        return replace(
            charged,
            status="paid",
            amount_paid=invoice.amount_paid + invoice.amount_remaining,
            amount_remaining=0,
            paid_at=clock.to_wire(now),
            last_payment_error=None,
        )
    error = None if outcome.pending == "processing" else _payment_error(outcome)
    return replace(charged, status="open", last_payment_error=error)


def attempt_event(invoice: Invoice) -> str | None:
    """The event a charge attempt that left `invoice` so emits (none while the gateway has yet to say)."""
    if invoice.status == "paid":
        return "invoice.paid"
    if invoice.payment_pending == "requires_action":
        return "invoice.payment_action_required"
    if invoice.payment_pending == "processing":
        return None
    return "invoice.payment_failed"


def write_ops(scope: Scope, invoice: Invoice, request: RequestInfo, counter: Operation) -> list[Operation]:
    """The invoice, its number, its hosted link's lookup item, and its events: created,
    finalized, then paid, payment_failed or payment_action_required (nothing more while a
    payment is processing)."""
    wire = to_wire(invoice, scope)
    outcome = attempt_event(invoice)
    kinds = ["invoice.created", "invoice.finalized", *([outcome] if outcome else [])]
    link = hostedlinks.token_hash(hostedlinks.current_token(scope, invoice))
    return [
        store.insert(scope, invoice),
        counter,
        store.hosted_link_put(scope, link, invoice.id),
        *(events.event_op(events.event_item(scope, kind, wire, request, customer=invoice.customer)) for kind in kinds),
    ]


NUMBER_RETRIES = 5


def commit(
    scope: Scope,
    table: Table,
    draft: Invoice,
    outcome: ChargeOutcome,
    now: datetime,
    request: RequestInfo,
    other_ops: Sequence[Operation],
    *,
    claim: tuple[int, Update] | None = None,
) -> Invoice:
    """Numbers and finalizes `draft` and writes it with `other_ops` in one transaction; `claim`
    is the number the request has already read the counter for (`store.claim_after`).

    Two invoices racing for one number: the loser re-reads the counter and tries again; a
    conflict that persists (another change to the same subscription) ends as a 409.
    """
    for attempt in range(NUMBER_RETRIES):
        number, counter = claim if claim is not None and attempt == 0 else store.claim_number(table, scope)
        invoice = finalize(scope, draft, number, outcome, now)
        credit = store.credit_update(scope, invoice)
        try:
            change = UnitOfWork(table, request).add(*other_ops, *write_ops(scope, invoice, request, counter))
            change.add(*([credit] if credit else [])).commit()
            return invoice
        except Conflict:
            if attempt == NUMBER_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _line_to_wire(line: InvoiceLine) -> dict[str, Any]:
    return {
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


def to_wire(invoice: Invoice, scope: Scope, *, hosted_base: str | None = None) -> dict[str, Any]:
    """The API's invoice, with its hosted URL on `hosted_base` (the account's portal origin,
    `hostedinvoices.portal_base`) when given. Events are written without it: the URL carries
    the link's token, and the table keeps only the token's hash."""
    error = invoice.last_payment_error
    wire = {
        "id": invoice.id,
        "number": invoice.number,
        "customer": invoice.customer,
        "subscription": invoice.subscription,
        "status": invoice.status,
        "currency": invoice.currency,
        "lines": [_line_to_wire(line) for line in invoice.lines],
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
        "lastPaymentError": None if error is None else {"code": error.code, "message": error.message},
        "paymentProcessing": invoice.payment_pending == "processing",
        "paymentActionRequired": (
            {"type": "authenticate", "message": ACTION_REQUIRED_MESSAGE}
            if invoice.payment_pending == "requires_action" and invoice.status == "open"
            else None
        ),
        "seller": invoice.seller,
        "customerDetails": invoice.customer_details,
        "object": "invoice",
        "livemode": scope.livemode,
    }
    if hosted_base is not None:
        wire["hostedInvoiceUrl"] = hostedlinks.url(scope, invoice, hosted_base)
    return wire


def get(scope: Scope, invoice_id: str, *, table: Table) -> Invoice:
    invoice = store.get_invoice(table, scope, invoice_id)
    if invoice is None:
        raise NotFound(f"No such invoice: '{invoice_id}'.", param="invoice")
    return invoice


def list_invoices(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    customer: str | None = None,
    subscription: str | None = None,
    status: str | None = None,
    ending_before: str | None = None,
    hosted_base: str | None = None,
    table: Table,
) -> dict[str, Any]:
    return store.list_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        customer=customer,
        subscription=subscription,
        status=status,
        to_wire=lambda invoice: to_wire(invoice, scope, hosted_base=hosted_base),
    )


# ------------------------------------------------------------------ after finalization
def _transition(
    scope: Scope,
    before: Invoice,
    after: Invoice,
    event_type: str,
    request: RequestInfo,
    table: Table,
    extra_ops: Sequence[Operation] = (),
) -> Invoice:
    """`after` (one version on from `before`) written over the version read, with its event."""
    event = events.event_item(scope, event_type, to_wire(after, scope), request, customer=before.customer)
    change = UnitOfWork(table, request, conflict_message="The invoice was changed by another request; retry.")
    change.add(store.replace(scope, after, before.version), events.event_op(event), *extra_ops).commit()
    return after


def _require_open(invoice: Invoice, action: str) -> None:
    if invoice.status != "open":
        raise InvalidRequest(
            f"Only an open invoice can be {action}; this one is {invoice.status}.",
            param="invoice",
            code="invoice_not_open",
        )


def void(
    scope: Scope,
    invoice_id: str,
    request: RequestInfo,
    *,
    table: Table,
    known: Invoice | None = None,
    extra_ops: Sequence[Operation] = (),
) -> Invoice:
    """An open invoice cancelled: nothing is owed. Its number stays used (numbers have no gaps).
    `known`: the invoice as the caller read it; `extra_ops` commit with it (its subscription's
    change, `billing.subscriptions.collection.close_invoice`)."""
    invoice = known or get(scope, invoice_id, table=table)
    _require_open(invoice, "voided")
    voided = voided_version(invoice, clock.now())
    return _transition(scope, invoice, voided, "invoice.voided", request, table, extra_ops)


def voided_version(invoice: Invoice, at: datetime) -> Invoice:
    """`invoice` (open) voided at `at`."""
    return replace(invoice, status="void", amount_remaining=0, closed_at=clock.to_wire(at), version=invoice.version + 1)


def void_ops(scope: Scope, invoice: Invoice, at: datetime, request: RequestInfo) -> list[Operation]:
    """`invoice` (open) voided at `at`, written only over the version read, with its event: for a
    caller that commits it with changes of its own (an `incomplete` subscription expiring)."""
    voided = voided_version(invoice, at)
    event = events.event_item(scope, "invoice.voided", to_wire(voided, scope), request, customer=invoice.customer)
    return [store.replace(scope, voided, invoice.version), events.event_op(event)]


def mark_uncollectible(
    scope: Scope,
    invoice_id: str,
    request: RequestInfo,
    *,
    table: Table,
    known: Invoice | None = None,
    extra_ops: Sequence[Operation] = (),
) -> Invoice:
    """An open invoice written off (it can still be paid). `known`, `extra_ops`: as `void`'s."""
    invoice = known or get(scope, invoice_id, table=table)
    _require_open(invoice, "marked uncollectible")
    marked = replace(invoice, status="uncollectible", closed_at=clock.to_wire(clock.now()), version=invoice.version + 1)
    return _transition(scope, invoice, marked, "invoice.marked_uncollectible", request, table, extra_ops)


def pay(
    scope: Scope,
    invoice_id: str,
    payment_method: PaymentMethod | None,
    request: RequestInfo,
    now: datetime,
    *,
    subscription_ops: Sequence[Operation] = (),
    table: Table,
    off_session: bool = False,
) -> Invoice:
    """Charges an open (or uncollectible) invoice again; paid, or open with the new error (or
    waiting for the gateway or the customer). `subscription_ops` are written only if it is paid."""
    invoice = get(scope, invoice_id, table=table)
    if invoice.status not in ("open", "uncollectible"):
        raise InvalidRequest(
            f"Only an open invoice can be paid; this one is {invoice.status}.", param="invoice", code="invoice_not_open"
        )
    if invoice.payment_pending == "processing":
        raise Conflict(
            "A payment of this invoice is processing; its outcome is not known yet.",
            param="invoice",
            code="invoice_payment_processing",
        )
    outcome = charge(scope, invoice, invoice.amount_remaining, payment_method, off_session=off_session, table=table)
    return settle(
        scope, invoice, outcome, request, now, new_attempt=True, subscription_ops=subscription_ops, table=table
    )


def settle(
    scope: Scope,
    invoice: Invoice,
    outcome: ChargeOutcome,
    request: RequestInfo,
    now: datetime,
    *,
    new_attempt: bool = False,
    subscription_ops: Sequence[Operation] = (),
    extra_ops: Sequence[Operation] = (),
    table: Table,
) -> Invoice:
    """`invoice` after a charge's outcome, written with its event: a new attempt's (`pay`), or
    the gateway's later word on the current one (a SEPA debit settled, a payment the customer
    authenticated). `subscription_ops` are written only if it is paid."""
    attempts = invoice.attempt_count + 1 if new_attempt else invoice.attempt_count
    after = attempted(replace(invoice, attempt_count=attempts, version=invoice.version + 1), outcome, now)
    return _write_outcome(
        scope, invoice, after, request, subscription_ops=subscription_ops, extra_ops=extra_ops, table=table
    )


def _write_outcome(
    scope: Scope,
    before: Invoice,
    after: Invoice,
    request: RequestInfo,
    *,
    subscription_ops: Sequence[Operation] = (),
    extra_ops: Sequence[Operation] = (),
    table: Table,
) -> Invoice:
    event_type = attempt_event(after)
    ops = [*extra_ops, *(subscription_ops if after.status == "paid" else ())]
    if event_type is None:
        UnitOfWork(table, request, conflict_message="The invoice was changed by another request; retry.").add(
            store.replace(scope, after, before.version), *ops
        ).commit()
        return after
    return _transition(scope, before, after, event_type, request, table, ops)
