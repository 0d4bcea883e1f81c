"""Webhook endpoints: where a merchant's events are delivered, and the secrets that sign them.

An endpoint keeps its signing secrets readable (a signature needs the secret itself): the
current one first, rolled ones with the epoch second they stop signing. A secret is on the
wire only in the answers of create and roll_secret.

A scope holds at most `MAX_ENDPOINTS` endpoints, counted by one counter that every create and
delete changes in its own transaction, so concurrent creates cannot pass the limit (items and
keys: `billing.webhooks.store`).

URLs are checked by the egress policy (`billing.webhooks.egress`) at save time here and again
by the deliverer at send time (DNS may change meanwhile).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from msgspec.structs import replace

from billing.events.types import EVENT_TYPES
from billing.kernel import clock
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.metadata import merge_metadata
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table, UnitOfWork
from billing.webhooks import store, webhooksigning
from billing.webhooks.egress import Resolver, check_url, system_resolve
from billing.webhooks.records import ALL_EVENTS, Secret, WebhookEndpoint

MAX_ENDPOINTS = 16
DESCRIPTION_MAX = 500
MAX_ENABLED_EVENTS = 50
DEFAULT_ROLL_SECONDS = 24 * 3600
MAX_ROLL_SECONDS = 7 * 24 * 3600
# Rolled secrets that still sign besides the current one; a further roll drops the oldest.
MAX_OLD_SECRETS = 4
# The fields a merchant sets: their names on the wire, and in the record.
FIELDS = {
    "url": "url",
    "enabledEvents": "enabled_events",
    "description": "description",
    "disabled": "disabled",
    "metadata": "metadata",
}
CONFLICT = "The webhook endpoint was changed by another request; retry."


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


# ------------------------------------------------------------------ the wire
def to_wire(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    """The merchant's view. `secret` only in the answers of create and roll_secret;
    `secretExpiresAt` is when the previous secret stops signing (null when none does)."""
    until = endpoint.rolled_until(clock.to_epoch(clock.now()))
    wire: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "enabledEvents": list(endpoint.enabled_events),
        "description": endpoint.description,
        "disabled": endpoint.disabled,
        "status": endpoint.status,
        "disabledReason": endpoint.disabled_reason,
        "metadata": dict(endpoint.metadata),
        "createdAt": endpoint.created_at,
        "updatedAt": endpoint.updated_at,
        "livemode": endpoint.livemode,
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
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its first secret (the only time the caller sees it, with roll_secret's)."""
    # Imported here: the fanout reads endpoints without the customers service.

    for required in ("url", "enabledEvents"):
        if fields.get(required) is None:
            raise InvalidRequest(f"Missing required parameter: {required}.", param=required, code="parameter_missing")
    given = _checked(fields, scope.livemode, resolve)
    secret = webhooksigning.new_secret()
    now = clock.to_wire(clock.now())
    endpoint = WebhookEndpoint(
        id=sortable_id("we"),
        account=scope.account_id,
        mode=scope.mode,
        url=given["url"],
        enabled_events=tuple(given["enabledEvents"]),
        description=given.get("description"),
        disabled=given.get("disabled", False),
        disabled_reason=None,
        metadata=merge_metadata({}, given.get("metadata") or {}),
        secrets=(Secret(secret=secret),),
        created_at=now,
        updated_at=now,
        version=1,
    )
    try:
        UnitOfWork(table, request).add(
            store.insert_endpoint(scope, endpoint), store.count_up(scope, MAX_ENDPOINTS)
        ).commit()
    except Conflict:
        if store.endpoint_count(table, scope) >= MAX_ENDPOINTS:
            raise InvalidRequest(
                f"An account holds at most {MAX_ENDPOINTS} webhook endpoints in each mode; delete one first.",
                code="webhook_endpoint_limit",
            ) from None
        raise
    return endpoint, secret


def get(scope: Scope, endpoint_id: str, *, table: Table) -> WebhookEndpoint:
    endpoint = store.get_endpoint(table, scope, endpoint_id)
    if endpoint is None:
        raise NotFound(f"No such webhook endpoint: '{endpoint_id}'.", param="endpoint")
    return endpoint


