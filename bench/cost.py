"""`make cost`: what one million portal visits and one million webhook deliveries cost on AWS.

A visit is what a customer sent to the portal does: the merchant mints a session, the customer
opens the link (landing page, then the exchange of its secret for the cookie), sees the overview,
downloads one invoice PDF and switches plan; the switch's events then run through the stream to
`fanout`, the delivery queue and `deliver`, which POSTs each webhook to the merchant's endpoint.

Measured here, through the real handlers on DynamoDB Local (`bench.harness.emulated_stack`):
every Lambda invocation the visit causes (the API's and the portal's requests, and every stream
and queue invocation drained after it), each one's AWS calls (botocore hooks), the DynamoDB
capacity units DynamoDB Local reports (`ReturnConsumedCapacity`), the bytes the functions log,
and each invocation's CPU and wall time. Priced with `PRICES`; what is modelled rather than
measured is in `MODEL` and in docs/cost.md.

python -m bench.cost [--visits 20]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from bench.harness import emulated_stack, table

PRICES_DATE = "2025-12 (AWS's public price pages, us-east-1, on-demand, no free tier)"


@dataclass(frozen=True)
class Prices:
    """US dollars, us-east-1."""

    lambda_gb_second: float = 0.0000133334  # arm64, first 7.5 billion GB-s a month
    lambda_request: float = 0.20 / 1e6
    http_api_request: float = 1.00 / 1e6  # first 300 million a month, per 512 KB of request or answer
    dynamodb_read_unit: float = 0.125 / 1e6  # on-demand read request unit
    dynamodb_write_unit: float = 0.625 / 1e6  # on-demand write request unit
    sqs_request: float = 0.40 / 1e6  # standard queue, per 64 KB chunk
    ses_message: float = 0.10 / 1000
    logs_ingested_gb: float = 0.50  # CloudWatch Logs, standard class
    logs_stored_gb_month: float = 0.03  # on the compressed size
    xray_trace: float = 5.00 / 1e6  # traces recorded


PRICES = Prices()


@dataclass(frozen=True)
class Model:
    """What is modelled, not measured (docs/cost.md says why each)."""

    # Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB. CPU time
    # measured on a full core here is stretched by 1769/memory when the function has less.
    full_vcpu_mb: int = 1769
    # Lambda's own START, END and REPORT lines, per invocation (REPORT with the X-Ray trace ID).
    platform_log_bytes: int = 380
    # One HTTP API access log line (the template's format, typical values).
    access_log_bytes: int = 260
    # The X-Ray sampling Lambda applies by default at scale: 1 a second, then 5 %.
    trace_sampling: float = 0.05
    # Lambda's SQS event source mapping: one ReceiveMessage per batch and one DeleteMessageBatch
    # after it (idle polling is a fixed cost per queue, not per visit).
    sqs_requests_per_queue_batch: int = 2
    # CloudWatch Logs bills storage on the compressed size; JSON log lines compress to about this.
    logs_compressed_share: float = 0.15
    # How long the log lines are kept (the functions' log groups: the template sets none, and
    # Lambda's own never expire; priced here as a year).
    logs_retained_months: float = 12


MODEL = Model()
EVENTS_STEP = "its events: stream, fanout, queue, deliver"
READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}


@dataclass
class Usage:
    """What some work used, in the units AWS bills."""

    http_requests: int = 0
    invocations: Counter[str] = field(default_factory=Counter)
    gb_seconds: float = 0.0
    read_units: float = 0.0
    write_units: float = 0.0
    sqs_requests: int = 0
    emails: int = 0
    log_bytes: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    # by function: CPU seconds and seconds waited (I/O), measured on a full core
    compute: dict[str, list[float]] = field(default_factory=dict)

    def add(self, other: Usage) -> None:
        for function, (cpu, waited) in other.compute.items():
            mine = self.compute.setdefault(function, [0.0, 0.0])
            mine[0] += cpu
            mine[1] += waited
        self.http_requests += other.http_requests
        self.invocations.update(other.invocations)
        self.gb_seconds += other.gb_seconds
        self.read_units += other.read_units
        self.write_units += other.write_units
        self.sqs_requests += other.sqs_requests
        self.emails += other.emails
        self.log_bytes += other.log_bytes
        self.calls.update(other.calls)

    def scaled(self, factor: float) -> Usage:
        return replace(
            self,
            http_requests=round(self.http_requests * factor),
            invocations=Counter({k: round(v * factor) for k, v in self.invocations.items()}),
            gb_seconds=self.gb_seconds * factor,
            read_units=self.read_units * factor,
            write_units=self.write_units * factor,
            sqs_requests=round(self.sqs_requests * factor),
            emails=round(self.emails * factor),
            log_bytes=round(self.log_bytes * factor),
            calls=Counter({k: round(v * factor) for k, v in self.calls.items()}),
            compute={k: [cpu * factor, waited * factor] for k, (cpu, waited) in self.compute.items()},
        )

    def gb_seconds_at(self, memory: dict[str, int], model: Model = MODEL) -> float:
        """The GB-seconds with the functions given `memory` (MB) instead of the template's."""
        return sum(
            (cpu * cpu_stretch(memory[function], model) + waited) * memory[function] / 1024
            for function, (cpu, waited) in self.compute.items()
        )

    @property
    def invocation_count(self) -> int:
        return sum(self.invocations.values())


