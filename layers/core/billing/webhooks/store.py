"""Where webhook endpoints, their counter and deliveries are kept.

Endpoint: pk `<scope>#WE#<we>`, sk `WEBHOOK_ENDPOINT` (versioned); gsi2 `<scope>#WEBHOOK_ENDPOINTS`
/ id (the list, and every endpoint a fanout considers). `secrets` is a list of
`{"secret": "whsec_…", "expiresAt": None | epoch seconds}`, the current one first.

Counter: `<scope>#WEBHOOK_ENDPOINTS` / `COUNTER`, `count` = the scope's endpoints; every create
and delete changes it in its own transaction, so concurrent creates cannot pass the limit.

Delivery: pk `<scope>#EVT#<evt>` (beside its event, so one Query reads an event and its
deliveries), sk `DELIVERY#<we>`. Written by update expressions only (a fanout and a redelivery
never read it first), so attributes not set yet are absent, not null: `attempts` until the first
attempt is recorded, `lease` unless a sender holds it, `nextAttemptAt` unless one is scheduled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from billing.events import store as event_store
from billing.events.records import Event
from billing.kernel.errors import Conflict, ServiceUnavailable
from billing.kernel.scope import Scope
from billing.store.listing import page
from billing.store.repository import (
    CONFLICT,
    Cancelled,
    Check,
    Contended,
    Delete,
    Item,
    Put,
    Table,
    Update,
    holds,
    versioned_set,
)
from billing.webhooks.records import Attempt, Delivery, Secret, WebhookEndpoint

ENDPOINT_SK = "WEBHOOK_ENDPOINT"
COUNTER_SK = "COUNTER"
DELIVERY_SK_PREFIX = "DELIVERY#"


class _Expression:
    """An update expression built clause by clause, with its attribute names (`#name`) and
    numbered value placeholders."""

    def __init__(self) -> None:
        self._set: list[str] = []
        self._add: list[str] = []
        self._remove: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        token = f"#{attribute}"
        self.names[token] = attribute
        return token

    def value(self, value: Any) -> str:
        token = f":v{len(self.values)}"
        self.values[token] = value
        return token

    def set(self, attribute: str, value: Any) -> _Expression:
        self._set.append(f"{self.name(attribute)} = {self.value(value)}")
        return self

    def set_if_new(self, attribute: str, value: Any) -> _Expression:
        """Set unless the item already has the attribute (the value it was created with stays)."""
        name = self.name(attribute)
        self._set.append(f"{name} = if_not_exists({name}, {self.value(value)})")
        return self

    def increment(self, attribute: str, start: int) -> _Expression:
        """One more than now, counting from `start` when the attribute is absent."""
        name = self.name(attribute)
        self._set.append(f"{name} = if_not_exists({name}, {self.value(start)}) + {self.value(1)}")
        return self

    def append(self, attribute: str, entries: list[Any]) -> _Expression:
        name = self.name(attribute)
        self._set.append(f"{name} = list_append(if_not_exists({name}, {self.value([])}), {self.value(entries)})")
        return self

    def add(self, attribute: str, amount: int) -> _Expression:
        self._add.append(f"{self.name(attribute)} {self.value(amount)}")
        return self

    def remove(self, *attributes: str) -> _Expression:
        self._remove.extend(self.name(a) for a in attributes)
        return self

    @property
    def expression(self) -> str:
        clauses = [
            f"{verb} {', '.join(parts)}"
            for verb, parts in (("SET", self._set), ("ADD", self._add), ("REMOVE", self._remove))
            if parts
        ]
        return " ".join(clauses)

    def update(self, key: tuple[str, str], condition: str | None = None) -> Update:
        return Update(key[0], key[1], self.expression, condition, self.names, self.values or None)


# A single-item write refused while a claim's transaction held the item (an endpoint every claim
# checks, a delivery a duplicate message claims) is tried again after these pauses (seconds).
CONTENDED_PAUSES = (0.02, 0.05, 0.1, 0.2)


def _run(table: Table, op: Update, **options: Any) -> Item:
    """`op` on its own. Refused by a transaction holding the item (nothing written), it is tried
    again a few times; then a `ServiceUnavailable`, never a `Conflict` a caller could take for a
    failed condition."""
    for pause in (*CONTENDED_PAUSES, None):
        try:
            return table.update(
                op.pk,
                op.sk,
                expression=op.expression,
                condition=op.condition,
                names=op.names,
                values=op.values,
                **options,
            )
        except Contended:
            if pause is None:
                break
            time.sleep(pause)
    raise ServiceUnavailable("The item is busy; retry the request.")


# ------------------------------------------------------------------ endpoints
def endpoint_key(scope: Scope, endpoint_id: str) -> tuple[str, str]:
    return scope.key("WE", endpoint_id), ENDPOINT_SK


def list_partition(scope: Scope) -> str:
    return scope.key("WEBHOOK_ENDPOINTS")


def counter_key(scope: Scope) -> tuple[str, str]:
    return list_partition(scope), COUNTER_SK


def endpoint_to_item(scope: Scope, endpoint: WebhookEndpoint) -> Item:
    pk, sk = endpoint_key(scope, endpoint.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "webhook_endpoint",
        "id": endpoint.id,
        "account": scope.account_id,
        "mode": scope.mode,
        "url": endpoint.url,
        "enabledEvents": list(endpoint.enabled_events),
        "description": endpoint.description,
        "disabled": endpoint.disabled,
        "disabledReason": endpoint.disabled_reason,
        "metadata": dict(endpoint.metadata),
        "secrets": [{"secret": s.secret, "expiresAt": s.expires_at} for s in endpoint.secrets],
        "createdAt": endpoint.created_at,
        "updatedAt": endpoint.updated_at,
        "version": endpoint.version,
        "gsi2pk": list_partition(scope),
        "gsi2sk": endpoint.id,
    }


def endpoint_from_item(item: Mapping[str, Any]) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=item["id"],
        account=item["account"],
        mode=item["mode"],
        url=item["url"],
        enabled_events=tuple(item["enabledEvents"]),
        description=item.get("description"),
        disabled=bool(item.get("disabled")),
        disabled_reason=item.get("disabledReason"),
        metadata=dict(item.get("metadata") or {}),
        secrets=tuple(
            Secret(secret=s["secret"], expires_at=None if s.get("expiresAt") is None else int(s["expiresAt"]))
            for s in item.get("secrets") or []
        ),
        created_at=item["createdAt"],
        updated_at=item["updatedAt"],
        version=int(item["version"]),
    )


def get_endpoint(table: Table, scope: Scope, endpoint_id: str) -> WebhookEndpoint | None:
    item = table.get(*endpoint_key(scope, endpoint_id))
    return None if item is None else endpoint_from_item(item)


def endpoints(table: Table, scope: Scope) -> list[WebhookEndpoint]:
    """Every endpoint of the scope (at most `MAX_ENDPOINTS`: one query, page after page)."""
    items = table.query_all(list_partition(scope), index="gsi2")
    return [endpoint_from_item(i) for i in items if i.get("type") == "webhook_endpoint"]


def endpoint_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[WebhookEndpoint], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    return page(
        table,
        index="gsi2",
        partition=list_partition(scope),
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda endpoint_id: endpoint_key(scope, endpoint_id),
        to_wire=lambda item: to_wire(endpoint_from_item(item)),
    )


def insert_endpoint(scope: Scope, endpoint: WebhookEndpoint) -> Put:
    return Put(endpoint_to_item(scope, endpoint), condition="attribute_not_exists(pk)")


def delete_endpoint(scope: Scope, endpoint_id: str) -> Delete:
    return Delete(*endpoint_key(scope, endpoint_id), condition="attribute_exists(pk)")


def count_up(scope: Scope, limit: int) -> Update:
    """One more endpoint, refused (a failed condition) when the scope holds `limit` already."""
    return Update(
        *counter_key(scope),
        "ADD #n :one",
        condition="attribute_not_exists(#n) OR #n < :max",
        names={"#n": "count"},
        values={":one": 1, ":max": limit},
    )


def count_down(scope: Scope) -> Update:
    return Update(*counter_key(scope), "ADD #n :minus", names={"#n": "count"}, values={":minus": -1})


def endpoint_count(table: Table, scope: Scope) -> int:
    counter = table.get(*counter_key(scope)) or {}
    return int(counter.get("count", 0))


def endpoint_changes(scope: Scope, before: WebhookEndpoint, after: WebhookEndpoint) -> dict[str, Any]:
    """The stored attributes `after` changes (the version aside)."""
    old, new = endpoint_to_item(scope, before), endpoint_to_item(scope, after)
    return {k: v for k, v in new.items() if k != "version" and old.get(k) != v}


def update_endpoint(scope: Scope, before: WebhookEndpoint, after: WebhookEndpoint) -> Update:
    """SET of the changed attributes and the next version, only over the version read."""
    return Update(
        *endpoint_key(scope, before.id), **versioned_set(endpoint_changes(scope, before, after), before.version)
    )


def save_endpoint(
    table: Table, scope: Scope, before: WebhookEndpoint, after: WebhookEndpoint, *, conflict_message: str = CONFLICT
) -> None:
    """`update_endpoint` on its own; a retry of it answered late is recognised as this request's."""
    _run(
        table,
        update_endpoint(scope, before, after),
        conflict_message=conflict_message,
        already=holds(endpoint_changes(scope, before, after), version=before.version + 1),
    )


