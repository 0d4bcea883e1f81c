"""List endpoints: `limit` (1–100), `startingAfter`, newest first, `{"data": [...], "hasMore": bool}`.

A request reads at most `MAX_ITEMS_READ` items of the index, whatever its filter keeps: a filter
that keeps few (`?email=`, `?type=`, `?status=`) answers what it found in that many, with
`hasMore` and `nextStartingAfter`, the ID of the last item it read, to continue from (the page
may then be shorter than `limit`, even empty). Without the bound, `limit=1` and a filter nothing
matches walked the whole partition in one request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.store.repository import INDEX_KEYS, Item, Table

MAX_ITEMS_READ = 250  # index items one list request reads at most (a few Query calls)


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
    object_id: Callable[[Item], str] = lambda item: str(item["id"]),
) -> dict[str, Any]:
    """One page of an index partition, newest first, from at most `MAX_ITEMS_READ` items.

    `primary_key(id)` gives an object's table key and `sort_key(id)` its index sort key (the
    ID itself for time-sortable IDs, so the cursor needs no read); an unknown cursor is a 400.
    `object_id(item)` is an item's ID, for `nextStartingAfter` when the bound stops the page.
    The first Query asks for one page (and one more item, for `hasMore`); only when the filter
    or expiry left items out does it read on, in larger Queries, up to the bound.
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
    read = 0
    last_read: Item | None = None
    while True:
        wanted = limit + 1 if read == 0 else MAX_ITEMS_READ - read
        items, last = table.query(
            partition, index=index, prefix=prefix, limit=min(wanted, MAX_ITEMS_READ - read), after=after, forward=False
        )
        read += len(items)
        for item in items:
            if ("expiresAt" in item and item["expiresAt"] <= now) or not keep(item):
                last_read = item
                continue
            if len(data) == limit:
                has_more = True
                break
            last_read = item
            data.append(to_wire(item))
        if has_more or last is None:
            break
        if read >= MAX_ITEMS_READ:
            # The bound: the client continues after the last item read (kept or not).
            answer = {"object": "list", "data": data, "hasMore": True}
            return {**answer, "nextStartingAfter": object_id(last_read)} if last_read is not None else answer
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
    object_id: Callable[[Item], str] = lambda item: str(item["id"]),
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
        object_id=object_id,
    )
