"""Payment methods: cards and SEPA debits, kept as brand/last4/expiry (or bank/last4/country)
plus a keyed fingerprint. The full number never reaches the table or a log.

The record is `billing.payments.records.PaymentMethod`, kept by `billing.payments.store`.

Fingerprints are keyed per account and mode (`fingerprint`): HMAC under
`keymaterial.derive("fingerprint", account, mode)` of the deployment-wide fingerprint, so the
same card has unrelated fingerprints in two accounts and in test and live mode of one, and a
test-mode portal computes nothing that matches live data or another merchant's. Methods attached
before this (issue 17) keep the deployment-wide fingerprint they were stored with, on the wire
too: it cannot be recomputed without the number, and it still matches that card in other
accounts until the method is detached. Such a method still refuses its card being attached
again (the attach also checks that no fingerprint item holds the deployment-wide value, which is
computed, never stored or shown). Since the new value is keyed over the old one, a migration
can re-key stored fingerprints without the numbers (`instruments.scoped_fingerprint`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypedDict

import msgspec

from billing.customers import customers
from billing.customers.records import Customer
from billing.events import events
from billing.kernel import clock
from billing.kernel.errors import CardError, Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import gateway, instruments, store
from billing.payments.records import Card, Mandate, PaymentMethod, SepaDebit
from billing.payments.testtokens import CARDS, IBANS, Behavior
from billing.store import keymaterial
from billing.store.repository import Check, Operation, Table, UnitOfWork

logger = logging.getLogger(__name__)


class CardDeclined(CardError):
    """A method refused while being saved (402 `card_error`)."""


class PaymentDetails(msgspec.Struct, frozen=True, kw_only=True):
    """What a token, a typed card or an IBAN stands for, ready to attach: the card or the SEPA
    debit (one of them), its fingerprint, and the field it came from (what a refusal names)."""

    card: Card | None = None
    sepa_debit: SepaDebit | None = None
    fingerprint: str
    # The deployment-wide fingerprint methods attached before fingerprints were per account and
    # mode were stored with: checked (never stored, never shown) so that they still refuse it.
    legacy_fingerprint: str | None = None
    param: str = "token"
    gateway_ref: str | None = None  # the gateway's method and customer, when a gateway holds it
    gateway_customer: str | None = None


class DuplicatePaymentMethod(InvalidRequest):
    """The customer already has this card or account (the same fingerprint)."""

    code = "payment_method_exists"


def fingerprint(scope: Scope, kind: str, number: str) -> str:
    """A keyed hash under a key of the account and mode: equal numbers match within one account
    and mode only (the same card has unrelated fingerprints in two accounts, and in test and live
    mode of one), and it reveals nothing without the key."""
    return _fingerprints(scope, kind, number)["fingerprint"]


class _Fingerprints(TypedDict):
    fingerprint: str
    legacy_fingerprint: str


def _fingerprints(scope: Scope, kind: str, number: str) -> _Fingerprints:
    """The fingerprint, and the deployment-wide one it is keyed over (see PaymentDetails)."""
    legacy = instruments.fingerprint(keymaterial.derive("fingerprint"), kind, number)
    scope_key = keymaterial.derive("fingerprint", scope.account_id, scope.mode)
    return {"fingerprint": instruments.scoped_fingerprint(scope_key, legacy), "legacy_fingerprint": legacy}


def card_to_wire(card: Card) -> dict[str, Any]:
    return {
        "brand": card.brand,
        "last4": card.last4,
        "expMonth": card.exp_month,
        "expYear": card.exp_year,
        "country": card.country,
    }


def sepa_debit_to_wire(sepa: SepaDebit) -> dict[str, Any]:
    return {
        "bankCode": sepa.bank_code,
        "last4": sepa.last4,
        "country": sepa.country,
        "mandate": {
            "reference": sepa.mandate.reference,
            "acceptedAt": sepa.mandate.accepted_at,
            "ip": sepa.mandate.ip,
            "userAgent": sepa.mandate.user_agent,
        },
    }


def to_wire(pm: PaymentMethod, scope: Scope) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": pm.id,
        "object": "payment_method",
        "type": pm.type,
        "customer": pm.customer,
        "fingerprint": pm.fingerprint,
        "createdAt": pm.created_at,
        "livemode": scope.livemode,
    }
    if pm.card is not None:
        wire["card"] = card_to_wire(pm.card)
    if pm.sepa_debit is not None:
        wire["sepaDebit"] = sepa_debit_to_wire(pm.sepa_debit)
    return wire


def _mandate(now: datetime, ip: str | None, user_agent: str | None) -> Mandate:
    reference = sortable_id("mandate").upper().replace("_", "-")
    return Mandate(reference=reference, accepted_at=clock.to_wire(now), ip=ip, user_agent=user_agent)


def details_from_token(
    scope: Scope, token: str, now: datetime, *, customer_id: str | None = None, table: Table | None = None
) -> tuple[PaymentDetails, Behavior]:
    """What a token stands for: with a gateway connected, the gateway's own method (Stripe:
    `pm_…`, from its fields or a test ID such as `pm_card_visa`) attached to the customer there;
    else a test token of the simulator (live mode without a gateway: 409)."""
    processor = gateway.require(scope, table)
    if processor.name != "simulator" and customer_id is not None and table is not None:
        customer_ref = _gateway_customer(scope, customer_id, table)
        return _from_saved(scope, processor.attach_method(customer_ref, token), customer_ref, "token"), "succeed"
    if token in CARDS:
        card = CARDS[token]
        if not card.attachable:
            raise CardDeclined("Your card was declined.", param="token")
        return PaymentDetails(
            card=Card(
                brand=card.brand, last4=card.number[-4:], exp_month=12, exp_year=now.year + 3, country=card.country
            ),
            **_fingerprints(scope, "card", card.number),
        ), card.behavior
    if token in IBANS:
        entry = IBANS[token]
        return PaymentDetails(
            sepa_debit=SepaDebit(
                bank_code=instruments.bank_code(entry.iban),
                last4=entry.iban[-4:],
                country=entry.iban[:2],
                mandate=_mandate(now, None, None),
            ),
            **_fingerprints(scope, "sepa_debit", entry.iban),
        ), entry.behavior
    raise InvalidRequest(f"No such token: '{token}'.", param="token", code="token_invalid")


_TEST_CARDS_BY_NUMBER = {card.number: card for card in CARDS.values()}
_TEST_IBANS_BY_NUMBER = {entry.iban: entry for entry in IBANS.values()}
# (they never repeat the number: it stays out of answers and logs)
TEST_CARD_REQUIRED = (
    "Only test cards can be used in test mode; use a test card number (listed in docs/api-guide.md, Test cards)."
)
TEST_IBAN_REQUIRED = (
    "Only test IBANs can be used in test mode; use a test IBAN (listed in docs/api-guide.md, Test cards)."
)


def details_from_card(
    scope: Scope,
    *,
    number: str,
    exp_month: int | str,
    exp_year: int | str,
    cvc: str,
    now: datetime,
    table: Table | None = None,
) -> tuple[PaymentDetails, Behavior]:
    """A card typed into the portal's own fields, checked by `instruments.validate_card` and
    reduced to what `details_from_token` gives: brand, last4, expiry and the fingerprint.
    The CVC is checked and dropped; the number only feeds the fingerprint. With a gateway
    connected, card numbers are typed into its own fields only: a typed number is refused.

    Only the simulator takes typed cards (live mode is a 409 before any check), and only the
    documented test numbers: each behaves as its token does (4000000000000002 is declined when
    attached, 4000000000009995 attaches and every charge is declined); any other number is a 400.
    """
    _simulator_only(scope, table, "number")
    card = instruments.validate_card(number, exp_month, exp_year, cvc, now=now)
    known = _TEST_CARDS_BY_NUMBER.get(card.number)
    if known is None:
        raise InvalidRequest(TEST_CARD_REQUIRED, param="number", code="test_card_required")
    if not known.attachable:
        raise CardDeclined("Your card was declined.", param="number")
    return PaymentDetails(
        card=Card(
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            country=known.country,
        ),
        **_fingerprints(scope, "card", card.number),
        param="number",
    ), known.behavior


def details_from_iban(
    scope: Scope,
    *,
    iban: str,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
    table: Table | None = None,
) -> tuple[PaymentDetails, Behavior]:
    """A SEPA Direct Debit mandate accepted in the portal: the IBAN checked by
    `instruments.validate_iban` (python-stdnum) and reduced to bank code, last4 and country;
    the mandate records its reference, when it was accepted, and the customer's IP and user
    agent. Only the simulator's documented test IBANs are taken, each behaving as its token does
    (`tok_sepa_failed`'s fails); live mode is a 409 before any check. (With a gateway
    connected, `save_iban` hands the IBAN to the gateway instead.)"""
    _simulator_only(scope, table, "iban")
    account = instruments.validate_iban(iban)
    known = _TEST_IBANS_BY_NUMBER.get(account.number)
    if known is None:
        raise InvalidRequest(TEST_IBAN_REQUIRED, param="iban", code="test_iban_required")
    return PaymentDetails(
        sepa_debit=SepaDebit(
            bank_code=account.bank_code,
            last4=account.last4,
            country=account.country,
            mandate=_mandate(now, ip, user_agent),
        ),
        **_fingerprints(scope, "sepa_debit", account.number),
        param="iban",
    ), known.behavior


HOSTED_FIELDS_REQUIRED = (
    "Card numbers are entered in the payment gateway's own fields; this account's gateway takes no typed card number."
)


def _simulator_only(scope: Scope, table: Table | None, param: str) -> None:
    """Typed numbers go to the simulator only: a 409 in live mode without a gateway, a 400 with one."""
    processor = gateway.require(scope, table)
    if processor.name != "simulator":
        raise InvalidRequest(HOSTED_FIELDS_REQUIRED, param=param, code="hosted_fields_required")


def _gateway_customer(scope: Scope, customer_id: str, table: Table) -> str:
    from billing.payments import connections

    return connections.customer_ref(scope, customers.get(scope, customer_id, table=table), table=table)


def _from_saved(scope: Scope, saved: gateway.SavedMethod, customer_ref: str, param: str) -> PaymentDetails:
    kind = "card" if saved.card is not None else "sepa_debit"
    return PaymentDetails(
        card=saved.card,
        sepa_debit=saved.sepa_debit,
        **_fingerprints(scope, kind, saved.fingerprint),
        param=param,
        gateway_ref=saved.reference,
        gateway_customer=customer_ref,
    )


def start_setup(
    scope: Scope, customer_id: str, method_type: gateway.MethodType, *, table: Table
) -> gateway.SetupSession:
    """A setup in the gateway's own fields for the customer (the browser gets its client secret)."""
    processor = gateway.require(scope, table)
    customer_ref = _gateway_customer(scope, customer_id, table)
    return processor.start_setup(customer_ref, method_type, idempotency_key=sortable_id("setup"))


