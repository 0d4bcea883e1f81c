"""moto made to behave like DynamoDB where the project's guarantees depend on it.

DynamoDB applies each request atomically: a conditional write checks and writes in one step,
so of two writers racing for one item exactly one passes its condition. moto checks and then
writes in Python without a lock, so threads racing through it can both pass. Serialising
moto's DynamoDB requests restores the service's behaviour for the local stack and the tests
(nothing deployed runs this).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_installed = False


def serialise_dynamodb() -> None:
    """One DynamoDB request at a time through moto, in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.dynamodb.responses import DynamoHandler

        original = DynamoHandler.call_action

        def call_action(self: Any) -> Any:
            with _lock:
                return original(self)

        DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        _installed = True
