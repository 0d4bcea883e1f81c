"""Where payment methods are kept: their keys, item layout and writes.

Item: pk `<scope>#CUST#<cust>`, sk `PM#<pm>`; gsi1 `<scope>#CUST#<cust>#ALL` / `PM#<pm>` (the
customer's bundle). `pmType` says which of `card` and `sepaDebit` the item holds.

Fingerprint: pk `<scope>#CUST#<cust>`, sk `PMFP#<fingerprint>`, `paymentMethod` the method holding
it: put with `attribute_not_exists(pk)` in the attach's transaction and deleted in the detach's, so
that a customer holds a card or account once even when two attaches race.
Fingerprints marked: pk `<scope>#CUST#<cust>`, sk `PMFP`: every method of the customer has its
fingerprint item. Customers whose methods were attached before fingerprint items existed lack it;
their first attach marks them (`mark_fingerprints`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.customers.store import bundle_partition
from billing.kernel.scope import Scope
from billing.payments.records import Card, GatewayConnection, Mandate, PaymentMethod, SepaDebit
from billing.store.listing import page_of
from billing.store.repository import Check, Delete, Item, Operation, Put, Table, stored_as

PREFIX = "PM#"
FINGERPRINT_PREFIX = "PMFP#"
FINGERPRINTS_MARKED_SK = "PMFP"
_NEW = "attribute_not_exists(pk)"
# A transaction holds at most 100 items: marking takes two per method (its check and its fingerprint).
_MARKS_PER_TRANSACTION = 49


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
    if pm.gateway_ref is not None:  # (a gateway's method: its IDs there)
        item.update({"gatewayRef": pm.gateway_ref, "gatewayCustomer": pm.gateway_customer})
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
        gateway_ref=item.get("gatewayRef"),
        gateway_customer=item.get("gatewayCustomer"),
        created_at=item["createdAt"],
    )


def get_payment_method(table: Table, scope: Scope, customer_id: str, pm_id: str) -> PaymentMethod | None:
    item = table.get(*key(scope, customer_id, pm_id))
    return from_item(item) if item is not None else None


def list_payment_methods(table: Table, scope: Scope, customer_id: str) -> list[PaymentMethod]:
    """The customer's methods, newest first (one consistent query of the customer's partition)."""
    items, _ = table.query(scope.key("CUST", customer_id), prefix=PREFIX, consistent=True, forward=False)
    return [from_item(item) for item in items]


def payment_method_page(
    table: Table,
    scope: Scope,
    customer_id: str,
    *,
    limit: int,
    starting_after: str | None,
    ending_before: str | None,
    to_wire: Callable[[PaymentMethod], dict[str, Any]],
) -> dict[str, Any]:
    """A page of the customer's methods, newest first, as every list pages (one query: they are few)."""
    return page_of(
        list_payment_methods(table, scope, customer_id),
        object_id=lambda pm: pm.id,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        to_wire=to_wire,
    )


def insert(scope: Scope, pm: PaymentMethod) -> Put:
    return Put(to_item(scope, pm), condition=_NEW)


def delete(scope: Scope, pm: PaymentMethod) -> Delete:
    pk, sk = key(scope, pm.customer, pm.id)
    return Delete(pk, sk, "attribute_exists(pk)")


# ------------------------------------------------------------------ fingerprints
def fingerprint_key(scope: Scope, customer_id: str, fingerprint: str) -> tuple[str, str]:
    return scope.key("CUST", customer_id), f"{FINGERPRINT_PREFIX}{fingerprint}"


def _marks_key(scope: Scope, customer_id: str) -> tuple[str, str]:
    return scope.key("CUST", customer_id), FINGERPRINTS_MARKED_SK


def _fingerprint_item(scope: Scope, pm: PaymentMethod) -> Item:
    pk, sk = fingerprint_key(scope, pm.customer, pm.fingerprint)
    return {"pk": pk, "sk": sk, "type": "payment_method_fingerprint", "paymentMethod": pm.id}


def _marks_item(scope: Scope, customer_id: str) -> Item:
    pk, sk = _marks_key(scope, customer_id)
    return {"pk": pk, "sk": sk, "type": "payment_method_fingerprints"}


def claim_fingerprint(scope: Scope, pm: PaymentMethod) -> Put:
    """The method's fingerprint item; the transaction fails when the customer already holds it."""
    return Put(_fingerprint_item(scope, pm), condition=_NEW)


def release_fingerprint(scope: Scope, pm: PaymentMethod) -> Delete:
    """Unconditional: a method attached before fingerprint items existed has none."""
    return Delete(*fingerprint_key(scope, pm.customer, pm.fingerprint))


def still_attached(scope: Scope, pm: PaymentMethod) -> Check:
    return Check(*key(scope, pm.customer, pm.id), "attribute_exists(pk)")


def erase_ops(scope: Scope, methods: list[PaymentMethod]) -> list[Operation]:
    """The methods gone with their fingerprint items (once each: twins share one)."""
    ops: list[Operation] = [delete(scope, pm) for pm in methods]
    fingerprints = {fingerprint_key(scope, pm.customer, pm.fingerprint) for pm in methods}
    ops += [Delete(pk, sk) for pk, sk in sorted(fingerprints)]
    return ops


