"""Webhook endpoints: where a merchant's events are delivered, and the secrets that sign them.

Item: pk `<scope>#WE#<we>`, sk `WEBHOOK_ENDPOINT` (versioned); gsi2 `<scope>#WEBHOOK_ENDPOINTS`
/ id (the list, and every endpoint a fanout considers). `secrets` holds the signing secrets
readable (a signature needs the secret itself): `{"secret": "whsec_…", "expiresAt": None}` is
the current one (first), rolled ones carry the epoch second they stop signing. A secret is on
the wire only in the answers of create and roll_secret.

A scope holds at most `MAX_ENDPOINTS` endpoints, counted by one counter item
(`<scope>#WEBHOOK_ENDPOINTS` / `COUNTER`) that every create and delete changes in its own
transaction, so concurrent creates cannot pass the limit.

URLs are checked by the egress policy (`billing.webhooks.egress`) at save time here and again
by the deliverer at send time (DNS may change meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.customers.customers import merge_metadata
from billing.events.types import EVENT_TYPES
from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.listing import page
from billing.store.repository import Delete, Item, Put, Table, UnitOfWork, Update, holds, versioned_set
from billing.webhooks import webhooksigning
from billing.webhooks.egress import Resolver, check_url, system_resolve

SK = "WEBHOOK_ENDPOINT"
COUNTER_SK = "COUNTER"
MAX_ENDPOINTS = 16
DESCRIPTION_MAX = 500
MAX_ENABLED_EVENTS = 50
DEFAULT_ROLL_SECONDS = 24 * 3600
MAX_ROLL_SECONDS = 7 * 24 * 3600
# Rolled secrets that still sign besides the current one; a further roll drops the oldest.
MAX_OLD_SECRETS = 4
ALL_EVENTS = "*"
FIELDS = ("url", "enabledEvents", "description", "disabled", "metadata")


# ------------------------------------------------------------------ fields
def check_enabled_events(value: Any) -> list[str]:
    """A non-empty list of known event types, or `["*"]`; repeats dropped, order kept."""
    if not isinstance(value, list) or not value:
        raise InvalidRequest('enabledEvents must be a non-empty list of event types, or ["*"].', param="enabledEvents")
    if len(value) > MAX_ENABLED_EVENTS:
        raise InvalidRequest(f"enabledEvents holds at most {MAX_ENABLED_EVENTS} entries.", param="enabledEvents")
    for n, name in enumerate(value):
        if name != ALL_EVENTS and name not in EVENT_TYPES:
            raise InvalidRequest(f"Unknown event type: {name!r}.", param=f"enabledEvents.{n}", code="parameter_invalid")
    unique = list(dict.fromkeys(value))
    if ALL_EVENTS in unique and len(unique) > 1:
        raise InvalidRequest(
            '"*" already means every event type; send it alone.', param="enabledEvents", code="parameter_invalid"
        )
    return unique


def _check_metadata(value: Any) -> dict[str, str | None]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    ):
        raise InvalidRequest("metadata must be an object of text values.", param="metadata")
    return dict(value)


def _checked(fields: Mapping[str, Any], livemode: bool, resolve: Resolver) -> dict[str, Any]:
    """The given fields, checked (unknown ones are a 400); metadata still to be merged."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidRequest(f"Received unknown parameter: {unknown[0]}.", param=unknown[0], code="parameter_unknown")
    given: dict[str, Any] = {}
    if "url" in fields:
        given["url"] = check_url(fields["url"], livemode, resolve=resolve)
    if "enabledEvents" in fields:
        given["enabledEvents"] = check_enabled_events(fields["enabledEvents"])
    if "description" in fields:
        description = fields["description"]
        if description is not None and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX):
            raise InvalidRequest(f"description is a text of at most {DESCRIPTION_MAX} characters.", param="description")
        given["description"] = description
    if "disabled" in fields:
        if not isinstance(fields["disabled"], bool):
            raise InvalidRequest("disabled must be true or false.", param="disabled")
        given["disabled"] = fields["disabled"]
    if "metadata" in fields:
        given["metadata"] = _check_metadata(fields["metadata"])
    return given


# ------------------------------------------------------------------ items and the wire
def endpoint_key(scope: Scope, endpoint_id: str) -> tuple[str, str]:
    return scope.key("WE", endpoint_id), SK


def list_partition(scope: Scope) -> str:
    return scope.key("WEBHOOK_ENDPOINTS")


def _counter_key(scope: Scope) -> tuple[str, str]:
    return list_partition(scope), COUNTER_SK


