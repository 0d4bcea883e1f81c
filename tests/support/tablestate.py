"""The table and the queues read whole from moto's backend, and what a request changed in them
(the fault and race tests)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from billing.store.repository import deserialize
from tests.conftest import Stack

Snapshot = dict[tuple[str, str], dict[str, Any]]


def snapshot(stack: Stack) -> Snapshot:
    """Every item of the table: a consistent Scan of DynamoDB Local's, or moto's read from its
    backend under the lock that serialises its requests (a Scan through moto costs seconds once
    the table grows)."""
    if stack.dynamodb_endpoint:
        return _scanned(stack)
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from local import motofidelity

    with motofidelity._lock:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(stack.resources.table_name)
        raws = [item.to_json()["Attributes"] for item in table.all_items()]
    items: Snapshot = {}
    for raw in raws:
        item = deserialize(raw)
        items[(str(item["pk"]), str(item["sk"]))] = item
    return items


def _scanned(stack: Stack) -> Snapshot:
    import boto3

    items: Snapshot = {}
    pages = boto3.client("dynamodb").get_paginator("scan")
    for page in pages.paginate(TableName=stack.resources.table_name, ConsistentRead=True):
        for raw in page["Items"]:
            item = deserialize(raw)
            items[(str(item["pk"]), str(item["sk"]))] = item
    return items


def kind_of(item: dict[str, Any]) -> str:
    if item.get("type") == "event":
        return f"event:{item['eventType']}"
    return str(item.get("type") or item["sk"])


def changes(before: Snapshot, after: Snapshot) -> Counter[tuple[str, str]]:
    """What happened to which kinds of item: (`put` | `update` | `delete`, kind), counted.
    The idempotency records of Powertools are left out (they are the request's, not its change)."""
    found: Counter[tuple[str, str]] = Counter()
    for key, item in after.items():
        if key[0] == "IDEMPOTENCY":
            continue
        if key not in before:
            found["put", kind_of(item)] += 1
        elif before[key] != item:
            found["update", kind_of(item)] += 1
    for key, item in before.items():
        if key not in after and key[0] != "IDEMPOTENCY":
            found["delete", kind_of(item)] += 1
    return found


def new_items(before: Snapshot, after: Snapshot, kind: str) -> list[dict[str, Any]]:
    return [item for key, item in after.items() if key not in before and kind_of(item) == kind]


def queued(stack: Stack, queue: str = "DeliveryQueue") -> dict[str, str]:
    """Every message in one of the stack's queues (in flight too): its body by message ID, as moto holds it."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    name = stack.resources.queues[queue].rsplit("/", 1)[-1]
    held = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[name]
    with held._messages_lock:
        return {message.id: message.body for message in held._messages}
