"""Secrets kept in the table sealed with AES-256-GCM, under a key that is not in the table.

The key is `keymaterial.derive("gateway-secrets")` (HKDF from the deploy-time secret in Secrets
Manager). The associated data binds a sealed value to its account, mode and field, so a value
copied to another account, to the other mode, or from the secret key's attribute to the webhook
secret's, does not open. Text format: `v1:` + base64url(12-byte nonce ‖ ciphertext and tag),
the version naming the algorithm so that another can be introduced beside it.
"""

from __future__ import annotations

import base64
import binascii
import os

from billing.kernel.scope import Scope
from billing.store import keymaterial

PURPOSE = "gateway-secrets"
VERSION = "v1"
NONCE_BYTES = 12  # 96-bit random nonces: safe for far more seals than one key will ever make


class Unsealable(ValueError):
    """The text is not a value this box sealed for this account, mode and field (tampered with,
    moved, or sealed under other key material)."""


def associated_data(scope: Scope, field: str) -> bytes:
    return "\x00".join(("vinr-sealed", scope.account_id, scope.mode, field)).encode()


class SecretBox:
    def __init__(self, key: bytes) -> None:
        # Imported here: cryptography's bindings (~15 ms) load only when a secret is sealed or opened.
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(key) != 32:
            raise ValueError("AES-256-GCM takes a 32-byte key")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, *, scope: Scope, field: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), associated_data(scope, field))
        return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, text: str, *, scope: Scope, field: str) -> str:
        from cryptography.exceptions import InvalidTag

        version, _, encoded = text.partition(":")
        if version != VERSION:
            raise Unsealable(f"unknown sealed format {version[:8]!r}")
        try:
            raw = base64.urlsafe_b64decode(encoded.encode())
        except (binascii.Error, ValueError):
            raise Unsealable("the sealed value is not base64url") from None
        if len(raw) <= NONCE_BYTES:
            raise Unsealable("the sealed value is too short")
        try:
            plaintext = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(scope, field))
        except InvalidTag:
            raise Unsealable("the sealed value does not open for this account, mode and field") from None
        return plaintext.decode()


def _box() -> SecretBox:
    return SecretBox(keymaterial.derive(PURPOSE))


def seal(plaintext: str, *, scope: Scope, field: str) -> str:
    return _box().seal(plaintext, scope=scope, field=field)


def open_sealed(text: str, *, scope: Scope, field: str) -> str:
    return _box().open(text, scope=scope, field=field)