def live_secrets(item: Mapping[str, Any], now_epoch: int) -> list[str]:
    """The secrets that sign a delivery at `now_epoch`: the current one first, then the rolled
    ones that have not expired yet."""
    entries = item.get("secrets") or []
    current = [e["secret"] for e in entries if e.get("expiresAt") is None]
    rolled = [e["secret"] for e in entries if e.get("expiresAt") is not None and e["expiresAt"] > now_epoch]
    return current + rolled


def _rolled_until(item: Mapping[str, Any], now_epoch: int) -> int | None:
    ends = [e["expiresAt"] for e in item.get("secrets") or [] if e.get("expiresAt") is not None]
    live = [end for end in ends if end > now_epoch]
    return max(live) if live else None


def to_wire(item: Mapping[str, Any], *, secret: str | None = None) -> dict[str, Any]:
    """The merchant's view. `secret` only in the answers of create and roll_secret;
    `secretExpiresAt` is when the previous secret stops signing (null when none does)."""
    until = _rolled_until(item, clock.to_epoch(clock.now()))
    wire: dict[str, Any] = {
        "id": item["id"],
        "object": "webhook_endpoint",
        "url": item["url"],
        "enabledEvents": list(item["enabledEvents"]),
        "description": item.get("description"),
        "disabled": bool(item.get("disabled")),
        "status": "disabled" if item.get("disabled") else "enabled",
        "disabledReason": item.get("disabledReason"),
        "metadata": dict(item.get("metadata") or {}),
        "createdAt": item["createdAt"],
        "updatedAt": item["updatedAt"],
        "livemode": item["mode"] == "live",
        "secretExpiresAt": None if until is None else clock.to_wire(clock.from_epoch(until)),
    }
    if secret is not None:
        wire["secret"] = secret
    return wire


# ------------------------------------------------------------------ the service
def create(
    scope: Scope,
    fields: Mapping[str, Any],
    request: RequestInfo,
    *,
    table: Table,
    resolve: Resolver = system_resolve,
) -> tuple[Item, str]:
    """A new endpoint and its first secret (the only time the caller sees it, with roll_secret's)."""
    for required in ("url", "enabledEvents"):
        if fields.get(required) is None:
            raise InvalidRequest(f"Missing required parameter: {required}.", param=required, code="parameter_missing")
    given = _checked(fields, scope.livemode, resolve)
    endpoint_id = sortable_id("we")
    secret = webhooksigning.new_secret()
    now = clock.to_wire(clock.now())
    pk, sk = endpoint_key(scope, endpoint_id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "webhook_endpoint",
        "id": endpoint_id,
        "account": scope.account_id,
        "mode": scope.mode,
        "url": given["url"],
        "enabledEvents": given["enabledEvents"],
        "description": given.get("description"),
        "disabled": given.get("disabled", False),
        "disabledReason": None,
        "metadata": merge_metadata({}, given.get("metadata") or {}),
        "secrets": [{"secret": secret, "expiresAt": None}],
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
        "gsi2pk": list_partition(scope),
        "gsi2sk": endpoint_id,
    }
    counter_pk, counter_sk = _counter_key(scope)
    count = Update(
        counter_pk,
        counter_sk,
        "ADD #n :one",
        condition="attribute_not_exists(#n) OR #n < :max",
        names={"#n": "count"},
        values={":one": 1, ":max": MAX_ENDPOINTS},
    )
    try:
        UnitOfWork(table, request).add(Put(item, condition="attribute_not_exists(pk)"), count).commit()
    except Conflict:
        counter = table.get(counter_pk, counter_sk) or {}
        if int(counter.get("count", 0)) >= MAX_ENDPOINTS:
            raise InvalidRequest(
                f"An account holds at most {MAX_ENDPOINTS} webhook endpoints in each mode; delete one first.",
                code="webhook_endpoint_limit",
            ) from None
        raise
    return item, secret


def get(scope: Scope, endpoint_id: str, *, table: Table) -> Item:
    item = table.get(*endpoint_key(scope, endpoint_id))
    if item is None:
        raise NotFound(f"No such webhook endpoint: '{endpoint_id}'.", param="id")
    return item


def list_endpoints(scope: Scope, *, limit: int, starting_after: str | None, table: Table) -> dict[str, Any]:
    """Newest first, without secrets."""
    return page(
        table,
        index="gsi2",
        partition=list_partition(scope),
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda endpoint_id: endpoint_key(scope, endpoint_id),
        to_wire=to_wire,
    )


def _write(table: Table, current: Item, changes: Mapping[str, Any]) -> Item:
    """`changes` (with a new updatedAt) over `current`, only if nobody changed it meanwhile."""
    changes = {**changes, "updatedAt": clock.to_wire(clock.now())}
    table.update(
        current["pk"],
        current["sk"],
        **versioned_set(changes, current["version"]),
        conflict_message="The webhook endpoint was changed by another request; retry.",
        already=holds(changes, version=current["version"] + 1),
    )
    return {**current, **changes, "version": current["version"] + 1}


