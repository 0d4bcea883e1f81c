"""What every response model shares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


def _absent_not_defaulted(schema: dict[str, Any]) -> None:
    """A field the wire may leave out (`= None` in a model) is absent then: it has no default."""
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class Wire(BaseModel):
    """A JSON object as the API answers it: every field stated, none other (a field the wire gains
    without its model fails tests/integration/test_openapi_responses.py). Built only on demand."""

    model_config = ConfigDict(
        extra="forbid", defer_build=True, json_schema_extra=lambda schema, _: _absent_not_defaulted(schema)
    )


class Page(Wire):
    """One page of a list, newest first: `data`, and `hasMore` when a next page exists (ask for it
    with `startingAfter` = the last ID, or `nextStartingAfter` when the answer has it)."""

    object: Literal["list"]
    data: list[Any]
    hasMore: bool
    # Present when the request's read bound (`billing.store.listing.MAX_ITEMS_READ` items) ended
    # the page, which may then be shorter than `limit` or empty: the ID of the last item read.
    nextStartingAfter: str | None = None
    # The same for a page asked for with `endingBefore` (continue with `endingBefore` = this ID).
    nextEndingBefore: str | None = None