def details_from_setup(scope: Scope, customer_id: str, setup_ref: str, *, table: Table) -> PaymentDetails:
    """The method a setup in the gateway's fields saved (the gateway says it succeeded for this customer)."""
    processor = gateway.require(scope, table)
    customer_ref = _gateway_customer(scope, customer_id, table)
    return _from_saved(scope, processor.finish_setup(setup_ref, customer_ref), customer_ref, "setup_intent")


def save_iban(
    scope: Scope,
    customer_id: str,
    *,
    iban: str,
    name: str,
    email: str,
    ip: str | None,
    user_agent: str | None,
    table: Table,
) -> PaymentDetails:
    """A SEPA mandate accepted in a plain form, saved by the connected gateway (an IBAN is not
    card data: no hosted field is needed). The IBAN is checked here first."""
    processor = gateway.require(scope, table)
    account = instruments.validate_iban(iban)
    customer_ref = _gateway_customer(scope, customer_id, table)
    saved = processor.save_sepa_debit(
        customer_ref,
        iban=account.number,
        name=name,
        email=email,
        ip=ip,
        user_agent=user_agent,
        idempotency_key=sortable_id("mandate"),
    )
    return _from_saved(scope, saved, customer_ref, "iban")


def uses_gateway(scope: Scope, *, table: Table) -> bool:
    """Whether this scope's methods are saved by a connected gateway (its own fields), not the simulator."""
    processor = gateway.for_scope(scope, table)
    return processor is not None and processor.name != "simulator"


