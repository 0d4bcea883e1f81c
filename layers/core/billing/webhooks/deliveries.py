"""Webhook deliveries: one per (event, endpoint), sent from the delivery queue until a 2xx.

A delivery is `pending` until an attempt succeeds (`succeeded`) or the last one fails
(`failed`); its `round` (1, then +1 per redelivery) names the queue messages that belong to the
current round, so a duplicated or stale message never sends twice after a success; its `lease`
(epoch seconds) is set while one sender holds it. `attempts` lists every try (time, HTTP status
or null, latency, error, a response snippet). Kept as long as its event (items and update
expressions: `billing.webhooks.store`).

A message is `{account, mode, event, endpoint, round}` and, unless that would make it too large,
the event itself (`payload`, as the receiver gets it, and `expiresAt`, when its retention ends),
so that deliver need not read it; the queue's receive count is the attempt number. deliver
keeps each endpoint's signing data between messages (`billing.webhooks.signingcache`); every
claim checks, in its own transaction, that the endpoint is still at the version it signs with.
A delivery in the steady state is then two DynamoDB calls: the claim and the record.

A failed attempt sets the message's visibility to the next step of `RETRY_DELAYS` (about three
days in all); after `MAX_ATTEMPTS` (the queue's `maxReceiveCount`) the delivery shows as failed
and SQS moves the message to the DLQ.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec

from billing.events import events
from billing.events.records import Event
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict, InvalidRequest, NotFound
from billing.kernel.ids import created_ms, random_token
from billing.kernel.scope import Mode, Scope
from billing.store.repository import Operation, Queue, Table
from billing.webhooks import egress, store, webhookendpoints, webhooksigning
from billing.webhooks.records import Attempt, Delivery, WebhookEndpoint
from billing.webhooks.signingcache import Signing, SigningCache

# Seconds to wait after failed attempt n (1-based) before attempt n + 1: 3.19 days in all. The
# longest step stays under SQS's 12 hours of visibility per receive.
RETRY_DELAYS: tuple[int, ...] = (60, 300, 1800, 3600, 10800, 21600, 39600, 39600, 39600, 39600, 39600, 39600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SNIPPET_CHARS = 500
LEASE_GRACE_SECONDS = 30
# A message carries its event unless it would then be larger than this (SQS takes 256 KiB; the
# rest is margin); deliver reads a larger event from the table.
INLINE_EVENT_BYTES = 192 * 1024
# Claims refused by a changing endpoint or a concurrent transaction, tried again at once, before
# the message is left to come back after `CONTENDED_DELAY` seconds (claims that keep seeing the
# endpoint change).
CLAIM_TRIES = 3
CONTENDED_DELAY = 5
# Seconds a message waits, at its receive n (1-based), for the earlier event of its change to be
# attempted at the endpoint first; from receive len + 1 on it is sent whatever the earlier did
# (that event's stream record late, or its endpoint changed between the two fanouts).
ORDER_WAITS: tuple[int, ...] = (1, 3, 10)


class Message(msgspec.Struct, frozen=True):
    account: str
    mode: Mode
    event: str
    endpoint: str
    round: int
    payload: dict[str, Any] | None = None  # the event as webhooks carry it
    expires_at: int | None = None  # when the event's retention ends (epoch seconds)
    after: str | None = None  # the event of the same change this endpoint gets just before this one
    request: str | None = None  # the ID of the request that made the event, for the delivery's log lines

    @classmethod
    def of(cls, event: Event, endpoint_id: str, round_: int, *, after: str | None = None) -> Message:
        """The message of an (event, endpoint) round, carrying the event."""
        scope = event.scope
        return cls(
            scope.account_id,
            scope.mode,
            event.id,
            endpoint_id,
            round_,
            events.to_wire(event),
            event.expires_at,
            after,
            event.request.get("id"),
        )

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.mode)

    def body(self) -> str:
        """The queue message: with its event when that fits in `INLINE_EVENT_BYTES`."""
        head = {
            "account": self.account,
            "mode": self.mode,
            "event": self.event,
            "endpoint": self.endpoint,
            "round": self.round,
            **({"after": self.after} if self.after else {}),
            **({"request": self.request} if self.request else {}),
        }
        if self.payload is not None and self.expires_at is not None:
            whole = json.dumps({**head, "payload": self.payload, "expiresAt": self.expires_at})
            if len(whole) <= INLINE_EVENT_BYTES:  # ASCII only (json.dumps escapes the rest): a byte a character
                return whole
        return json.dumps(head)

    @classmethod
    def parse(cls, body: str) -> Message:
        """The message in a queue record's body; ValueError when it is not one of ours."""
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("mode") not in ("test", "live"):
            raise ValueError("not a delivery message")
        payload, expires_at = data.get("payload"), data.get("expiresAt")
        if payload is not None and not (
            isinstance(payload, dict)
            and payload.get("id") == data["event"]
            and isinstance(expires_at, int)
            and not isinstance(expires_at, bool)
        ):
            raise ValueError("not a delivery message: its event does not match")
        after = data.get("after")
        if after is not None and not isinstance(after, str):
            raise ValueError("not a delivery message: `after` is not an event ID")
        request = data.get("request")
        return cls(
            account=str(data["account"]),
            mode=data["mode"],
            event=str(data["event"]),
            endpoint=str(data["endpoint"]),
            round=int(data["round"]),
            payload=payload,
            expires_at=None if payload is None else expires_at,
            after=after,
            request=request if isinstance(request, str) else None,
        )


