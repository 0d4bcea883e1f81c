"""Test clocks: a test-mode merchant moves one set of customers through time.

Item: pk `<scope>#CLOCK#<clock>`, sk `TESTCLOCK` (versioned): `frozenTime`. Customers created
with `testClock` live on it: their subscriptions read this time instead of the real one, and
their due work is indexed under `CLOCK#<clock>`, which `advance` runs up to the new time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, NotFound, PermissionDenied
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Item, Table, UnitOfWork, stored_as, versioned_put_op
from billing.subscriptions import renewals


def clock_key(scope: Scope, clock_id: str) -> tuple[str, str]:
    return scope.key("CLOCK", clock_id), "TESTCLOCK"


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    return {
        "id": item["id"],
        "object": "test_clock",
        "name": item.get("name"),
        "frozenTime": item["frozenTime"],
        "status": item.get("status", "ready"),
        "createdAt": item["createdAt"],
        "livemode": scope.livemode,
    }


def create(scope: Scope, frozen_time: datetime, name: str | None, *, table: Table) -> Item:
    if scope.livemode:
        raise PermissionDenied("Test clocks exist only in test mode.", code="test_mode_only")
    clock_id = sortable_id("clock")
    pk, sk = clock_key(scope, clock_id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "test_clock",
        "id": clock_id,
        "name": name,
        "frozenTime": clock.to_wire(frozen_time),
        "status": "ready",
        "createdAt": clock.to_wire(clock.now()),
        "version": 1,
    }
    table.put(item, condition="attribute_not_exists(pk)", already=stored_as(item))
    return item


def get(scope: Scope, clock_id: str, *, table: Table, param: str = "id") -> Item:
    pk, sk = clock_key(scope, clock_id)
    item = table.get(pk, sk)
    if item is None:
        raise NotFound(f"No such test clock: '{clock_id}'.", param=param)
    return item


def advance(scope: Scope, clock_id: str, frozen_time: datetime, request: RequestInfo, *, table: Table) -> Item:
    """Moves the clock forward and does, now, all the work that fell due on the way."""
    current = get(scope, clock_id, table=table)
    if frozen_time <= clock.from_wire(current["frozenTime"]):
        raise InvalidRequest("A test clock only moves forward.", param="frozenTime", code="clock_backwards")
    moved = {**current, "frozenTime": clock.to_wire(frozen_time), "version": current["version"] + 1}
    change = UnitOfWork(table, request, conflict_message="The test clock is being advanced by another request.")
    change.add(versioned_put_op(moved, current["version"])).commit()
    # What falls due is the clock's work, whoever moved the clock.
    renewals.run_due(f"CLOCK#{clock_id}", frozen_time, RequestInfo("clock", request.request_id), table=table)
    return moved


def frozen_time(scope: Scope, clock_id: str, *, table: Table) -> datetime:
    return clock.from_wire(get(scope, clock_id, table=table, param="testClock")["frozenTime"])
