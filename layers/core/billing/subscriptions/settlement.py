"""Payments the gateway settles after the charge: a SEPA debit that succeeds or fails days later,
a payment the customer authenticated (3-D Secure). Each outcome lands on the invoice's current
attempt with the event a merchant expects (`invoice.paid`, `invoice.payment_failed`), and moves
the subscription the invoice belongs to (`past_due` back to `active`, or `active` to `past_due`).
A gateway event settles once: its mark is written in the same transaction as the invoice."""

from __future__ import annotations

import json
import time

from msgspec.structs import replace

from billing.accounts import accounts
from billing.invoicing import invoices
from billing.invoicing import store as invoice_store
from billing.invoicing.records import Invoice
from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import gateway
from billing.payments.gateway import ChargeResult, GatewayEvent
from billing.store.repository import Operation, Table
from billing.subscriptions import collection, dunning, subscriptions

# Stripe retries an event for three days; the mark outlives that.
EVENT_MARK_SECONDS = 30 * 24 * 3600
_SETTLES = ("succeeded", "declined", "failed")


def receive(account_id: str, payload: bytes, signature: str | None, request: RequestInfo, *, table: Table) -> str:
    """A gateway webhook for `account_id`: verified with the connected gateway's secret for the
    mode the event says (a payload that does not verify is a 400 and changes nothing), then
    settled. Answers what was done: `settled`, `duplicate` or `ignored` (not a payment of ours)."""
    scope = Scope(account_id=account_id, mode="live" if _claimed_livemode(payload) else "test")
    processor = gateway.for_scope(scope, table)
    if processor is None or processor.name == "simulator":
        raise NotFound("No payment gateway is connected for this account and mode.", param="account")
    event = processor.verify_event(payload, signature)
    if event.account_id not in (None, account_id):
        return "ignored"
    return settle_event(scope, event, request, table=table)


def _claimed_livemode(payload: bytes) -> bool:
    """Which mode's secret to verify with: what the payload claims (the signature then proves it)."""
    try:
        document = json.loads(payload)
    except ValueError:
        raise InvalidRequest("The body is not a gateway event.", param="body") from None
    return bool(document.get("livemode")) if isinstance(document, dict) else False


def settle_event(scope: Scope, event: GatewayEvent, request: RequestInfo, *, table: Table) -> str:
    if event.status not in _SETTLES or event.invoice_id is None or event.reference is None:
        return "ignored"
    if invoice_store.gateway_event_settled(table, scope, event.id):
        return "duplicate"
    try:
        invoice = invoices.get(scope, event.invoice_id, table=table)
    except NotFound:
        return "ignored"
    if invoice.payment_reference != event.reference or invoice.status != "open":
        return "ignored"  # an earlier attempt's, or already settled (the customer finished on session)
    result = ChargeResult(status=event.status, reference=event.reference, code=event.code, message=event.message)
    mark = invoice_store.claim_gateway_event(scope, event.id, invoice.id, int(time.time()) + EVENT_MARK_SECONDS)
    try:
        _apply(scope, invoice, invoices.outcome_of(result), request, table, (mark,))
    except Conflict:
        if invoice_store.gateway_event_settled(table, scope, event.id):
            return "duplicate"
        raise
    return "settled"


def complete_payment(scope: Scope, invoice_id: str, request: RequestInfo, *, table: Table) -> Invoice:
    """After the customer authenticated the invoice's payment in the gateway's flow: its state
    asked of the gateway and recorded (paid, still waiting, or failed with the reason)."""
    invoice = invoices.get(scope, invoice_id, table=table)
    if invoice.status != "open" or invoice.payment_reference is None:
        return invoice
    processor = gateway.require(scope, table)
    outcome = invoices.outcome_of(processor.payment(invoice.payment_reference))
    if outcome.pending == invoice.payment_pending and not outcome.paid:
        return invoice
    return _apply(scope, invoice, outcome, request, table, ())


def client_secret(scope: Scope, invoice: Invoice, *, table: Table) -> str:
    """What the customer's browser needs to authenticate the invoice's payment (never stored)."""
    if invoice.status != "open" or invoice.payment_pending != "requires_action" or invoice.payment_reference is None:
        raise InvalidRequest("This invoice has no payment waiting for the customer.", param="id")
    return gateway.require(scope, table).payment_client_secret(invoice.payment_reference)


def _apply(
    scope: Scope,
    invoice: Invoice,
    outcome: invoices.ChargeOutcome,
    request: RequestInfo,
    table: Table,
    marks: tuple[Operation, ...],
) -> Invoice:
    sub_ops: list[Operation] = []
    now = clock.now()
    if invoice.subscription:
        sub = subscriptions.get(scope, invoice.subscription, table=table)
        if outcome.paid:
            sub_ops = collection.revival_ops(scope, sub, invoice.id, now, request)
        elif not outcome.in_good_standing and sub.status == "active" and sub.latest_invoice == invoice.id:
            # (a debit that failed after it was processing: dunning starts from now)
            settings = accounts.get_dunning(scope.account_id, table=table)
            after = replace(
                sub, status="past_due", dunning=dunning.after_renewal(sub, now, settings), version=sub.version + 1
            )
            sub_ops = subscriptions.change_ops(scope, sub, after, "subscription.updated", request)
    return invoices.settle(scope, invoice, outcome, request, now, extra_ops=(*marks, *sub_ops), table=table)