class Response(msgspec.Struct, frozen=True):
    """What one POST to a receiver came to."""

    status: int | None
    latency_ms: int
    snippet: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# send(url, body, headers, deadline_seconds, allow_loopback) -> Response: the POST, all of it within the deadline
Send = Callable[[str, bytes, dict[str, str], float, bool], Response]


class Outcome(msgspec.Struct, frozen=True):
    """`done`: delete the message; `retry`: show it again in `delay` seconds; `wait`: likewise,
    unsent, after an earlier event of its change; `dead`: the last attempt failed, the message
    goes to the dead-letter queue. `posted`: how the attempt's POST went, when one was made, and
    `answered` the receiver's status (None: no answer in time)."""

    kind: Literal["done", "retry", "wait", "dead"]
    delay: int = 0
    reason: str = ""
    posted: Literal["succeeded", "failed"] | None = None
    answered: int | None = None


# ------------------------------------------------------------------ fanout (stream → queue)
def fan_out(
    event: Event,
    *,
    table: Table,
    queue: Queue,
    endpoints_for: Callable[[Scope, str], list[WebhookEndpoint]] | None = None,
) -> int:
    """The messages of one outbox event, one per endpoint subscribed to it when it was made; how
    many were sent.

    Each (event, endpoint) gets its `pending` delivery first (kept as it is when it exists, so a
    duplicated stream record changes nothing), then its message, so a failure between the two
    is retried by the stream and the message is never lost.
    """
    scope = event.scope
    find = endpoints_for or (lambda s, t: webhookendpoints.subscribed(s, t, table=table))
    made_at = created_ms(event.id)
    bodies = []
    for endpoint in find(scope, event.type):
        if created_ms(endpoint.id) > made_at:
            continue  # an endpoint gets the events made after it, however late the stream is
        delivery = store.open_delivery(table, scope, event, endpoint, clock.to_wire(clock.now()))
        after = events.earlier_in_change(event, _gets(endpoint))
        bodies.append(Message.of(event, endpoint.id, delivery.round, after=after).body())
    if bodies:
        queue.send(bodies)
    return len(bodies)


def in_change_order(records: list[Any]) -> list[Any]:
    """A batch's queue records with each message after the one of the event its change delivers
    to the same endpoint first (its `after`), so that neither waits for the other; else as received."""
    afters: dict[tuple[str, str], tuple[str, str]] = {}  # (event, endpoint) → the earlier one's
    keys: list[tuple[str, str] | None] = []
    for record in records:
        try:
            head = json.loads(record["body"])
            key = (str(head["event"]), str(head["endpoint"]))
        except (ValueError, KeyError, TypeError):
            keys.append(None)
            continue
        keys.append(key)
        if head.get("after"):
            afters[key] = (str(head["after"]), key[1])

    def depth(key: tuple[str, str] | None) -> int:
        steps = 0
        while key in afters and steps <= len(afters):
            key, steps = afters[key], steps + 1
        return steps

    order = sorted(range(len(records)), key=lambda n: depth(keys[n]))
    return [records[n] for n in order]


