"""AWS's DynamoDB Local for the suites whose guarantees rest on DynamoDB's own semantics
(races, faults, transaction retries): one process per test session, a table per test.

A suite opts in by overriding `stack` in its conftest:

    @pytest.fixture
    def stack(template, monkeypatch, dynamodb_local):
        yield from make_stack(template, monkeypatch, dynamodb_local)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.dynamodblocal import DynamoDBLocal, NotInstalled
from local.ports import free_port


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """DynamoDB Local's endpoint (in memory, on 127.0.0.1). `make test` installs it; a missing
    install fails the tests that need it, with the command that installs it."""
    try:
        server = DynamoDBLocal(free_port()).start()
    except NotInstalled as missing:
        pytest.fail(str(missing), pytrace=False)
    try:
        yield server.endpoint
    finally:
        server.stop()
