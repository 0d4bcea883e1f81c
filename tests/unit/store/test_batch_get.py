"""`Table.batch_get` (no I/O; the table's client is a scripted fake): one BatchGetItem per 100
keys, each key asked once, consistent reads by default, the unprocessed keys asked again a
bounded number of times, and DynamoDB's errors translated like every other call's."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from billing.kernel.errors import ServiceUnavailable
from billing.store import repository
from billing.store.repository import Table, deserialize, serialize

TABLE = "billing"


class ScriptedClient:
    """Answers each BatchGetItem with the stored items it asks for, leaving unprocessed the keys
    `unprocessed` says for that request (by its position), or raises `error`."""

    def __init__(self, stored: list[dict[str, Any]], unprocessed: list[int] | None = None) -> None:
        self.stored = {(item["pk"], item["sk"]): item for item in stored}
        self.unprocessed = list(unprocessed or [])
        self.requests: list[dict[str, Any]] = []
        self.error: ClientError | None = None

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        asked = request["RequestItems"][TABLE]["Keys"]
        held_back = self.unprocessed.pop(0) if self.unprocessed else 0
        answered, left = asked[held_back:], asked[:held_back]
        keys = [deserialize(key) for key in answered]
        items = [serialize(self.stored[k["pk"], k["sk"]]) for k in keys if (k["pk"], k["sk"]) in self.stored]
        answer: dict[str, Any] = {"Responses": {TABLE: items}, "UnprocessedKeys": {}}
        if left:
            answer["UnprocessedKeys"] = {TABLE: {"Keys": left, "ConsistentRead": True}}
        return answer

    def asked(self, n: int) -> list[tuple[str, str]]:
        keys = [deserialize(key) for key in self.requests[n]["RequestItems"][TABLE]["Keys"]]
        return [(key["pk"], key["sk"]) for key in keys]


def table_with(client: ScriptedClient) -> Table:
    table = Table.__new__(Table)
    table.name = TABLE
    table._db = client
    return table


def item(n: int) -> dict[str, Any]:
    return {"pk": f"THING#{n}", "sk": "THING", "amount": n}


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr(repository.time, "sleep", pauses.append)
    return pauses


def test_the_stored_items_come_back_by_key_and_a_missing_one_is_left_out() -> None:
    client = ScriptedClient([item(1), item(2)])
    found = table_with(client).batch_get([("THING#1", "THING"), ("THING#3", "THING"), ("THING#2", "THING")])
    assert found == {("THING#1", "THING"): item(1), ("THING#2", "THING"): item(2)}
    assert isinstance(found["THING#1", "THING"]["amount"], int)
    # One request, consistent, each key once
    assert len(client.requests) == 1
    assert client.requests[0]["RequestItems"][TABLE]["ConsistentRead"] is True
    assert client.asked(0) == [("THING#1", "THING"), ("THING#3", "THING"), ("THING#2", "THING")]


def test_a_key_named_twice_is_asked_once_and_eventual_reads_are_asked_for_when_wanted() -> None:
    # DynamoDB refuses a request whose keys repeat (ValidationException)
    client = ScriptedClient([item(1)])
    found = table_with(client).batch_get([("THING#1", "THING")] * 3, consistent=False)
    assert found == {("THING#1", "THING"): item(1)}
    assert client.asked(0) == [("THING#1", "THING")]
    assert client.requests[0]["RequestItems"][TABLE]["ConsistentRead"] is False


def test_no_keys_make_no_call() -> None:
    client = ScriptedClient([item(1)])
    assert table_with(client).batch_get([]) == {}
    assert client.requests == []


def test_more_than_a_hundred_keys_go_in_requests_of_at_most_a_hundred() -> None:
    client = ScriptedClient([item(n) for n in range(250)])
    found = table_with(client).batch_get([(f"THING#{n}", "THING") for n in range(250)])
    assert len(found) == 250
    assert [len(client.asked(n)) for n in range(len(client.requests))] == [100, 100, 50]


def test_unprocessed_keys_are_asked_again_after_a_growing_pause_until_all_are_read(no_pause: list[float]) -> None:
    # Given DynamoDB leaves two keys unprocessed, then one, then none
    client = ScriptedClient([item(n) for n in range(5)], unprocessed=[2, 1, 0])
    found = table_with(client).batch_get([(f"THING#{n}", "THING") for n in range(5)])
    # Then every item is read, each request asking only for what was left
    assert found == {(f"THING#{n}", "THING"): item(n) for n in range(5)}
    assert [len(client.asked(n)) for n in range(3)] == [5, 2, 1]
    assert client.asked(1) == [("THING#0", "THING"), ("THING#1", "THING")]
    assert no_pause == [repository.BATCH_GET_PAUSE, repository.BATCH_GET_PAUSE * 2]


def test_keys_still_unprocessed_after_the_last_attempt_make_the_read_unavailable(no_pause: list[float]) -> None:
    client = ScriptedClient([item(1), item(2)], unprocessed=[1] * 10)
    with pytest.raises(ServiceUnavailable):
        table_with(client).batch_get([("THING#1", "THING"), ("THING#2", "THING")])
    assert len(client.requests) == repository.BATCH_GET_ATTEMPTS
    assert len(no_pause) == repository.BATCH_GET_ATTEMPTS - 1


def test_throttling_is_a_service_unavailable_like_any_other_read() -> None:
    client = ScriptedClient([item(1)])
    error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
    client.error = ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "BatchGetItem")
    with pytest.raises(ServiceUnavailable):
        table_with(client).batch_get([("THING#1", "THING")])
