"""The sealed form of the gateway's secrets: AES-256-GCM bound to account, mode and field."""

from __future__ import annotations

import base64
import os

import pytest

from billing.kernel.scope import Scope
from billing.payments.secretbox import NONCE_BYTES, SecretBox, Unsealable

KEY = bytes(range(32))
SCOPE = Scope(account_id="acct_A", mode="test")
SECRET = "sk_test_" + "Ab3" * 12


def _raw(sealed: str) -> bytes:
    assert sealed.startswith("v1:")
    return base64.urlsafe_b64decode(sealed.removeprefix("v1:"))


def _text(raw: bytes) -> str:
    return "v1:" + base64.urlsafe_b64encode(raw).decode()


def test_a_sealed_secret_opens_to_itself_and_is_not_in_its_sealed_text() -> None:
    box = SecretBox(KEY)
    sealed = box.seal(SECRET, scope=SCOPE, field="secretKey")
    assert box.open(sealed, scope=SCOPE, field="secretKey") == SECRET
    assert SECRET not in sealed and SECRET.encode() not in _raw(sealed)
    # nonce, then the ciphertext (as long as the plaintext) and its 16-byte tag
    assert len(_raw(sealed)) == NONCE_BYTES + len(SECRET) + 16


def test_every_byte_changed_is_refused() -> None:
    box = SecretBox(KEY)
    raw = _raw(box.seal(SECRET, scope=SCOPE, field="secretKey"))
    for position in range(len(raw)):
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        with pytest.raises(Unsealable):
            box.open(_text(bytes(tampered)), scope=SCOPE, field="secretKey")
    with pytest.raises(Unsealable):
        box.open(_text(raw[:-1]), scope=SCOPE, field="secretKey")


@pytest.mark.parametrize(
    ("scope", "field"),
    [
        (Scope(account_id="acct_B", mode="test"), "secretKey"),  # another account
        (Scope(account_id="acct_A", mode="live"), "secretKey"),  # the other mode
        (SCOPE, "webhookSecret"),  # another field of the same connection
    ],
)
def test_a_sealed_value_moved_elsewhere_does_not_open(scope: Scope, field: str) -> None:
    box = SecretBox(KEY)
    sealed = box.seal(SECRET, scope=SCOPE, field="secretKey")
    with pytest.raises(Unsealable):
        box.open(sealed, scope=scope, field=field)


def test_another_key_does_not_open_it() -> None:
    sealed = SecretBox(KEY).seal(SECRET, scope=SCOPE, field="secretKey")
    with pytest.raises(Unsealable):
        SecretBox(os.urandom(32)).open(sealed, scope=SCOPE, field="secretKey")


def test_each_seal_has_its_own_nonce() -> None:
    box = SecretBox(KEY)
    sealed = [box.seal(SECRET, scope=SCOPE, field="secretKey") for _ in range(200)]
    nonces = {_raw(text)[:NONCE_BYTES] for text in sealed}
    assert len(nonces) == 200 and len(set(sealed)) == 200


@pytest.mark.parametrize("text", ["", "v2:AAAA", "v1:", "v1:not base64!", "v1:" + "A" * 16, SECRET])
def test_what_is_not_a_sealed_value_is_refused(text: str) -> None:
    with pytest.raises(Unsealable):
        SecretBox(KEY).open(text, scope=SCOPE, field="secretKey")


def test_only_a_256_bit_key_is_taken() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        SecretBox(KEY[:16])
