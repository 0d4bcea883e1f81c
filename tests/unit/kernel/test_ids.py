"""Prefixed IDs: unique, and sortable ones carry their creation time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from billing.kernel import ids


@given(st.integers(min_value=0, max_value=62**8 - 1), st.sampled_from(["evt", "we", "cust", "sub"]))
def test_the_creation_time_is_read_back_from_the_id(at_ms: int, prefix: str) -> None:
    assert ids.created_ms(ids.sortable_id(prefix, at_ms=at_ms)) == at_ms


def test_ids_made_later_read_later() -> None:
    first, second = ids.sortable_id("evt"), ids.sortable_id("we")
    assert ids.created_ms(first) < ids.created_ms(second)


def test_ids_carry_their_prefix_and_are_unique() -> None:
    made = {ids.new_id("cust") for _ in range(500)}
    assert len(made) == 500
    assert all(i.startswith("cust_") and len(i) == 21 for i in made)


def test_sortable_ids_sort_by_creation_time() -> None:
    made = [ids.sortable_id("evt", at_ms=ms) for ms in (1, 1_000, 1_700_000_000_000, 1_700_000_000_001)]
    assert made == sorted(made)
    assert all(len(i) == len("evt_") + 22 for i in made)
