"""Prefixed random identifiers (`cust_…`, `sub_…`) and high-entropy secrets."""

from __future__ import annotations

import secrets
import string
import threading
import time

ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """`length` base62 characters from the OS CSPRNG (5.95 bits each)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 16) -> str:
    """A public object ID such as `cust_8sJ2kLpQ…` (95 bits: unguessable, not a secret)."""
    return f"{prefix}_{random_token(length)}"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET_SORTED[remainder])
    return "".join(reversed(digits))


# Sorted by ASCII, so that string order of IDs is creation order.
ALPHABET_SORTED = string.digits + string.ascii_uppercase + string.ascii_lowercase


_last_ms = 0
_last_lock = threading.Lock()


def _monotonic_ms() -> int:
    """Milliseconds since the epoch, strictly increasing within this process, so IDs made in
    one request (a change and its events) keep the order they were made in."""
    global _last_ms
    with _last_lock:
        _last_ms = max(int(time.time() * 1000), _last_ms + 1)
        return _last_ms


def time_prefix(at_ms: int | None = None) -> str:
    """8 characters of milliseconds since the epoch that sort as the times do."""
    return _base62(_monotonic_ms() if at_ms is None else at_ms, 8)


def sortable_id(prefix: str, *, at_ms: int | None = None) -> str:
    """`cust_` + 8 characters of milliseconds since the epoch + 14 random ones (83 bits).

    IDs of one type sort by creation time, so a list's sort key is the ID itself and a
    `startingAfter` cursor needs no read to become a DynamoDB start key.
    """
    random_part = "".join(secrets.choice(ALPHABET_SORTED) for _ in range(14))
    return f"{prefix}_{time_prefix(at_ms)}{random_part}"


def created_ms(object_id: str) -> int:
    """The milliseconds since the epoch a `sortable_id` was made at (its 8 time characters)."""
    number = 0
    for character in object_id.split("_", 1)[1][:8]:
        number = number * 62 + ALPHABET_SORTED.index(character)
    return number
