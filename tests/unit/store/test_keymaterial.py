"""Key material: HKDF against RFC 5869, one derived key per purpose."""

from __future__ import annotations

from billing.store.keymaterial import hkdf_sha256


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
