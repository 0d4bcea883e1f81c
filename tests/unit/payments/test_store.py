"""Payment methods and their items (no I/O): cards and SEPA debits as they are kept read back
and write again attribute for attribute; a method is a card or a SEPA debit, never both."""

from __future__ import annotations

from typing import Any

import pytest

from billing.kernel.scope import Scope
from billing.payments import store
from billing.payments.records import Card, Mandate, PaymentMethod, SepaDebit
from billing.store.repository import Check, Delete, Put, deserialize, serialize

SCOPE = Scope("acct_1", "test")
PK = "ACCT#acct_1#test#CUST#cust_1"


def pm_item(pm_id: str, details: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A payment-method item as `paymentmethods.attach` writes it."""
    return {
        "pk": "ACCT#acct_1#test#CUST#cust_1",
        "sk": f"PM#{pm_id}",
        "type": "payment_method",
        "id": pm_id,
        "customer": "cust_1",
        "pmType": "card" if "card" in details else "sepa_debit",
        **details,
        "fingerprint": "fp_1",
        "testBehavior": "succeed",
        "createdAt": "2026-05-30T14:25:00Z",
        "gsi1pk": "ACCT#acct_1#test#CUST#cust_1#ALL",
        "gsi1sk": f"PM#{pm_id}",
        **extra,
    }


CARD = {"card": {"brand": "visa", "last4": "4242", "expMonth": 12, "expYear": 2029, "country": "US"}}
SEPA = {
    "sepaDebit": {
        "bankCode": "37040044",
        "last4": "3000",
        "country": "DE",
        "mandate": {
            "reference": "MANDATE-01ABC",
            "acceptedAt": "2026-05-30T14:25:00Z",
            "ip": "203.0.113.9",
            "userAgent": "Firefox",
        },
    }
}


def test_a_card_item_reads_back_and_writes_again_unchanged() -> None:
    item = pm_item("pm_1", CARD, testBehavior="decline")
    pm = store.from_item(deserialize(serialize(item)))
    assert pm == PaymentMethod(
        id="pm_1",
        customer="cust_1",
        card=Card(brand="visa", last4="4242", exp_month=12, exp_year=2029, country="US"),
        fingerprint="fp_1",
        test_behavior="decline",
        created_at="2026-05-30T14:25:00Z",
    )
    assert pm.type == "card"
    assert store.to_item(SCOPE, pm) == item


def test_a_card_of_unknown_country_round_trips() -> None:
    item = pm_item("pm_1", {"card": {**CARD["card"], "country": None}})
    pm = store.from_item(item)
    assert pm.card is not None and pm.card.country is None
    assert store.to_item(SCOPE, pm) == item
    assert store.from_item(store.to_item(SCOPE, pm)) == pm


def test_a_sepa_debit_item_reads_back_and_writes_again_unchanged() -> None:
    item = pm_item("pm_2", SEPA)
    pm = store.from_item(item)
    assert pm.type == "sepa_debit"
    assert pm.sepa_debit == SepaDebit(
        bank_code="37040044",
        last4="3000",
        country="DE",
        mandate=Mandate(
            reference="MANDATE-01ABC", accepted_at="2026-05-30T14:25:00Z", ip="203.0.113.9", user_agent="Firefox"
        ),
    )
    assert store.to_item(SCOPE, pm) == item
    api_made = pm_item(
        "pm_3",
        {
            "sepaDebit": {
                **SEPA["sepaDebit"],
                "mandate": {**SEPA["sepaDebit"]["mandate"], "ip": None, "userAgent": None},
            }
        },
    )
    assert store.to_item(SCOPE, store.from_item(api_made)) == api_made


def test_an_item_without_a_test_behavior_pays() -> None:
    item = pm_item("pm_1", CARD)
    del item["testBehavior"]
    assert store.from_item(item).test_behavior == "succeed"


def test_a_payment_method_is_a_card_or_a_sepa_debit_and_only_one() -> None:
    card = Card(brand="visa", last4="4242", exp_month=12, exp_year=2029)
    sepa = store.from_item(pm_item("pm_2", SEPA)).sepa_debit
    with pytest.raises(ValueError):
        PaymentMethod(id="pm_1", customer="cust_1", fingerprint="f", created_at="x")
    with pytest.raises(ValueError):
        PaymentMethod(id="pm_1", customer="cust_1", card=card, sepa_debit=sepa, fingerprint="f", created_at="x")


def test_a_method_is_inserted_only_where_none_is_and_deleted_only_where_it_is() -> None:
    pm = store.from_item(pm_item("pm_1", CARD))
    assert store.insert(SCOPE, pm) == Put(pm_item("pm_1", CARD), condition="attribute_not_exists(pk)")
    assert store.delete(SCOPE, pm) == Delete("ACCT#acct_1#test#CUST#cust_1", "PM#pm_1", "attribute_exists(pk)")


def test_an_attach_claims_the_fingerprint_only_where_the_customer_holds_none_and_a_detach_releases_it() -> None:
    # Given a card with fingerprint fp_1
    pm = store.from_item(pm_item("pm_1", CARD))
    # When its attach and its detach make their fingerprint operations
    claim, release = store.claim_fingerprint(SCOPE, pm), store.release_fingerprint(SCOPE, pm)
    # Then the attach puts (customer, fingerprint) only where no such item is, naming the method
    fingerprint_item = {"pk": PK, "sk": "PMFP#fp_1", "type": "payment_method_fingerprint", "paymentMethod": "pm_1"}
    assert claim == Put(fingerprint_item, condition="attribute_not_exists(pk)")
    # And the detach deletes it without a condition (a method attached before it existed has none)
    assert release == Delete(PK, "PMFP#fp_1")
    # And it is not a payment method of the customer's (outside the `PM#` sort keys)
    assert not claim.item["sk"].startswith(store.PREFIX)


def test_a_first_method_marks_the_customer_and_any_later_attach_requires_the_mark() -> None:
    assert store.fingerprints_marked(SCOPE, "cust_1", first_method=True) == Put(
        {"pk": PK, "sk": "PMFP", "type": "payment_method_fingerprints"}
    )
    assert store.fingerprints_marked(SCOPE, "cust_1", first_method=False) == Check(PK, "PMFP", "attribute_exists(pk)")


def test_a_kept_twin_is_checked_still_attached() -> None:
    pm = store.from_item(pm_item("pm_2", CARD))
    assert store.still_attached(SCOPE, pm) == Check(PK, "PM#pm_2", "attribute_exists(pk)")


def test_marking_writes_one_fingerprint_per_fingerprint_while_its_method_is_there_then_the_mark() -> None:
    # Given three methods from before fingerprint items, two of them the same card
    methods = [
        store.from_item(pm_item("pm_3", CARD)),
        store.from_item(pm_item("pm_2", CARD)),
        store.from_item(pm_item("pm_1", SEPA, fingerprint="fp_2")),
    ]
    # When the customer is marked
    batches = store.mark_fingerprints(SCOPE, "cust_1", methods)
    # Then one transaction writes each fingerprint once, checked against a method holding it, and the mark
    assert batches == [
        [
            Check(PK, "PM#pm_2", "attribute_exists(pk)"),
            Put({"pk": PK, "sk": "PMFP#fp_1", "type": "payment_method_fingerprint", "paymentMethod": "pm_2"}),
            Check(PK, "PM#pm_1", "attribute_exists(pk)"),
            Put({"pk": PK, "sk": "PMFP#fp_2", "type": "payment_method_fingerprint", "paymentMethod": "pm_1"}),
            Put({"pk": PK, "sk": "PMFP", "type": "payment_method_fingerprints"}),
        ]
    ]


def test_marking_many_methods_keeps_each_transaction_within_100_items_and_marks_last() -> None:
    # Given 120 methods with distinct fingerprints
    methods = [store.from_item(pm_item(f"pm_{n}", CARD, fingerprint=f"fp_{n}")) for n in range(120)]
    # When the customer is marked
    batches = store.mark_fingerprints(SCOPE, "cust_1", methods)
    # Then three transactions of at most 100 items write the 120 fingerprints, the mark in the last one
    assert [len(batch) for batch in batches] == [98, 98, 45]
    puts = [op for batch in batches for op in batch if isinstance(op, Put)]
    assert len({op.item["sk"] for op in puts}) == 121
    assert batches[-1][-1] == Put({"pk": PK, "sk": "PMFP", "type": "payment_method_fingerprints"})
    assert all(op.item["sk"] != "PMFP" for batch in batches[:-1] for op in batch if isinstance(op, Put))


def test_a_customer_without_methods_is_marked_alone() -> None:
    assert store.mark_fingerprints(SCOPE, "cust_1", []) == [
        [Put({"pk": PK, "sk": "PMFP", "type": "payment_method_fingerprints"})]
    ]
