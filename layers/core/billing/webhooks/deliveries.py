"""Webhook deliveries: one per (event, endpoint), sent from the delivery queue until a 2xx.

Item: pk `<scope>#EVT#<evt>` (beside its event, so one Query reads an event and its
deliveries), sk `DELIVERY#<we>`. `status` is `pending` until an attempt succeeds
(`succeeded`) or the last one fails (`failed`); `round` (1, then +1 per redelivery) names the
queue messages that belong to the current round, so a duplicated or stale message never
sends twice after a success; `lease` (epoch seconds) is set while one sender holds it.
`attempts` lists every try (time, HTTP status or null, latency, error, a response snippet).
Kept as long as its event (`expiresAt`).

A message is `{account, mode, event, endpoint, round}`; the queue's receive count is the
attempt number. A failed attempt sets the message's visibility to the next step of
`RETRY_DELAYS` (about three days in all); after `MAX_ATTEMPTS` (the queue's
`maxReceiveCount`) the delivery shows as failed and SQS moves the message to the DLQ.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from billing.events import events
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict, InvalidRequest, NotFound
from billing.kernel.ids import created_ms, random_token
from billing.kernel.scope import Mode, Scope
from billing.store.repository import Delete, Item, Operation, Put, Queue, Table, holds, set_expression
from billing.webhooks import webhookendpoints, webhooksigning

SK_PREFIX = "DELIVERY#"
# Seconds to wait after failed attempt n (1-based) before attempt n + 1: 3.19 days in all. The
# longest step stays under SQS's 12 hours of visibility per receive.
RETRY_DELAYS: tuple[int, ...] = (60, 300, 1800, 3600, 10800, 21600, 39600, 39600, 39600, 39600, 39600, 39600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SNIPPET_CHARS = 500
LEASE_GRACE_SECONDS = 30


@dataclass(frozen=True)
class Message:
    account: str
    mode: Mode
    event: str
    endpoint: str
    round: int

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.mode)

    def body(self) -> str:
        return json.dumps(
            {
                "account": self.account,
                "mode": self.mode,
                "event": self.event,
                "endpoint": self.endpoint,
                "round": self.round,
            }
        )

    @classmethod
    def parse(cls, body: str) -> Message:
        """The message in a queue record's body; ValueError when it is not one of ours."""
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("mode") not in ("test", "live"):
            raise ValueError("not a delivery message")
        return cls(
            account=str(data["account"]),
            mode=data["mode"],
            event=str(data["event"]),
            endpoint=str(data["endpoint"]),
            round=int(data["round"]),
        )


@dataclass(frozen=True)
class Response:
    """What one POST to a receiver came to."""

    status: int | None
    latency_ms: int
    snippet: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# send(url, body, headers, timeout_seconds, allow_private_addresses) -> Response
Send = Callable[[str, bytes, dict[str, str], float, bool], Response]


@dataclass(frozen=True)
class Outcome:
    """`done`: delete the message; `retry`: show it again in `delay` seconds; `dead`: the last
    attempt failed, the message goes to the dead-letter queue."""

    kind: Literal["done", "retry", "dead"]
    delay: int = 0
    reason: str = ""


def _key(scope: Scope, event_id: str, endpoint_id: str) -> tuple[str, str]:
    return scope.key("EVT", event_id), SK_PREFIX + endpoint_id


# A delivery record's fields set once, when the record is first written, with their placeholders.
_NEW_RECORD_FIELDS = {
    "type": ":type",
    "event": ":event",
    "endpoint": ":endpoint",
    "url": ":url",
    "createdAt": ":now",
    "expiresAt": ":expires",
    "attemptCount": ":zero",
}
_NEW_RECORD_NAMES = {f"#{field}": field for field in _NEW_RECORD_FIELDS}


def _set_if_new(*, keep: tuple[str, ...] = ()) -> str:
    """`#f = if_not_exists(#f, :v)` for each new-record field, except those in `keep`."""
    return ", ".join(f"#{f} = if_not_exists(#{f}, {v})" for f, v in _NEW_RECORD_FIELDS.items() if f not in keep)


def _new_record_values(event_item: Item, endpoint: Item) -> dict[str, Any]:
    return {
        ":type": "delivery",
        ":event": event_item["event"]["id"],
        ":endpoint": endpoint["id"],
        ":url": endpoint["url"],
        ":now": clock.to_wire(clock.now()),
        ":expires": int(event_item["expiresAt"]),
        ":zero": 0,
    }


