"""Prefixed random identifiers (`cust_…`, `sub_…`) and high-entropy secrets."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """`length` base62 characters from the OS CSPRNG (5.95 bits each)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 16) -> str:
    """A public object ID such as `cust_8sJ2kLpQ…` (95 bits: unguessable, not a secret)."""
    return f"{prefix}_{random_token(length)}"