def cost_lines(usage: Usage, prices: Prices = PRICES, model: Model = MODEL) -> list[tuple[str, float]]:
    """Each billed line of `usage`, in dollars."""
    invocations = usage.invocation_count
    return [
        ("Lambda compute (GB-s)", usage.gb_seconds * prices.lambda_gb_second),
        ("Lambda requests", invocations * prices.lambda_request),
        ("HTTP API requests", usage.http_requests * prices.http_api_request),
        ("DynamoDB reads (RRU)", usage.read_units * prices.dynamodb_read_unit),
        ("DynamoDB writes (WRU)", usage.write_units * prices.dynamodb_write_unit),
        ("SQS requests", usage.sqs_requests * prices.sqs_request),
        ("SES emails", usage.emails * prices.ses_message),
        ("CloudWatch Logs ingestion", usage.log_bytes / 1e9 * prices.logs_ingested_gb),
        (
            f"CloudWatch Logs storage ({model.logs_retained_months:g} months)",
            usage.log_bytes
            / 1e9
            * model.logs_compressed_share
            * model.logs_retained_months
            * prices.logs_stored_gb_month,
        ),
        ("X-Ray traces", invocations * model.trace_sampling * prices.xray_trace),
    ]


def cpu_stretch(memory_mb: int, model: Model = MODEL) -> float:
    """How much longer CPU work takes at `memory_mb` than on a full core (1 at one vCPU or more)."""
    return max(1.0, model.full_vcpu_mb / memory_mb)


def billed_seconds(cpu: float, wall: float, memory_mb: int, model: Model = MODEL) -> float:
    """A Lambda invocation's billed duration from one measured here on a full core: its CPU time
    stretched to the function's share of a vCPU, plus the time it waited (I/O), to the 1 ms."""
    waited = max(0.0, wall - cpu)
    return max(0.001, round(cpu * cpu_stretch(memory_mb, model) + waited, 3))


