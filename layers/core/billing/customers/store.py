"""Where customers and test clocks are kept: their keys, indexes, item layouts and writes.

Customer: pk `<scope>#CUST#<cust>`, sk `CUSTOMER` (versioned); gsi1 `<scope>#CUST#<cust>#ALL` /
`0CUSTOMER` (the customer's bundle: with its payment methods, subscriptions and invoices);
gsi2 `<scope>#CUSTOMERS` / id (the list); gsi3 `<scope>#CUSTEMAIL#<casefolded email>` / id (by
address, for the portal's sign-in page; set while the customer has an address). Tax IDs are
few and change with the customer, so they live on the customer item; its credit is one
`credit_<currency>` attribute per currency, changed by `ADD` only (`credit_update`), never with
the customer's version.

Deleted customer: pk `<scope>#CUST#<cust>`, sk `DELETEDCUSTOMER`: what is left of a customer
once deleted (its ID, when it was made and deleted; no personal data, no index keys). The
customer's own item is deleted in the same transaction, so every read of the customer finds none.

Test clock: pk `<scope>#CLOCK#<clock>`, sk `TESTCLOCK` (versioned).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.customers.records import Customer, TaxId, TestClock
from billing.kernel.scope import Scope
from billing.store.listing import page
from billing.store.repository import (
    Delete,
    Item,
    Operation,
    Put,
    Table,
    Update,
    stored_as,
    versioned_put_op,
    versioned_set,
)

CUSTOMER_SK = "CUSTOMER"
DELETED_SK = "DELETEDCUSTOMER"
BUNDLE_SK = "0CUSTOMER"
CREDIT_PREFIX = "credit_"
TEST_CLOCK_SK = "TESTCLOCK"


# ------------------------------------------------------------------ customers
def customer_key(scope: Scope, customer_id: str) -> tuple[str, str]:
    return scope.key("CUST", customer_id), CUSTOMER_SK


def bundle_partition(scope: Scope, customer_id: str) -> str:
    """The gsi1 partition of a customer's bundle (its payment methods, subscriptions, invoices)."""
    return scope.key("CUST", customer_id, "ALL")


def email_partition(scope: Scope, email: str) -> str:
    """The gsi3 partition of the customers with one email address (case-insensitive)."""
    return scope.key("CUSTEMAIL", email.casefold())


def credit_attribute(currency: str) -> str:
    return f"{CREDIT_PREFIX}{currency}"


def _tax_id_to_stored(tax_id: TaxId) -> dict[str, Any]:
    return {
        "id": tax_id.id,
        "type": tax_id.type,
        "value": tax_id.value,
        "country": tax_id.country,
        "createdAt": tax_id.created_at,
    }


def _tax_id_from_stored(stored: dict[str, Any]) -> TaxId:
    return TaxId(
        id=stored["id"],
        type=stored["type"],
        value=stored["value"],
        country=stored["country"],
        created_at=stored["createdAt"],
    )


def customer_to_item(scope: Scope, customer: Customer) -> Item:
    pk, sk = customer_key(scope, customer.id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "customer",
        "id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "address": customer.address,
        "metadata": customer.metadata,
        "testClock": customer.test_clock,
        "defaultPaymentMethod": customer.default_payment_method,
        "taxIds": [_tax_id_to_stored(t) for t in customer.tax_ids],
        "createdAt": customer.created_at,
        "version": customer.version,
        "gsi1pk": bundle_partition(scope, customer.id),
        "gsi1sk": BUNDLE_SK,
        "gsi2pk": scope.key("CUSTOMERS"),
        "gsi2sk": customer.id,
    }
    if customer.preferred_locale is not None:
        item["preferredLocale"] = customer.preferred_locale
    if customer.email:  # the portal's sign-in page finds a customer by address
        item["gsi3pk"], item["gsi3sk"] = email_partition(scope, customer.email), customer.id
    item.update({credit_attribute(currency): amount for currency, amount in customer.credit.items()})
    return item


def customer_from_item(item: Item) -> Customer:
    return Customer(
        id=item["id"],
        email=item.get("email"),
        name=item.get("name"),
        phone=item.get("phone"),
        address=item.get("address"),
        metadata=item.get("metadata") or {},
        test_clock=item.get("testClock"),
        default_payment_method=item.get("defaultPaymentMethod"),
        tax_ids=tuple(_tax_id_from_stored(t) for t in item.get("taxIds") or []),
        preferred_locale=item.get("preferredLocale"),
        credit={
            name.removeprefix(CREDIT_PREFIX): int(value)
            for name, value in item.items()
            if name.startswith(CREDIT_PREFIX) and value is not None
        },
        created_at=item["createdAt"],
        version=int(item["version"]),
    )


