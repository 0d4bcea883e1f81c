"""A type checker catches a merchant's typos: `mypy --strict` on code using the SDK rejects a value
no enumeration has and a key no response has, and accepts the same code written correctly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MISTAKES = """
from vinr import Vinr

vinr = Vinr("sk_test_key", base_url="http://127.0.0.1:3000")
vinr.subscriptions.update("sub_1", proration_behavior="always_invoce")
s = vinr.subscriptions.retrieve("sub_1")
print(s["latestInvioce"])
for invoice in vinr.invoices.auto_paging_iter(customer="cust_1"):
    print(invoice["amountDew"])
vinr.subscriptions.list(status="pastdue")
"""

CORRECT = """
from vinr import Vinr
from vinr.types import Invoice, Page, Subscription

vinr = Vinr("sk_test_key", base_url="http://127.0.0.1:3000")
vinr.subscriptions.update("sub_1", proration_behavior="always_invoice")
s: Subscription = vinr.subscriptions.retrieve("sub_1")
latest: str | None = s["latestInvoice"]
for invoice in vinr.invoices.auto_paging_iter(customer="cust_1"):
    due: int = invoice["amountDue"]
page: Page[Subscription] = vinr.subscriptions.list(status="past_due")
first: Invoice = vinr.invoices.list(customer="cust_1")["data"][0]
preview = vinr.invoices.upcoming(subscription="sub_1", proration_behavior="none")
immediate = preview["immediate"]
total: int = immediate["total"] if immediate else 0
"""


def mypy_strict(tmp_path: Path, name: str, source: str) -> list[str]:
    """The error lines `mypy --strict` reports on `source` (the SDK as installed, with its py.typed)."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert "vinr" not in done.stderr, done.stderr  # the package was found
    return [line for line in done.stdout.splitlines() if ": error:" in line]


def test_mypy_strict_rejects_a_misspelt_enumeration_value_and_response_key(tmp_path: Path) -> None:
    # When mypy --strict checks code with a misspelt proration behaviour and a misspelt key
    errors = mypy_strict(tmp_path, "mistakes", MISTAKES)
    by_line = {int(found[1]): line for line in errors if (found := re.search(r":(\d+): error", line))}
    # Then each mistake is an error on its own line, naming what is wrong
    assert "always_invoce" in by_line[5] and "arg-type" in by_line[5]
    assert "latestInvioce" in by_line[7] and "typeddict-item" in by_line[7]
    assert "amountDew" in by_line[9] and "typeddict-item" in by_line[9]
    assert "pastdue" in by_line[10] and "arg-type" in by_line[10]
    assert len(errors) == 4, errors


def test_mypy_strict_accepts_the_same_code_written_correctly(tmp_path: Path) -> None:
    assert mypy_strict(tmp_path, "correct", CORRECT) == []
