"""Sortable IDs carry their creation time."""

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