def get_customer(table: Table, scope: Scope, customer_id: str) -> Customer | None:
    item = table.get(*customer_key(scope, customer_id))
    return customer_from_item(item) if item is not None else None


def insert_customer(scope: Scope, customer: Customer) -> Put:
    return Put(customer_to_item(scope, customer), condition="attribute_not_exists(pk)")


def update_customer(scope: Scope, before: Customer, after: Customer) -> Update:
    """`SET` of the attributes `after` changes and the next version, only over the version
    `before` was read at (no lost updates). The credit is not the version's: leave it alone."""
    if after.id != before.id or after.credit != before.credit:
        raise ValueError("update_customer changes neither the customer's ID nor its credit")
    old, new = customer_to_item(scope, before), customer_to_item(scope, after)
    changes = {name: value for name, value in new.items() if name != "version" and old.get(name) != value}
    pk, sk = customer_key(scope, before.id)
    return Update(pk, sk, **versioned_set(changes, before.version))


def erase_customer(scope: Scope, customer: Customer, deleted_at: str) -> list[Operation]:
    """The customer's item deleted, only at the version it was read at (a change meanwhile fails
    the transaction), and its deletion record put in its place."""
    pk, sk = customer_key(scope, customer.id)
    deleted: Item = {
        "pk": pk,
        "sk": DELETED_SK,
        "type": "deleted_customer",
        "id": customer.id,
        "createdAt": customer.created_at,
        "deletedAt": deleted_at,
    }
    return [
        Delete(pk, sk, "#v = :expected", {"#v": "version"}, {":expected": customer.version}),
        Put(deleted, condition="attribute_not_exists(pk)"),
    ]


def deleted_at(table: Table, scope: Scope, customer_id: str) -> str | None:
    """When the customer was deleted; None when it never was (or never existed)."""
    item = table.get(scope.key("CUST", customer_id), DELETED_SK)
    return None if item is None else str(item["deletedAt"])


def credit_update(scope: Scope, customer_id: str, currency: str, delta: int) -> Update | None:
    """`delta` added to the customer's credit in `currency`; a negative delta (credit spent) only
    when the credit covers it, so two invoices can never spend the same credit."""
    if delta == 0:
        return None
    pk, sk = customer_key(scope, customer_id)
    names = {"#c": credit_attribute(currency)}
    condition = "attribute_exists(pk)"
    values: dict[str, Any] = {":delta": delta}
    if delta < 0:
        condition += " AND #c >= :spent"
        values[":spent"] = -delta
    return Update(pk, sk, "ADD #c :delta", condition, names, values)


def customer_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[Customer], dict[str, Any]],
    keep: Callable[[Customer], bool] = lambda _: True,
    email: str | None = None,
    ending_before: str | None = None,
) -> dict[str, Any]:
    """One page of the account's customers, newest first (gsi2); with `email`, of those with
    that address (gsi3, the address casefolded: a key condition, not a walk of every customer)."""
    index, partition = ("gsi3", email_partition(scope, email)) if email else ("gsi2", scope.key("CUSTOMERS"))
    return page(
        table,
        index=index,
        partition=partition,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda customer_id: customer_key(scope, customer_id),
        to_wire=lambda item: to_wire(customer_from_item(item)),
        keep=lambda item: keep(customer_from_item(item)),
    )


# ------------------------------------------------------------------ test clocks
def clock_key(scope: Scope, clock_id: str) -> tuple[str, str]:
    return scope.key("CLOCK", clock_id), TEST_CLOCK_SK


def clock_to_item(scope: Scope, test_clock: TestClock) -> Item:
    pk, sk = clock_key(scope, test_clock.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "test_clock",
        "id": test_clock.id,
        "name": test_clock.name,
        "frozenTime": test_clock.frozen_time,
        "status": test_clock.status,
        "createdAt": test_clock.created_at,
        "version": test_clock.version,
    }


def clock_from_item(item: Item) -> TestClock:
    return TestClock(
        id=item["id"],
        name=item.get("name"),
        frozen_time=item["frozenTime"],
        status=item.get("status", "ready"),
        created_at=item["createdAt"],
        version=int(item["version"]),
    )


def get_test_clock(table: Table, scope: Scope, clock_id: str) -> TestClock | None:
    item = table.get(*clock_key(scope, clock_id))
    return clock_from_item(item) if item is not None else None


def create_test_clock(table: Table, scope: Scope, test_clock: TestClock) -> None:
    """The new clock, written on its own (no event goes with it)."""
    item = clock_to_item(scope, test_clock)
    table.put(item, condition="attribute_not_exists(pk)", already=stored_as(item))


def replace_test_clock(scope: Scope, after: TestClock, expected_version: int) -> Put:
    """The clock written whole, only over the version it was read at."""
    return versioned_put_op(clock_to_item(scope, after), expected_version)