def disable_endpoint(table: Table, scope: Scope, endpoint_id: str, reason: str, at: str) -> None:
    """Disabled with `reason` in one update that moves the version on (whatever it was read at),
    so a concurrent versioned update cannot undo it unseen; a `Conflict` when the endpoint is gone."""
    change = _Expression().set("disabled", True).set("disabledReason", reason).set("updatedAt", at).add("version", 1)
    _run(table, change.update(endpoint_key(scope, endpoint_id), condition="attribute_exists(pk)"))


# ------------------------------------------------------------------ deliveries
def delivery_key(scope: Scope, event_id: str, endpoint_id: str) -> tuple[str, str]:
    return event_store.partition(scope, event_id), DELIVERY_SK_PREFIX + endpoint_id


def _attempt_to_stored(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": attempt.at,
        "attempt": attempt.attempt,
        "round": attempt.round,
        "status": attempt.status,
        "latencyMs": attempt.latency_ms,
        "error": attempt.error,
        "response": attempt.response,
    }


def _attempt_from_stored(entry: Mapping[str, Any]) -> Attempt:
    return Attempt(
        at=entry["at"],
        attempt=int(entry["attempt"]),
        round=int(entry["round"]),
        status=None if entry.get("status") is None else int(entry["status"]),
        latency_ms=int(entry["latencyMs"]),
        error=entry.get("error"),
        response=str(entry.get("response", "")),
    )