def list_endpoints(
    scope: Scope, *, limit: int, starting_after: str | None, ending_before: str | None = None, table: Table
) -> dict[str, Any]:
    """Newest first, without secrets."""
    return store.endpoint_page(
        table, scope, limit=limit, starting_after=starting_after, ending_before=ending_before, to_wire=to_wire
    )


def _write(table: Table, current: WebhookEndpoint, changed: WebhookEndpoint) -> WebhookEndpoint:
    """`changed` (with a new updatedAt and version) over `current`, only if nobody changed it meanwhile."""
    after = replace(changed, updated_at=clock.to_wire(clock.now()), version=current.version + 1)
    store.save_endpoint(table, current.scope, current, after, conflict_message=CONFLICT)
    return after


def update(
    scope: Scope,
    endpoint_id: str,
    fields: Mapping[str, Any],
    request: RequestInfo,
    *,
    table: Table,
    resolve: Resolver = system_resolve,
) -> WebhookEndpoint:
    """A partial update; metadata merges (a key set to "" or null is removed). Enabling an
    endpoint again clears its `disabledReason`."""

    for required in ("url", "enabledEvents"):
        if required in fields and fields[required] is None:
            raise InvalidRequest(f"{required} cannot be null.", param=required)
    if "disabled" in fields and fields["disabled"] is None:
        raise InvalidRequest("disabled must be true or false.", param="disabled")
    given = _checked(fields, scope.livemode, resolve)
    current = get(scope, endpoint_id, table=table)
    changes = {FIELDS[name]: value for name, value in given.items()}
    if "metadata" in changes:
        changes["metadata"] = merge_metadata(current.metadata, changes["metadata"])
    if "enabled_events" in changes:
        changes["enabled_events"] = tuple(changes["enabled_events"])
    if "disabled" in changes and changes["disabled"] != current.disabled:
        changes["disabled_reason"] = None
    changed = replace(current, **changes)
    if changed == current:
        return current
    return _write(table, current, changed)


def delete(scope: Scope, endpoint_id: str, request: RequestInfo, *, table: Table) -> None:
    """Gone at once: the fanout sends it nothing more (deliveries already queued find it missing)."""
    get(scope, endpoint_id, table=table)
    try:
        change = UnitOfWork(table, request, conflict_message=CONFLICT)
        change.add(store.delete_endpoint(scope, endpoint_id), store.count_down(scope)).commit()
    except Conflict:
        get(scope, endpoint_id, table=table)  # deleted meanwhile: a 404 like any missing one
        raise


def roll_secret(
    scope: Scope, endpoint_id: str, expires_in_seconds: int, request: RequestInfo, *, table: Table
) -> tuple[WebhookEndpoint, str]:
    """A new current secret; the old one keeps signing for `expires_in_seconds` (0: it stops at
    once, and so do the secrets earlier rolls kept). Rolled secrets already expired are dropped,
    and beyond `MAX_OLD_SECRETS` the oldest."""
    if (
        not isinstance(expires_in_seconds, int)
        or isinstance(expires_in_seconds, bool)
        or not 0 <= expires_in_seconds <= MAX_ROLL_SECONDS
    ):
        raise InvalidRequest(
            f"expiresInSeconds is a whole number from 0 to {MAX_ROLL_SECONDS}.", param="expiresInSeconds"
        )
    current = get(scope, endpoint_id, table=table)
    secret = webhooksigning.new_secret()
    secrets = current.rolled_secrets(secret, clock.to_epoch(clock.now()), expires_in_seconds, MAX_OLD_SECRETS)
    return _write(table, current, replace(current, secrets=secrets)), secret


def subscribed(scope: Scope, event_type: str, *, table: Table) -> list[WebhookEndpoint]:
    """The scope's enabled endpoints that want `event_type` (listed for it or for "*")."""
    return [endpoint for endpoint in store.endpoints(table, scope) if endpoint.wants(event_type)]


def disable(scope: Scope, endpoint_id: str, reason: str, *, table: Table) -> None:
    """Stop deliveries to the endpoint (its receiver said 410 Gone), keeping why. One atomic
    update that moves the version on, so a concurrent versioned update cannot undo it unseen;
    an endpoint deleted meanwhile is left alone."""
    with contextlib.suppress(Conflict):
        store.disable_endpoint(table, scope, endpoint_id, reason, clock.to_wire(clock.now()))
