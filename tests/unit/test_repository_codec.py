"""The repository's conversion to and from DynamoDB's typed JSON (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.store.repository import deserialize, serialize

json_like = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(min_size=1, max_size=10), json_like, max_size=6))
def test_items_round_trip_with_whole_numbers_as_int(item: dict[str, Any]) -> None:
    assert deserialize(serialize(item)) == item


def test_money_stays_an_int_and_never_becomes_a_float() -> None:
    back = deserialize(serialize({"amount": 1999, "nested": {"amounts": [0, -5]}}))
    assert back == {"amount": 1999, "nested": {"amounts": [0, -5]}}
    assert isinstance(back["amount"], int)


def test_fractions_survive_exactly_as_given() -> None:
    assert deserialize(serialize({"percentage": 8.875}))["percentage"] == pytest.approx(8.875)
