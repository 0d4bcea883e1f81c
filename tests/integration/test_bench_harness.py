"""`make bench`'s harness runs end to end and prints its tables with ratios. It runs the small
measures once each (the whole bench is minutes of work, for `make bench`, not for a test that
shares two cores with the rest of the suite)."""

from __future__ import annotations

import re
import sys

import pytest

from tests.support.tools import run_in_repo


@pytest.mark.slow
def test_bench_prints_import_ratios_for_each_function_and_call_counts() -> None:
    # Given the harness / When it runs three of its measures once each, as `make bench` would
    measures = ("--only", "import_time", "--only", "aws_calls", "--only", "pdf_render")
    result = run_in_repo(sys.executable, "-m", "bench", *measures, "--runs", "1")
    # Then it succeeds and prints a positive import ratio for each function
    assert result.returncode == 0, result.stderr
    for function in ("api", "portal"):
        row = re.search(rf"^{function}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", result.stdout, re.MULTILINE)
        assert row, result.stdout
        assert all(float(value) > 0 for value in row.groups())
    # And the AWS-call table and the PDF ratio
    assert re.search(r"^GET /v1/account \(key cache warm\)\s+1\s+1\s+GetItem×1", result.stdout, re.MULTILINE)
    pdf_row = re.search(
        r"^([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", result.stdout.split("Invoice PDF render")[1], re.MULTILINE
    )
    assert pdf_row and all(float(value) > 0 for value in pdf_row.groups())
