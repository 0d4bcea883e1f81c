"""A conditional single-item write that committed but answered late: botocore sends it again,
and the retry fails its condition on the request's own change. `Table.put` / `Table.update`
given `already` take that for the success it was, and only that."""

from __future__ import annotations

import pytest

from billing.kernel.errors import Conflict
from billing.store.repository import Table, holds, stored_as
from tests.conftest import Stack
from tests.faults import injector as faults

CREATE = "attribute_not_exists(pk)"


def test_a_create_answered_late_is_its_own_success(stack: Stack) -> None:
    item = {"pk": "LATE#1", "sk": "A", "n": 1, "tags": ["x"], "none": None}
    with faults.installed() as injector:
        # Given a conditional put whose first attempt commits and answers too late
        fault = injector.arm("PutItem", 1, "late")
        # When it is sent, checking the stored item against its own
        Table().put(item, condition=CREATE, already=stored_as(item))
    # Then the retry's failed condition was taken for the success, and the item is stored once
    assert fault.fired == 1 and injector.calls["PutItem"] == 1
    assert Table().get("LATE#1", "A") == item


def test_an_update_answered_late_returns_the_item_it_made(stack: Stack) -> None:
    Table().put({"pk": "LATE#2", "sk": "A", "version": 1, "name": "old"})
    with faults.installed() as injector:
        injector.arm("UpdateItem", 1, "late")
        updated = Table().update(
            "LATE#2",
            "A",
            expression="SET #n = :n, version = :next",
            condition="version = :expected",
            names={"#n": "name"},
            values={":n": "new", ":next": 2, ":expected": 1},
            already=holds({"name": "new"}, version=2),
        )
    assert updated == {"pk": "LATE#2", "sk": "A", "version": 2, "name": "new"}


def test_without_a_retry_the_failed_condition_stays_a_conflict(stack: Stack) -> None:
    # Given the very item already stored (by another request: the only attempt fails)
    item = {"pk": "LATE#3", "sk": "A", "n": 1}
    Table().put(item)
    # Then a create of it is a conflict, even though the stored item matches
    with pytest.raises(Conflict):
        Table().put(item, condition=CREATE, already=stored_as(item))


def test_a_retry_that_finds_another_requests_change_is_a_conflict(stack: Stack) -> None:
    Table().put({"pk": "LATE#4", "sk": "A", "version": 1, "name": "old"})
    with faults.installed() as injector:
        # Given a late update whose retry finds the item as this request did not leave it
        injector.arm("UpdateItem", 1, "late")
        with pytest.raises(Conflict):
            Table().update(
                "LATE#4",
                "A",
                expression="SET #n = :n, version = :next",
                condition="version = :expected",
                names={"#n": "name"},
                values={":n": "new", ":next": 2, ":expected": 1},
                already=holds({"name": "other"}, version=2),
            )
    # And without `already`, the late retry is the false conflict it always was
    Table().put({"pk": "LATE#5", "sk": "A"})
    with faults.installed() as injector:
        injector.arm("UpdateItem", 1, "late")
        with pytest.raises(Conflict):
            Table().update(
                "LATE#5",
                "A",
                expression="SET #n = :n",
                condition="attribute_not_exists(#n)",
                names={"#n": "name"},
                values={":n": "x"},
            )
