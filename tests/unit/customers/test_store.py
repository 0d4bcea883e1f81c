"""The customers area's records and their items (no I/O): items as they are kept read back and
write again attribute for attribute, the writes are the expected DynamoDB operations, and the
derived figures (credit) are computed by the record."""

from __future__ import annotations

from typing import Any

import msgspec.structs
import pytest

from billing.customers import store
from billing.customers.records import Customer, TaxId, TestClock
from billing.kernel.scope import Scope
from billing.store.repository import Put, Update, deserialize, serialize

SCOPE = Scope("acct_1", "test")
PK = "ACCT#acct_1#test#CUST#cust_1"


def customer_item(**extra: Any) -> dict[str, Any]:
    """A customer item as `customers.create` writes it, with `extra` attributes."""
    return {
        "pk": PK,
        "sk": "CUSTOMER",
        "type": "customer",
        "id": "cust_1",
        "email": "ada@example.com",
        "name": "Ada",
        "phone": None,
        "address": {"line1": "1 Main St", "city": "Berlin", "country": "DE", "line2": None},
        "metadata": {"plan": "gold"},
        "testClock": None,
        "defaultPaymentMethod": None,
        "taxIds": [],
        "createdAt": "2026-05-30T14:25:00Z",
        "version": 1,
        "gsi1pk": "ACCT#acct_1#test#CUST#cust_1#ALL",
        "gsi1sk": "0CUSTOMER",
        "gsi2pk": "ACCT#acct_1#test#CUSTOMERS",
        "gsi2sk": "cust_1",
        # (the sign-in page finds customers by their email, lower-cased)
        "gsi3pk": "ACCT#acct_1#test#CUSTEMAIL#ada@example.com",
        "gsi3sk": "cust_1",
        **extra,
    }


TAX_ID_STORED = {
    "id": "txi_1",
    "type": "eu_vat",
    "value": "DE136695976",
    "country": "DE",
    "createdAt": "2026-05-31T10:00:00Z",
}


def test_a_new_customer_item_reads_back_and_writes_again_unchanged() -> None:
    item = customer_item()
    customer = store.customer_from_item(item)
    assert customer == Customer(
        id="cust_1",
        email="ada@example.com",
        name="Ada",
        address={"line1": "1 Main St", "city": "Berlin", "country": "DE", "line2": None},
        metadata={"plan": "gold"},
        created_at="2026-05-30T14:25:00Z",
        version=1,
    )
    assert store.customer_to_item(SCOPE, customer) == item


def test_a_customer_with_tax_ids_a_default_method_a_clock_and_credit_round_trips() -> None:
    item = customer_item(
        taxIds=[TAX_ID_STORED],
        defaultPaymentMethod="pm_1",
        testClock="clock_1",
        version=4,
        credit_eur=1500,
        credit_usd=0,
    )
    # As the table gives it back (numbers through DynamoDB's typed JSON).
    stored = deserialize(serialize(item))
    customer = store.customer_from_item(stored)
    assert customer.tax_ids == (
        TaxId(id="txi_1", type="eu_vat", value="DE136695976", country="DE", created_at="2026-05-31T10:00:00Z"),
    )
    assert (customer.default_payment_method, customer.test_clock, customer.version) == ("pm_1", "clock_1", 4)
    assert customer.credit == {"eur": 1500, "usd": 0}
    assert store.customer_to_item(SCOPE, customer) == item
    assert store.customer_from_item(store.customer_to_item(SCOPE, customer)) == customer


def test_an_older_item_without_the_optional_attributes_reads_with_their_defaults() -> None:
    item = customer_item()
    for name in ("phone", "metadata", "taxIds", "testClock", "defaultPaymentMethod"):
        del item[name]
    customer = store.customer_from_item(item)
    assert (customer.phone, customer.metadata, customer.tax_ids, customer.test_clock) == (None, {}, (), None)


def test_the_credit_balance_is_the_credit_in_that_currency_or_none() -> None:
    customer = Customer(id="cust_1", created_at="2026-05-30T14:25:00Z", credit={"eur": 1500, "usd": 0})
    assert customer.credit_balance("eur") == 1500
    assert customer.credit_balance("usd") == 0
    assert customer.credit_balance("gbp") == 0


def test_the_credit_balances_leave_out_spent_credit_and_are_by_currency() -> None:
    customer = Customer(id="cust_1", created_at="x", credit={"usd": 700, "chf": 0, "eur": 1500})
    balances = customer.credit_balances()
    assert balances == {"eur": 1500, "usd": 700}
    assert list(balances) == ["eur", "usd"]
    assert Customer(id="cust_1", created_at="x").credit_balances() == {}


