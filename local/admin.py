"""Operator commands: accounts and their secret keys, on the local stack or a deployed one.

    python -m local.admin create-account --name Acme [--stack vinr-portal-prod] [--mode live]
    python -m local.admin list-keys --account acct_… [--stack …]
    python -m local.admin add-key --account acct_… --mode test|live [--stack …]
    python -m local.admin revoke-key --account acct_… --key key_… [--stack …]

Without `--stack` it talks to the running local stack (`make dev` writes `.local/stack.json`).
With it, it uses your AWS credentials and reads the table name from the stack's outputs.
An account that does not exist is an error (exit 2), never an empty listing. `revoke-key` says how
long the revoked key may still work: the functions that authenticate keys cache them per warm
container for KEY_CACHE_SECONDS (billing.kernel.config), read from the deployed functions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from local.template import ROOT

if TYPE_CHECKING:
    from billing.store.repository import Table


def stack_file() -> Path:
    """Where `make dev` describes the running local stack (VINR_STACK_FILE overrides)."""
    return Path(os.environ.get("VINR_STACK_FILE") or ROOT / ".local" / "stack.json")


# The functions that authenticate secret keys (and cache them): their logical IDs in the template,
# whose `<logical ID>Name` output names the deployed function.
KEY_CHECKING_FUNCTIONS = ("ApiFunction", "InvoicePdfFunction")
KEY_CACHE_VARIABLE = "KEY_CACHE_SECONDS"


class TargetError(Exception):
    """The command cannot find the stack it should talk to, or the account it names."""


def use_local_stack() -> None:
    try:
        stack = json.loads(stack_file().read_text())
    except FileNotFoundError as error:
        raise TargetError(
            "the local stack is not running: start it with `make dev` in another terminal, "
            "or pass --stack <name> (make: STACK=<name>) for a deployed stack"
        ) from error
    os.environ.update(
        AWS_ENDPOINT_URL=stack["endpoint"],
        AWS_ENDPOINT_URL_DYNAMODB=stack["dynamodbEndpoint"],
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto accepts any credentials
        AWS_DEFAULT_REGION=stack.get("region", "us-east-1"),
        TABLE_NAME=stack["tableName"],
    )
    # `make dev` runs every function with KEY_CACHE_SECONDS=0 (local/dev.py): no key is cached.
    os.environ[KEY_CACHE_VARIABLE] = str(stack.get("keyCacheSeconds", 0))


def use_deployed_stack(stack_name: str, region: str | None) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        cloudformation = boto3.client("cloudformation", region_name=region)
        described = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except (BotoCoreError, ClientError) as error:
        raise TargetError(f"cannot read stack {stack_name!r}: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    if "TableName" not in outputs:
        raise TargetError(f"stack {stack_name!r} has no TableName output; is it a VINR portal stack?")
    os.environ["TABLE_NAME"] = outputs["TableName"]
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
    # The figure the deployed functions compute (config's default when they do not set it),
    # not whatever this shell happens to have.
    cached = deployed_key_cache(outputs, region)
    if cached is None:
        os.environ.pop(KEY_CACHE_VARIABLE, None)
    else:
        os.environ[KEY_CACHE_VARIABLE] = cached


def deployed_key_cache(outputs: Mapping[str, str], region: str | None) -> str | None:
    """The longest KEY_CACHE_SECONDS the key-checking functions run with; None when none sets it
    (then config's default applies)."""
    values = [
        float(value)
        for logical_id in KEY_CHECKING_FUNCTIONS
        if isinstance(value := function_environment(logical_id, outputs, region).get(KEY_CACHE_VARIABLE), str | int)
        and _is_number(value)
    ]
    return f"{max(values):g}" if values else None


def function_environment(logical_id: str, outputs: Mapping[str, str], region: str | None) -> Mapping[str, object]:
    """A deployed function's environment, or the template's for it when that cannot be read."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from local import template

    name = outputs.get(f"{logical_id}Name")
    if name:
        try:
            described = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=name)
            variables: Mapping[str, object] = described.get("Environment", {}).get("Variables", {})
            return variables
        except (BotoCoreError, ClientError):
            pass  # no lambda:GetFunctionConfiguration: the template stands in
    return next((f.environment for f in template.load().functions() if f.logical_id == logical_id), {})


def _is_number(value: str | int | float) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def revocation_notice(stack_name: str | None) -> str:
    """How long a revoked key may still be accepted, from the figure the functions use."""
    from billing.kernel import config

    seconds = config.settings().key_cache_seconds
    where = f"stack {stack_name}" if stack_name else "the local stack"
    if seconds <= 0:
        return f"The key is refused from now on: {where} does not cache keys ({KEY_CACHE_VARIABLE}=0)."
    return (
        f"A warm container of {where} may still accept it for up to {seconds:g} s: keys are cached per "
        f"container for {KEY_CACHE_VARIABLE}={seconds:g}. After that every request with it is refused (401)."
    )


def require_account(account_id: str, stack_name: str | None, table: Table) -> None:
    from billing.accounts import accounts
    from billing.kernel.errors import NotFound

    try:
        accounts.get_account(account_id, table=table)
    except NotFound:
        where = f"stack {stack_name}" if stack_name else "the local stack"
        raise TargetError(f"account {account_id} does not exist in {where}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local.admin", description="VINR accounts and secret keys.")
    parser.add_argument("--stack", help="a deployed stack's name (default: the running local stack)")
    parser.add_argument("--region", help="the deployed stack's region")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-account", help="create an account and print its first key once")
    create.add_argument("--name", required=True)
    create.add_argument("--country")
    create.add_argument("--mode", choices=["test", "live"], default="test", help="the first key's mode")
    listing = commands.add_parser("list-keys", help="list an account's keys (prefix and last 4 only)")
    listing.add_argument("--account", required=True)
    add = commands.add_parser("add-key", help="add a key and print it once")
    add.add_argument("--account", required=True)
    add.add_argument("--mode", choices=["test", "live"], required=True)
    revoke = commands.add_parser("revoke-key", help="revoke a key")
    revoke.add_argument("--account", required=True)
    revoke.add_argument("--key", required=True)
    return parser


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    from billing.accounts import accounts
    from billing.kernel import config
    from billing.kernel.errors import BillingError
    from billing.store.repository import Table

    try:
        if args.stack:
            use_deployed_stack(args.stack, args.region)
        else:
            use_local_stack()
        config.reset()
        table = Table()
        if args.command == "create-account":
            account, key = accounts.create_account(args.name, country=args.country, mode=args.mode, table=table)
            print(f"account   {account.id}  {account.name}")
            print(f"key       {key.key_id}  ({key.mode} mode)")
            print(f"secret    {key.secret}")
            print("Store the secret key now: it is shown once and kept only as a hash.")
        elif args.command == "list-keys":
            require_account(args.account, args.stack, table)
            for key_info in accounts.list_keys(args.account, table=table):
                state = f"revoked {key_info['revokedAt']}" if key_info["revokedAt"] else "active"
                print(
                    f"{key_info['id']}  {key_info['mode']:4}  {key_info['display']}  {key_info['createdAt']}  {state}"
                )
        elif args.command == "add-key":
            require_account(args.account, args.stack, table)
            key = accounts.add_key(args.account, args.mode, table=table)
            print(f"key       {key.key_id}  ({key.mode} mode)")
            print(f"secret    {key.secret}")
            print("Store the secret key now: it is shown once and kept only as a hash.")
        elif args.command == "revoke-key":
            require_account(args.account, args.stack, table)
            accounts.revoke_key(args.account, args.key, table=table)
            print(f"revoked   {args.key}")
            print(revocation_notice(args.stack))
    except (TargetError, BillingError) as error:
        message = error.message if isinstance(error, BillingError) else str(error)
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