def _gets(endpoint: WebhookEndpoint) -> Callable[[str, str], bool]:
    """Whether `endpoint` gets an event (its ID, its type): subscribed to it, and made after it."""
    made_at = created_ms(endpoint.id)
    return lambda event_id, event_type: endpoint.wants(event_type) and made_at <= created_ms(event_id)


# ------------------------------------------------------------------ deliver (queue → receiver)
def deliver(
    message: Message,
    attempt: int,
    *,
    send: Send,
    timeout: float,
    table: Table,
    signings: SigningCache | None = None,
) -> Outcome:
    """One attempt at one (event, endpoint); `attempt` is the message's receive count.
    `signings`: the worker's endpoint signing data kept between messages (none: read each time)."""
    scope = message.scope
    now = clock.now()
    now_s = clock.to_epoch(now)
    payload = _payload(message, now_s, table)
    if payload is None:
        return Outcome("done", reason="event expired")
    cache = signings if signings is not None else SigningCache(size=1)
    lease = now_s + int(timeout) + LEASE_GRACE_SECONDS
    claim = random_token(16)  # this attempt's: tells its own writes, answered late, from others'
    after = message.after if attempt <= len(ORDER_WAITS) else None
    held = _claim(table, scope, message, cache, now_s, lease, claim, after)
    if isinstance(held, str):  # "wait"
        return Outcome("wait", delay=ORDER_WAITS[attempt - 1], reason=f"after {after}")
    if isinstance(held, Outcome):
        return held

    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = webhooksigning.headers(held.live_secrets(now_s), message.event, now_s, body)
    response = send(held.url, body, headers, timeout, egress.loopback_allowed(scope.livemode))

    delivered_at = failure_reason = next_attempt_at = None
    if response.ok:
        status, delivered_at, outcome = "succeeded", clock.to_wire(now), Outcome("done")
    elif response.status == 410:
        webhookendpoints.disable(scope, message.endpoint, "The endpoint answered 410 Gone.", table=table)
        cache.forget(scope, message.endpoint)
        failure_reason = "The endpoint answered 410 Gone; it was disabled."
        status, outcome = "failed", Outcome("done", reason="gone")
    elif attempt >= MAX_ATTEMPTS:
        failure_reason = f"No 2xx answer in {attempt} attempts."
        status, outcome = "failed", Outcome("dead", reason="attempts exhausted")
    else:
        delay = RETRY_DELAYS[attempt - 1]
        next_attempt_at = clock.to_wire(now + timedelta(seconds=delay))
        status, outcome = "pending", Outcome("retry", delay=delay)
    _record(
        table,
        scope,
        message,
        _attempt(now, attempt, message.round, response),
        status,
        claim=claim,
        delivered_at=delivered_at,
        failure_reason=failure_reason,
        next_attempt_at=next_attempt_at,
    )
    return msgspec.structs.replace(outcome, posted="succeeded" if response.ok else "failed", answered=response.status)


def _payload(message: Message, now_s: int, table: Table) -> dict[str, Any] | None:
    """The event as the receiver gets it: the message's, or read when it was too large to
    carry; None once its retention has ended."""
    if message.payload is not None and message.expires_at is not None:
        return message.payload if message.expires_at > now_s else None
    event = events.find_event(message.scope, message.event, table=table)
    return None if event is None else events.to_wire(event)


def _attempt(now: datetime, attempt: int, round_: int, response: Response) -> Attempt:
    return Attempt(
        at=clock.to_wire(now),
        attempt=attempt,
        round=round_,
        status=response.status,
        latency_ms=response.latency_ms,
        error=response.error,
        response=response.snippet[:SNIPPET_CHARS],
    )


