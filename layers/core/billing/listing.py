"""List endpoints: `limit` (1–100), `startingAfter`, newest first, `{"data": [...], "hasMore": bool}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing import clock
from billing.repository import INDEX_KEYS, Item, Table


def page(
    table: Table,
    *,
    index: str,
    partition: str,
    limit: int,
    starting_after: str | None,
    primary_key: Callable[[str], tuple[str, str]],
    to_wire: Callable[[Item], dict[str, Any]],
    keep: Callable[[Item], bool] = lambda _: True,
) -> dict[str, Any]:
    """One page of an index partition whose sort key is the object ID (time-sortable).

    `primary_key(id)` gives the table key of an object, so the cursor needs no read.
    """
    hash_key, range_key = INDEX_KEYS[index]
    after: dict[str, Any] | None = None
    if starting_after:
        pk, sk = primary_key(starting_after)
        after = {"pk": pk, "sk": sk, hash_key: partition, range_key: starting_after}
    now = clock.to_epoch(clock.now())
    data: list[dict[str, Any]] = []
    has_more = False
    while True:
        items, last = table.query(partition, index=index, limit=limit + 1 - len(data), after=after, forward=False)
        for item in items:
            if ("expiresAt" in item and item["expiresAt"] <= now) or not keep(item):
                continue
            if len(data) == limit:
                has_more = True
                break
            data.append(to_wire(item))
        if has_more or last is None:
            break
        after = last
    return {"object": "list", "data": data, "hasMore": has_more}
