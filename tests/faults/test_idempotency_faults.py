"""The `Idempotency-Key` under faults: a key can never commit its change twice.

The change's transaction marks the key's record carried out (with a stand-in answer); the real
answer is saved after it, in a write of its own. These tests fail that write, and race a second
request under the same key, and read the table to see that the change happened exactly once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from billing.store import repository
from tests.conftest import Stack
from tests.faults import injector as faults
from tests.support.apiclient import ApiClient
from tests.support.tablestate import changes, snapshot

BODY = {"name": "Ada", "address": {"country": "DE"}}


def _create(merchant: ApiClient, key: str) -> Any:
    return merchant.post("/v1/customers", BODY, headers={"idempotency-key": key})


def _customers(merchant: ApiClient) -> list[str]:
    listed = merchant.get("/v1/customers", query={"limit": "100"})
    assert listed.status == 200, listed.text
    return [c["id"] for c in listed.json()["data"]]


def _records(stack: Stack) -> list[dict[str, Any]]:
    return [item for key, item in snapshot(stack).items() if key[0] == "IDEMPOTENCY"]


def test_an_answer_that_cannot_be_saved_is_still_given_and_a_retry_commits_nothing(
    stack: Stack, merchant: ApiClient
) -> None:
    with faults.installed() as injector:
        # Given the AWS calls of a clean keyed create: the answer's save is its last UpdateItem
        assert _create(merchant, uuid.uuid4().hex).status == 200
        calls = list(injector.sequence)
        assert calls[-1] == "UpdateItem", calls
        saves = calls.count("UpdateItem")
        # When that save fails on every attempt
        injector.reset()
        key = uuid.uuid4().hex
        fault = injector.arm("UpdateItem", saves, "throttle", faults.ATTEMPTS)
        before = snapshot(stack)
        first = _create(merchant, key)
        assert fault.fired == faults.ATTEMPTS
    # Then the caller still gets the real answer: the customer it created
    assert first.status == 200, first.text
    created = first.json()
    assert created["object"] == "customer" and created["name"] == "Ada"
    assert changes(before, snapshot(stack))[("put", "customer")] == 1
    # And a retry under the key answers the stand-in and creates nothing
    count = len(_customers(merchant))
    again = _create(merchant, key)
    assert again.status == 409, again.text
    assert again.json()["error"]["code"] == "idempotency_answer_unavailable"
    assert again.header("idempotency-key") == key
    assert len(_customers(merchant)) == count
    assert created["id"] in _customers(merchant)


def test_a_clean_keyed_request_replays_its_own_answer_not_the_stand_in(merchant: ApiClient) -> None:
    key = uuid.uuid4().hex
    first = _create(merchant, key)
    again = _create(merchant, key)
    assert first.status == again.status == 200
    assert again.json() == first.json()


def test_a_second_request_under_a_key_whose_change_committed_meanwhile_commits_nothing(
    stack: Stack, merchant: ApiClient
) -> None:
    """Request B took the key over after A's in-progress lease ran out (a Lambda timeout); A's
    change commits just before B's. B's transaction then fails whole on the mark, and B's
    failure does not free the key for a third request."""
    db = boto3.client("dynamodb", region_name="us-east-1")
    record_keys: list[dict[str, Any]] = []
    a_answer = json.dumps({"status": 200, "body": "{}"})

    def a_commits_first(params: dict[str, Any], **_: Any) -> None:
        (mark,) = [
            op["Update"]
            for op in params["TransactItems"]
            if op.get("Update", {}).get("Key", {}).get("pk") == {"S": "IDEMPOTENCY"}
        ]
        record_keys.append(mark["Key"])
        db.update_item(
            TableName=stack.resources.table_name,
            Key=mark["Key"],
            UpdateExpression="SET #s = :c, #d = :d",
            ExpressionAttributeNames={"#s": "status", "#d": "data"},
            ExpressionAttributeValues={":c": {"S": "COMPLETED"}, ":d": {"S": a_answer}},
        )

    event = "provide-client-params.dynamodb.TransactWriteItems"
    client = repository.client("dynamodb")
    count = len(_customers(merchant))
    client.meta.events.register_first(event, a_commits_first)
    try:
        before = snapshot(stack)
        b = _create(merchant, uuid.uuid4().hex)
    finally:
        client.meta.events.unregister(event, a_commits_first)
    # B is refused, its change not written
    assert b.status == 409, b.text
    assert b.json()["error"]["code"] == "conflict"
    assert not changes(before, snapshot(stack))
    assert len(_customers(merchant)) == count
    # And the key still answers A's change
    (record_key,) = record_keys
    record = db.get_item(TableName=stack.resources.table_name, Key=record_key, ConsistentRead=True)["Item"]
    assert record["status"] == {"S": "COMPLETED"}
    assert record["data"] == {"S": a_answer}