def attach(
    scope: Scope,
    customer_id: str,
    details: PaymentDetails,
    behavior: Behavior,
    request: RequestInfo,
    *,
    set_default: bool = False,
    on_new_default: Callable[[Customer], None] | None = None,
    table: Table,
) -> PaymentMethod:
    """Attaches a method; it becomes the default when asked, or when the customer has none (then
    `on_new_default` is told, with the customer as it now is, once the attach is committed).

    A card or account the customer already has (the same fingerprint) is refused, even when two
    attaches race: the attach's transaction puts the fingerprint's item only where none is. A
    customer with methods from before fingerprint items existed is marked on its first attach
    (one Query of its methods, which also refuses a fingerprint one of them holds). Live mode
    has no gateway to take a method: a 409, whatever the caller checked before."""
    gateway.require(scope, table)
    try:
        try:
            pm, customer = _attach(scope, customer_id, details, behavior, request, set_default=set_default, table=table)
        except DuplicatePaymentMethod:
            raise
        except Conflict:
            if not _unmarked(scope, customer_id, details, table):
                raise
            pm, customer = _attach(scope, customer_id, details, behavior, request, set_default=set_default, table=table)
    except DuplicatePaymentMethod:
        _release_duplicate(scope, customer_id, details, table)
        raise
    if on_new_default is not None and customer.default_payment_method == pm.id:
        on_new_default(customer)
    return pm