# ------------------------------------------------------------------ fanout (stream → queue)
def fan_out(
    image: Item,
    *,
    table: Table,
    queue: Queue,
    endpoints_for: Callable[[Scope, str], list[Item]] | None = None,
) -> int:
    """The messages of one outbox event, one per endpoint subscribed to it when it was made; how
    many were sent.

    Each (event, endpoint) gets its `pending` record first (kept as it is when it exists, so a
    duplicated stream record changes nothing), then its message, so a failure between the two
    is retried by the stream and the message is never lost.
    """
    if image.get("type") != "event" or not image.get("outbox"):
        return 0
    scope = Scope(str(image["account"]), image["mode"])
    find = endpoints_for or (lambda s, t: webhookendpoints.subscribed(s, t, table=table))
    made_at = created_ms(image["event"]["id"])
    bodies = []
    for endpoint in find(scope, str(image["eventType"])):
        if created_ms(endpoint["id"]) > made_at:
            continue  # an endpoint gets the events made after it, however late the stream is
        pk, sk = _key(scope, image["event"]["id"], endpoint["id"])
        record = table.update(
            pk,
            sk,
            expression=(
                f"SET #status = if_not_exists(#status, :pending), #round = if_not_exists(#round, :one), {_set_if_new()}"
            ),
            names={"#status": "status", "#round": "round", **_NEW_RECORD_NAMES},
            values={":pending": "pending", ":one": 1, **_new_record_values(image, endpoint)},
        )
        message = Message(scope.account_id, scope.mode, image["event"]["id"], endpoint["id"], int(record["round"]))
        bodies.append(message.body())
    if bodies:
        queue.send(bodies)
    return len(bodies)


# ------------------------------------------------------------------ deliver (queue → receiver)
def deliver(message: Message, attempt: int, *, send: Send, timeout: float, table: Table) -> Outcome:
    """One attempt at one (event, endpoint); `attempt` is the message's receive count."""
    scope = message.scope
    now = clock.now()
    now_s = clock.to_epoch(now)
    event_item = table.get(scope.key("EVT", message.event), "EVENT")
    if event_item is None or event_item["expiresAt"] <= now_s:
        return Outcome("done", reason="event expired")
    try:
        endpoint = webhookendpoints.get(scope, message.endpoint, table=table)
    except NotFound:
        _close(table, scope, message, "failed", "The webhook endpoint was deleted.")
        return Outcome("done", reason="endpoint deleted")
    if endpoint.get("disabled"):
        _close(table, scope, message, "failed", "The webhook endpoint is disabled.")
        return Outcome("done", reason="endpoint disabled")

    lease = now_s + int(timeout) + LEASE_GRACE_SECONDS
    claim = random_token(16)  # this attempt's: tells its own writes, answered late, from others'
    held = _claim(table, scope, message, now_s, lease, claim)
    if held is not None:
        return held

    body = json.dumps(event_item["event"], separators=(",", ":"), ensure_ascii=False).encode()
    secrets = webhookendpoints.live_secrets(endpoint, now_s)
    headers = webhooksigning.headers(secrets, message.event, now_s, body)
    response = send(endpoint["url"], body, headers, timeout, not scope.livemode)

    extra: dict[str, Any]
    if response.ok:
        status, extra, outcome = "succeeded", {"deliveredAt": clock.to_wire(now)}, Outcome("done")
    elif response.status == 410:
        webhookendpoints.disable(scope, endpoint["id"], "The endpoint answered 410 Gone.", table=table)
        reason = "The endpoint answered 410 Gone; it was disabled."
        status, extra, outcome = "failed", {"failureReason": reason}, Outcome("done", reason="gone")
    elif attempt >= MAX_ATTEMPTS:
        reason = f"No 2xx answer in {attempt} attempts."
        status, extra, outcome = "failed", {"failureReason": reason}, Outcome("dead", reason="attempts exhausted")
    else:
        delay = RETRY_DELAYS[attempt - 1]
        next_at = clock.to_wire(now + timedelta(seconds=delay))
        status, extra, outcome = "pending", {"nextAttemptAt": next_at}, Outcome("retry", delay=delay)
    _record(table, scope, message, now, attempt, response, status, extra=extra, claim=claim)
    return outcome


