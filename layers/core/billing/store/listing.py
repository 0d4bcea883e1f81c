"""List endpoints: `limit` (1–100), `startingAfter` or `endingBefore`, newest first,
`{"data": [...], "hasMore": bool}`.

A cursor is an object of the list itself: its item is read (one GetItem) and must be in the list's
index partition, so an unknown ID, or one of another type or list, is a 400 naming the parameter
(never the whole list from the start). `endingBefore` answers the `limit` objects just newer than
the cursor, still newest first; its `hasMore` says whether newer ones remain.

A request reads at most `MAX_ITEMS_READ` items of the index, whatever its filter keeps: a filter
that keeps few (`?email=`, `?type=`, `?status=`) answers what it found in that many, with
`hasMore` and `nextStartingAfter`, the ID of the last item it read, to continue from (the page
may then be shorter than `limit`, even empty). Without the bound, `limit=1` and a filter nothing
matches walked the whole partition in one request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.store.repository import INDEX_KEYS, Item, Table

MAX_ITEMS_READ = 250  # index items one list request reads at most (a few Query calls)


def cursor_key(
    table: Table,
    *,
    param: str,
    object_id: str,
    index: str,
    partition: str,
    primary_key: Callable[[str], tuple[str, str]],
    prefix: str | None = None,
) -> dict[str, Any]:
    """The index key of the list's object `object_id`, to read on from; a 400 naming `param` when
    no such object is in this list (unknown, of another type, expired, or of another list)."""
    hash_key, range_key = INDEX_KEYS[index]
    pk, sk = primary_key(object_id)
    item = table.get(pk, sk, consistent=False)
    expired = item is not None and "expiresAt" in item and item["expiresAt"] <= clock.to_epoch(clock.now())
    in_list = (
        item is not None and item.get(hash_key) == partition and str(item.get(range_key, "")).startswith(prefix or "")
    )
    if item is None or expired or not in_list or range_key not in item:
        raise InvalidRequest(f"{param}: no such object in this list: '{object_id}'.", param=param)
    return {"pk": pk, "sk": sk, hash_key: partition, range_key: item[range_key]}


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
    prefix: str | None = None,
    object_id: Callable[[Item], str] = lambda item: str(item["id"]),
    ending_before: str | None = None,
) -> dict[str, Any]:
    """One page of an index partition, newest first, from at most `MAX_ITEMS_READ` items.

    `primary_key(id)` gives an object's table key: a cursor (`starting_after` or `ending_before`,
    not both) is read there and must be an item of this partition, else a 400 naming it.
    `object_id(item)` is an item's ID, for `nextStartingAfter` (`nextEndingBefore`) when the bound
    stops the page. The first Query asks for one page (and one more item, for `hasMore`); only
    when the filter or expiry left items out does it read on, in larger Queries, up to the bound.
    """
    if starting_after and ending_before:
        raise InvalidRequest("Give startingAfter or endingBefore, not both.", param="endingBefore")
    newer = bool(ending_before)  # walking towards newer objects, from ending_before
    after: dict[str, Any] | None = None
    cursor = ending_before or starting_after
    if cursor:
        after = cursor_key(
            table,
            param="endingBefore" if newer else "startingAfter",
            object_id=cursor,
            index=index,
            partition=partition,
            primary_key=primary_key,
            prefix=prefix,
        )
    now = clock.to_epoch(clock.now())
    data: list[dict[str, Any]] = []
    has_more = False
    read = 0
    last_read: Item | None = None
    while True:
        wanted = limit + 1 if read == 0 else MAX_ITEMS_READ - read
        items, last = table.query(
            partition, index=index, prefix=prefix, limit=min(wanted, MAX_ITEMS_READ - read), after=after, forward=newer
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
            # The bound: the client continues from the last item read (kept or not).
            answer = {"object": "list", "data": data[::-1] if newer else data, "hasMore": True}
            if last_read is None:
                return answer
            return {**answer, ("nextEndingBefore" if newer else "nextStartingAfter"): object_id(last_read)}
        after = last
    return {"object": "list", "data": data[::-1] if newer else data, "hasMore": has_more}


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
    ending_before: str | None = None,
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
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=primary_key,
        to_wire=to_wire,
        keep=keep,
        object_id=object_id,
    )


T = TypeVar("T")


def page_of(
    objects: Sequence[T],
    *,
    object_id: Callable[[T], str],
    limit: int,
    starting_after: str | None,
    ending_before: str | None,
    to_wire: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """The page `page` would answer, of a short list already read whole, newest first (a
    customer's payment methods: one query of its partition): the same parameters, the same 400s."""
    if starting_after and ending_before:
        raise InvalidRequest("Give startingAfter or endingBefore, not both.", param="endingBefore")
    ids = [object_id(each) for each in objects]
    for param, cursor in (("startingAfter", starting_after), ("endingBefore", ending_before)):
        if cursor and cursor not in ids:
            raise InvalidRequest(f"{param}: no such object in this list: '{cursor}'.", param=param)
    if ending_before:
        end = ids.index(ending_before)
        start = max(0, end - limit)
        chosen, has_more = objects[start:end], start > 0
    else:
        start = ids.index(starting_after) + 1 if starting_after else 0
        chosen, has_more = objects[start : start + limit], len(objects) > start + limit
    return {"object": "list", "data": [to_wire(each) for each in chosen], "hasMore": has_more}
