"""Shared fixtures: the template's resources (on moto, or with DynamoDB on AWS's DynamoDB Local),
and merchant API clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from billing.accounts import accounts
from billing.kernel import config
from billing.store import repository
from billing.store.repository import Table
from local import motofidelity, resources
from local import template as template_module
from local.template import Template
from tests.support.apiclient import ApiClient

# logscan scans what the code under test logs and prints for secrets, card numbers and IBANs
# (tests/security/test_logs.py fails on any finding); support.webhooks gives the webhook
# fixtures (receiver, fake_clock, pipeline); support.stripefake gives `stripe_fake` (localstripe).
# support.dynamodb gives `dynamodb_local` (one DynamoDB Local per test session, started when needed).
# support.dns gives `dns` (autouse: the portal domains' TXT lookups answered in process).
# support.egress runs every test as the local stack does (loopback webhook URLs enabled, example names resolved).
pytest_plugins = [
    "tests.security.logscan",
    "tests.support.egress",
    "tests.support.webhooks",
    "tests.support.stripefake",
    "tests.support.dynamodb",
    "tests.support.dns",
]

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def template() -> Template:
    return template_module.load()


@dataclass
class Stack:
    resources: resources.LocalResources
    template: Template
    dynamodb_endpoint: str | None = None  # DynamoDB Local's, when the table is there (else moto's)

    def new_account(self, name: str | None = None) -> tuple[str, str]:
        """A fresh account and its first secret key: (account id, sk_test_…)."""
        account, key = accounts.create_account(name or f"Merchant {uuid.uuid4().hex[:6]}", table=Table())
        return account.id, key.secret


@pytest.fixture
def stack(template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """moto in-process with the table, queues and secret of template.yaml."""
    yield from make_stack(template, monkeypatch)


def make_stack(template: Template, monkeypatch: pytest.MonkeyPatch, dynamodb: str | None = None) -> Iterator[Stack]:
    """The template's resources on moto in-process; with `dynamodb` (DynamoDB Local's endpoint),
    the table and its stream there instead, a table of its own for each test."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS"):
        if dynamodb:
            monkeypatch.setenv(name, dynamodb)
        else:
            monkeypatch.delenv(name, raising=False)
    if not dynamodb:
        motofidelity.serialise_dynamodb()
    motofidelity.sqs_visibility_per_receive()
    motofidelity.sqs_receive_in_linear_time()
    with mock_aws():
        repository.reset_clients()
        made = resources.create_all(template, boto3.Session(), prefix=f"t{uuid.uuid4().hex[:8]}")
        monkeypatch.setenv("TABLE_NAME", made.table_name)
        monkeypatch.setenv("KEY_MATERIAL_SECRET_ARN", made.secret_arn)
        monkeypatch.setenv("DELIVERY_QUEUE_URL", made.queues.get("DeliveryQueue", ""))
        monkeypatch.setenv("EMAIL_QUEUE_URL", made.queues.get("EmailQueue", ""))
        monkeypatch.setenv("SENDER_DOMAIN", resources.LOCAL_SENDER_DOMAIN)
        monkeypatch.setenv("PORTAL_BASE_URL", "http://127.0.0.1:3001")
        monkeypatch.setenv("KEY_CACHE_SECONDS", "0")
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tests")
        config.reset()
        accounts.clear_key_cache()
        yield Stack(resources=made, template=template, dynamodb_endpoint=dynamodb)
        if dynamodb:
            boto3.client("dynamodb").delete_table(TableName=made.table_name)  # DynamoDB Local keeps it otherwise
        repository.reset_clients()
        config.reset()
        accounts.clear_key_cache()


@pytest.fixture
def merchant(stack: Stack) -> ApiClient:
    """The API as one freshly created merchant sees it (its first test-mode key)."""
    _, key = stack.new_account()
    return ApiClient(template=stack.template, key=key)