def _claim(table: Table, scope: Scope, message: Message, now_s: int, lease: int, claim: str) -> Outcome | None:
    """Hold the delivery for this attempt; the outcome instead when it is not this message's to send.

    Its record exists: fanout and redelivery write it before they send its message (a record
    gone with its expired event makes the message moot). A claim answered late and retried
    finds its own `claim` holding the lease, and holds it."""
    pk, sk = _key(scope, message.event, message.endpoint)
    try:
        table.update(
            pk,
            sk,
            expression="SET #lease = :lease, #claim = :claim",
            condition=("#round = :round AND #status <> :succeeded AND (attribute_not_exists(#lease) OR #lease < :now)"),
            names={"#lease": "lease", "#claim": "claim", "#status": "status", "#round": "round"},
            values={
                ":lease": lease,
                ":claim": claim,
                ":succeeded": "succeeded",
                ":round": message.round,
                ":now": now_s,
            },
            already=holds({"lease": lease, "claim": claim}),
        )
        return None
    except Conflict:
        current = table.get(pk, sk)
    if current is None or int(current.get("round", 0)) != message.round or current.get("status") == "succeeded":
        return Outcome("done", reason="duplicate")
    return Outcome("retry", delay=max(1, int(current.get("lease", now_s)) - now_s), reason="held by another sender")


def _record(
    table: Table,
    scope: Scope,
    message: Message,
    now: Any,
    attempt: int,
    response: Response,
    status: str,
    *,
    extra: dict[str, Any],
    claim: str,
) -> None:
    """The attempt's outcome, appended to the delivery's history once: the record names the
    attempt's claim, so a retry of a record answered late fails its condition (and is dropped)."""
    entry = {
        "at": clock.to_wire(now),
        "attempt": attempt,
        "round": message.round,
        "status": response.status,
        "latencyMs": response.latency_ms,
        "error": response.error,
        "response": response.snippet[:SNIPPET_CHARS],
    }
    fields = {"status": status, "lastAttemptAt": clock.to_wire(now), "recordedClaim": claim, **extra}
    sets, names = set_expression(fields)
    values: dict[str, Any] = {f":f{n}": value for n, value in enumerate(fields.values())}
    sets += (
        ", #attempts = list_append(if_not_exists(#attempts, :empty), :entry)"
        ", #attemptCount = if_not_exists(#attemptCount, :zero) + :one"
    )
    names.update({"#attempts": "attempts", "#attemptCount": "attemptCount", "#lease": "lease", "#round": "round"})
    names["#recorded"] = "recordedClaim"
    removals = "#lease"
    if "nextAttemptAt" not in fields:  # a pending delivery sets its next one; any other loses the old
        removals += ", #next"
        names["#next"] = "nextAttemptAt"
    values.update({":empty": [], ":entry": [entry], ":zero": 0, ":one": 1, ":round": message.round, ":claim": claim})
    pk, sk = _key(scope, message.event, message.endpoint)
    # Refused when redelivered meanwhile (the new round's message records its own), or when this
    # attempt's record is in already (its earlier try committed).
    with contextlib.suppress(Conflict):
        table.update(
            pk,
            sk,
            expression=f"{sets} REMOVE {removals}",
            condition="#round = :round AND (attribute_not_exists(#recorded) OR #recorded <> :claim)",
            names=names,
            values=values,
        )


def _close(table: Table, scope: Scope, message: Message, status: str, reason: str) -> None:
    """A delivery that can no longer be attempted (endpoint deleted or disabled)."""
    pk, sk = _key(scope, message.event, message.endpoint)
    with contextlib.suppress(Conflict):  # nothing to close, or a later round's
        table.update(
            pk,
            sk,
            expression="SET #status = :status, #reason = :reason REMOVE #lease, #next",
            condition="attribute_exists(pk) AND #round = :round AND #status <> :succeeded",
            names={
                "#status": "status",
                "#reason": "failureReason",
                "#lease": "lease",
                "#next": "nextAttemptAt",
                "#round": "round",
            },
            values={":status": status, ":reason": reason, ":round": message.round, ":succeeded": "succeeded"},
        )


# ------------------------------------------------------------------ the API's view
def to_wire(item: Item) -> dict[str, Any]:
    return {
        "object": "webhook_delivery",
        "event": item["event"],
        "endpoint": item["endpoint"],
        "url": item.get("url"),
        "status": item.get("status", "pending"),
        "round": int(item.get("round", 1)),
        "attemptCount": int(item.get("attemptCount", 0)),
        "lastAttemptAt": item.get("lastAttemptAt"),
        "nextAttemptAt": item.get("nextAttemptAt"),
        "deliveredAt": item.get("deliveredAt"),
        "failureReason": item.get("failureReason"),
        "attempts": list(item.get("attempts", [])),
        "createdAt": item.get("createdAt"),
    }