def erase_marks(scope: Scope, customer_id: str) -> Delete:
    """The customer's fingerprints mark gone (with the last of its methods)."""
    return Delete(*_marks_key(scope, customer_id))


def fingerprints_marked(scope: Scope, customer_id: str, *, first_method: bool) -> Put | Check:
    """With an attach: a customer's first method marks it; any other attach requires the mark
    (without it, methods attached before fingerprint items existed could hold the fingerprint)."""
    if first_method:
        return Put(_marks_item(scope, customer_id))
    return Check(*_marks_key(scope, customer_id), "attribute_exists(pk)")


def fingerprint_held(table: Table, scope: Scope, customer_id: str, fingerprint: str) -> bool:
    return table.get(*fingerprint_key(scope, customer_id, fingerprint)) is not None


def has_fingerprints_marked(table: Table, scope: Scope, customer_id: str) -> bool:
    return table.get(*_marks_key(scope, customer_id)) is not None


def mark_fingerprints(scope: Scope, customer_id: str, methods: list[PaymentMethod]) -> list[list[Operation]]:
    """The transactions giving methods attached before fingerprint items existed theirs, then the
    mark. Each fingerprint is written only while its method is still there (a detach meanwhile
    fails the transaction: no fingerprint outlives its method); a re-run rewrites them."""
    holders = list({pm.fingerprint: pm for pm in methods}.values())
    batches: list[list[Operation]] = []
    for start in range(0, len(holders), _MARKS_PER_TRANSACTION):
        batch: list[Operation] = []
        for pm in holders[start : start + _MARKS_PER_TRANSACTION]:
            batch += [Check(*key(scope, customer_id, pm.id), "attribute_exists(pk)"), Put(_fingerprint_item(scope, pm))]
        batches.append(batch)
    if not batches:
        batches.append([])
    batches[-1].append(Put(_marks_item(scope, customer_id)))
    return batches


# ------------------------------------------------------------------ gateway connections
# Connection: pk `<scope>#GATEWAY`, sk `GATEWAY`: the one gateway of an account and mode (a new
# connection replaces it). Its secrets are stored sealed (`billing.payments.secretbox`) only.
# Gateway customers: pk `<scope>#GWC#<connection>`, sk `CUST#<cust>`, `gatewayCustomer` the
# gateway's customer for ours under that connection (put once: `attribute_not_exists(pk)`).
GATEWAY_SK = "GATEWAY"
GATEWAY_CUSTOMER_PREFIX = "CUST#"


def gateway_connection_key(scope: Scope) -> tuple[str, str]:
    return scope.key("GATEWAY"), GATEWAY_SK


def gateway_connection_to_item(scope: Scope, connection: GatewayConnection) -> Item:
    pk, sk = gateway_connection_key(scope)
    return {
        "pk": pk,
        "sk": sk,
        "type": "payment_gateway_connection",
        "id": connection.id,
        "gatewayType": connection.type,
        "publishableKey": connection.publishable_key,
        "secretKeyLast4": connection.secret_key_last4,
        "sealedSecretKey": connection.sealed_secret_key,
        "sealedWebhookSecret": connection.sealed_webhook_secret,
        "connectedAt": connection.connected_at,
    }


def gateway_connection_from_item(item: Item) -> GatewayConnection:
    return GatewayConnection(
        id=item["id"],
        type=item["gatewayType"],
        publishable_key=item["publishableKey"],
        secret_key_last4=item["secretKeyLast4"],
        sealed_secret_key=item["sealedSecretKey"],
        sealed_webhook_secret=item["sealedWebhookSecret"],
        connected_at=item["connectedAt"],
    )


def get_gateway_connection(table: Table, scope: Scope) -> GatewayConnection | None:
    item = table.get(*gateway_connection_key(scope))
    return gateway_connection_from_item(item) if item is not None else None


def save_gateway_connection(scope: Scope, connection: GatewayConnection) -> Put:
    """Written whole: a new connection replaces the previous one."""
    return Put(gateway_connection_to_item(scope, connection))


def remove_gateway_connection(scope: Scope, connection: GatewayConnection) -> Delete:
    """The connection, only while it is the one read (a replacement meanwhile stays)."""
    return Delete(*gateway_connection_key(scope), "#id = :id", {"#id": "id"}, {":id": connection.id})


def gateway_customer_key(scope: Scope, connection_id: str, customer_id: str) -> tuple[str, str]:
    return scope.key("GWC", connection_id), f"{GATEWAY_CUSTOMER_PREFIX}{customer_id}"


def get_gateway_customer(table: Table, scope: Scope, connection_id: str, customer_id: str) -> str | None:
    item = table.get(*gateway_customer_key(scope, connection_id, customer_id))
    return str(item["gatewayCustomer"]) if item is not None else None


def put_gateway_customer(table: Table, scope: Scope, connection_id: str, customer_id: str, reference: str) -> None:
    """The mapping, once: a `Conflict` when another request put it first (read theirs)."""
    pk, sk = gateway_customer_key(scope, connection_id, customer_id)
    item = {"pk": pk, "sk": sk, "type": "gateway_customer", "customer": customer_id, "gatewayCustomer": reference}
    table.put(item, condition=_NEW, already=stored_as(item))