def _claim(
    table: Table,
    scope: Scope,
    message: Message,
    signings: SigningCache,
    now_s: int,
    lease: int,
    claim: str,
    after: str | None,
) -> Signing | Outcome | Literal["wait"]:
    """The endpoint's signing data, with the delivery held for this attempt at that endpoint
    version; the outcome instead when it is not this message's to send, or the endpoint is gone
    or disabled.

    Its delivery exists: fanout and redelivery write it before they send its message (one gone
    with its expired event makes the message moot). The signing data is the cached one while
    the endpoint's version stands (the claim's transaction checks it); an endpoint not cached is
    read, a changed one taken from the refused claim (read when DynamoDB did not return it).
    A transaction refused because another held one of its items (many claims checking one busy
    endpoint) is not tried again: the endpoint is read, and the delivery claimed without it.
    With `after`, the claim also checks that event's delivery here was attempted ("wait" if not)."""
    signing = signings.get(scope, message.endpoint)
    contended = False
    for _ in range(CLAIM_TRIES):
        if signing is None or contended:
            endpoint = store.get_endpoint(table, scope, message.endpoint)
            if endpoint is None or endpoint.disabled:
                signings.forget(scope, message.endpoint)
                return _closed(table, scope, message, endpoint)
            signing = signings.keep(scope, endpoint)
        refusal = store.claim_delivery(
            table,
            scope,
            message.event,
            message.endpoint,
            round=message.round,
            now=now_s,
            lease=lease,
            claim=claim,
            endpoint_version=None if contended else signing.version,
            after=after,
        )
        if refusal is None:
            return signing
        if refusal.earlier_pending:
            return "wait"
        if refusal.delivery_taken:
            return _taken(table, scope, message, refusal.delivery, now_s)
        contended = refusal.contended
        if refusal.endpoint_changed:
            signings.forget(scope, message.endpoint)
            signing = None
            endpoint = refusal.endpoint  # None: gone, or not returned; read at the next try
            if endpoint is not None and endpoint.disabled:
                return _closed(table, scope, message, endpoint)
            if endpoint is not None:
                signing = signings.keep(scope, endpoint)
    return Outcome("retry", delay=CONTENDED_DELAY, reason="claim contended")


def _closed(table: Table, scope: Scope, message: Message, endpoint: WebhookEndpoint | None) -> Outcome:
    """The outcome of a message whose endpoint is gone (None) or disabled: its delivery closed."""
    if endpoint is None:
        _close(table, scope, message, "failed", "The webhook endpoint was deleted.")
        return Outcome("done", reason="endpoint deleted")
    _close(table, scope, message, "failed", "The webhook endpoint is disabled.")
    return Outcome("done", reason="endpoint disabled")


def _taken(table: Table, scope: Scope, message: Message, current: Delivery | None, now_s: int) -> Outcome:
    """The outcome of a message whose delivery could not be claimed: a duplicate (another round,
    succeeded already, or gone), or held by another sender until its lease ends."""
    if current is None:  # not returned by the refused claim: as it stands now
        current = store.get_delivery(table, scope, message.event, message.endpoint)
    if current is None or current.round != message.round or current.status == "succeeded":
        return Outcome("done", reason="duplicate")
    return Outcome("retry", delay=current.held_for(now_s), reason="held by another sender")


def _record(
    table: Table,
    scope: Scope,
    message: Message,
    attempt: Attempt,
    status: str,
    *,
    claim: str,
    delivered_at: str | None,
    failure_reason: str | None,
    next_attempt_at: str | None,
) -> None:
    """The attempt's outcome, appended to the delivery's history once: the delivery names the
    attempt's claim, so a retry of a record answered late fails its condition (and is dropped),
    as does a record of a round redelivered meanwhile (the new round's message records its own)."""
    with contextlib.suppress(Conflict):
        store.record_attempt(
            table,
            scope,
            message.event,
            message.endpoint,
            attempt,
            claim=claim,
            status=status,
            delivered_at=delivered_at,
            failure_reason=failure_reason,
            next_attempt_at=next_attempt_at,
        )


def _close(table: Table, scope: Scope, message: Message, status: str, reason: str) -> None:
    """A delivery that can no longer be attempted (endpoint deleted or disabled)."""
    with contextlib.suppress(Conflict):  # nothing to close, or a later round's
        store.close(table, scope, message.event, message.endpoint, round=message.round, status=status, reason=reason)


