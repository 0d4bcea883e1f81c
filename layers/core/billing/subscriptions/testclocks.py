"""Test clocks: a test-mode merchant moves one set of customers through time.

A test clock (`billing.customers.records.TestClock`, kept by `billing.customers.store`) holds a
`frozen_time`. Customers created with `testClock` live on it: their subscriptions read this
time instead of the real one, and their due work waits for the clock, which `advance` runs up
to the new time, at most `MAX_STEPS` pieces of work per request: when more is left, the clock
stays `advancing` (its customers already at the new time, as Stripe's) and the client asks again
with the same time, until it is `ready`.
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

# What one advance request does at most: renewals (or retries), ~10 AWS calls and perhaps a
# gateway charge each, and the time they take (the API function times out at 15 s).
MAX_STEPS = 25
MAX_SECONDS = 8.0
READY, ADVANCING = "ready", "advancing"


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


def get(scope: Scope, clock_id: str, *, table: Table, param: str = "testClock") -> TestClock:
    found = customer_store.get_test_clock(table, scope, clock_id)
    if found is None:
        raise NotFound(f"No such test clock: '{clock_id}'.", param=param)
    return found


BUSY = "The test clock is being advanced by another request."


def advance(scope: Scope, clock_id: str, frozen_time: datetime, request: RequestInfo, *, table: Table) -> TestClock:
    """Moves the clock forward and does, now, the work that fell due on the way: at most
    `MAX_STEPS` pieces. The clock answered is `ready` when all of it is done, else `advancing`:
    asked again with the same time (or a later one), it goes on from where it stopped. It is
    written `advancing` before the work starts, so a request that dies on the way (a timeout)
    leaves a clock that says so, and the same call picks the work up."""
    current = get(scope, clock_id, table=table)
    at = clock.from_wire(current.frozen_time)
    going_on = current.status == ADVANCING and frozen_time == at
    if frozen_time <= at and not going_on:
        raise InvalidRequest("A test clock only moves forward.", param="frozenTime", code="clock_backwards")
    if not going_on:
        current = _write(scope, current, table, request, frozen_time=clock.to_wire(frozen_time), status=ADVANCING)
    # What falls due is the clock's work, whoever moved the clock.
    partition = subscription_store.clock_due_partition(clock_id)
    run = renewals.run_due_steps(
        partition,
        frozen_time,
        RequestInfo("clock", request.request_id),
        table=table,
        max_steps=MAX_STEPS,
        seconds=MAX_SECONDS,
    )
    status = ADVANCING if run.more else READY
    return current if current.status == status else _write(scope, current, table, request, status=status)


def _write(scope: Scope, current: TestClock, table: Table, request: RequestInfo, **changes: str) -> TestClock:
    after = replace(current, **changes, version=current.version + 1)
    change = UnitOfWork(table, request, conflict_message=BUSY)
    change.add(customer_store.replace_test_clock(scope, after, current.version)).commit()
    return after


def frozen_time(scope: Scope, clock_id: str, *, table: Table) -> datetime:
    return clock.from_wire(get(scope, clock_id, table=table, param="testClock").frozen_time)
