"""The repository (no I/O): its conversion to and from DynamoDB's typed JSON, and the unit of
work, which sends a change's operations, its events and the request's idempotency mark as one
TransactWriteItems, the mark with the request's first commit only (the table's client is a
recorder)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from billing.kernel.errors import Conflict
from billing.kernel.scope import IdempotencyMark, RequestInfo
from billing.store.repository import Check, Delete, Put, Table, UnitOfWork, Update, deserialize, serialize

json_like = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(min_size=1, max_size=10), json_like, max_size=6))
def test_items_round_trip_with_whole_numbers_as_int(item: dict[str, Any]) -> None:
    assert deserialize(serialize(item)) == item


def test_money_stays_an_int_and_never_becomes_a_float() -> None:
    back = deserialize(serialize({"amount": 1999, "nested": {"amounts": [0, -5]}}))
    assert back == {"amount": 1999, "nested": {"amounts": [0, -5]}}
    assert isinstance(back["amount"], int)


def test_fractions_survive_exactly_as_given() -> None:
    assert deserialize(serialize({"percentage": 8.875}))["percentage"] == pytest.approx(8.875)


# ------------------------------------------------------------------ the unit of work


class RecordingClient:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.requests: list[dict[str, Any]] = []

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if self.fail:
            error = {"Code": "TransactionCanceledException", "Message": "ConditionalCheckFailed"}
            raise ClientError({"Error": error, "CancellationReasons": [{"Code": "ConditionalCheckFailed"}]}, "Tx")
        return {}


def table_with(client: RecordingClient) -> Table:
    table = Table.__new__(Table)
    table.name = "billing"
    table._db = client
    return table


def mark() -> IdempotencyMark:
    return IdempotencyMark(Update("IDEMPOTENCY", "key-hash", "SET #status = :completed"))


def test_each_operation_kind_becomes_its_transaction_item() -> None:
    client = RecordingClient()
    change = UnitOfWork(table_with(client), None)
    change.add(Put({"pk": "A", "sk": "1", "n": 5}, "attribute_not_exists(pk)"))
    change.add(Update("A", "2", "SET #n = :n", "#v = :v", {"#n": "n", "#v": "version"}, {":n": 1, ":v": 3}))
    change.add(Delete("A", "3", "attribute_exists(pk)"), Check("A", "4", "attribute_exists(pk)"))
    change.commit()

    [request] = client.requests
    items = request["TransactItems"]
    assert [next(iter(i)) for i in items] == ["Put", "Update", "Delete", "ConditionCheck"]
    assert items[0]["Put"]["Item"] == {"pk": {"S": "A"}, "sk": {"S": "1"}, "n": {"N": "5"}}
    assert items[1]["Update"]["UpdateExpression"] == "SET #n = :n"
    assert items[1]["Update"]["ExpressionAttributeValues"] == {":n": {"N": "1"}, ":v": {"N": "3"}}
    assert items[2]["Delete"]["Key"] == {"pk": {"S": "A"}, "sk": {"S": "3"}}
    assert items[3]["ConditionCheck"]["ConditionExpression"] == "attribute_exists(pk)"
    assert all(i[next(iter(i))]["TableName"] == "billing" for i in items)
    assert request["ClientRequestToken"]


def test_the_idempotency_mark_rides_with_the_first_commit_only() -> None:
    client = RecordingClient()
    table = table_with(client)
    request = RequestInfo("api", idempotency_key="k", idempotency_mark=mark())

    UnitOfWork(table, request).add(Put({"pk": "A", "sk": "1"})).commit()
    UnitOfWork(table, request).add(Put({"pk": "A", "sk": "2"})).commit()

    first, second = (r["TransactItems"] for r in client.requests)
    assert len(first) == 2 and first[1]["Update"]["Key"] == {"pk": {"S": "IDEMPOTENCY"}, "sk": {"S": "key-hash"}}
    assert len(second) == 1
    assert request.idempotency_mark is not None and request.idempotency_mark.committed


def test_a_failed_commit_leaves_the_mark_for_the_next_one() -> None:
    failing = RecordingClient(fail=True)
    request = RequestInfo("api", idempotency_key="k", idempotency_mark=mark())

    with pytest.raises(Conflict, match="changed by another request"):
        UnitOfWork(table_with(failing), request, conflict_message="changed by another request").add(
            Put({"pk": "A", "sk": "1"})
        ).commit()

    assert request.idempotency_mark is not None and not request.idempotency_mark.committed
    client = RecordingClient()
    UnitOfWork(table_with(client), request).add(Put({"pk": "A", "sk": "1"})).commit()
    assert len(client.requests[0]["TransactItems"]) == 2


def test_a_request_without_a_key_commits_only_its_own_operations() -> None:
    client = RecordingClient()
    UnitOfWork(table_with(client), RequestInfo("portal")).add(Put({"pk": "A", "sk": "1"})).commit()
    assert len(client.requests[0]["TransactItems"]) == 1


def test_the_mark_is_not_part_of_what_a_request_is() -> None:
    # Events and audit records compare and show requests by where they came from, never by the mark.
    assert RequestInfo("api", "req-1", "k", idempotency_mark=mark()) == RequestInfo("api", "req-1", "k")
    assert "mark" not in repr(RequestInfo("api", idempotency_mark=mark()))
