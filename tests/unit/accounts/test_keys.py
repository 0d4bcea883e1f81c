"""Secret keys: format, entropy, hashing; nothing secret is kept."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from billing.accounts import keys
from billing.kernel.ids import ALPHABET


def test_a_generated_key_has_its_mode_prefix_and_at_least_128_bits() -> None:
    key = keys.generate("live")
    assert key.startswith("sk_live_")
    secret = key.removeprefix("sk_live_")
    assert set(secret) <= set(ALPHABET)
    assert len(secret) * math.log2(len(ALPHABET)) >= 128


def test_parse_keeps_mode_hash_and_last4_but_not_the_key() -> None:
    key = keys.generate("test")
    parsed = keys.parse(key)
    assert parsed is not None
    assert (parsed.mode, parsed.prefix, parsed.last4) == ("test", "sk_test_", key[-4:])
    assert key not in repr(parsed)
    assert parsed.hash == keys.digest(key) and len(parsed.hash) == 64


def test_two_keys_differ() -> None:
    assert len({keys.generate("test") for _ in range(200)}) == 200


@given(st.text(max_size=60))
def test_anything_that_is_not_a_secret_key_is_refused(text: str) -> None:
    if keys.KEY_PATTERN.match(text):
        return
    assert keys.parse(text) is None


def test_publishable_keys_are_recognised_and_are_not_secret_keys() -> None:
    assert keys.is_publishable("pk_test_abc123")
    assert keys.parse("pk_test_" + "a" * 32) is None
