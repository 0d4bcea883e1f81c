"""Bounded work per request: a filtered list, the portal's view of a customer with a large
partition, read at most a fixed number of items (counted at the table: every item a Query,
GetItem or BatchGetItem answered), and the answer says how to go on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from billing.customers import store as customer_store
from billing.customers.records import Customer
from billing.events import events
from billing.events import store as event_store
from billing.invoicing import store as invoice_store
from billing.kernel import clock
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import store as portal_store
from billing.store import listing
from billing.store.repository import Item, Table, serialize
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import portal_sign_in

RETURN_URL = "https://app.example.com/account"


class Counted:
    """Every item the table answered, over the requests of a test."""

    def __init__(self) -> None:
        self.items = 0

    def reset(self) -> None:
        self.items = 0


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counter = Counted()
    query, get, batch_get = Table.query, Table.get, Table.batch_get

    def counting_query(self: Table, *args: Any, **kwargs: Any) -> tuple[list[Item], dict[str, Any] | None]:
        items, last = query(self, *args, **kwargs)
        counter.items += len(items)
        return items, last

    def counting_get(self: Table, *args: Any, **kwargs: Any) -> Item | None:
        item = get(self, *args, **kwargs)
        counter.items += item is not None
        return item

    def counting_batch_get(self: Table, *args: Any, **kwargs: Any) -> dict[tuple[str, str], Item]:
        found = batch_get(self, *args, **kwargs)
        counter.items += len(found)
        return found

    monkeypatch.setattr(Table, "query", counting_query)
    monkeypatch.setattr(Table, "get", counting_get)
    monkeypatch.setattr(Table, "batch_get", counting_batch_get)
    return counter


def put_all(items: Iterable[Item]) -> None:
    """Items written straight to the table, 25 a BatchWriteItem (a large partition, quickly)."""
    table = Table()
    batch: list[Item] = []

    def flush() -> None:
        requests = [{"PutRequest": {"Item": serialize(item)}} for item in batch]
        while requests:
            answer = table._db.batch_write_item(RequestItems={table.name: requests})
            requests = answer.get("UnprocessedItems", {}).get(table.name, [])
        batch.clear()

    for item in items:
        batch.append(item)
        if len(batch) == 25:
            flush()
    if batch:
        flush()


def scope_of(api: ApiClient) -> Scope:
    return Scope(api.get("/v1/account").json()["id"], "test")


def customer(scope: Scope, email: str) -> Item:
    made = Customer(id=sortable_id("cust"), email=email, created_at=clock.to_wire(clock.now()), version=1)
    return customer_store.customer_to_item(scope, made)


def event(scope: Scope, type_: str) -> Item:
    made = events.event_item(scope, type_, {"id": "cust_x", "object": "customer"}, RequestInfo("api", "req_bulk"))
    return event_store.to_item(scope, made)


# ------------------------------------------------------------------ the merchant API's lists
def test_customers_by_email_is_a_key_condition_not_a_walk(merchant: ApiClient, counted: Counted) -> None:
    scope = scope_of(merchant)
    # Given 600 customers, one of them the oldest with the address asked for
    put_all([customer(scope, "wanted@example.com")])
    put_all(customer(scope, f"other{n}@example.com") for n in range(600))
    counted.reset()
    # When the merchant asks for that address, one customer
    found = merchant.get("/v1/customers", query={"email": "wanted@example.com", "limit": 1}).json()
    # Then it is found from the address's own index partition: a handful of items, not 601
    assert [c["email"] for c in found["data"]] == ["wanted@example.com"] and found["hasMore"] is False
    assert counted.items <= 5
    counted.reset()
    assert merchant.get("/v1/customers", query={"email": "nobody@example.com", "limit": 1}).json()["data"] == []
    assert counted.items <= 5


def test_events_by_type_read_at_most_the_bound_and_say_where_to_go_on(merchant: ApiClient, counted: Counted) -> None:
    scope = scope_of(merchant)
    # Given one invoice.paid event, then 600 newer events of another type
    put_all([event(scope, "invoice.paid")])
    put_all(event(scope, "customer.updated") for _ in range(600))
    counted.reset()
    # When the merchant asks for one invoice.paid event
    first = merchant.get("/v1/events", query={"type": "invoice.paid", "limit": 1})
    assert first.status == 200, first.text
    page = first.json()
    # Then the request read at most the bound (plus the account and key reads), and answered an
    # empty page that has more, with the ID to go on from
    assert counted.items <= listing.MAX_ITEMS_READ + 5
    assert page["data"] == [] and page["hasMore"] is True and page["nextStartingAfter"].startswith("evt_")
    # And following the cursor finds it within the bound per request, then ends
    pages = [page]
    while pages[-1]["hasMore"]:
        counted.reset()
        query = {"type": "invoice.paid", "limit": 1, "startingAfter": pages[-1]["nextStartingAfter"]}
        pages.append(merchant.get("/v1/events", query=query).json())
        assert counted.items <= listing.MAX_ITEMS_READ + 5
        assert len(pages) < 10
    assert [e["type"] for p in pages for e in p["data"]] == ["invoice.paid"]
    assert "nextStartingAfter" not in pages[-1]


def test_an_unfiltered_page_still_reads_one_page(merchant: ApiClient, counted: Counted) -> None:
    scope = scope_of(merchant)
    put_all(event(scope, "customer.updated") for _ in range(300))
    counted.reset()
    page = merchant.get("/v1/events", query={"limit": 3}).json()
    assert len(page["data"]) == 3 and page["hasMore"] is True and "nextStartingAfter" not in page
    assert counted.items <= 4 + 5


# ------------------------------------------------------------------ the portal's reads of one customer
def invoice_clones(scope: Scope, template: Item, count: int) -> Iterator[Item]:
    """`count` copies of an invoice item, each under its own new ID (newest last)."""
    for _ in range(count):
        invoice_id = sortable_id("inv")
        pk, sk = invoice_store.invoice_key(scope, invoice_id)
        yield {
            **template,
            "pk": pk,
            "sk": sk,
            "id": invoice_id,
            "gsi1sk": f"{invoice_store.BUNDLE_PREFIX}{invoice_id}",
            "gsi2sk": invoice_id,
        }


def test_the_portal_reads_a_bounded_share_of_a_customer_with_10000_invoices(
    merchant: ApiClient, stack: Stack, counted: Counted
) -> None:
    scope = scope_of(merchant)
    merchant.post("/v1/products", {"id": "prod_b", "name": "Plan"})
    price = merchant.post(
        "/v1/prices", {"product": "prod_b", "unitAmount": 900, "currency": "eur", "recurring": {"interval": "month"}}
    ).json()["id"]
    cust = merchant.post("/v1/customers", {"name": "Many"}).json()["id"]
    assert merchant.post(f"/v1/customers/{cust}/payment_methods", {"token": "tok_visa"}).status == 200
    sub = merchant.post("/v1/subscriptions", {"customer": cust, "items": [{"price": price}]}).json()
    first = Table().get(*invoice_store.invoice_key(scope, sub["latestInvoice"]))
    assert first is not None
    # Given 10,000 invoices in the customer's bundle (the newest last written)
    clones = list(invoice_clones(scope, first, 10_000))
    put_all(clones)
    newest = clones[-1]["id"]
    browser, landed, _ = portal_sign_in(stack.template, merchant, cust, RETURN_URL)
    assert landed.status in (200, 303), landed.text
    # When the overview is shown
    counted.reset()
    home = browser.get("/")
    assert home.status == 200
    # Then it read a bounded number of items, not 10,000, and shows the newest invoices, the
    # subscription, and the way to the rest
    assert counted.items <= portal_store.VIEW_ITEMS + 2 * portal_store.KIND_ITEMS + 20
    assert newest in home.text and sub["id"] in home.text
    assert 'href="/invoices"' in home.text
    # And the invoice list pages through them, a bounded read per page
    counted.reset()
    listed = browser.get("/invoices")
    assert listed.status == 200 and newest in listed.text and "after=" in listed.text
    assert counted.items <= 200


def test_a_bundle_with_many_subscriptions_still_reads_its_invoices_and_methods(
    merchant: ApiClient, counted: Counted
) -> None:
    scope = scope_of(merchant)
    cust = merchant.post("/v1/customers", {"name": "Subs"}).json()["id"]
    assert merchant.post(f"/v1/customers/{cust}/payment_methods", {"token": "tok_visa"}).status == 200
    merchant.post("/v1/products", {"id": "prod_c", "name": "Plan"})
    price = merchant.post(
        "/v1/prices", {"product": "prod_c", "unitAmount": 900, "currency": "eur", "recurring": {"interval": "month"}}
    ).json()["id"]
    sub = merchant.post("/v1/subscriptions", {"customer": cust, "items": [{"price": price}]}).json()
    stored = Table().get(scope.key("SUB", sub["id"]), "SUBSCRIPTION")
    assert stored is not None
    clones = []
    for _ in range(150):  # more subscriptions than the first Query reads
        sub_id = sortable_id("sub")
        clones.append(
            {**stored, "pk": scope.key("SUB", sub_id), "id": sub_id, "gsi1sk": f"SUB#{sub_id}", "gsi2sk": sub_id}
        )
    clones = [{k: v for k, v in c.items() if k not in ("duePk", "dueSk")} for c in clones]
    put_all(clones)
    counted.reset()
    view = portal_store.customer_view(Table(), scope, cust)
    assert view is not None and view.customer.id == cust
    assert len(view.payment_methods) == 1 and [i.id for i in view.invoices] == [sub["latestInvoice"]]
    assert len(view.subscriptions) == portal_store.VIEW_ITEMS
    assert counted.items <= portal_store.VIEW_ITEMS + 2 * portal_store.KIND_ITEMS + 1


def test_a_small_customer_is_still_one_query(
    merchant: ApiClient, counted: Counted, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = scope_of(merchant)
    cust = merchant.post("/v1/customers", {"name": "Small"}).json()["id"]
    calls: list[str] = []
    query = Table.query
    monkeypatch.setattr(Table, "query", lambda self, *a, **k: calls.append("query") or query(self, *a, **k))
    view = portal_store.customer_view(Table(), scope, cust)
    assert view is not None and view.customer.id == cust and calls == ["query"]
