"""The same account's API with a live key: what live invoices, sessions, renewals and emails follow
(the account's details, the portal domain, the dunning schedule, the email settings) needs one
(`billing.accounts.livesettings`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from billing.accounts import accounts
from billing.store.repository import Table
from local.template import ROOT
from tests.support.apiclient import ApiClient, ok


def live_client(api: ApiClient) -> ApiClient:
    """A new live-mode key of `api`'s account, as a client."""
    account_id = ok(api.get("/v1/account"))["id"]
    return ApiClient(api.template, key=accounts.add_key(account_id, "live", table=Table()).secret)


def operator_live_key(stack_file: str, account_id: str) -> str:
    """A new live key of an account on a running local stack (`make dev --stack-file …`), made as an
    operator makes one: `python -m local.admin add-key --mode live`."""
    made = subprocess.run(
        [sys.executable, "-m", "local.admin", "add-key", "--account", account_id, "--mode", "live"],
        cwd=ROOT,
        env={**os.environ, "VINR_STACK_FILE": stack_file},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found = re.search(r"sk_live_[A-Za-z0-9]{32}", made.stdout)
    assert found, made.stdout + made.stderr
    return found.group(0)
