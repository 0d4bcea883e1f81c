"""The operator CLI (`make account`, keys) against the local stack and a deployed-style stack."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local import resources
from local import template as template_module
from tests.support.motoserver import moto_server
from tests.support.tools import run_in_repo

FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
SECRET = re.compile(r"^secret\s+(sk_(test|live)_[A-Za-z0-9]{32})$", re.MULTILINE)
KEY_ID = re.compile(r"^key\s+(key_[A-Za-z0-9]+)", re.MULTILINE)
ACCOUNT_ID = re.compile(r"^account\s+(acct_[A-Za-z0-9]+)", re.MULTILINE)


def admin(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_in_repo(sys.executable, "-m", "local.admin", *args, env=env, timeout=60)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def local_stack(endpoint: str, dynamodb_local: str, tmp_path: Path) -> dict[str, str]:
    """The table on DynamoDB Local, moto's server for the rest, and a stack file like the one
    `make dev` writes."""
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    dynamodb = session.client("dynamodb", endpoint_url=dynamodb_local)
    table = f"cli-{uuid.uuid4().hex[:8]}"
    resources.create_table(template_module.load(), dynamodb, table)
    stack_file = tmp_path / "stack.json"
    described = {"endpoint": endpoint, "dynamodbEndpoint": dynamodb_local, "tableName": table, "region": "us-east-1"}
    stack_file.write_text(json.dumps(described))
    env = {**os.environ, **FAKE, "VINR_STACK_FILE": str(stack_file)}
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def test_create_account_prints_its_key_once_and_the_key_is_listed_masked(local_stack: dict[str, str]) -> None:
    # When an operator creates an account
    created = admin("create-account", "--name", "Acme", env=local_stack)
    # Then the key is printed once, in full
    assert created.returncode == 0, created.stderr
    secret = SECRET.search(created.stdout)
    account = ACCOUNT_ID.search(created.stdout)
    assert secret and account
    # And listing shows only its prefix and last 4
    listed = admin("list-keys", "--account", account.group(1), env=local_stack)
    assert listed.returncode == 0, listed.stderr
    assert secret.group(1) not in listed.stdout
    assert f"sk_test_…{secret.group(1)[-4:]}" in listed.stdout
    assert "active" in listed.stdout


def test_keys_can_be_added_and_revoked(local_stack: dict[str, str]) -> None:
    created = admin("create-account", "--name", "Keys Ltd", env=local_stack)
    account = ACCOUNT_ID.search(created.stdout)
    assert account
    # When a live key is added and then revoked
    added = admin("add-key", "--account", account.group(1), "--mode", "live", env=local_stack)
    assert added.returncode == 0, added.stderr
    live = SECRET.search(added.stdout)
    key_id = KEY_ID.search(added.stdout)
    assert live and live.group(1).startswith("sk_live_") and key_id
    revoked = admin("revoke-key", "--account", account.group(1), "--key", key_id.group(1), env=local_stack)
    assert revoked.returncode == 0, revoked.stderr
    # Then the listing shows it revoked and the first key still active
    listed = admin("list-keys", "--account", account.group(1), env=local_stack).stdout
    lines = {line.split()[0]: line for line in listed.splitlines()}
    assert "revoked" in lines[key_id.group(1)]
    assert sum("active" in line for line in lines.values()) == 1
    # And revoking twice is a clear error, not a traceback
    again = admin("revoke-key", "--account", account.group(1), "--key", key_id.group(1), env=local_stack)
    assert again.returncode == 2
    assert "already revoked" in again.stderr and "Traceback" not in again.stderr


def test_without_a_running_stack_it_says_how_to_start_one(tmp_path: Path) -> None:
    env = {**os.environ, **FAKE, "VINR_STACK_FILE": str(tmp_path / "missing.json")}
    result = admin("create-account", "--name", "Nobody", env=env)
    assert result.returncode == 2
    assert "make dev" in result.stderr and "Traceback" not in result.stderr


def test_a_deployed_stack_is_found_by_name_through_its_outputs(endpoint: str) -> None:
    # Given a CloudFormation stack whose outputs name its table (on moto's CloudFormation)
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    table_logical, table_props = template_module.load().table()
    stack_name = f"vinr-{uuid.uuid4().hex[:8]}"
    body = {
        "Resources": {table_logical: {"Type": "AWS::DynamoDB::Table", "Properties": table_props}},
        "Outputs": {"TableName": {"Value": {"Ref": table_logical}}},
    }
    session.client("cloudformation", endpoint_url=endpoint).create_stack(
        StackName=stack_name, TemplateBody=json.dumps(body)
    )
    env = {**os.environ, **FAKE, "AWS_ENDPOINT_URL": endpoint}
    # When the operator names the stack
    created = admin("--stack", stack_name, "create-account", "--name", "Deployed Co", env=env)
    # Then the account lands in that stack's table
    assert created.returncode == 0, created.stderr
    account = ACCOUNT_ID.search(created.stdout)
    assert account
    table_name = session.client("cloudformation", endpoint_url=endpoint).describe_stacks(StackName=stack_name)[
        "Stacks"
    ][0]["Outputs"][0]["OutputValue"]
    item = session.client("dynamodb", endpoint_url=endpoint).get_item(
        TableName=table_name, Key={"pk": {"S": f"ACCT#{account.group(1)}"}, "sk": {"S": "ACCOUNT"}}
    )
    assert item["Item"]["name"]["S"] == "Deployed Co"


def test_an_unknown_stack_is_a_clear_error(endpoint: str) -> None:
    env = {**os.environ, **FAKE, "AWS_ENDPOINT_URL": endpoint}
    result = admin("--stack", "no-such-stack", "create-account", "--name", "X", env=env)
    assert result.returncode == 2
    assert "no-such-stack" in result.stderr and "Traceback" not in result.stderr