def _release_duplicate(scope: Scope, customer_id: str, details: PaymentDetails, table: Table) -> None:
    """A method the gateway saved for this attach, refused here as a duplicate: detached there
    too, unless it is the very method already recorded (the same `pm_…` attached twice)."""
    if details.gateway_ref is None:
        return
    if any(pm.gateway_ref == details.gateway_ref for pm in store.list_payment_methods(table, scope, customer_id)):
        return
    _detach_at_gateway(scope, details.gateway_ref, table)


def _attach(
    scope: Scope,
    customer_id: str,
    details: PaymentDetails,
    behavior: Behavior,
    request: RequestInfo,
    *,
    set_default: bool,
    table: Table,
) -> tuple[PaymentMethod, Customer]:
    """The method attached, and the customer as it is after (its default changed or not)."""
    now = clock.now()
    customer = customers.get(scope, customer_id, table=table)
    pm = PaymentMethod(
        id=sortable_id("pm"),
        customer=customer_id,
        card=details.card,
        sepa_debit=details.sepa_debit,
        fingerprint=details.fingerprint,
        test_behavior=behavior,
        created_at=clock.to_wire(now),
        gateway_ref=details.gateway_ref,
        gateway_customer=details.gateway_customer,
    )
    attached = events.event_item(scope, "payment_method.attached", to_wire(pm, scope), request, customer=customer_id)
    operations: list[Operation] = [
        store.insert(scope, pm),
        store.claim_fingerprint(scope, pm),
        *_legacy_fingerprint_free(scope, customer_id, details),
        # (a customer without a default has no method: attach and detach keep the default)
        store.fingerprints_marked(scope, customer_id, first_method=customer.default_payment_method is None),
        events.event_op(attached),
    ]
    default = pm.id if set_default or not customer.default_payment_method else customer.default_payment_method
    try:
        _commit(scope, customer, operations, default, request, table)
    except Conflict:
        if any(store.fingerprint_held(table, scope, customer_id, held) for held in _held_as(details)):
            raise _duplicate(details) from None
        raise
    if default == customer.default_payment_method:
        return pm, customer
    return pm, msgspec.structs.replace(customer, default_payment_method=default, version=customer.version + 1)


