"""Currencies and exponents; HKDF against RFC 5869; fingerprints keyed and stable."""

from __future__ import annotations

import pytest

from billing.kernel import money
from billing.kernel.errors import InvalidRequest
from billing.store.keymaterial import hkdf_sha256


@pytest.mark.parametrize(("code", "normalised"), [("EUR", "eur"), (" usd ", "usd"), ("jpy", "jpy")])
def test_known_currencies_are_lowercased(code: str, normalised: str) -> None:
    assert money.validate_currency(code) == normalised


@pytest.mark.parametrize("code", ["", "euro", "xyz", "12a"])
def test_unknown_currencies_are_400_naming_the_param(code: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        money.validate_currency(code, param="defaultCurrency")
    assert raised.value.param == "defaultCurrency"


@pytest.mark.parametrize(("currency", "digits"), [("eur", 2), ("JPY", 0), ("krw", 0), ("kwd", 3), ("usd", 2)])
def test_exponents(currency: str, digits: int) -> None:
    assert money.exponent(currency) == digits


def test_hkdf_matches_rfc5869_test_case_1() -> None:
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22),
        bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        42,
        salt=bytes.fromhex("000102030405060708090a0b0c"),
    )
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_purposes_get_different_keys() -> None:
    master = b"m" * 64
    assert hkdf_sha256(master, b"cookie") != hkdf_sha256(master, b"fingerprint")