_OPTIONAL = (
    ("lastAttemptAt", "last_attempt_at"),
    ("nextAttemptAt", "next_attempt_at"),
    ("deliveredAt", "delivered_at"),
    ("failureReason", "failure_reason"),
    ("lease", "lease"),
    ("claim", "claim"),
    ("recordedClaim", "recorded_claim"),
)


def delivery_to_item(scope: Scope, delivery: Delivery) -> Item:
    pk, sk = delivery_key(scope, delivery.event, delivery.endpoint)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "delivery",
        "event": delivery.event,
        "endpoint": delivery.endpoint,
        "url": delivery.url,
        "createdAt": delivery.created_at,
        "expiresAt": delivery.expires_at,
        "attemptCount": delivery.attempt_count,
        "status": delivery.status,
        "round": delivery.round,
    }
    if delivery.attempts:
        item["attempts"] = [_attempt_to_stored(a) for a in delivery.attempts]
    for attribute, field in _OPTIONAL:
        value = getattr(delivery, field)
        if value is not None:
            item[attribute] = value
    return item


def delivery_from_item(item: Mapping[str, Any]) -> Delivery:
    lease = item.get("lease")
    return Delivery(
        event=item["event"],
        endpoint=item["endpoint"],
        url=item["url"],
        status=item.get("status", "pending"),
        round=int(item.get("round", 1)),
        attempt_count=int(item.get("attemptCount", 0)),
        attempts=tuple(_attempt_from_stored(a) for a in item.get("attempts") or []),
        created_at=item["createdAt"],
        expires_at=int(item["expiresAt"]),
        last_attempt_at=item.get("lastAttemptAt"),
        next_attempt_at=item.get("nextAttemptAt"),
        delivered_at=item.get("deliveredAt"),
        failure_reason=item.get("failureReason"),
        lease=None if lease is None else int(lease),
        claim=item.get("claim"),
        recorded_claim=item.get("recordedClaim"),
    )


def get_delivery(table: Table, scope: Scope, event_id: str, endpoint_id: str) -> Delivery | None:
    item = table.get(*delivery_key(scope, event_id, endpoint_id))
    return None if item is None else delivery_from_item(item)


