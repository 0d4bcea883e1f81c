"""Payment methods: cards and SEPA debits, kept as brand/last4/expiry (or bank/last4/country)
plus a keyed fingerprint. The full number never reaches the table or a log.

Item: pk `<scope>#CUST#<cust>`, sk `PM#<pm>`; gsi1 `<scope>#CUST#<cust>#ALL` / `PM#<pm>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from billing.customers import customers
from billing.events import events
from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import instruments
from billing.payments.testtokens import CARDS, IBANS, Behavior
from billing.store import keymaterial
from billing.store.repository import Delete, Item, Operation, Put, Table, UnitOfWork

ACTIVE_PAID = ("active", "trialing", "past_due")


class CardDeclined(InvalidRequest):
    status = 402
    type = "card_error"
    code = "card_declined"


def fingerprint(kind: str, number: str) -> str:
    """A keyed hash: equal numbers match within a deployment, and it reveals nothing without the key."""
    return instruments.fingerprint(keymaterial.derive("fingerprint"), kind, number)


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": item["id"],
        "object": "payment_method",
        "type": item["pmType"],
        "customer": item["customer"],
        "fingerprint": item["fingerprint"],
        "createdAt": item["createdAt"],
        "livemode": scope.livemode,
    }
    if item["pmType"] == "card":
        wire["card"] = item["card"]
    else:
        wire["sepaDebit"] = item["sepaDebit"]
    return wire


def pm_item(scope: Scope, customer_id: str, details: dict[str, Any], behavior: Behavior, now: datetime) -> Item:
    pm_id = sortable_id("pm")
    kind = "card" if "card" in details else "sepa_debit"
    return {
        "pk": scope.key("CUST", customer_id),
        "sk": f"PM#{pm_id}",
        "type": "payment_method",
        "id": pm_id,
        "customer": customer_id,
        "pmType": kind,
        **details,
        "testBehavior": behavior,
        "createdAt": clock.to_wire(now),
        "gsi1pk": customers.bundle_partition(scope, customer_id),
        "gsi1sk": f"PM#{pm_id}",
    }


def details_from_token(scope: Scope, token: str, now: datetime) -> tuple[dict[str, Any], Behavior]:
    """What a test token stands for; live mode takes no test tokens."""
    if scope.livemode:
        raise InvalidRequest("Test tokens cannot be used in live mode.", param="token", code="token_invalid")
    if token in CARDS:
        card = CARDS[token]
        if not card.attachable:
            raise CardDeclined("Your card was declined.", param="token")
        return {
            "card": {
                "brand": card.brand,
                "last4": card.number[-4:],
                "expMonth": 12,
                "expYear": now.year + 3,
                "country": card.country,
            },
            "fingerprint": fingerprint("card", card.number),
        }, card.behavior
    if token in IBANS:
        entry = IBANS[token]
        return {
            "sepaDebit": {
                "bankCode": instruments.bank_code(entry.iban),
                "last4": entry.iban[-4:],
                "country": entry.iban[:2],
                "mandate": {
                    "reference": sortable_id("mandate").upper().replace("_", "-"),
                    "acceptedAt": clock.to_wire(now),
                    "ip": None,
                    "userAgent": None,
                },
            },
            "fingerprint": fingerprint("sepa_debit", entry.iban),
        }, entry.behavior
    raise InvalidRequest(f"No such token: '{token}'.", param="token", code="token_invalid")


_TEST_CARDS_BY_NUMBER = {card.number: card for card in CARDS.values()}
_TEST_IBANS_BY_NUMBER = {entry.iban: entry for entry in IBANS.values()}


def details_from_card(
    scope: Scope,
    *,
    number: str,
    exp_month: int | str,
    exp_year: int | str,
    cvc: str,
    now: datetime,
) -> tuple[dict[str, Any], Behavior]:
    """A card typed into the portal's own fields, checked by `instruments.validate_card` and
    reduced to the shape `details_from_token` gives: brand, last4, expiry and the fingerprint.
    The CVC is checked and dropped; the number only feeds the fingerprint.

    How the test processor treats it: a number from the test-card table behaves as its token
    does (4000000000000002 is declined when attached, 4000000000009995 attaches and every charge
    is declined); any other valid number is a card that pays. Live mode refuses test numbers.
    """
    card = instruments.validate_card(number, exp_month, exp_year, cvc, now=now)
    known = _TEST_CARDS_BY_NUMBER.get(card.number)
    if known is not None and scope.livemode:
        raise CardDeclined("Your card was declined; a test card cannot be used in live mode.", param="number")
    if known is not None and not known.attachable:
        raise CardDeclined("Your card was declined.", param="number")
    return {
        "card": {
            "brand": card.brand,
            "last4": card.last4,
            "expMonth": card.exp_month,
            "expYear": card.exp_year,
            "country": known.country if known is not None else None,
        },
        "fingerprint": fingerprint("card", card.number),
    }, (known.behavior if known is not None else "succeed")


def details_from_iban(
    scope: Scope,
    *,
    iban: str,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> tuple[dict[str, Any], Behavior]:
    """A SEPA Direct Debit mandate accepted in the portal: the IBAN checked by
    `instruments.validate_iban` (python-stdnum) and reduced to bank code, last4 and country;
    the mandate records its reference, when it was accepted, and the customer's IP and user
    agent. In test mode the test IBANs behave as their tokens do (`tok_sepa_failed`'s fails)."""
    account = instruments.validate_iban(iban)
    known = None if scope.livemode else _TEST_IBANS_BY_NUMBER.get(account.number)
    return {
        "sepaDebit": {
            "bankCode": account.bank_code,
            "last4": account.last4,
            "country": account.country,
            "mandate": {
                "reference": sortable_id("mandate").upper().replace("_", "-"),
                "acceptedAt": clock.to_wire(now),
                "ip": ip,
                "userAgent": user_agent,
            },
        },
        "fingerprint": fingerprint("sepa_debit", account.number),
    }, (known.behavior if known is not None else "succeed")


def attach(
    scope: Scope,
    customer_id: str,
    details: dict[str, Any],
    behavior: Behavior,
    request: RequestInfo,
    *,
    set_default: bool = False,
    table: Table,
) -> Item:
    """Attaches a method; it becomes the default when asked, or when the customer has none."""
    now = clock.now()
    customer = customers.get(scope, customer_id, table=table)
    item = pm_item(scope, customer_id, details, behavior, now)
    attached = events.event_item(scope, "payment_method.attached", to_wire(item, scope), request, customer=customer_id)
    operations = [Put(item, condition="attribute_not_exists(pk)"), events.event_op(attached)]
    default = (
        item["id"] if set_default or not customer.get("defaultPaymentMethod") else customer["defaultPaymentMethod"]
    )
    _commit(scope, customer, operations, default, request, table)
    return item


def _commit(
    scope: Scope,
    customer: Item,
    operations: Sequence[Operation],
    default: str | None,
    request: RequestInfo,
    table: Table,
) -> None:
    """`operations`, and the customer's new default method with them when it changes."""
    if customer.get("defaultPaymentMethod") == default:
        UnitOfWork(table, request).add(*operations).commit()
    else:
        customers.versioned_change(
            scope,
            customer,
            {"defaultPaymentMethod": default},
            "customer.updated",
            request,
            extra_ops=operations,
            table=table,
        )


def list_for(scope: Scope, customer_id: str, *, table: Table) -> list[Item]:
    customers.get(scope, customer_id, table=table)
    items, _ = table.query(scope.key("CUST", customer_id), prefix="PM#", consistent=True, forward=False)
    return items


def get(scope: Scope, customer_id: str, pm_id: str, *, table: Table) -> Item:
    item = table.get(scope.key("CUST", customer_id), f"PM#{pm_id}")
    if item is None:
        raise NotFound(f"No such payment method: '{pm_id}'.", param="paymentMethod")
    return item


def needs_a_method(scope: Scope, customer_id: str, table: Table) -> bool:
    """Whether the customer has a subscription that will charge (active or trialing, not free)."""
    items, _ = table.query(customers.bundle_partition(scope, customer_id), index="gsi1", prefix="SUB#")
    return any(i.get("status") in ACTIVE_PAID and int(i.get("recurringAmount", 0)) > 0 for i in items)


def detach(scope: Scope, customer_id: str, pm_id: str, request: RequestInfo, *, table: Table) -> Item:
    item = get(scope, customer_id, pm_id, table=table)
    customer = customers.get(scope, customer_id, table=table)
    methods = list_for(scope, customer_id, table=table)
    if len(methods) == 1 and needs_a_method(scope, customer_id, table):
        raise Conflict(
            "This is the customer's only payment method and an active paid subscription charges it; "
            "add another payment method first, or cancel the subscription.",
            param="paymentMethod",
            code="payment_method_required",
        )
    detached = events.event_item(scope, "payment_method.detached", to_wire(item, scope), request, customer=customer_id)
    operations: list[Operation] = [Delete(item["pk"], item["sk"], "attribute_exists(pk)"), events.event_op(detached)]
    default = customer.get("defaultPaymentMethod")
    if default == pm_id:
        others = [m["id"] for m in methods if m["id"] != pm_id]
        default = others[0] if others else None
    _commit(scope, customer, operations, default, request, table)
    return item


def set_default(scope: Scope, customer_id: str, pm_id: str, request: RequestInfo, *, table: Table) -> Item:
    get(scope, customer_id, pm_id, table=table)
    customer = customers.get(scope, customer_id, table=table)
    if customer.get("defaultPaymentMethod") == pm_id:
        return customer
    return customers.versioned_change(
        scope, customer, {"defaultPaymentMethod": pm_id}, "customer.updated", request, table=table
    )
