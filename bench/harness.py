"""Small helpers the measures share: medians, tables, fresh processes, moto, AWS-call counting."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from local.ports import free_port
from local.template import ROOT

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    """The median wall time of `rounds` calls of `work`."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return median(samples)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells[1:])
    return "\n".join(lines)


def fresh_process_seconds(code: str, sys_path: Sequence[str] = ()) -> float:
    """Runs `code` in a new interpreter; it must print its own elapsed seconds last."""
    prelude = f"import sys; sys.path[:0] = {list(sys_path)!r}\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env={**os.environ, **FAKE_AWS, "TABLE_NAME": "bench"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


class CallCounter:
    """Counts AWS API calls made by every boto3 client (a botocore `before-call` hook)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def hook(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def breakdown(self) -> str:
        return ", ".join(f"{name}×{count}" for name, count in sorted(self.calls.items())) or "none"


@contextmanager
def counting_calls() -> Iterator[CallCounter]:
    """Counts the calls of the clients `billing.store.repository` uses while the block runs."""
    from billing.store import repository

    counter = CallCounter()
    clients = [repository.client(service) for service in ("dynamodb", "secretsmanager", "sqs")]
    for client in clients:
        client.meta.events.register("before-call.*.*", counter.hook)
    try:
        yield counter
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.*.*", counter.hook)


@contextmanager
def emulated_stack(dynamodb_local: bool = True) -> Iterator[Any]:
    """The template's resources for handlers run in this process: the table on AWS's DynamoDB
    Local (started here, as the local stack runs it), the queues and secret on moto in-process.
    `dynamodb_local=False` puts the table on moto too (call counts are the same on both)."""
    import boto3
    from moto import mock_aws

    from billing.accounts import accounts
    from billing.kernel import config
    from billing.store import repository
    from billing.webhooks import egress
    from local import resources
    from local import template as template_module
    from local.dynamodblocal import DynamoDBLocal

    saved = dict(os.environ)
    os.environ.update(FAKE_AWS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    emulator = DynamoDBLocal(free_port()).start() if dynamodb_local else None
    if emulator is not None:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = emulator.endpoint
    else:
        from local.motofidelity import serialise_dynamodb

        serialise_dynamodb()
    try:
        with mock_aws():
            repository.reset_clients()
            made = resources.create_all(template_module.load(), boto3.Session(), prefix=f"b{uuid.uuid4().hex[:6]}")
            os.environ.update(
                TABLE_NAME=made.table_name, KEY_MATERIAL_SECRET_ARN=made.secret_arn, KEY_CACHE_SECONDS="60"
            )
            os.environ[egress.LOOPBACK_SETTING] = "1"  # local, as the local stack: return URLs to localhost
            config.reset()
            accounts.clear_key_cache()
            yield made
    finally:
        if emulator is not None:
            emulator.stop()
        os.environ.clear()
        os.environ.update(saved)
        repository.reset_clients()
        config.reset()
