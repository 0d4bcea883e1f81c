"""Python → wire: snake_case keys to camelCase, omitted parameters dropped, JSON encoding."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, Final, final

__all__ = ["NOT_GIVEN", "NotGiven", "body_of", "camel", "camelize", "encode_json", "query_of"]


@final
class NotGiven:
    """The default of every optional parameter: the field is left out of the request.

    Distinct from None, which is sent as JSON null (on updates, null clears a field).
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

# Objects whose keys belong to the merchant, not to the API: sent exactly as given.
OPAQUE_KEYS = frozenset({"metadata"})
_SNAKE = re.compile(r"(?<=[A-Za-z0-9])_([a-z0-9])")


def camel(name: str) -> str:
    """`return_url` → `returnUrl`; a camelCase or single-word name is returned unchanged."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), name)


def camelize(value: Any) -> Any:
    """Every dict key, at any depth, in camelCase, except inside `metadata`; values untouched."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = camel(key) if isinstance(key, str) else key
            out[name] = item if name in OPAQUE_KEYS else camelize(item)
        return out
    if isinstance(value, list | tuple):
        return [camelize(item) for item in value]
    return value


def body_of(**fields: Any) -> dict[str, Any]:
    """A request body from keyword arguments: NOT_GIVEN left out, keys camelCased."""
    return {camel(name): item if camel(name) in OPAQUE_KEYS else camelize(item) for name, item in _given(fields)}


def _given(fields: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(name, item) for name, item in fields.items() if not isinstance(item, NotGiven)]


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def query_of(**params: Any) -> dict[str, str]:
    """Query parameters: NOT_GIVEN and None left out, names camelCased, booleans as true/false."""
    return {camel(name): _query_value(item) for name, item in _given(params) if item is not None}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_json(body: Any) -> bytes:
    """Compact, deterministic JSON: a retried request carries the same bytes as the first."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_default).encode("utf-8")
