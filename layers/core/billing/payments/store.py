"""Where payment methods are kept: their keys, item layout and writes.

Item: pk `<scope>#CUST#<cust>`, sk `PM#<pm>`; gsi1 `<scope>#CUST#<cust>#ALL` / `PM#<pm>` (the
customer's bundle). `pmType` says which of `card` and `sepaDebit` the item holds.
"""

from __future__ import annotations

from typing import Any

from billing.customers.store import bundle_partition
from billing.kernel.scope import Scope
from billing.payments.records import Card, Mandate, PaymentMethod, SepaDebit
from billing.store.repository import Delete, Item, Put, Table

PREFIX = "PM#"


def key(scope: Scope, customer_id: str, pm_id: str) -> tuple[str, str]:
    return scope.key("CUST", customer_id), f"{PREFIX}{pm_id}"


def _card_to_stored(card: Card) -> dict[str, Any]:
    return {
        "brand": card.brand,
        "last4": card.last4,
        "expMonth": card.exp_month,
        "expYear": card.exp_year,
        "country": card.country,
    }


def _sepa_debit_to_stored(sepa: SepaDebit) -> dict[str, Any]:
    mandate = sepa.mandate
    return {
        "bankCode": sepa.bank_code,
        "last4": sepa.last4,
        "country": sepa.country,
        "mandate": {
            "reference": mandate.reference,
            "acceptedAt": mandate.accepted_at,
            "ip": mandate.ip,
            "userAgent": mandate.user_agent,
        },
    }


def to_item(scope: Scope, pm: PaymentMethod) -> Item:
    pk, sk = key(scope, pm.customer, pm.id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "payment_method",
        "id": pm.id,
        "customer": pm.customer,
        "pmType": pm.type,
    }
    if pm.card is not None:
        item["card"] = _card_to_stored(pm.card)
    if pm.sepa_debit is not None:
        item["sepaDebit"] = _sepa_debit_to_stored(pm.sepa_debit)
    item.update(
        {
            "fingerprint": pm.fingerprint,
            "testBehavior": pm.test_behavior,
            "createdAt": pm.created_at,
            "gsi1pk": bundle_partition(scope, pm.customer),
            "gsi1sk": sk,
        }
    )
    return item


def from_item(item: Item) -> PaymentMethod:
    card = item.get("card") if item["pmType"] == "card" else None
    sepa = item.get("sepaDebit") if item["pmType"] == "sepa_debit" else None
    return PaymentMethod(
        id=item["id"],
        customer=item["customer"],
        card=None
        if card is None
        else Card(
            brand=card["brand"],
            last4=card["last4"],
            exp_month=int(card["expMonth"]),
            exp_year=int(card["expYear"]),
            country=card.get("country"),
        ),
        sepa_debit=None
        if sepa is None
        else SepaDebit(
            bank_code=sepa["bankCode"],
            last4=sepa["last4"],
            country=sepa["country"],
            mandate=Mandate(
                reference=sepa["mandate"]["reference"],
                accepted_at=sepa["mandate"]["acceptedAt"],
                ip=sepa["mandate"].get("ip"),
                user_agent=sepa["mandate"].get("userAgent"),
            ),
        ),
        fingerprint=item["fingerprint"],
        test_behavior=item.get("testBehavior", "succeed"),
        created_at=item["createdAt"],
    )


def get_payment_method(table: Table, scope: Scope, customer_id: str, pm_id: str) -> PaymentMethod | None:
    item = table.get(*key(scope, customer_id, pm_id))
    return from_item(item) if item is not None else None


def list_payment_methods(table: Table, scope: Scope, customer_id: str) -> list[PaymentMethod]:
    """The customer's methods, newest first (one consistent query of the customer's partition)."""
    items, _ = table.query(scope.key("CUST", customer_id), prefix=PREFIX, consistent=True, forward=False)
    return [from_item(item) for item in items]


def insert(scope: Scope, pm: PaymentMethod) -> Put:
    return Put(to_item(scope, pm), condition="attribute_not_exists(pk)")


def delete(scope: Scope, pm: PaymentMethod) -> Delete:
    pk, sk = key(scope, pm.customer, pm.id)
    return Delete(pk, sk, "attribute_exists(pk)")
