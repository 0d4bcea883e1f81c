"""Each operation stays within its AWS-call budget (counts, not timings: safe in tests)."""

from __future__ import annotations

from bench import aws_calls


def test_every_operation_makes_at_most_its_budgeted_aws_calls() -> None:
    # Given the bench's operations, run through the real API handler on moto
    # When each one's AWS calls are counted by the same hook `make bench` uses
    counted = aws_calls.count_all()
    # Then every operation was measured and none makes more calls than its budget
    assert set(counted) == set(aws_calls.BUDGETS)
    for name, counter in counted.items():
        assert counter.total <= aws_calls.BUDGETS[name], f"{name}: {counter.breakdown()}"
    # A warm key cache means reading the account is one GetItem and nothing else.
    assert dict(counted["GET /v1/account (key cache warm)"].calls) == {"GetItem": 1}
    # A portal page costs one read before its own data: the session, which carries its
    # configuration and brand (at most two are allowed); the overview's own data is one Query
    # of the customer's items.
    assert counted["portal GET /session/{id} (landing page)"].total == aws_calls.PORTAL_SESSION_CALLS <= 2
    assert dict(counted["portal GET / (home page)"].calls) == {"GetItem": aws_calls.PORTAL_SESSION_CALLS, "Query": 1}
    # The exchange is the one conditional update, nothing else.
    assert dict(counted["portal POST /session/{id}/exchange"].calls) == {"UpdateItem": 1}
    # Attaching a payment method reads the scope's gateway connection and the customer and writes
    # in one transaction: the duplicate card is refused by the transaction's fingerprint item, not
    # by a Query of the customer's methods. A method that becomes the default also reads the
    # customer's subscriptions (an overdue invoice is retried with it at once); another does not.
    first = counted["POST /v1/customers/{id}/payment_methods (first method)"]
    assert dict(first.calls) == {"GetItem": 2, "Query": 1, "TransactWriteItems": 1}, first.breakdown()
    second = counted["POST /v1/customers/{id}/payment_methods"]
    assert dict(second.calls) == {"GetItem": 2, "TransactWriteItems": 1}, second.breakdown()