def update(
    scope: Scope,
    endpoint_id: str,
    fields: Mapping[str, Any],
    request: RequestInfo,
    *,
    table: Table,
    resolve: Resolver = system_resolve,
) -> Item:
    """A partial update; metadata merges (a key set to "" or null is removed). Enabling an
    endpoint again clears its `disabledReason`."""
    for required in ("url", "enabledEvents"):
        if required in fields and fields[required] is None:
            raise InvalidRequest(f"{required} cannot be null.", param=required)
    if "disabled" in fields and fields["disabled"] is None:
        raise InvalidRequest("disabled must be true or false.", param="disabled")
    given = _checked(fields, scope.livemode, resolve)
    current = get(scope, endpoint_id, table=table)
    if "metadata" in given:
        given["metadata"] = merge_metadata(current.get("metadata") or {}, given["metadata"])
    if "disabled" in given and given["disabled"] != bool(current.get("disabled")):
        given["disabledReason"] = None
    changes = {key: value for key, value in given.items() if current.get(key) != value}
    if not changes:
        return current
    return _write(table, current, changes)


def delete(scope: Scope, endpoint_id: str, request: RequestInfo, *, table: Table) -> None:
    """Gone at once: the fanout sends it nothing more (deliveries already queued find it missing)."""
    pk, sk = endpoint_key(scope, endpoint_id)
    get(scope, endpoint_id, table=table)
    counter_pk, counter_sk = _counter_key(scope)
    try:
        change = UnitOfWork(
            table, request, conflict_message="The webhook endpoint was changed by another request; retry."
        )
        change.add(
            Delete(pk, sk, condition="attribute_exists(pk)"),
            Update(counter_pk, counter_sk, "ADD #n :minus", names={"#n": "count"}, values={":minus": -1}),
        ).commit()
    except Conflict:
        get(scope, endpoint_id, table=table)  # deleted meanwhile: a 404 like any missing one
        raise


def roll_secret(
    scope: Scope, endpoint_id: str, expires_in_seconds: int, request: RequestInfo, *, table: Table
) -> tuple[Item, str]:
    """A new current secret; the old one keeps signing for `expires_in_seconds` (0: stops at
    once). Rolled secrets already expired are dropped, and beyond `MAX_OLD_SECRETS` the oldest."""
    if (
        not isinstance(expires_in_seconds, int)
        or isinstance(expires_in_seconds, bool)
        or not 0 <= expires_in_seconds <= MAX_ROLL_SECONDS
    ):
        raise InvalidRequest(
            f"expiresInSeconds is a whole number from 0 to {MAX_ROLL_SECONDS}.", param="expiresInSeconds"
        )
    current = get(scope, endpoint_id, table=table)
    now = clock.to_epoch(clock.now())
    secret = webhooksigning.new_secret()
    entries = current.get("secrets") or []
    previous = [e for e in entries if e.get("expiresAt") is None]
    rolled = [e for e in entries if e.get("expiresAt") is not None and e["expiresAt"] > now]
    if expires_in_seconds > 0:
        rolled = [{"secret": e["secret"], "expiresAt": now + expires_in_seconds} for e in previous] + rolled
    rolled.sort(key=lambda e: e["expiresAt"], reverse=True)
    secrets = [{"secret": secret, "expiresAt": None}, *rolled[:MAX_OLD_SECRETS]]
    return _write(table, current, {"secrets": secrets}), secret


def subscribed(scope: Scope, event_type: str, *, table: Table) -> list[Item]:
    """The scope's enabled endpoints that want `event_type` (listed for it or for "*")."""
    endpoints = table.query_all(list_partition(scope), index="gsi2")
    return [
        item
        for item in endpoints
        if item.get("type") == "webhook_endpoint"
        and not item.get("disabled")
        and (ALL_EVENTS in item["enabledEvents"] or event_type in item["enabledEvents"])
    ]


def disable(scope: Scope, endpoint_id: str, reason: str, *, table: Table) -> None:
    """Stop deliveries to the endpoint (its receiver said 410 Gone), keeping why. One atomic
    update that moves the version on, so a concurrent versioned update cannot undo it unseen;
    an endpoint deleted meanwhile is left alone."""
    pk, sk = endpoint_key(scope, endpoint_id)
    try:
        table.update(
            pk,
            sk,
            expression="SET #d = :true, #r = :reason, #u = :now ADD #v :one",
            condition="attribute_exists(pk)",
            names={"#d": "disabled", "#r": "disabledReason", "#u": "updatedAt", "#v": "version"},
            values={":true": True, ":reason": reason, ":now": clock.to_wire(clock.now()), ":one": 1},
        )
    except Conflict:
        return