def test_a_customer_finds_its_tax_ids_by_id_and_by_type_and_value() -> None:
    tax_id = TaxId(id="txi_1", type="eu_vat", value="DE136695976", country="DE", created_at="x")
    customer = Customer(id="cust_1", created_at="x", tax_ids=(tax_id,))
    assert customer.tax_id("txi_1") == tax_id
    assert customer.tax_id("txi_2") is None
    assert customer.holds_tax_id("eu_vat", "DE136695976")
    assert not customer.holds_tax_id("gb_vat", "DE136695976")
    assert not customer.holds_tax_id("eu_vat", "DE000000000")


def test_a_customer_is_inserted_only_where_none_is() -> None:
    customer = store.customer_from_item(customer_item())
    assert store.insert_customer(SCOPE, customer) == Put(customer_item(), condition="attribute_not_exists(pk)")


def test_an_update_sets_the_changed_attributes_and_the_next_version_over_the_one_read() -> None:
    before = store.customer_from_item(customer_item(version=3, credit_eur=200))
    after = msgspec.structs.replace(before, name="Ada Lovelace", default_payment_method="pm_2", version=4)
    update = store.update_customer(SCOPE, before, after)
    assert (update.pk, update.sk) == (PK, "CUSTOMER")
    assert update.condition == "#v = :expected"
    assert update.expression == "SET #f0 = :f0, #f1 = :f1, #f2 = :f2"
    assert update.names == {"#f0": "name", "#f1": "defaultPaymentMethod", "#f2": "version", "#v": "version"}
    assert update.values == {":f0": "Ada Lovelace", ":f1": "pm_2", ":f2": 4, ":expected": 3}


def test_an_update_of_the_tax_ids_writes_them_as_kept() -> None:
    before = store.customer_from_item(customer_item())
    tax_id = TaxId(id="txi_1", type="eu_vat", value="DE136695976", country="DE", created_at="2026-05-31T10:00:00Z")
    update = store.update_customer(SCOPE, before, msgspec.structs.replace(before, tax_ids=(tax_id,), version=2))
    assert update.names is not None and update.values is not None
    assert update.names["#f0"] == "taxIds"
    assert update.values[":f0"] == [TAX_ID_STORED]


def test_an_update_never_writes_the_credit() -> None:
    before = store.customer_from_item(customer_item(credit_eur=200))
    with pytest.raises(ValueError):
        store.update_customer(SCOPE, before, msgspec.structs.replace(before, credit={"eur": 0}, version=2))


def test_a_credit_update_adds_credit_and_spends_only_what_is_there() -> None:
    assert store.credit_update(SCOPE, "cust_1", "eur", 0) is None
    assert store.credit_update(SCOPE, "cust_1", "eur", 1500) == Update(
        PK, "CUSTOMER", "ADD #c :delta", "attribute_exists(pk)", {"#c": "credit_eur"}, {":delta": 1500}
    )
    assert store.credit_update(SCOPE, "cust_1", "usd", -300) == Update(
        PK,
        "CUSTOMER",
        "ADD #c :delta",
        "attribute_exists(pk) AND #c >= :spent",
        {"#c": "credit_usd"},
        {":delta": -300, ":spent": 300},
    )


def test_the_bundle_partition_is_the_customers_gsi1() -> None:
    assert store.bundle_partition(SCOPE, "cust_1") == customer_item()["gsi1pk"]


# ------------------------------------------------------------------ test clocks
CLOCK_ITEM = {
    "pk": "ACCT#acct_1#test#CLOCK#clock_1",
    "sk": "TESTCLOCK",
    "type": "test_clock",
    "id": "clock_1",
    "name": "Renewals",
    "frozenTime": "2026-01-01T00:00:00Z",
    "status": "ready",
    "createdAt": "2026-05-30T14:25:00Z",
    "version": 1,
}


def test_a_test_clock_item_reads_back_and_writes_again_unchanged() -> None:
    test_clock = store.clock_from_item(CLOCK_ITEM)
    assert test_clock == TestClock(
        id="clock_1", name="Renewals", frozen_time="2026-01-01T00:00:00Z", created_at="2026-05-30T14:25:00Z"
    )
    assert store.clock_to_item(SCOPE, test_clock) == CLOCK_ITEM
    unnamed = msgspec.structs.replace(test_clock, name=None)
    assert store.clock_from_item(store.clock_to_item(SCOPE, unnamed)) == unnamed


def test_a_moved_test_clock_is_written_whole_over_the_version_it_was_read_at() -> None:
    before = store.clock_from_item(CLOCK_ITEM)
    after = msgspec.structs.replace(before, frozen_time="2026-02-01T00:00:00Z", version=2)
    put = store.replace_test_clock(SCOPE, after, before.version)
    assert put.item == {**CLOCK_ITEM, "frozenTime": "2026-02-01T00:00:00Z", "version": 2}
    assert (put.condition, put.names, put.values) == ("#v = :expected", {"#v": "version"}, {":expected": 1})