# ------------------------------------------------------------------ the API's view
def to_wire(delivery: Delivery) -> dict[str, Any]:
    return {
        "object": "webhook_delivery",
        "event": delivery.event,
        "endpoint": delivery.endpoint,
        "url": delivery.url,
        "status": delivery.status,
        "round": delivery.round,
        "attemptCount": delivery.attempt_count,
        "lastAttemptAt": delivery.last_attempt_at,
        "nextAttemptAt": delivery.next_attempt_at,
        "deliveredAt": delivery.delivered_at,
        "failureReason": delivery.failure_reason,
        "attempts": [_attempt_to_wire(a) for a in delivery.attempts],
        "createdAt": delivery.created_at,
    }


def _attempt_to_wire(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": attempt.at,
        "attempt": attempt.attempt,
        "round": attempt.round,
        "status": attempt.status,
        "latencyMs": attempt.latency_ms,
        "error": attempt.error,
        "response": attempt.response,
    }


def _event_and_deliveries(scope: Scope, event_id: str, table: Table) -> tuple[Event, list[Delivery]]:
    event, records = store.event_with_deliveries(table, scope, event_id)
    return events.live_event_item(event, event_id), records


def event_with_deliveries(scope: Scope, event_id: str, *, table: Table) -> dict[str, Any]:
    """The event as webhooks carry it, and `deliveries`: one per endpoint it was sent to."""
    event, records = _event_and_deliveries(scope, event_id, table)
    return {**events.to_wire(event), "deliveries": [to_wire(r) for r in records]}


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
    event, records = _event_and_deliveries(scope, event_id, table)
    targets: list[WebhookEndpoint]
    if endpoint_id:
        endpoint = webhookendpoints.get(scope, endpoint_id, table=table)
        if endpoint.disabled:
            raise Conflict(
                "The webhook endpoint is disabled; enable it before redelivering.",
                param="endpoint",
                code="webhook_endpoint_disabled",
            )
        targets = [endpoint]
    else:
        targets = [e for e in _known_endpoints(scope, event, records, table) if not e.disabled]
        if not targets:
            raise InvalidRequest("No enabled webhook endpoint receives this event.", param="endpoint")
    redone = []
    bodies = []
    started: list[tuple[Delivery | None, Delivery]] = []  # (the delivery before, after) of each new round
    previous = {r.endpoint: r for r in records}
    try:
        for endpoint in targets:
            delivery = store.start_round(table, scope, event, endpoint, clock.to_wire(clock.now()))
            started.append((previous.get(endpoint.id), delivery))
            redone.append(to_wire(delivery))
            bodies.append(Message.of(event, endpoint.id, delivery.round).body())
        (queue or Queue()).send(bodies)
    except BillingError:
        _undo_rounds(table, scope, started)
        raise
    return {"object": "list", "data": redone, "hasMore": False}


def _undo_rounds(table: Table, scope: Scope, started: list[tuple[Delivery | None, Delivery]]) -> None:
    """A redelivery whose messages were not all queued is taken back whole: each delivery as it
    was before (or gone, when it is new), in one transaction, unless a sender already holds the
    new round. Otherwise its deliveries would show `pending` with no message to ever send them.
    A message of the new round that did get queued then finds an older round and is dropped.
    Best effort: when this fails too, the deliveries stay pending and a retried redelivery (the
    503 asks for one) starts a round that is queued."""
    ops: list[Operation] = [store.undo_round(scope, before, after) for before, after in started]
    if ops:
        with contextlib.suppress(BillingError):
            table.transact(ops)


def _known_endpoints(scope: Scope, event: Event, records: Iterable[Delivery], table: Table) -> list[WebhookEndpoint]:
    found: dict[str, WebhookEndpoint] = {}
    for record in records:
        try:
            found[record.endpoint] = webhookendpoints.get(scope, record.endpoint, table=table)
        except NotFound:
            continue
    for endpoint in webhookendpoints.subscribed(scope, event.type, table=table):
        found.setdefault(endpoint.id, endpoint)
    return list(found.values())
