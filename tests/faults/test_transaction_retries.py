"""A transaction that committed but answered late is retried by botocore with the same
`ClientRequestToken`; DynamoDB (here DynamoDB Local, as the whole faults suite) answers the retry
as the success it was, so the merchant never sees a false 409 for a change that happened."""

from __future__ import annotations

import pytest

from billing.kernel.errors import Conflict
from billing.store import repository
from billing.store.repository import Put, Table
from tests.conftest import Stack


def test_every_transaction_carries_a_client_request_token(stack: Stack) -> None:
    # Given a hook that records the requests the table's client sends
    sent: list[dict[str, object]] = []
    db = repository.client("dynamodb")

    def record(params: dict[str, object], **_: object) -> None:
        sent.append(params)

    db.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    try:
        Table().transact([Put({"pk": "TOKEN#1", "sk": "A"}, condition="attribute_not_exists(pk)")])
    finally:
        db.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", record)
    # Then it named a token
    (params,) = sent
    assert isinstance(params.get("ClientRequestToken"), str) and len(str(params["ClientRequestToken"])) >= 32


def test_a_retried_transaction_with_its_token_is_the_same_success(stack: Stack) -> None:
    # Given a transaction that creates an item only if it does not exist, committed once
    operations = [Put({"pk": "TOKEN#2", "sk": "A", "n": 1}, condition="attribute_not_exists(pk)")]
    Table().transact(operations, token="retry-token-1")
    # When the client sends it again with the same token (botocore's retry after a timeout)
    Table().transact(operations, token="retry-token-1")
    # Then the retry succeeds and nothing was applied twice
    assert Table().get("TOKEN#2", "A") == {"pk": "TOKEN#2", "sk": "A", "n": 1}
    # And with another token, the same write is the conflict it should be
    with pytest.raises(Conflict):
        Table().transact(operations, token="another-token")
