"""A failed signup without I/O: when an `incomplete` subscription is due (its expiry, 23 hours
after its creation, before any period end), that it neither renews nor charges, that an expired
one is ended like a canceled one, and what voiding or writing off an invoice does to each status."""

from __future__ import annotations

from typing import Any

import msgspec.structs
import pytest

from billing.kernel import clock
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Put
from billing.subscriptions import collection, store
from billing.subscriptions.records import Subscription
from tests.unit.subscriptions.test_store import created_item

SCOPE = Scope("acct_1", "test")
CREATED = "2026-01-15T10:00:00Z"  # `created_item`'s creation
REQUEST = RequestInfo("api", "req_1")


def with_status(status: str, **fields: Any) -> Subscription:
    sub = store.from_item(created_item())
    return msgspec.structs.replace(sub, status=status, created_at=CREATED, **fields)


def test_an_incomplete_subscription_is_due_when_it_expires_23_hours_after_its_creation() -> None:
    sub = with_status("incomplete")
    assert sub.expires_at == sub.due_at == "2026-01-16T09:00:00Z"
    assert (sub.renews, sub.charges, sub.canceled) == (False, False, False)
    # in the clock's due index under that time
    assert store.to_item(SCOPE, sub)["dueSk"].startswith("2026-01-16T09:00:00Z#")


@pytest.mark.parametrize("status", ["active", "past_due", "trialing"])
def test_other_statuses_do_not_expire(status: str) -> None:
    assert with_status(status).expires_at is None


def test_an_expired_one_has_ended_like_a_canceled_one_and_the_clock_forgets_it() -> None:
    sub = with_status("incomplete_expired")
    assert (sub.canceled, sub.renews, sub.charges, sub.due_at) == (True, False, False, None)
    assert "dueSk" not in store.to_item(SCOPE, sub)


def test_expiring_keeps_the_moment_and_changes_nothing_else() -> None:
    sub = with_status("incomplete")
    at = clock.from_wire("2026-01-16T09:00:00Z")
    expired = collection.expired(sub, at)
    assert (expired.status, expired.ended_at, expired.version) == ("incomplete_expired", "2026-01-16T09:00:00Z", 2)
    assert msgspec.structs.replace(expired, status=sub.status, ended_at=None, version=1) == sub


@pytest.mark.parametrize(
    ("status", "moved_to"),
    [("incomplete", "incomplete_expired"), ("past_due", "active"), ("unpaid", "active")],
)
def test_closing_the_latest_invoice_moves_the_subscription_on(status: str, moved_to: str) -> None:
    sub = with_status(status)
    ops = collection.closing_ops(SCOPE, sub, "in_1", clock.from_wire("2026-01-16T12:00:00Z"), REQUEST)
    written = [op.item for op in ops if isinstance(op, Put) and op.item.get("type") == "subscription"]
    assert [item["status"] for item in written] == [moved_to]


@pytest.mark.parametrize("status", ["active", "trialing", "canceled", "incomplete_expired"])
def test_closing_an_invoice_leaves_other_statuses_alone(status: str) -> None:
    assert collection.closing_ops(SCOPE, with_status(status), "in_1", clock.now(), REQUEST) == []


def test_closing_an_invoice_that_is_not_the_latest_leaves_the_subscription_alone() -> None:
    assert collection.closing_ops(SCOPE, with_status("past_due"), "in_older", clock.now(), REQUEST) == []
