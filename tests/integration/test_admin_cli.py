"""The operator CLI (`make account`, keys) against the local stack and a deployed-style stack."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# --- Unknown accounts and what a revocation means (moto's server holds the table) -------------


@pytest.fixture
def moto_stack(endpoint: str, tmp_path: Path) -> dict[str, str]:
    """A stack file like the one `make dev` writes, with the table on moto's server."""
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    table = f"cli-{uuid.uuid4().hex[:8]}"
    resources.create_table(template_module.load(), session.client("dynamodb", endpoint_url=endpoint), table)
    stack_file = tmp_path / "stack.json"
    described = {"endpoint": endpoint, "dynamodbEndpoint": endpoint, "tableName": table, "region": "us-east-1"}
    stack_file.write_text(json.dumps(described))
    env = {**os.environ, **FAKE, "VINR_STACK_FILE": str(stack_file)}
    env.pop("AWS_ENDPOINT_URL", None)
    return env


@pytest.mark.parametrize(
    "command",
    [("list-keys",), ("add-key", "--mode", "test"), ("revoke-key", "--key", "key_nope")],
    ids=["list-keys", "add-key", "revoke-key"],
)
def test_an_unknown_account_is_said_not_to_exist_and_the_command_fails(
    moto_stack: dict[str, str], command: tuple[str, ...]
) -> None:
    # When an operator names an account that does not exist (`make keys ACCOUNT=acct_typo`)
    result = admin(command[0], "--account", "acct_typo", *command[1:], env=moto_stack)
    # Then it says so and exits non-zero, rather than listing nothing or naming the key
    assert result.returncode == 2
    assert "account acct_typo does not exist in the local stack" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_an_existing_account_without_keys_to_show_still_lists_fine(moto_stack: dict[str, str]) -> None:
    created = admin("create-account", "--name", "Known", env=moto_stack)
    account = ACCOUNT_ID.search(created.stdout)
    assert created.returncode == 0 and account, created.stderr
    listed = admin("list-keys", "--account", account.group(1), env=moto_stack)
    assert listed.returncode == 0 and "active" in listed.stdout


def test_revoking_on_the_local_stack_says_the_key_is_refused_at_once(moto_stack: dict[str, str]) -> None:
    created = admin("create-account", "--name", "Local Revoker", env=moto_stack)
    account, key_id = ACCOUNT_ID.search(created.stdout), KEY_ID.search(created.stdout)
    assert account and key_id, created.stderr
    # (the operator's shell may hold any KEY_CACHE_SECONDS: the stack's own figure is what counts)
    revoked = admin(
        "revoke-key",
        "--account",
        account.group(1),
        "--key",
        key_id.group(1),
        env={**moto_stack, "KEY_CACHE_SECONDS": "45"},
    )
    assert revoked.returncode == 0, revoked.stderr
    assert "refused from now on" in revoked.stdout and "KEY_CACHE_SECONDS=0" in revoked.stdout


def deployed_stack(endpoint: str, outputs: dict[str, Any] | None = None) -> str:
    """A CloudFormation stack on moto whose outputs name its table (and `outputs`)."""
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    table_logical, table_props = template_module.load().table()
    stack_name = f"vinr-{uuid.uuid4().hex[:8]}"
    body = {
        "Resources": {table_logical: {"Type": "AWS::DynamoDB::Table", "Properties": table_props}},
        "Outputs": {"TableName": {"Value": {"Ref": table_logical}}, **(outputs or {})},
    }
    session.client("cloudformation", endpoint_url=endpoint).create_stack(
        StackName=stack_name, TemplateBody=json.dumps(body)
    )
    return stack_name


def revoke_on(stack_name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    created = admin("--stack", stack_name, "create-account", "--name", "Deployed Revoker", env=env)
    account, key_id = ACCOUNT_ID.search(created.stdout), KEY_ID.search(created.stdout)
    assert account and key_id, created.stderr
    return admin("--stack", stack_name, "revoke-key", "--account", account.group(1), "--key", key_id.group(1), env=env)


def test_revoking_on_a_deployed_stack_says_how_long_the_key_cache_may_keep_it(endpoint: str) -> None:
    # Given a deployed stack whose functions set no KEY_CACHE_SECONDS (as template.yaml does not),
    # and an operator shell that happens to set one
    assert all("KEY_CACHE_SECONDS" not in f.environment for f in template_module.load().functions())
    env = {**os.environ, **FAKE, "AWS_ENDPOINT_URL": endpoint, "KEY_CACHE_SECONDS": "5"}
    # When a key is revoked there
    revoked = revoke_on(deployed_stack(endpoint), env)
    # Then the operator is told the real window: billing.kernel.config's default, 60 s
    assert revoked.returncode == 0, revoked.stderr
    assert "may still accept it for up to 60 s" in revoked.stdout
    assert "KEY_CACHE_SECONDS=60" in revoked.stdout


def test_the_window_is_read_from_the_deployed_functions(endpoint: str) -> None:
    # Given a deployed API function configured with KEY_CACHE_SECONDS=15 (on moto's Lambda)
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    role = session.client("iam", endpoint_url=endpoint).create_role(
        RoleName=f"api-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    function = f"vinr-api-{uuid.uuid4().hex[:8]}"
    session.client("lambda", endpoint_url=endpoint).create_function(
        FunctionName=function,
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zipped("def handler(event, context):\n    return {}\n")},
        Environment={"Variables": {"KEY_CACHE_SECONDS": "15"}},
    )
    stack_name = deployed_stack(endpoint, {"ApiFunctionName": {"Value": function}})
    env = {**os.environ, **FAKE, "AWS_ENDPOINT_URL": endpoint}
    # When a key is revoked there
    revoked = revoke_on(stack_name, env)
    # Then the window printed is the function's own setting
    assert revoked.returncode == 0, revoked.stderr
    assert "up to 15 s" in revoked.stdout and "KEY_CACHE_SECONDS=15" in revoked.stdout


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()
