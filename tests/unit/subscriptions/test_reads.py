"""What a change of a subscription reads ahead (no I/O): `store.read_together`'s rounds of
BatchGetItem, each item decoded by its area's store, the catalog's objects read once per request;
and `Reads`, handed on to the services."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from billing.accounts import store as account_store
from billing.catalog import store as catalog_store
from billing.customers import store as customer_store
from billing.invoicing import store as invoice_store
from billing.kernel.scope import Scope
from billing.store.repository import Item, Table, deserialize, serialize
from billing.subscriptions import store
from billing.subscriptions.reads import Reads
from tests.unit.accounts.test_store import ACCOUNT_ITEM
from tests.unit.catalog.test_store import PRICE_ITEM, PRODUCT_ITEM
from tests.unit.customers.test_store import customer_item
from tests.unit.portal.samples import item, subscription

SCOPE = Scope("acct_1", "test")
SUB = subscription(item("price_pro", 3000), customer="cust_1")


def as_read(stored: Item) -> Item:
    return deserialize(serialize(stored))


class BatchRecorder(Table):
    """A table holding `items`, answering batches of them and recording the keys of each batch."""

    def __init__(self, *items: Item) -> None:
        self.stored = {(i["pk"], i["sk"]): as_read(i) for i in items}
        self.batches: list[list[tuple[str, str]]] = []
        self.memo: dict[tuple[str, ...], Any] = {}

    def batch_get(self, keys: Any, *, consistent: bool = True) -> dict[tuple[str, str], Item]:
        assert consistent  # what a change decides on is read consistently
        wanted = list(keys)
        self.batches.append(wanted)
        return {key: self.stored[key] for key in wanted if key in self.stored}


def stored() -> BatchRecorder:
    return BatchRecorder(
        store.to_item(SCOPE, SUB), PRICE_ITEM, PRODUCT_ITEM, customer_item(), ACCOUNT_ITEM, {"pk": "x", "sk": "y"}
    )


def test_what_is_known_is_read_in_one_batch_and_what_it_names_in_a_second() -> None:
    table = stored()
    # When a switch invoiced at once reads the subscription, the price asked for and what it needs
    reads = store.read_together(
        table,
        SCOPE,
        subscription=SUB.id,
        prices=[PRICE_ITEM["id"]],
        customer_of_subscription=True,
        account=True,
        invoice_number=True,
    )
    # Then the keys known ahead are one batch; the price's product and the subscription's customer a second
    price, product = catalog_store.price_key(SCOPE, PRICE_ITEM["id"]), catalog_store.product_key(SCOPE, "prod_basic")
    counter, account = invoice_store.counter_key(SCOPE), account_store.account_key("acct_1")
    assert table.batches == [
        [price, store.sub_key(SCOPE, SUB.id), account, counter],
        [product, customer_store.customer_key(SCOPE, "cust_1")],
    ]
    # And each item is decoded by its area's store; no counter yet means the first number
    assert reads.subscription == SUB
    assert reads.customer == customer_store.customer_from_item(as_read(customer_item()))
    assert reads.account == account_store.account_from_item(as_read(ACCOUNT_ITEM))
    assert reads.claim == invoice_store.claim_after(SCOPE, None) and reads.claim[0] == 1
    # And the catalog's objects are kept for the request: asked again, nothing is read
    assert catalog_store.get_price(table, SCOPE, PRICE_ITEM["id"]) == catalog_store.price_from_item(PRICE_ITEM)
    assert store.read_together(table, SCOPE, prices=[PRICE_ITEM["id"]], products=["prod_basic"]) == Reads()
    assert len(table.batches) == 2


def test_what_is_not_stored_reads_as_none_and_a_named_customer_needs_no_second_batch() -> None:
    table = stored()
    reads = store.read_together(table, SCOPE, subscription="sub_gone", customer="cust_1", products=["prod_gone"])
    assert reads == Reads(customer=customer_store.customer_from_item(as_read(customer_item())))
    assert len(table.batches) == 1
    assert store.read_together(table, SCOPE) == Reads() and len(table.batches) == 1  # nothing asked: no call


def test_the_customer_read_is_handed_on_only_for_its_own_subscription() -> None:
    customer = customer_store.customer_from_item(as_read(customer_item()))
    reads = Reads(customer=customer)
    assert reads.customer_of(SUB) == customer
    assert reads.customer_of(replace(SUB, customer="cust_2")) is None
    # Merged, what the caller read is kept, and the rest is taken from the fresh reads
    fresh = Reads(subscription=SUB, customer=replace(customer, name="Other"))
    assert reads.merged(fresh) == Reads(subscription=SUB, customer=customer)
