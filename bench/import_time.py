"""Fresh-process import time of each function's handler ÷ `import boto3; boto3.client("dynamodb")`."""

from __future__ import annotations

from bench.harness import fresh_process_seconds, median, table
from local import template as template_module
from local.template import ROOT

FLOOR = 'import time; t = time.perf_counter(); import boto3; boto3.client("dynamodb"); print(time.perf_counter() - t)'


def measure(runs: int) -> str:
    floor = median([fresh_process_seconds(FLOOR) for _ in range(runs)])
    rows = []
    for function in template_module.load().functions():
        module = function.handler.rpartition(".")[0]
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        path = [str(function.code_dir), str(ROOT / "layers" / "core")]
        seconds = median([fresh_process_seconds(code, path) for _ in range(runs)])
        rows.append([function.name, f"{seconds * 1000:.1f}", f"{floor * 1000:.1f}", f"{seconds / floor:.2f}"])
    return table(
        f"Handler import, fresh process (median of {runs}) ÷ import boto3 + boto3.client('dynamodb')",
        ["function", "import ms", "floor ms", "ratio"],
        rows,
    )