def _held_as(details: PaymentDetails) -> tuple[str, ...]:
    """The fingerprints a method of this card or account may be stored under: its own, and the
    deployment-wide one of methods attached before fingerprints were per account and mode."""
    return (
        (details.fingerprint,)
        if details.legacy_fingerprint is None
        else (details.fingerprint, details.legacy_fingerprint)
    )


def _legacy_fingerprint_free(scope: Scope, customer_id: str, details: PaymentDetails) -> list[Operation]:
    """With an attach: the customer holds no method of this card or account from before
    fingerprints were per account and mode (its fingerprint item has the deployment-wide value)."""
    if details.legacy_fingerprint is None:
        return []
    return [Check(*store.fingerprint_key(scope, customer_id, details.legacy_fingerprint), "attribute_not_exists(pk)")]


def _duplicate(details: PaymentDetails) -> DuplicatePaymentMethod:
    kind = "card" if details.card is not None else "bank account"
    return DuplicatePaymentMethod(
        f"The customer already has this {kind} (a payment method with the same fingerprint); "
        "detach it first to add it again.",
        param=details.param,
    )


def _unmarked(scope: Scope, customer_id: str, details: PaymentDetails, table: Table) -> bool:
    """After an attach's conflict: whether it was the customer's missing mark (methods from before
    fingerprint items). Then its methods are read, the fingerprint refused when one holds it, and
    their fingerprints written with the mark, so that the attach can run again."""
    if store.has_fingerprints_marked(table, scope, customer_id):
        return False
    methods = store.list_payment_methods(table, scope, customer_id)
    if not methods:
        return False  # (a conflict on the customer: its first method is being attached)
    if any(pm.fingerprint in _held_as(details) for pm in methods):
        raise _duplicate(details)
    for operations in store.mark_fingerprints(scope, customer_id, methods):
        table.transact(operations)
    return True


def _commit(
    scope: Scope,
    customer: Customer,
    operations: Sequence[Operation],
    default: str | None,
    request: RequestInfo,
    table: Table,
) -> None:
    """`operations`, and the customer's new default method with them when it changes."""
    if customer.default_payment_method == default:
        UnitOfWork(table, request).add(*operations).commit()
    else:
        customers.versioned_change(
            scope,
            customer,
            {"default_payment_method": default},
            "customer.updated",
            request,
            extra_ops=operations,
            table=table,
        )


def list_for(scope: Scope, customer_id: str, *, table: Table) -> list[PaymentMethod]:
    customers.get(scope, customer_id, table=table)
    return store.list_payment_methods(table, scope, customer_id)


def list_page(
    scope: Scope,
    customer_id: str,
    *,
    limit: int,
    starting_after: str | None,
    ending_before: str | None = None,
    table: Table,
) -> dict[str, Any]:
    """A page of the customer's methods, newest first (`limit`, `startingAfter`, `endingBefore`)."""
    customers.get(scope, customer_id, table=table)
    return store.payment_method_page(
        table,
        scope,
        customer_id,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        to_wire=lambda pm: to_wire(pm, scope),
    )