def event_with_deliveries(table: Table, scope: Scope, event_id: str) -> tuple[Event | None, list[Delivery]]:
    """The event and its deliveries, in one consistent query of its partition."""
    items = table.query_all(event_store.partition(scope, event_id), consistent=True)
    event = next((event_store.from_item(i) for i in items if event_store.is_event_item(i)), None)
    return event, [delivery_from_item(i) for i in items if str(i["sk"]).startswith(DELIVERY_SK_PREFIX)]


def _set_if_new(change: _Expression, event: Event, endpoint: WebhookEndpoint, at: str) -> _Expression:
    """The attributes a delivery gets when it is first written (a later write keeps them)."""
    for attribute, value in (
        ("type", "delivery"),
        ("event", event.id),
        ("endpoint", endpoint.id),
        ("createdAt", at),
        ("expiresAt", event.expires_at),
        ("attemptCount", 0),
    ):
        change.set_if_new(attribute, value)
    return change


def open_delivery(table: Table, scope: Scope, event: Event, endpoint: WebhookEndpoint, at: str) -> Delivery:
    """The (event, endpoint) delivery, `pending` in round 1 when new; as it is when it exists (a
    duplicated stream record changes nothing)."""
    change = _Expression().set_if_new("status", "pending").set_if_new("round", 1).set_if_new("url", endpoint.url)
    op = _set_if_new(change, event, endpoint, at).update(delivery_key(scope, event.id, endpoint.id))
    return delivery_from_item(_run(table, op))


def start_round(table: Table, scope: Scope, event: Event, endpoint: WebhookEndpoint, at: str) -> Delivery:
    """The delivery's next round (round 1 when new): pending again, to the endpoint's URL now,
    with a fresh attempt schedule."""
    change = _Expression().increment("round", start=0).set("status", "pending").set("url", endpoint.url)
    change = _set_if_new(change, event, endpoint, at).remove("lease", "nextAttemptAt", "failureReason", "deliveredAt")
    return delivery_from_item(_run(table, change.update(delivery_key(scope, event.id, endpoint.id))))


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """Why a claim was not made. `endpoint_changed`: the endpoint is no longer at the version
    signed with (`endpoint` as it stood, when DynamoDB returned it; None when it is gone or was
    not returned). `delivery_taken`: the delivery is not this round's to send now (`delivery` as
    it stood, likewise). `contended`: another transaction held one of the items; try again."""

    endpoint_changed: bool = False
    endpoint: WebhookEndpoint | None = None
    delivery_taken: bool = False
    delivery: Delivery | None = None
    contended: bool = False
    earlier_pending: bool = False  # the change's earlier event has not had its first attempt here yet
    earlier: Delivery | None = None  # its delivery as it stood (None: not there yet, or not returned)


_CLAIM_REASONS = {"None", "ConditionalCheckFailed", "TransactionConflict"}


def claim_delivery(
    table: Table,
    scope: Scope,
    event_id: str,
    endpoint_id: str,
    *,
    round: int,
    now: int,
    lease: int,
    claim: str,
    endpoint_version: int | None,
    after: str | None = None,
) -> Refusal | None:
    """Hold the delivery of `round` until `lease` for the attempt `claim`, only while the
    endpoint is at `endpoint_version` (one transaction: the delivery's update and a check of the
    endpoint). None when held; else why not: another round's, succeeded already, held by a live
    lease, or the endpoint changed. A retry answered late is DynamoDB's idempotent success (the
    transaction's token).

    Without `endpoint_version` (the caller has just read the endpoint), the delivery's update
    alone: a retry answered late that finds its own claim holding the lease holds it.

    With `after` (an earlier event of the same change), also only once that event's delivery to
    the endpoint has been attempted or is over (`earlier_pending` otherwise), in the same call."""
    change = _Expression().set("lease", lease).set("claim", claim)
    names = {**change.names, "#status": "status", "#round": "round"}
    values = {**change.values, ":round": round, ":succeeded": "succeeded", ":now": now}
    hold = Update(
        *delivery_key(scope, event_id, endpoint_id),
        change.expression,
        "#round = :round AND #status <> :succeeded AND (attribute_not_exists(#lease) OR #lease < :now)",
        names,
        values,
    )
    checks: dict[str, Check] = {}
    if endpoint_version is not None:
        checks["endpoint"] = Check(
            *endpoint_key(scope, endpoint_id), "#v = :v", {"#v": "version"}, {":v": endpoint_version}
        )
    if after is not None:
        checks["earlier"] = _attempted(scope, after, endpoint_id)
    if not checks:
        try:
            _run(table, hold, already=holds({"lease": lease, "claim": claim}))
        except Conflict:
            return Refusal(delivery_taken=True)
        return None
    try:
        table.transact([hold, *checks.values()], return_old=True)
    except Cancelled as cancelled:
        return _refusal(cancelled, ["delivery", *checks])
    return None