def _event_items(scope: Scope, event_id: str, table: Table) -> tuple[Item, list[Item]]:
    items = table.query_all(scope.key("EVT", event_id), consistent=True)
    event_item = events.live_event_item(next((i for i in items if i["sk"] == "EVENT"), None), event_id)
    return event_item, [i for i in items if str(i["sk"]).startswith(SK_PREFIX)]


def event_with_deliveries(scope: Scope, event_id: str, *, table: Table) -> dict[str, Any]:
    """The event as webhooks carry it, and `deliveries`: one per endpoint it was sent to."""
    event_item, records = _event_items(scope, event_id, table)
    return {**event_item["event"], "deliveries": [to_wire(r) for r in records]}


def redeliver(
    scope: Scope,
    event_id: str,
    endpoint_id: str | None = None,
    *,
    table: Table,
    queue: Queue | None = None,
) -> dict[str, Any]:
    """Send an event again: to one endpoint, or to every enabled endpoint it went to or now subscribes it.

    Each delivery starts a new round (its earlier messages become stale), shows as pending,
    and gets a fresh message with a full retry schedule.
    """
    event_item, records = _event_items(scope, event_id, table)
    targets: list[Item]
    if endpoint_id:
        endpoint = webhookendpoints.get(scope, endpoint_id, table=table)
        if endpoint.get("disabled"):
            raise Conflict("The webhook endpoint is disabled; enable it before redelivering.", param="endpoint")
        targets = [endpoint]
    else:
        targets = [e for e in _known_endpoints(scope, event_item, records, table) if not e.get("disabled")]
        if not targets:
            raise InvalidRequest("No enabled webhook endpoint receives this event.", param="endpoint")
    redone = []
    bodies = []
    started: list[tuple[Item | None, Item]] = []  # (the record before, after) of each new round
    previous = {str(r["endpoint"]): r for r in records}
    try:
        for endpoint in targets:
            pk, sk = _key(scope, event_id, endpoint["id"])
            item = _start_round(table, pk, sk, event_item, endpoint)
            started.append((previous.get(endpoint["id"]), item))
            redone.append(to_wire(item))
            bodies.append(Message(scope.account_id, scope.mode, event_id, endpoint["id"], int(item["round"])).body())
        (queue or Queue()).send(bodies)
    except BillingError:
        _undo_rounds(table, started)
        raise
    return {"object": "list", "data": redone, "hasMore": False}


def _start_round(table: Table, pk: str, sk: str, event_item: Item, endpoint: Item) -> Item:
    """The delivery's next round: pending again, with a fresh attempt schedule."""
    return table.update(
        pk,
        sk,
        expression=(
            "SET #round = if_not_exists(#round, :zero) + :one, #status = :pending, #url = :url, "
            + _set_if_new(keep=("url",))
            + " REMOVE #lease, #next, #reason, #deliveredAt"
        ),
        names={
            "#round": "round",
            "#status": "status",
            "#lease": "lease",
            "#next": "nextAttemptAt",
            "#reason": "failureReason",
            "#deliveredAt": "deliveredAt",
            **_NEW_RECORD_NAMES,
        },
        values={":one": 1, ":pending": "pending", **_new_record_values(event_item, endpoint)},
    )


def _undo_rounds(table: Table, started: list[tuple[Item | None, Item]]) -> None:
    """A redelivery whose messages were not all queued is taken back whole: each record as it
    was before (or gone, when it is new), in one transaction, unless a sender already holds the
    new round. Otherwise its records would show `pending` with no message to ever send them.
    A message of the new round that did get queued then finds an older round and is dropped.
    Best effort: when this fails too, the records stay pending and a retried redelivery (the
    503 asks for one) starts a round that is queued."""
    ops: list[Operation] = []
    for before, after in started:
        names = {"#round": "round", "#lease": "lease"}
        values = {":round": after["round"]}
        condition = "#round = :round AND attribute_not_exists(#lease)"
        if before is None:
            ops.append(Delete(after["pk"], after["sk"], condition, names, values))
        else:
            ops.append(Put(before, condition, names, values))
    if ops:
        with contextlib.suppress(BillingError):
            table.transact(ops)


def _known_endpoints(scope: Scope, event_item: Item, records: Iterable[Item], table: Table) -> list[Item]:
    found: dict[str, Item] = {}
    for record in records:
        try:
            found[record["endpoint"]] = webhookendpoints.get(scope, record["endpoint"], table=table)
        except NotFound:
            continue
    for endpoint in webhookendpoints.subscribed(scope, str(event_item["eventType"]), table=table):
        found.setdefault(endpoint["id"], endpoint)
    return list(found.values())