def get(scope: Scope, customer_id: str, pm_id: str, *, table: Table) -> PaymentMethod:
    pm = store.get_payment_method(table, scope, customer_id, pm_id)
    if pm is None:
        raise NotFound(f"No such payment method: '{pm_id}'.", param="paymentMethod")
    return pm


def detach(
    scope: Scope,
    customer_id: str,
    pm_id: str,
    request: RequestInfo,
    *,
    still_charged: Callable[[], bool],
    repoint: Callable[[], Sequence[Operation]],
    table: Table,
) -> PaymentMethod:
    """Removes a payment method; the last one is kept while `still_charged()` says a subscription
    charges it, and `repoint()`'s writes (the subscriptions that named it) go in the same
    transaction (the subscriptions area, above this one, answers both)."""
    pm = get(scope, customer_id, pm_id, table=table)
    customer = customers.get(scope, customer_id, table=table)
    methods = store.list_payment_methods(table, scope, customer_id)  # the customer is read above
    if len(methods) == 1 and still_charged():
        raise Conflict(
            "This is the customer's only payment method and an active paid subscription charges it; "
            "add another payment method first, or cancel the subscription.",
            param="paymentMethod",
            code="payment_method_required",
        )
    detached = events.event_item(scope, "payment_method.detached", to_wire(pm, scope), request, customer=customer_id)
    operations: list[Operation] = [store.delete(scope, pm), events.event_op(detached)]
    # Methods attached twice before fingerprint items existed share one: it stays while another holds it.
    twin = next((m for m in methods if m.id != pm_id and m.fingerprint == pm.fingerprint), None)
    operations.append(store.release_fingerprint(scope, pm) if twin is None else store.still_attached(scope, twin))
    operations.extend(repoint())
    default = customer.default_payment_method
    if default == pm_id:
        others = [m.id for m in methods if m.id != pm_id]
        default = others[0] if others else None
    _commit(scope, customer, operations, default, request, table)
    if pm.gateway_ref is not None:
        _detach_at_gateway(scope, pm.gateway_ref, table)
    return pm


def _detach_at_gateway(scope: Scope, gateway_ref: str, table: Table) -> None:
    """After the method is gone here (so nothing charges it again): detached at the gateway too.
    A gateway that does not answer leaves it attached there, unused; that is logged, not raised."""
    processor = gateway.for_scope(scope, table)
    if processor is None or processor.name == "simulator":
        return
    try:
        processor.detach(gateway_ref)
    except gateway.GatewayUnavailable:
        logger.warning("payment method left attached at the gateway", extra={"gateway_method": gateway_ref})


def held_by(scope: Scope, customer_id: str, *, table: Table) -> list[PaymentMethod]:
    """The customer's methods (one consistent query), whether or not the customer is still there."""
    return store.list_payment_methods(table, scope, customer_id)


def erase_ops(scope: Scope, customer_id: str, methods: list[PaymentMethod], *, last: bool) -> list[Operation]:
    """The writes removing `methods` and their fingerprints (`last`: and the customer's mark, its
    methods all gone), for the transaction that deletes the customer; no event each."""
    ops = store.erase_ops(scope, methods)
    return [*ops, store.erase_marks(scope, customer_id)] if last else ops


def detach_all_at_gateway(scope: Scope, methods: Sequence[PaymentMethod], table: Table) -> None:
    """Methods already gone here (a deleted customer's) detached at the gateway too, as `detach` does."""
    for pm in methods:
        if pm.gateway_ref is not None:
            _detach_at_gateway(scope, pm.gateway_ref, table)


def set_default(scope: Scope, customer_id: str, pm_id: str, request: RequestInfo, *, table: Table) -> Customer:
    get(scope, customer_id, pm_id, table=table)
    customer = customers.get(scope, customer_id, table=table)
    if customer.default_payment_method == pm_id:
        return customer
    return customers.versioned_change(
        scope, customer, {"default_payment_method": pm_id}, "customer.updated", request, table=table
    )
