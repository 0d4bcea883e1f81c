"""`Idempotency-Key` compares a request's meaning: the same JSON from another serialiser (keys in
another order, other spacing, numbers spelled otherwise) replays the first answer, marked
`Idempotent-Replayed: true`; another meaning, query or path under the key is refused."""

from __future__ import annotations

import json
import uuid

from tests.support.apiclient import ApiClient, ok
from tests.support.shop import Shop

REPLAYED = "Idempotent-Replayed"


def keyed(key: str) -> dict[str, str]:
    return {"idempotency-key": key, "content-type": "application/json"}


def test_the_same_json_in_another_key_order_and_spacing_replays_the_first_answer(merchant: ApiClient) -> None:
    key = str(uuid.uuid4())
    body = {"name": "Ann", "email": "ann@example.com", "metadata": {"plan": "pro", "seats": "3"}}
    # Given a keyed create, sent compactly with its keys in one order
    first = merchant.request("POST", "/v1/customers", body=json.dumps(body, separators=(",", ":")), headers=keyed(key))
    # When it is retried by another serialiser: keys sorted the other way, indented, escaped
    retry_text = json.dumps(body, indent=4, sort_keys=True, ensure_ascii=True).replace('"Ann"', '"\\u0041nn"')
    assert retry_text != json.dumps(body)
    again = merchant.request("POST", "/v1/customers", body=retry_text, headers=keyed(key))
    # Then the retry answers the first answer, marked as a replay (the first is not), and one customer exists
    assert first.status == again.status == 200, again.text
    assert again.json() == first.json()
    assert first.header(REPLAYED) is None
    assert again.header(REPLAYED) == "true"
    assert again.header("Idempotency-Key") == key
    assert [c["id"] for c in ok(merchant.get("/v1/customers"))["data"]] == [first.json()["id"]]


def test_numbers_are_compared_as_numbers(merchant: ApiClient) -> None:
    key = str(uuid.uuid4())
    first = merchant.request(
        "POST",
        "/v1/coupons",
        body='{"name": "Ten", "percentOff": 10, "duration": "once"}',
        headers=keyed(key),
    )
    again = merchant.request(
        "POST",
        "/v1/coupons",
        body='{"duration":"once","percentOff":1.0e1,"name":"Ten"}',
        headers=keyed(key),
    )
    assert first.status == again.status == 200, again.text
    assert again.json() == first.json() and again.header(REPLAYED) == "true"


def test_another_meaning_under_the_key_is_still_refused(merchant: ApiClient) -> None:
    key = str(uuid.uuid4())
    ok(merchant.request("POST", "/v1/customers", body='{"name": "Ann", "phone": "+4930123"}', headers=keyed(key)))
    for other in ('{"name": "Anne", "phone": "+4930123"}', '{"name": "Ann"}', '{"phone": "+4930123", "name": null}'):
        reused = merchant.request("POST", "/v1/customers", body=other, headers=keyed(key))
        assert reused.status == 400, (other, reused.text)
        assert reused.json()["error"]["code"] == "idempotency_key_reused"
        assert reused.json()["error"]["param"] == "Idempotency-Key"
        assert reused.header(REPLAYED) is None
    assert len(ok(merchant.get("/v1/customers"))["data"]) == 1


def test_another_query_under_the_key_is_another_request(merchant: ApiClient, shop: Shop) -> None:
    subscription = ok(shop.subscribe(shop.customer()))
    key = str(uuid.uuid4())
    # Given a keyed cancellation with proration
    path = f"/v1/subscriptions/{subscription['id']}"
    first = merchant.delete(path, query={"prorate": "true"}, headers={"idempotency-key": key})
    assert first.status == 200, first.text
    # When the key is sent again without the query, it is refused rather than replayed
    other = merchant.delete(path, headers={"idempotency-key": key})
    assert other.status == 400 and other.json()["error"]["code"] == "idempotency_key_reused"
    # And the same query replays
    again = merchant.delete(path, query={"prorate": "true"}, headers={"idempotency-key": key})
    assert again.json() == first.json() and again.header(REPLAYED) == "true"