def _attempted(scope: Scope, event_id: str, endpoint_id: str) -> Check:
    """The event's delivery to the endpoint is there and has been attempted, or is over."""
    return Check(
        *delivery_key(scope, event_id, endpoint_id),
        "attribute_exists(pk) AND (#status <> :pending OR #attempts > :none)",
        {"#status": "status", "#attempts": "attemptCount"},
        {":pending": "pending", ":none": 0},
    )


def _refusal(cancelled: Cancelled, roles: list[str]) -> Refusal:
    codes = [code for code, _ in cancelled.reasons]
    if len(codes) != len(roles) or not set(codes) <= _CLAIM_REASONS:
        raise cancelled
    failed = {
        role: item
        for role, (code, item) in zip(roles, cancelled.reasons, strict=True)
        if code == "ConditionalCheckFailed"
    }
    if "endpoint" in failed:
        endpoint_item = failed["endpoint"]
        return Refusal(
            endpoint_changed=True, endpoint=None if endpoint_item is None else endpoint_from_item(endpoint_item)
        )
    if "delivery" in failed:
        delivery_item = failed["delivery"]
        return Refusal(
            delivery_taken=True, delivery=None if delivery_item is None else delivery_from_item(delivery_item)
        )
    if "earlier" in failed:
        earlier_item = failed["earlier"]
        return Refusal(earlier_pending=True, earlier=None if earlier_item is None else delivery_from_item(earlier_item))
    return Refusal(contended=True)


def record_attempt(
    table: Table,
    scope: Scope,
    event_id: str,
    endpoint_id: str,
    attempt: Attempt,
    *,
    claim: str,
    status: str,
    delivered_at: str | None = None,
    failure_reason: str | None = None,
    next_attempt_at: str | None = None,
) -> None:
    """The attempt appended to the delivery's history, its status and timing set, its lease
    let go. Refused (a `Conflict`) when the delivery was redelivered meanwhile (the new round's
    message records its own), or when this `claim`'s record is in already (an earlier try of
    this call committed)."""
    change = _Expression().set("status", status).set("lastAttemptAt", attempt.at).set("recordedClaim", claim)
    for attribute, value in (
        ("deliveredAt", delivered_at),
        ("failureReason", failure_reason),
        ("nextAttemptAt", next_attempt_at),
    ):
        if value is not None:
            change.set(attribute, value)
    change.append("attempts", [_attempt_to_stored(attempt)]).increment("attemptCount", start=0).remove("lease")
    if next_attempt_at is None:  # a pending delivery sets its next attempt; any other loses the old one
        change.remove("nextAttemptAt")
    values = {**change.values, ":round": attempt.round, ":claim": claim}
    names = {**change.names, "#round": "round"}
    _run(
        table,
        Update(
            *delivery_key(scope, event_id, endpoint_id),
            change.expression,
            "#round = :round AND (attribute_not_exists(#recordedClaim) OR #recordedClaim <> :claim)",
            names,
            values,
        ),
    )


def close(table: Table, scope: Scope, event_id: str, endpoint_id: str, *, round: int, status: str, reason: str) -> None:
    """A delivery of `round` that can no longer be attempted; a `Conflict` when there is none,
    it is of another round, or it succeeded."""
    change = _Expression().set("status", status).set("failureReason", reason).remove("lease", "nextAttemptAt")
    names = {**change.names, "#round": "round"}
    values = {**change.values, ":round": round, ":succeeded": "succeeded"}
    _run(
        table,
        Update(
            *delivery_key(scope, event_id, endpoint_id),
            change.expression,
            "attribute_exists(pk) AND #round = :round AND #status <> :succeeded",
            names,
            values,
        ),
    )


def undo_round(scope: Scope, before: Delivery | None, after: Delivery) -> Put | Delete:
    """The delivery put back as it was `before` the round `after` started (gone when it was
    new), unless a sender holds that round already."""
    names = {"#round": "round", "#lease": "lease"}
    values = {":round": after.round}
    condition = "#round = :round AND attribute_not_exists(#lease)"
    if before is None:
        return Delete(*delivery_key(scope, after.event, after.endpoint), condition, names, values)
    return Put(delivery_to_item(scope, before), condition, names, values)
