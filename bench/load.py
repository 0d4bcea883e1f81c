"""`make load`: the local stack (`python -m local.dev`) under load over HTTP, for a fixed time.

Merchant workers mint portal sessions (POST /v1/billing/portal_sessions) for a pool of
subscribed customers while customer workers follow the minted links as a browser does
(landing page, the exchange of the URL's fragment for the cookie, the home page) and switch
plans (the update form, the preview, the confirmation with the form's CSRF token). Every
request is timed; any answer other than the one a browser expects counts as an error.

The ratio: the DynamoDB calls each kind of request makes are counted in-process through the
real handlers on the same seed (botocore hook, as bench/aws_calls.py does), and the emulator's
own raw rate is measured on the stack's DynamoDB Local with the counted calls replayed raw, in
the same read/write mix and at the same concurrency. Ratio = DynamoDB calls per second made
through the stack ÷ raw calls per second (1.0 would be no overhead above the emulator); the per-kind
shares add up to the total.

python -m bench.load [--seconds 20] [--merchants 4] [--customers 8] [--pool 4] [--raw-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import itertools
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from bench.harness import emulated_stack, table
from local.ports import free_port
from local.template import ROOT

COOKIE = "__Host-vinr_portal"
RETURN_URL = "http://localhost:8000/account"
KEY = re.compile(r"secret key\s+(sk_test_[A-Za-z0-9]{32})")
CSRF = re.compile(r'<input type="hidden" name="csrf" value="([0-9a-f]{64})">')
RADIO = re.compile(r'<input type="radio" name="price" id="[^"]*" value="([^"]+)"( checked)?>')
ADDRESS = {"line1": "Unter den Linden 5", "city": "Berlin", "postalCode": "10117", "country": "DE"}

# The kinds of request, in the order a session meets them, and the answer each must give.
MINT = "mint   POST /v1/billing/portal_sessions"
LANDING = "portal GET /session/{id}"
EXCHANGE = "portal POST /session/{id}/exchange"
HOME = "portal GET /"
UPDATE_FORM = "portal GET /subscriptions/{id}/update"
PREVIEW = "portal GET /subscriptions/{id}/update/confirm"
CONFIRM = "portal POST /subscriptions/{id}/update/confirm"
KINDS = (MINT, LANDING, EXCHANGE, HOME, UPDATE_FORM, PREVIEW, CONFIRM)
CHECK = "check  GET /v1/subscriptions/{id} after the load"
EXPECTED = {MINT: 200, LANDING: 200, EXCHANGE: 303, HOME: 200, UPDATE_FORM: 200, PREVIEW: 200, CONFIRM: 303}
seed_conflicts: list[str] = []  # the 409s seeding met and recovered from (see `seed`)
# Seeding is not measured: few at a time, so that no call waits past the client read timeout.
SEED_CONCURRENCY = 2
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class LoadError(Exception):
    """A request answered something other than what the browser or merchant expects."""


# ------------------------------------------------------------------ the stack
@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    api: str
    portal: str
    dynamodb: str  # DynamoDB Local's endpoint
    table_name: str
    key: str
    logs: Path


@contextmanager
def local_stack(timeout: float = 120, workers: int = 0) -> Iterator[Stack]:
    """`python -m local.dev` on free ports; what it prints goes to files (a pipe nobody reads
    would fill and stall the gateway's request log), read for the key and `ready`."""
    with tempfile.TemporaryDirectory(prefix="vinr-load-") as tmp:
        logs = Path(tmp)
        ports = [free_port() for _ in range(6)]
        stdout, stderr = (logs / "stdout.txt").open("wb"), (logs / "stderr.txt").open("wb")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "local.dev", "--stack-file", str(logs / "stack.json")),
                *("--moto-port", str(ports[0]), "--api-port", str(ports[1])),
                *("--portal-port", str(ports[2]), "--receiver-port", str(ports[3])),
                # (the simulator: the load measures this stack, not localstripe)
                *("--stripe-port", str(ports[4]), "--demo-gateway", "simulator"),
                *("--dynamodb-port", str(ports[5])),
                *("--workers", str(workers)),
            ],
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + timeout
            printed = ""
            while time.monotonic() < deadline:
                printed = (logs / "stdout.txt").read_text(errors="replace")
                if "\nready" in printed or process.poll() is not None:
                    break
                time.sleep(0.2)
            found = KEY.search(printed)
            if "\nready" not in printed or not found:
                errors = (logs / "stderr.txt").read_text(errors="replace")
                raise RuntimeError(f"the local stack did not start:\n{printed}\n{errors[-4000:]}")
            described = json.loads((logs / "stack.json").read_text())
            yield Stack(
                process,
                described["apiUrl"],
                described["portalUrl"],
                described["dynamodbEndpoint"],
                described["tableName"],
                found.group(1),
                logs,
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            stdout.close()
            stderr.close()


def tracebacks(stack: Stack) -> list[str]:
    """The tracebacks the stack printed (a handler that raised is a 502 from the gateway)."""
    text = (stack.logs / "stderr.txt").read_text(errors="replace")
    return text.split("Traceback (most recent call last):")[1:]


# ------------------------------------------------------------------ recording
@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    dropped_links: int = 0
    waits: int = 0
    switched: dict[str, str] = field(default_factory=dict)  # subscription → the price last confirmed

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{kind}: {what}")


async def timed(
    record: Record, kind: str, client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        record.error(kind, f"{type(error).__name__}: {error}")
        raise LoadError(kind) from error
    elapsed = time.perf_counter() - started
    if response.status_code != EXPECTED[kind]:
        record.error(kind, f"{response.status_code} {response.text[:300]!r}")
        raise LoadError(kind)
    record.latencies[kind].append(elapsed)
    return response


def new_client(base: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """One connection per worker, as one browser or one merchant server; no cookie jar (the
    portal cookie is `Secure`, so over plain http the worker carries it in a header itself)."""
    jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=base,
        headers=headers,
        cookies=httpx.Cookies(jar),
        timeout=60,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


# ------------------------------------------------------------------ seeding
@dataclass(frozen=True)
class Subscriber:
    customer: str
    subscription: str


async def seed(stack: Stack, count: int, concurrency: int) -> tuple[list[str], list[Subscriber]]:
    """The demo catalog's monthly Basic and Pro prices, and `count` customers, each with a card
    and a Basic subscription, made through the API."""
    auth = {"Authorization": f"Bearer {stack.key}"}
    async with new_client(stack.api, auth) as client:
        prices = []
        for product in ("prod_basic", "prod_pro"):
            listed = (await client.get("/v1/prices", params={"product": product})).raise_for_status().json()
            prices.append(next(p["id"] for p in listed["data"] if p["recurring"]["interval"] == "month"))
    gate = asyncio.Semaphore(concurrency)
    seed_conflicts.clear()

    async def one(index: int) -> Subscriber:
        async with gate, new_client(stack.api, auth) as client:

            async def made(path: str, body: dict[str, Any], find: str, params: dict[str, str]) -> str:
                """The new object's ID; after a 409 (the local stack answers one when a slow write
                committed and the client's retry of it then failed its conditions) the object
                is looked up, so that nothing is made twice."""
                response = await client.post(path, json=body)
                if response.status_code == 409:
                    seed_conflicts.append(f"POST {path}: {response.text[:200]}")
                    listed = (await client.get(find, params=params)).raise_for_status().json()["data"]
                    found = [o for o in listed if o.get("name", body.get("name")) == body.get("name")]
                    if found:
                        return str(found[0]["id"])
                if response.status_code != 200:
                    raise RuntimeError(f"seeding: POST {path} answered {response.status_code}: {response.text[:500]}")
                return str(response.json()["id"])

            name = f"Load Customer {index}"
            body = {"name": name, "email": f"load{index}@example.com", "address": ADDRESS}
            customer = await made("/v1/customers", body, "/v1/customers", {"limit": "100"})
            cards = f"/v1/customers/{customer}/payment_methods"
            await made(cards, {"token": "tok_visa"}, cards, {})
            sub = {"customer": customer, "items": [{"price": prices[0]}]}
            sub_id = await made("/v1/subscriptions", sub, "/v1/subscriptions", {"customer": customer})
            return Subscriber(customer, sub_id)

    return prices, list(await asyncio.gather(*(one(i) for i in range(count))))


# ------------------------------------------------------------------ the load
@dataclass(frozen=True)
class Link:
    subscriber: Subscriber
    url: str


def _offer(form: str) -> tuple[str, str]:
    """The update form's CSRF token and another plan than the checked (current) one."""
    csrf = CSRF.search(form)
    plans = RADIO.findall(form)
    others = [price for price, checked in plans if not checked]
    if csrf is None or not others or sum(1 for _, checked in plans if checked) != 1:
        raise ValueError("no CSRF token or no other plan on the update form")
    return csrf.group(1), others[0]


async def merchant(
    stack: Stack,
    record: Record,
    deadline: float,
    pool: list[Subscriber],
    turn: Iterator[int],
    queues: list[asyncio.Queue[Link]],
) -> None:
    async with new_client(stack.api, {"Authorization": f"Bearer {stack.key}"}) as client:
        while time.monotonic() < deadline:
            index = next(turn)
            subscriber = pool[index % len(pool)]
            body = {"customer": subscriber.customer, "returnUrl": RETURN_URL}
            try:
                response = await timed(record, MINT, client, "POST", "/v1/billing/portal_sessions", json=body)
            except LoadError:
                continue
            url = response.json().get("url") or ""
            if not url.startswith(stack.portal + "/session/bps_") or "#" not in url:
                record.error(MINT, f"unexpected url {url!r}")
                continue
            queue = queues[(index % len(pool)) % len(queues)]
            if queue.full():  # the customer is busy: the oldest unopened link just expires
                queue.get_nowait()
                record.dropped_links += 1
            queue.put_nowait(Link(subscriber, url))


async def customer(stack: Stack, record: Record, deadline: float, queue: asyncio.Queue[Link]) -> None:
    """Opens the links minted for its own customers (so no two workers change one
    subscription at once), one plan switch per session."""
    async with new_client(stack.portal, {"user-agent": "vinr-load"}) as client:
        while time.monotonic() < deadline:
            try:
                link = queue.get_nowait()
            except asyncio.QueueEmpty:
                record.waits += 1
                try:
                    link = await asyncio.wait_for(queue.get(), timeout=max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    break
            try:
                await open_and_switch(client, record, link)
            except LoadError:
                continue


async def open_and_switch(client: httpx.AsyncClient, record: Record, link: Link) -> None:
    """One session, to its end (a session begun before the deadline finishes after it)."""
    parts = urlsplit(link.url)
    await timed(record, LANDING, client, "GET", parts.path)
    exchanged = await timed(record, EXCHANGE, client, "POST", f"{parts.path}/exchange", data={"secret": parts.fragment})
    cookie = next(
        (
            value.split(";", 1)[0]
            for value in exchanged.headers.get_list("set-cookie")
            if value.startswith(f"{COOKIE}=") and "Secure" in value
        ),
        None,
    )
    if cookie is None or exchanged.headers.get("location") != "/":
        record.error(EXCHANGE, f"no Secure portal cookie or wrong redirect: {exchanged.headers!r}")
        raise LoadError(EXCHANGE)
    headers = {"cookie": cookie}
    sub = link.subscriber.subscription
    home = await timed(record, HOME, client, "GET", "/", headers=headers)
    if sub not in home.text:
        record.error(HOME, f"the home page does not show {sub}")
        raise LoadError(HOME)
    form = await timed(record, UPDATE_FORM, client, "GET", f"/subscriptions/{sub}/update", headers=headers)
    try:
        csrf, price = _offer(form.text)
    except ValueError as error:
        record.error(UPDATE_FORM, str(error))
        raise LoadError(UPDATE_FORM) from None
    query = urlencode({"price": price, "quantity": "1"})
    await timed(record, PREVIEW, client, "GET", f"/subscriptions/{sub}/update/confirm?{query}", headers=headers)
    form_body = {"csrf": csrf, "price": price, "quantity": "1"}
    path = f"/subscriptions/{sub}/update/confirm"
    confirmed = await timed(record, CONFIRM, client, "POST", path, data=form_body, headers=headers)
    if confirmed.headers.get("location") != "/?done=plan_changed":
        record.error(CONFIRM, f"redirected to {confirmed.headers.get('location')!r}")
        raise LoadError(CONFIRM)
    record.switched[sub] = price


async def check_switches(stack: Stack, record: Record) -> None:
    """After the load, the merchant API shows every subscription on the plan its customer
    confirmed last (nothing lost, nothing applied twice or out of order)."""
    async with new_client(stack.api, {"Authorization": f"Bearer {stack.key}"}) as client:
        for sub, price in record.switched.items():
            response = await client.get(f"/v1/subscriptions/{sub}")
            items = response.json().get("items") if response.status_code == 200 else None
            if not items or len(items) != 1 or items[0].get("price") != price:
                record.error(CHECK, f"{sub}: confirmed {price}, the API shows {response.text[:300]!r}")


async def load(
    stack: Stack, pool: list[Subscriber], merchants: int, customers: int, seconds: float, queued: int
) -> tuple[Record, float]:
    record = Record()
    queues: list[asyncio.Queue[Link]] = [asyncio.Queue(maxsize=queued) for _ in range(customers)]
    turn = itertools.count()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(merchant(stack, record, deadline, pool, turn, queues) for _ in range(merchants)),
        *(customer(stack, record, deadline, queue) for queue in queues),
    )
    elapsed = time.monotonic() - started
    await check_switches(stack, record)
    return record, elapsed


# ------------------------------------------------------------------ the emulator alone
def _dynamodb_headers(action: str) -> dict[str, str]:
    day = time.strftime("%Y%m%d", time.gmtime())
    return {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": f"DynamoDB_20120810.{action}",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential=local/{day}/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-target, Signature=0"
        ),
    }


@dataclass(frozen=True)
class Raw:
    """DynamoDB Local alone: raw calls, seconds, latencies, and the table's size when measured."""

    calls: int
    seconds: float
    latencies: list[float]
    table_items: int

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


def _raw_call(table_name: str, name: str, items: int) -> tuple[str, dict[str, Any]]:
    """The raw call standing for one counted call: a read of one row, a query of its
    partition, a put of a new row, or a transaction putting as many new rows."""
    row = {"pk": {"S": "LOAD#raw"}, "sk": {"S": "RAW"}}

    def new_row() -> dict[str, Any]:
        return {"pk": {"S": f"LOAD#{uuid.uuid4().hex}"}, "sk": {"S": "RAW"}, "customer": {"S": "cust_raw"}}

    if name == "TransactWriteItems":
        puts = [{"Put": {"TableName": table_name, "Item": new_row()}} for _ in range(max(1, items))]
        return name, {"TransactItems": puts}
    if name in WRITES:
        return "PutItem", {"TableName": table_name, "Item": new_row()}
    if name == "Query":
        return name, {
            "TableName": table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": row["pk"]},
        }
    return "GetItem", {"TableName": table_name, "Key": row}


async def raw_emulator(stack: Stack, workers: int, seconds: float, script: Sequence[tuple[str, int]]) -> Raw:
    """The counted calls (`script`: name and transaction items, one session's worth) replayed
    raw on the stack's DynamoDB Local by `workers` concurrent clients, each from its own place
    in the script, for `seconds`."""
    async with new_client(stack.dynamodb) as client:
        row = {"pk": {"S": "LOAD#raw"}, "sk": {"S": "RAW"}, "customer": {"S": "cust_raw"}}
        body = json.dumps({"TableName": stack.table_name, "Item": row})
        (await client.post("/", content=body, headers=_dynamodb_headers("PutItem"))).raise_for_status()
        described = await client.post(
            "/", content=json.dumps({"TableName": stack.table_name}), headers=_dynamodb_headers("DescribeTable")
        )
        table_items = int(described.raise_for_status().json()["Table"].get("ItemCount", 0))
    latencies: list[float] = []
    failures: list[str] = []

    async def worker(offset: int, deadline: float) -> None:
        async with new_client(stack.dynamodb) as client:
            for step in itertools.count(offset):
                if time.monotonic() >= deadline or failures:
                    return
                action, params = _raw_call(stack.table_name, *script[step % len(script)])
                started = time.perf_counter()
                response = await client.post("/", content=json.dumps(params), headers=_dynamodb_headers(action))
                if response.status_code != 200 or (action == "GetItem" and "Item" not in response.json()):
                    failures.append(f"{action}: {response.status_code} {response.text[:200]}")
                    return
                latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    spread = max(1, len(script) // workers)
    await asyncio.gather(*(worker(i * spread, started + seconds) for i in range(workers)))
    elapsed = time.monotonic() - started
    if failures:
        raise RuntimeError(f"raw DynamoDB Local calls failed: {failures[0]}")
    return Raw(len(latencies), elapsed, latencies, table_items)


# ------------------------------------------------------------------ where the CPU went
def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (the stack's: DynamoDB Local's JVM, its function workers)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(entry.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def machine_busy_seconds() -> float:
    """CPU seconds every core spent busy since boot (all processes), from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuShares:
    """CPU seconds spent during the load by the stack's Python process, DynamoDB Local, this load
    generator, and everything else on the machine."""

    stack: float
    emulator: float
    generator: float
    machine: float
    cores: int

    @property
    def others(self) -> float:
        return max(0.0, self.machine - self.stack - self.emulator - self.generator)


@contextmanager
def cpu_accounting(stack: Stack) -> Iterator[list[CpuShares]]:
    """Measures `CpuShares` over the block; the result is appended to the yielded list."""
    children = child_pids(stack.process.pid)
    emulator = [pid for pid in children if _command(pid) == "java"]
    helpers = [pid for pid in children if pid not in emulator]  # the functions' workers, localstripe

    def sample() -> tuple[float, float, float, float]:
        return (
            sum(process_cpu_seconds(pid) for pid in (stack.process.pid, *helpers)),
            sum(process_cpu_seconds(pid) for pid in emulator),
            sum(os.times()[:2]),
            machine_busy_seconds(),
        )

    before = sample()
    measured: list[CpuShares] = []
    yield measured
    after = sample()
    stack_s, emulator_s, generator_s, machine_s = (b - a for a, b in zip(before, after, strict=True))
    measured.append(CpuShares(stack_s, emulator_s, generator_s, machine_s, os.cpu_count() or 1))


def settle(stack: Stack, idle_share: float = 0.15, limit: float = 30) -> None:
    """Waits (at most `limit` s) until the stack process is nearly idle: the webhooks of what
    went before delivered, so that the emulator alone is measured alone (Linux /proc; else 2 s)."""
    if not Path(f"/proc/{stack.process.pid}/stat").exists():
        time.sleep(2)
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = process_cpu_seconds(stack.process.pid)
        time.sleep(0.5)
        if (process_cpu_seconds(stack.process.pid) - before) / 0.5 < idle_share:
            return


# ------------------------------------------------------------------ DynamoDB calls per kind
def count_dynamodb_calls() -> tuple[dict[str, Counter[str]], list[tuple[str, int]]]:
    """The DynamoDB calls of two sessions (a downgrade and an upgrade) by kind of request,
    and in order (name, items in a transaction), through the real handlers in this
    process, on `make dev`'s seed with the stack's settings (no key cache)."""
    from billing.accounts import accounts
    from billing.kernel import config
    from billing.store import repository
    from local import template as template_module
    from local.seed import seed as seed_demo
    from tests.support.apiclient import ApiClient
    from tests.support.portalbrowser import PortalBrowser

    totals: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    with emulated_stack():
        os.environ["KEY_CACHE_SECONDS"] = "0"
        config.reset()
        accounts.clear_key_cache()
        demo = seed_demo()
        template = template_module.load()
        client = ApiClient(template, key=demo.secret_key)
        counted: Counter[str] = Counter()
        script: list[tuple[str, int]] = []

        def hook(model: Any, params: dict[str, Any], **_: Any) -> None:
            counted[model.name] += 1
            script.append((model.name, len(params.get("TransactItems") or [])))

        def measured(kind: str, work: Any, expected: int) -> Any:
            counted.clear()
            response = work()
            if response.status != expected:
                raise RuntimeError(f"{kind} answered {response.status}: {response.text[:300]}")
            totals[kind].update(counted)
            return response

        def session() -> None:
            body = {"customer": demo.customer_id, "returnUrl": RETURN_URL}
            url = measured(MINT, lambda: client.post("/v1/billing/portal_sessions", body), 200).json()["url"]
            browser = PortalBrowser(template)
            measured(LANDING, lambda: browser.get(urlsplit(url).path), 200)
            measured(EXCHANGE, lambda: browser.exchange(url), 303)
            measured(HOME, lambda: browser.get("/"), 200)
            path = f"/subscriptions/{demo.subscription_id}/update"
            csrf, price = _offer(measured(UPDATE_FORM, lambda: browser.get(path), 200).text)
            query = urlencode({"price": price, "quantity": "1"})
            measured(PREVIEW, lambda: browser.get(f"{path}/confirm?{query}"), 200)
            form = {"csrf": csrf, "price": price, "quantity": "1"}
            measured(CONFIRM, lambda: browser.post(f"{path}/confirm", form), 303)

        session()  # handlers imported, clients warm, outside the count
        for counter in totals.values():
            counter.clear()
        dynamodb = repository.client("dynamodb")
        dynamodb.meta.events.register("before-parameter-build.*.*", hook)
        try:
            session()  # back to Basic
            session()  # Pro again
        finally:
            dynamodb.meta.events.unregister("before-parameter-build.*.*", hook)
    return totals, script


# ------------------------------------------------------------------ the report
@dataclass
class Result:
    seconds: float
    merchants: int
    customers: int
    subscribers: int
    counts: dict[str, int]
    p50: dict[str, float]
    p99: dict[str, float]
    errors: dict[str, int]
    error_samples: list[str]
    tracebacks: int
    dynamodb_calls: dict[str, float]
    dynamodb_breakdown: dict[str, str]
    raw_before: Raw
    raw_after: Raw
    dropped_links: int
    waits: int
    checked: int
    seed_conflicts: list[str]
    cpu: CpuShares
    stack_workers: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def raw_rate(self) -> float:
        """DynamoDB Local alone, calls per second: the mean of before and after the load (its table grows)."""
        return (self.raw_before.rate + self.raw_after.rate) / 2

    def rate(self, kind: str) -> float:
        return self.counts[kind] / self.seconds

    @property
    def dynamodb_rate(self) -> float:
        """DynamoDB calls per second made through the stack."""
        return sum(self.rate(kind) * self.dynamodb_calls[kind] for kind in KINDS)

    def share(self, kind: str) -> float:
        """The kind's DynamoDB calls per second through the stack ÷ the emulator's raw calls per second."""
        return self.rate(kind) * self.dynamodb_calls[kind] / self.raw_rate

    @property
    def ratio(self) -> float:
        return self.dynamodb_rate / self.raw_rate

    def cpu_line(self) -> str:
        """Where the machine's CPU went during the load: whether the cores, not the stack, were the limit."""
        cpu, capacity = self.cpu, self.seconds * self.cpu.cores
        parts = [
            ("the stack (Python, with its workers)", cpu.stack),
            ("DynamoDB Local", cpu.emulator),
            ("the load generator", cpu.generator),
            ("everything else", cpu.others),
        ]
        shares = ", ".join(f"{name} {seconds:.1f} s ({seconds / capacity:.0%})" for name, seconds in parts)
        per_request = cpu.stack / max(self.total, 1) * 1000
        return (
            f"CPU during the load, of {cpu.cores} cores × {self.seconds:.1f} s = {capacity:.0f} core-seconds: "
            f"{shares}; "
            f"the machine {cpu.machine / capacity:.0%} busy; the stack used {per_request:.1f} ms of CPU per request"
        )

    def report(self) -> str:
        ms = 1000
        rows = [
            [
                kind,
                self.counts[kind],
                f"{self.rate(kind):.1f}",
                f"{self.p50[kind] * ms:.0f}",
                f"{self.p99[kind] * ms:.0f}",
                self.errors.get(kind, 0),
                f"{self.dynamodb_calls[kind]:g}",
                f"{self.share(kind):.3f}",
            ]
            for kind in KINDS
        ]
        per_request = sum(self.counts[k] * self.dynamodb_calls[k] for k in KINDS) / max(self.total, 1)
        rows.append(
            [
                "total",
                self.total,
                f"{self.total / self.seconds:.1f}",
                "",
                "",
                self.total_errors,
                f"{per_request:.2f}",
                f"{self.ratio:.3f}",
            ]
        )
        title = (
            f"Load on the local stack: {self.merchants} merchant + {self.customers} customer workers, "
            f"{self.subscribers} subscribed customers, {self.seconds:.1f} s "
            "(sessions begun before the end run to their end); the stack's HTTP functions "
            + (f"in {self.stack_workers} worker processes each" if self.stack_workers else "in its own process")
        )
        header = ["request", "done", "req/s", "p50 ms", "p99 ms", "errors", "DynamoDB calls", "÷ raw"]
        lines = [table(title, header, rows), ""]
        for when, raw in (("before", self.raw_before), ("after", self.raw_after)):
            lines.append(
                f"DynamoDB Local alone {when} the load ({raw.table_items} items in the table): {raw.calls} raw calls "
                f"(the counted calls replayed: GetItem, Query, PutItem, TransactWriteItems) in {raw.seconds:.1f} s "
                f"at {self.merchants + self.customers} concurrent = {raw.rate:.0f} calls/s "
                f"(p50 {percentile(raw.latencies, 0.5) * ms:.1f} ms, p99 {percentile(raw.latencies, 0.99) * ms:.1f} ms)"
            )
        lines.append(
            f"through the stack: {self.dynamodb_rate:.0f} DynamoDB calls/s = {self.ratio:.3f} of DynamoDB "
            f"Local's raw rate ({self.raw_rate:.0f} calls/s, mean of before and after); the per-kind column "
            "adds up to it"
        )
        lines.append(self.cpu_line())
        lines.append("DynamoDB calls per request (counted in-process through the handlers, same seed):")
        lines.extend(f"  {kind}: {self.dynamodb_breakdown[kind]}" for kind in KINDS)
        lines.append(
            f"errors: {self.total_errors}; tracebacks printed by the stack: {self.tracebacks}; "
            f"links minted but not opened (customer busy): {self.dropped_links}; "
            f"customer workers waiting for a link: {self.waits} times"
        )
        lines.append(
            f"afterwards the API shows each of the {self.checked} switched subscriptions on the plan confirmed "
            f"last: {self.checked - self.errors.get(CHECK, 0)} of {self.checked}"
        )
        lines.extend(f"  {sample}" for sample in self.error_samples)
        if self.seed_conflicts:
            lines.append(f"seeding (not measured) met {len(self.seed_conflicts)} 409s whose writes had committed:")
            lines.extend(f"  {conflict}" for conflict in self.seed_conflicts[:5])
        return "\n".join(lines)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def run(
    seconds: float = 20,
    merchants: int = 4,
    customers: int = 8,
    per_customer_worker: int = 4,
    raw_seconds: float = 5,
    queued: int = 2,
    stack_workers: int = 0,
) -> Result:
    """Counts the DynamoDB calls per kind, starts the stack, measures DynamoDB Local alone, seeds
    the customers, runs the load for `seconds`, measures it alone again, stops the stack."""
    calls, script = count_dynamodb_calls()
    sessions = 2  # count_dynamodb_calls runs two counted sessions
    dynamodb_calls = {kind: sum(calls[kind].values()) / sessions for kind in KINDS}
    breakdown = {
        kind: ", ".join(f"{name}×{n / sessions:g}" for name, n in sorted(calls[kind].items())) for kind in KINDS
    }
    workers = merchants + customers
    with local_stack(workers=stack_workers) as stack:
        settle(stack)
        # DynamoDB Local is a JVM: its first seconds run interpreted, slower than it will be.
        asyncio.run(raw_emulator(stack, workers, raw_seconds, script))
        before = asyncio.run(raw_emulator(stack, workers, raw_seconds, script))
        pool_size = customers * per_customer_worker
        _, pool = asyncio.run(seed(stack, pool_size, SEED_CONCURRENCY))
        settle(stack)
        with cpu_accounting(stack) as cpu:
            record, elapsed = asyncio.run(load(stack, pool, merchants, customers, seconds, queued))
        settle(stack)
        after = asyncio.run(raw_emulator(stack, workers, raw_seconds, script))
        printed = len(tracebacks(stack))
    return Result(
        seconds=elapsed,
        merchants=merchants,
        customers=customers,
        subscribers=pool_size,
        counts={kind: len(record.latencies[kind]) for kind in KINDS},
        p50={kind: percentile(record.latencies[kind], 0.50) for kind in KINDS},
        p99={kind: percentile(record.latencies[kind], 0.99) for kind in KINDS},
        errors=dict(record.errors),
        error_samples=record.samples,
        tracebacks=printed,
        dynamodb_calls=dynamodb_calls,
        dynamodb_breakdown=breakdown,
        raw_before=before,
        raw_after=after,
        dropped_links=record.dropped_links,
        waits=record.waits,
        checked=len(record.switched),
        seed_conflicts=list(seed_conflicts),
        cpu=cpu[0],
        stack_workers=stack_workers,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20, help="how long the load runs")
    parser.add_argument("--merchants", type=int, default=4, help="merchant workers minting sessions")
    parser.add_argument("--customers", type=int, default=8, help="customer workers opening portals")
    parser.add_argument("--pool", type=int, default=4, help="subscribed customers per customer worker")
    parser.add_argument("--raw-seconds", type=float, default=5, help="how long DynamoDB Local alone is measured")
    parser.add_argument(
        "--stack-workers", type=int, default=0, help="worker processes per HTTP function of the stack (0: in-process)"
    )
    args = parser.parse_args(argv)
    if min(args.merchants, args.customers, args.pool) < 1 or args.seconds <= 0 or args.raw_seconds <= 0:
        parser.error("workers, pool and durations must be positive")
    result = run(
        args.seconds, args.merchants, args.customers, args.pool, args.raw_seconds, stack_workers=args.stack_workers
    )
    print(result.report(), flush=True)
    return 1 if result.total_errors or result.tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