# ------------------------------------------------------------------ measuring
class _CountingStream(io.TextIOBase):
    """Stands in for a log handler's stream: counts the bytes, writes nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


@contextmanager
def _logs_counted() -> Iterator[_CountingStream]:
    """Every stream handler of every logger (Powertools' write the functions' JSON lines to
    stdout), and stdout itself (Powertools prints the EMF metrics, which CloudWatch Logs ingests
    too), count instead of writing, while the block runs."""
    counting = _CountingStream()
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                swapped.append((handler, handler.setStream(counting)))
    try:
        with redirect_stdout(counting):
            yield counting
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)


class _Meter:
    """botocore hooks on the clients the handlers use: calls, DynamoDB capacity, SQS and SES."""

    def __init__(self) -> None:
        self.usage = Usage()

    def ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in READS | {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def called(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.usage.calls[model.name] += 1
        if model.name in {"SendMessage", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch"}:
            self.usage.sqs_requests += 1
        elif model.name == "SendMessageBatch":
            size = sum(len(str(entry.get("MessageBody", ""))) for entry in params.get("Entries", []))
            self.usage.sqs_requests += max(1, -(-size // 65536))
        elif model.name in {"SendEmail", "SendRawEmail"}:
            self.usage.emails += 1

    def answered(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") if isinstance(parsed, dict) else None
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        for entry in entries:
            read = entry.get("ReadCapacityUnits")
            write = entry.get("WriteCapacityUnits")
            if read is None and write is None:  # DynamoDB Local gives the total only
                units = float(entry.get("CapacityUnits", 0))
                if model.name in READS:
                    self.usage.read_units += units
                else:
                    self.usage.write_units += units
            else:
                self.usage.read_units += float(read or 0)
                self.usage.write_units += float(write or 0)

    @contextmanager
    def on(self, clients: Sequence[Any]) -> Iterator[None]:
        hooks = (
            ("provide-client-params.dynamodb.*", self.ask_capacity),
            ("before-call.*.*", self.called),
            ("after-call.dynamodb.*", self.answered),
        )
        for client in clients:
            for event, hook in hooks:
                client.meta.events.register(event, hook)
        try:
            yield
        finally:
            for client in clients:
                for event, hook in hooks:
                    client.meta.events.unregister(event, hook)


def memory_of(template: Any) -> dict[str, int]:
    """Each function's memory (MB), by its name (`portal`, `deliver`, ...), from the template."""
    default = int(template.raw.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    sizes = {}
    for logical_id, resource in template.of_type("AWS::Serverless::Function").items():
        memory = resource.get("Properties", {}).get("MemorySize", default)
        sizes[logical_id.removesuffix("Function").lower()] = int(memory)
    return sizes


@dataclass
class Step:
    """One measured step of a visit: a request, or the invocations drained after it."""

    name: str
    usage: Usage


class Recorder:
    """Runs work as one Lambda invocation of a function and records what it used."""

    def __init__(self, memory: dict[str, int], clients: Sequence[Any]) -> None:
        self.memory = memory
        self.clients = clients

    def invocation(self, function: str, work: Callable[[], Any], *, http: bool) -> tuple[Any, Usage]:
        meter = _Meter()
        with meter.on(self.clients), _logs_counted() as logs:
            cpu, wall = time.process_time(), time.perf_counter()
            answer = work()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        usage = meter.usage
        usage.invocations[function] += 1
        usage.gb_seconds = billed_seconds(cpu, wall, self.memory[function]) * self.memory[function] / 1024
        usage.compute[function] = [cpu, max(0.0, wall - cpu)]
        usage.log_bytes = logs.bytes + MODEL.platform_log_bytes + (MODEL.access_log_bytes if http else 0)
        usage.http_requests = 1 if http else 0
        return answer, usage


def _drain(recorder: Recorder, pollers: Sequence[Any]) -> Usage:
    """Runs the stream's and the queues' pollers until none has work; each batch handed to a
    function counts as one invocation of it."""
    total = Usage()
    busy = True
    while busy:
        busy = False
        for poller in pollers:
            name = poller.function.name
            queue = bool(getattr(poller, "queue_url", None))
            invoked: list[Usage] = []
            original = poller.invoke

            def measured(
                event: dict[str, Any], original: Any = original, name: str = name, invoked: list[Usage] = invoked
            ) -> Any:
                answer, usage = recorder.invocation(name, lambda: original(event), http=False)
                invoked.append(usage)
                return answer

            poller.invoke = measured
            try:
                busy = poller.poll_once() or busy
            finally:
                del poller.invoke
            for usage in invoked:
                if queue:
                    usage.sqs_requests += MODEL.sqs_requests_per_queue_batch
                total.add(usage)
    return total


def measure_visits(visits: int) -> tuple[list[Step], Usage]:
    """Runs `visits` visits; the steps of each and the whole's usage (per visit: ÷ visits)."""
    import boto3

    from bench.aws_calls import prepare_subscription
    from billing.accounts import accounts
    from billing.kernel import config
    from billing.store import repository
    from billing.store.repository import Table
    from local import pollers as local_pollers
    from local import resources
    from local import template as template_module
    from tests.support.apiclient import ApiClient
    from tests.support.portalbrowser import PortalBrowser, csrf_of

    receiver = _receiver()
    receiver.start()
    steps: dict[str, Usage] = {}
    try:
        with emulated_stack() as made:
            template = template_module.load()
            for function in template.functions():  # queue URLs and the like, as the local stack sets them
                environment = resources.resolve_environment(function.environment, made.refs(), "")
                environment.pop("POWERTOOLS_SERVICE_NAME", None)
                environment.pop("PORTAL_BASE_URL", None)
                os.environ.update(environment)
            config.reset()
            memory = memory_of(template)
            _, key = accounts.create_account("Cost Co", table=Table())
            client = ApiClient(template, key=key.secret)
            _expect(
                "a webhook endpoint",
                client.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["*"]}),
            )
            made_ids: dict[str, str] = {}
            prepare_subscription(client, made_ids)
            features = {"subscriptionUpdate": {"enabled": True, "products": ["prod_bench"]}}
            client.post("/v1/billing/portal_configurations/default", {"features": features})
            functions = [f for f in template.functions() if f.stream_sources or f.queue_sources]
            session = boto3.Session()
            pollers = local_pollers.pollers_for(
                functions,
                session=session,
                queue_urls=made.queues,
                queue_arns=made.queue_arns,
                stream_arn=made.stream_arn,
            )
            clients = [repository.client(s) for s in ("dynamodb", "sqs", "sesv2", "secretsmanager")]
            recorder = Recorder(memory, clients)
            plan = {"now": "basic"}  # each visit switches to the other plan

            def visit(record: bool) -> None:
                browser = PortalBrowser(template)
                body = {"customer": made_ids["subscriber"], "returnUrl": "https://app.example.com/account"}

                def request(function: str, name: str, work: Callable[[], Any]) -> Any:
                    """One HTTP request as one invocation of `function`, recorded as step `name`."""
                    answer, usage = recorder.invocation(function, work, http=True)
                    _expect(name, answer)
                    if record:
                        steps.setdefault(name, Usage()).add(usage)
                    return answer

                def api(name: str, work: Callable[[], Any]) -> Any:
                    return request("api", name, work)

                def portal(name: str, work: Callable[[], Any]) -> Any:
                    return request("portal", name, work)

                minted = api("mint a session (API)", lambda: client.post("/v1/billing/portal_sessions", body))
                url = minted.json()["url"]
                portal("landing page", lambda: browser.get(urlsplit(url).path))
                portal("exchange for the cookie", lambda: browser.exchange(url))
                home = portal("overview", lambda: browser.get("/"))
                portal("one invoice PDF", lambda: browser.get(f"/invoices/{made_ids['invoice']}/pdf"))
                plan["now"] = "pro" if plan["now"] == "basic" else "basic"
                form = {"csrf": csrf_of(home.text), "price": made_ids[plan["now"]], "quantity": "1"}
                path = f"/subscriptions/{made_ids['subscription']}/update/confirm"
                portal("plan switch", lambda: browser.post(path, form))
                drained = _drain(recorder, pollers)
                if record:
                    steps.setdefault(EVENTS_STEP, Usage()).add(drained)

            _drain(recorder, pollers)  # what setting up caused
            visit(record=False)  # handlers imported, connections open
            for _ in range(visits):
                visit(record=True)
    finally:
        receiver.stop()
    whole = Usage()
    for usage in steps.values():
        whole.add(usage)
    return [Step(name, usage.scaled(1 / visits)) for name, usage in steps.items()], whole.scaled(1 / visits)


