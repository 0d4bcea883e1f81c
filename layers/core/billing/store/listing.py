"""List endpoints: `limit` (1–100), `startingAfter`, newest first, `{"data": [...], "hasMore": bool}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.store.repository import INDEX_KEYS, Item, Table


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
    sort_key: Callable[[str], str | None] = lambda object_id: object_id,
    prefix: str | None = None,
) -> dict[str, Any]:
    """One page of an index partition, newest first.

    `primary_key(id)` gives an object's table key and `sort_key(id)` its index sort key (the
    ID itself for time-sortable IDs, so the cursor needs no read); an unknown cursor is a 400.
    """
    hash_key, range_key = INDEX_KEYS[index]
    after: dict[str, Any] | None = None
    if starting_after:
        pk, sk = primary_key(starting_after)
        cursor = sort_key(starting_after)
        if cursor is None:
            raise InvalidRequest(f"No such object: '{starting_after}'.", param="startingAfter")
        after = {"pk": pk, "sk": sk, hash_key: partition, range_key: cursor}
    now = clock.to_epoch(clock.now())
    data: list[dict[str, Any]] = []
    has_more = False
    while True:
        items, last = table.query(
            partition, index=index, prefix=prefix, limit=limit + 1 - len(data), after=after, forward=False
        )
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


def collection_page(
    table: Table,
    scope: Scope,
    collection: str,
    *,
    owner: tuple[str, str | None] | None = None,
    bundle: tuple[str, str] | None = None,
    limit: int,
    starting_after: str | None,
    primary_key: Callable[[str], tuple[str, str]],
    to_wire: Callable[[Item], dict[str, Any]],
    keep: Callable[[Item], bool] = lambda _: True,
) -> dict[str, Any]:
    """One `page` of the first of these that applies, newest first:
    - `owner=("CUST", "cust_1")`: that owner's `collection`, gsi3 `<scope>#CUST#cust_1#<collection>`
      (none when the owner's ID is empty or None);
    - `bundle=(partition, "INV#")`: the items under that type prefix in a customer's bundle
      (gsi1; their sort key is the prefix and the ID);
    - else the whole account's `collection`, gsi2 `<scope>#<collection>`.
    """
    prefix: str | None = None
    if owner is not None and owner[1]:
        index, partition = "gsi3", scope.key(owner[0], owner[1], collection)
    elif bundle is not None:
        index, (partition, prefix) = "gsi1", bundle
    else:
        index, partition = "gsi2", scope.key(collection)
    return page(
        table,
        index=index,
        partition=partition,
        prefix=prefix,
        sort_key=(lambda object_id: f"{prefix}{object_id}") if prefix else (lambda object_id: object_id),
        limit=limit,
        starting_after=starting_after,
        primary_key=primary_key,
        to_wire=to_wire,
        keep=keep,
    )
