"""Secret API keys: `sk_test_…` / `sk_live_…`, 190 bits of randomness, kept only as a hash.

A key is a high-entropy random token, so a single SHA-256 is the right hash: there is
nothing to brute-force, and lookup stays one `GetItem` on the hash.
"""

from __future__ import annotations

import hashlib
import re

import msgspec

from billing.kernel.ids import random_token
from billing.kernel.scope import Mode

SECRET_LENGTH = 32  # base62 characters: 32 * log2(62) ≈ 190 bits
KEY_PATTERN = re.compile(rf"^sk_(test|live)_[A-Za-z0-9]{{{SECRET_LENGTH}}}\Z")
PUBLISHABLE_PATTERN = re.compile(r"^pk_(test|live)_[A-Za-z0-9]+\Z")


class ParsedKey(msgspec.Struct, frozen=True):
    mode: Mode
    hash: str
    last4: str

    @property
    def prefix(self) -> str:
        return f"sk_{self.mode}_"


def generate(mode: Mode) -> str:
    return f"sk_{mode}_{random_token(SECRET_LENGTH)}"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def parse(raw: str) -> ParsedKey | None:
    """The key's mode, hash and last 4 characters, or None when it is not a secret key."""
    match = KEY_PATTERN.match(raw)
    if not match:
        return None
    mode: Mode = "test" if match.group(1) == "test" else "live"
    return ParsedKey(mode=mode, hash=digest(raw), last4=raw[-4:])


def is_publishable(raw: str) -> bool:
    return bool(PUBLISHABLE_PATTERN.match(raw))