def _receiver() -> Any:
    """The merchant's endpoint on 127.0.0.1: takes every webhook."""
    from local.loopback import LoopbackReceiver

    class Receiver(LoopbackReceiver):
        def receive(self, request: Any, body: bytes) -> None:
            self.answer(request, 200, b'{"received": true}', "application/json")

    return Receiver()


def _expect(name: str, response: Any) -> None:
    if response.status >= 400:
        raise RuntimeError(f"{name} answered {response.status}: {response.text[:300]}")


def events_of(steps: Sequence[Step]) -> Usage:
    """The visit's step of the invocations its events caused (stream, fanout, queue, deliver)."""
    return next(step.usage for step in steps if step.name == EVENTS_STEP)


def deliveries_per_visit(steps: Sequence[Step]) -> int:
    """The webhooks a visit's events delivered (one `deliver` invocation each here)."""
    return events_of(steps).invocations.get("deliver", 0)


# ------------------------------------------------------------------ what the template could change
def what_ifs(per_visit: Usage, memory: dict[str, int]) -> list[tuple[str, float]]:
    """USD per million visits under changes the template (not the code) could make."""
    million = per_visit.scaled(1_000_000)

    def priced(model: Model = MODEL, sizes: dict[str, int] = memory) -> float:
        changed = replace(million, gb_seconds=million.gb_seconds_at(sizes, model))
        return sum(c for _, c in cost_lines(changed, model=model))

    def with_memory(**sizes: int) -> dict[str, int]:
        return {**memory, **sizes}

    return [
        ("as the template is (CPU model applied to every function)", priced()),
        ("X-Ray tracing off (Tracing: PassThrough)", priced(replace(MODEL, trace_sampling=0.0))),
        (
            "X-Ray on every invocation (low traffic: all within the 1/s reservoir)",
            priced(replace(MODEL, trace_sampling=1.0)),
        ),
        ("log retention 1 month instead of 12", priced(replace(MODEL, logs_retained_months=1))),
        (f"portal function {memory['portal'] // 2} MB", priced(sizes=with_memory(portal=memory["portal"] // 2))),
        (f"portal function {memory['portal'] * 2} MB", priced(sizes=with_memory(portal=memory["portal"] * 2))),
        (f"API function {memory['api'] * 2} MB", priced(sizes=with_memory(api=memory["api"] * 2))),
        ("every function at 1769 MB (one vCPU)", priced(sizes=dict.fromkeys(memory, 1769))),
    ]


# ------------------------------------------------------------------ the report
def report(
    steps: Sequence[Step],
    per_visit: Usage,
    delivered_per_visit: float,
    visits: int,
    memory: dict[str, int] | None = None,
) -> str:
    million = 1_000_000
    lines = cost_lines(per_visit.scaled(million))
    total = sum(cost for _, cost in lines)
    rows = [[name, f"{cost:.2f}", f"{cost / total:.0%}" if total else "-"] for name, cost in lines]
    rows.append(["total", f"{total:.2f}", "100%"])
    out = [table(f"One million portal visits, USD (prices: {PRICES_DATE})", ["line", "USD", "share"], rows), ""]

    step_rows = []
    for step in steps:
        cost = sum(c for _, c in cost_lines(step.usage.scaled(million)))
        usage = step.usage
        step_rows.append(
            [
                step.name,
                f"{usage.invocation_count:g}",
                f"{usage.gb_seconds * 1024 / max(usage.invocation_count, 1) / 1024 * 1000:.0f}",
                f"{usage.read_units:.1f}",
                f"{usage.write_units:.1f}",
                f"{usage.log_bytes:.0f}",
                f"{cost:.2f}",
            ]
        )
    out.append(
        table(
            f"Per visit, by step (mean of {visits} visits); USD per million visits",
            ["step", "invocations", "GB-ms each", "RRU", "WRU", "log bytes", "USD/M"],
            step_rows,
        )
    )
    out.append("")
    events = events_of(steps)
    if delivered_per_visit:
        per_delivery = events.scaled(1 / delivered_per_visit)
        delivery_lines = cost_lines(per_delivery.scaled(million))
        delivery_total = sum(c for _, c in delivery_lines)
        rows = [[n, f"{c:.2f}", f"{c / delivery_total:.0%}"] for n, c in delivery_lines]
        rows.append(["total", f"{delivery_total:.2f}", "100%"])
        out.append(
            table(
                f"One million webhook deliveries, USD (a plan switch's {delivered_per_visit:g} events, "
                "with the stream and fanout work that made them)",
                ["line", "USD", "share"],
                rows,
            )
        )
    out.append("")
    if memory:
        base = what_ifs(per_visit, memory)
        rows = [[change, f"{usd:.2f}", f"{usd - base[0][1]:+.2f}"] for change, usd in base]
        out.append(table("What the template could change, USD per million visits", ["change", "USD", "Δ"], rows))
        out.append("")
    out.append(
        f"Modelled, not measured: Lambda CPU stretched by {MODEL.full_vcpu_mb}/memory below one vCPU; "
        f"{MODEL.platform_log_bytes} bytes of platform log lines per invocation and {MODEL.access_log_bytes} "
        f"per HTTP API access log line; X-Ray sampling {MODEL.trace_sampling:.0%}; "
        f"{MODEL.sqs_requests_per_queue_batch} SQS requests per queue batch (docs/cost.md)."
    )
    return "\n".join(out)


def run(visits: int) -> str:
    from local import template as template_module

    steps, per_visit = measure_visits(visits)
    delivered = deliveries_per_visit(steps)
    return report(steps, per_visit, delivered, visits, memory_of(template_module.load()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make cost", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--visits", type=int, default=20, help="visits measured (their mean is priced)")
    args = parser.parse_args(argv)
    print(run(args.visits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
