"""No secret the API answers is kept in the clear in the table, nor in its stream: the flows
that answer one (a portal session's link, a webhook endpoint's `whsec_` secret when created and
rolled, an invoice's hosted link) run under `Idempotency-Key`, and a replay of each answers the
same body; then every attribute of every item, and every stream record, is searched for them.

The one place a secret is kept on purpose is a webhook endpoint's own `secrets` attribute
(signing needs it; docs/architecture.md, Data model), left out of the search by its path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
from boto3.dynamodb.types import TypeDeserializer

from tests.conftest import Stack
from tests.security.state import table_items
from tests.support.apiclient import ApiClient
from tests.support.shop import open_shop

_deserializer = TypeDeserializer()


def strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a value, recursively, with its path (bytes and sets included)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, (bytes, bytearray)):
        yield path, bytes(value).decode("latin-1")
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield path, str(key)
            yield from strings(inner, (*path, str(key)))
    elif isinstance(value, (list, tuple, set, frozenset)):
        for inner in value:
            yield from strings(inner, path)
    elif hasattr(value, "value"):  # a Binary
        yield from strings(value.value, path)


def item_strings(raw: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    """An item's strings in DynamoDB's typed JSON, less a webhook endpoint's own signing secrets."""
    item = {name: _deserializer.deserialize(value) for name, value in raw.items()}
    for path, text in strings(item):
        if item.get("type") == "webhook_endpoint" and path[:1] == ("secrets",):
            continue
        yield path, text


def stream_images(stack: Stack) -> list[dict[str, Any]]:
    """Every record of the table's stream (its new images), from the start of each shard."""
    table = boto3.client("dynamodb").describe_table(TableName=stack.resources.table_name)["Table"]
    streams = boto3.client("dynamodbstreams")
    arn = table["LatestStreamArn"]
    images: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            images += [r["dynamodb"]["NewImage"] for r in page["Records"] if "NewImage" in r["dynamodb"]]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return images


def keyed_twice(api: ApiClient, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    """A POST under `key`, then its replay: the same body both times (a retrying client loses nothing)."""
    first = api.post(path, body, headers={"Idempotency-Key": key})
    again = api.post(path, body, headers={"Idempotency-Key": key})
    assert first.status == again.status == 200, (first.text, again.text)
    answer: dict[str, Any] = first.json()
    assert again.json() == answer
    return answer


def test_no_secret_an_answer_held_is_in_the_table_or_its_stream(stack: Stack) -> None:
    # Given an account whose key, portal link, webhook secrets and hosted invoice links were answered
    _, api_key = stack.new_account()
    api = ApiClient(stack.template, key=api_key)
    shop = open_shop(api)
    customer = shop.customer(name="Sec Retkeeper", email="sec@example.com")
    api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
    link = keyed_twice(
        api, "/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://app.example.com/"}, "s-1"
    )
    endpoint = keyed_twice(
        api, "/v1/webhook_endpoints", {"url": "https://hooks.example.com/in", "enabledEvents": ["*"]}, "s-2"
    )
    rolled = keyed_twice(api, f"/v1/webhook_endpoints/{endpoint['id']}/roll_secret", {}, "s-3")
    subscription = keyed_twice(
        api, "/v1/subscriptions", {"customer": customer, "items": [{"price": shop.monthly}]}, "s-4"
    )
    invoice = api.get(f"/v1/invoices/{subscription['latestInvoice']}").json()
    relinked = keyed_twice(api, f"/v1/invoices/{invoice['id']}/hosted_link", {}, "s-5")
    link_secret = urlsplit(link["url"]).fragment  # `/session/<bps>#<secret>`
    secrets = {
        "API key": api_key,
        "portal link secret": link_secret,
        "webhook secret": endpoint["secret"],
        "rolled webhook secret": rolled["secret"],
        "hosted invoice link": urlsplit(invoice["hostedInvoiceUrl"]).path.rsplit("/", 1)[-1],
        "replaced hosted invoice link": urlsplit(relinked["hostedInvoiceUrl"]).path.rsplit("/", 1)[-1],
    }
    assert all(len(secret) >= 16 for secret in secrets.values()), secrets
    assert endpoint["secret"].startswith("whsec_") and rolled["secret"].startswith("whsec_")
    # When every attribute of every item and every stream record is searched
    items = table_items(stack)
    images = stream_images(stack)
    assert any(i["pk"]["S"] == "IDEMPOTENCY" for i in items) and images
    found = [
        f"{name} in {where} {raw['pk']['S']} / {raw['sk']['S']} at {'.'.join(path) or '(key)'}"
        for where, raws in (("item", items), ("stream record", images))
        for raw in raws
        for path, text in item_strings(raw)
        for name, secret in secrets.items()
        if secret in text
    ]
    # Then none of them is there in the clear
    assert not found, "\n".join(found)


def test_a_replayed_answer_is_bound_to_its_own_record(stack: Stack) -> None:
    # Given two keyed requests' saved answers
    _, api_key = stack.new_account()
    api = ApiClient(stack.template, key=api_key)
    first = api.post(
        "/v1/webhook_endpoints",
        {"url": "https://hooks.example.com/a", "enabledEvents": ["*"]},
        headers={"Idempotency-Key": "a"},
    )
    second = api.post(
        "/v1/webhook_endpoints",
        {"url": "https://hooks.example.com/b", "enabledEvents": ["*"]},
        headers={"Idempotency-Key": "b"},
    )
    assert first.status == second.status == 200
    db = boto3.client("dynamodb")
    records = [i for i in table_items(stack) if i["pk"]["S"] == "IDEMPOTENCY"]
    assert len(records) == 2
    saved = {r["sk"]["S"]: json.loads(r["data"]["S"]) for r in records}
    assert all(set(answer) == {"status", "sealedBody"} for answer in saved.values()), saved
    # When one record's sealed answer is copied onto the other's
    (_, a_answer), (b, _) = saved.items()
    db.update_item(
        TableName=stack.resources.table_name,
        Key={"pk": {"S": "IDEMPOTENCY"}, "sk": {"S": b}},
        UpdateExpression="SET #d = :d",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":d": {"S": json.dumps(a_answer)}},
    )
    # Then replays answer their own secret, or (for the moved answer) that the answer is unavailable
    replays = {
        key: api.post("/v1/webhook_endpoints", {"url": url, "enabledEvents": ["*"]}, headers={"Idempotency-Key": key})
        for key, url in (("a", "https://hooks.example.com/a"), ("b", "https://hooks.example.com/b"))
    }
    answers = {key: (r.status, r.json().get("secret") or r.json()["error"]["code"]) for key, r in replays.items()}
    original = {"a": first.json()["secret"], "b": second.json()["secret"]}
    opened_a = answers["a"] == (200, original["a"]) and answers["b"] == (409, "idempotency_answer_unavailable")
    opened_b = answers["b"] == (200, original["b"]) and answers["a"] == (409, "idempotency_answer_unavailable")
    assert opened_a or opened_b, answers
