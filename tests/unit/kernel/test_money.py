"""Money: the currency table, exponents, rounding and exact proportional splits."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.kernel import money
from billing.kernel.errors import InvalidRequest


def test_given_the_tables_then_every_zero_and_three_decimal_currency_is_an_accepted_lowercase_code() -> None:
    assert money.ZERO_DECIMAL <= money.CURRENCIES
    assert money.THREE_DECIMAL <= money.CURRENCIES
    assert not money.ZERO_DECIMAL & money.THREE_DECIMAL
    assert all(len(code) == 3 and code.isascii() and code.islower() for code in money.CURRENCIES)


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("jpy", 0),
        ("KRW", 0),
        ("vnd", 0),
        ("clp", 0),
        ("bhd", 3),
        ("jod", 3),
        ("omr", 3),
        ("tnd", 3),
        ("gbp", 2),
        ("eur", 2),
        ("JPY", 0),
        ("krw", 0),
        ("kwd", 3),
        ("usd", 2),
    ],
)
def test_given_a_currency_when_its_exponent_is_asked_then_iso_minor_digits(currency: str, digits: int) -> None:
    assert money.exponent(currency) == digits


def test_given_an_unknown_currency_when_validated_then_400_naming_currency_by_default() -> None:
    with pytest.raises(InvalidRequest) as raised:
        money.validate_currency("eur1")
    assert raised.value.param == "currency"
    assert "eur1" in raised.value.message


@pytest.mark.parametrize(("code", "normalised"), [("EUR", "eur"), (" usd ", "usd"), ("jpy", "jpy")])
def test_known_currencies_are_lowercased(code: str, normalised: str) -> None:
    assert money.validate_currency(code) == normalised


@pytest.mark.parametrize("code", ["", "euro", "xyz", "12a"])
def test_unknown_currencies_are_400_naming_the_param(code: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        money.validate_currency(code, param="defaultCurrency")
    assert raised.value.param == "defaultCurrency"


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(sorted(money.CURRENCIES)), upper=st.booleans())
def test_property_every_accepted_code_validates_to_itself_in_lowercase(code: str, upper: bool) -> None:
    assert money.validate_currency(code.upper() if upper else code) == code
    assert money.exponent(code) in (0, 2, 3)


@settings(max_examples=200, deadline=None)
@given(code=st.text(min_size=0, max_size=5))
def test_property_any_text_is_a_known_currency_or_a_400(code: str) -> None:
    try:
        normalized = money.validate_currency(code)
    except InvalidRequest as error:
        assert error.param == "currency"
    else:
        assert normalized in money.CURRENCIES


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(1, 2), 1), (Fraction(-1, 2), -1), (Fraction(149, 100), 1), (Fraction(-151, 100), -2), (Fraction(0), 0)],
)
def test_rounding_is_half_away_from_zero(value: Fraction, expected: int) -> None:
    assert money.round_half_away(value) == expected


def test_given_a_total_that_does_not_divide_when_split_then_the_largest_remainders_get_the_extra_units() -> None:
    assert money.split_proportional(100, [1, 1, 1]) == [34, 33, 33]  # ties go to the earlier weight
    assert money.split_proportional(10, [1, 2, 3]) == [2, 3, 5]  # exact: 1.67, 3.33, 5
    assert money.split_proportional(7, [0, 5, 0]) == [0, 7, 0]


def test_given_nothing_to_split_or_no_weight_then_all_shares_are_zero() -> None:
    assert money.split_proportional(0, [1, 2]) == [0, 0]
    assert money.split_proportional(500, [0, 0]) == [0, 0]
    assert money.split_proportional(500, []) == []


weights_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=-(10**9), max_value=10**9), weights=weights_lists)
def test_property_a_split_sums_exactly_and_each_share_is_within_one_unit_of_its_exact_part(
    total: int, weights: list[int]
) -> None:
    # Given any total and non-negative weights, When split, Then nothing is lost or created
    shares = money.split_proportional(total, weights)
    assert len(shares) == len(weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - Fraction(total * weight, sum(weights))) < 1


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=10**9), weights=weights_lists)
def test_property_a_larger_weight_never_gets_less_and_a_zero_weight_gets_nothing(
    total: int, weights: list[int]
) -> None:
    shares = money.split_proportional(total, weights)
    for i, wi in enumerate(weights):
        if wi == 0:
            assert shares[i] == 0
        for j, wj in enumerate(weights):
            if wi > wj:
                assert shares[i] >= shares[j]
