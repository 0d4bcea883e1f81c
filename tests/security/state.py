"""What the stack holds, read directly from moto: to prove a refused request changed nothing."""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import Stack


def table_items(stack: Stack) -> list[dict[str, Any]]:
    """Every item of the table (a consistent scan, sorted by key)."""
    db = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.resources.table_name, "ConsistentRead": True}
    while True:
        page = db.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def queued_messages(stack: Stack) -> int:
    """Messages in every queue of the stack, visible or in flight."""
    sqs = boto3.client("sqs")
    total = 0
    for url in stack.resources.queues.values():
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        total += int(attributes["ApproximateNumberOfMessages"])
        total += int(attributes["ApproximateNumberOfMessagesNotVisible"])
    return total
