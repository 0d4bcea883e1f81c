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
    # Minting a session reads all it checks in one batch, then writes the session and its event
    # in one transaction.
    mint = counted["POST /v1/billing/portal_sessions"]
    assert dict(mint.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1}, mint.breakdown()
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


def test_plan_switches_and_their_portal_pages_read_together() -> None:
    # Given the bench's operations (a customer without a billing country: no tax rates are read)
    counted = aws_calls.count_all()
    session = {"GetItem": aws_calls.PORTAL_SESSION_CALLS}
    # Then the API's switch reads the subscription and the price in one batch, the price's product
    # in a second, and writes in one transaction; invoiced at once, the second batch also holds
    # the customer, the first the account and the invoice counter, and the method charged is read.
    prorated = counted["POST /v1/subscriptions/{id} (plan switch, create_prorations)"]
    assert dict(prorated.calls) == {"BatchGetItem": 2, "TransactWriteItems": 1}, prorated.breakdown()
    invoiced = counted["POST /v1/subscriptions/{id} (plan switch, always_invoice)"]
    assert dict(invoiced.calls) == {"BatchGetItem": 2, "GetItem": 1, "TransactWriteItems": 1}, invoiced.breakdown()
    # And the plan page and its confirmation read, after the session, one batch (the subscription,
    # the customer, the account, the configured product) and the product's prices
    for page in ("update (plan page)", "update/confirm (confirmation page)"):
        counter = counted[f"portal GET /subscriptions/{{id}}/{page}"]
        assert dict(counter.calls) == {**session, "BatchGetItem": 1, "Query": 1}, counter.breakdown()
    # And the confirmed switch reads the same, once, and writes in one transaction
    switch = counted["portal POST /subscriptions/{id}/update/confirm (confirmed switch)"]
    assert dict(switch.calls) == {**session, "BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    # And every other page the portal shows a signed-in customer reads at most three times
    pages = [name for name in counted if name.startswith("portal GET /") and "/session/" not in name]
    assert len(pages) >= 11
    assert all(counted[name].total <= 3 for name in pages), {name: counted[name].breakdown() for name in pages}
