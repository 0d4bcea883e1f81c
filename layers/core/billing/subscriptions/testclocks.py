"""Test clocks: a test-mode merchant moves one set of customers through time.

A test clock (`billing.customers.records.TestClock`, kept by `billing.customers.store`) holds a
`frozen_time`. Customers created with `testClock` live on it: their subscriptions read this
time instead of the real one, and their due work waits for the clock, which `advance` runs up
to the new time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec.structs import replace

from billing.customers import store as customer_store
from billing.customers.records import TestClock
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, NotFound, PermissionDenied
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table, UnitOfWork
from billing.subscriptions import renewals
from billing.subscriptions import store as subscription_store


def to_wire(test_clock: TestClock, scope: Scope) -> dict[str, Any]:
    return {
        "id": test_clock.id,
        "object": "test_clock",
        "name": test_clock.name,
        "frozenTime": test_clock.frozen_time,
        "status": test_clock.status,
        "createdAt": test_clock.created_at,
        "livemode": scope.livemode,
    }


def create(scope: Scope, frozen_time: datetime, name: str | None, *, table: Table) -> TestClock:
    if scope.livemode:
        raise PermissionDenied("Test clocks exist only in test mode.", code="test_mode_only")
    test_clock = TestClock(
        id=sortable_id("clock"),
        name=name,
        frozen_time=clock.to_wire(frozen_time),
        status="ready",
        created_at=clock.to_wire(clock.now()),
        version=1,
    )
    customer_store.create_test_clock(table, scope, test_clock)
    return test_clock


def get(scope: Scope, clock_id: str, *, table: Table, param: str = "id") -> TestClock:
    found = customer_store.get_test_clock(table, scope, clock_id)
    if found is None:
        raise NotFound(f"No such test clock: '{clock_id}'.", param=param)
    return found


def advance(scope: Scope, clock_id: str, frozen_time: datetime, request: RequestInfo, *, table: Table) -> TestClock:
    """Moves the clock forward and does, now, all the work that fell due on the way."""
    current = get(scope, clock_id, table=table)
    if frozen_time <= clock.from_wire(current.frozen_time):
        raise InvalidRequest("A test clock only moves forward.", param="frozenTime", code="clock_backwards")
    moved = replace(current, frozen_time=clock.to_wire(frozen_time), version=current.version + 1)
    change = UnitOfWork(table, request, conflict_message="The test clock is being advanced by another request.")
    change.add(customer_store.replace_test_clock(scope, moved, current.version)).commit()
    # What falls due is the clock's work, whoever moved the clock.
    partition = subscription_store.clock_due_partition(clock_id)
    renewals.run_due(partition, frozen_time, RequestInfo("clock", request.request_id), table=table)
    return moved


def frozen_time(scope: Scope, clock_id: str, *, table: Table) -> datetime:
    return clock.from_wire(get(scope, clock_id, table=table, param="testClock").frozen_time)
