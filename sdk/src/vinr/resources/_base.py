"""What every resource shares: the transport, path segments, list paging, typed answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias, TypeVar, cast
from urllib.parse import quote

from vinr._http import Transport
from vinr._wire import NOT_GIVEN, NotGiven, body_of, query_of

__all__ = ["NOT_GIVEN", "NotGiven", "Resource", "VinrObject", "body_of", "query_of", "segment"]

VinrObject: TypeAlias = dict[str, Any]
"""An API object as the API answers it: camelCase keys, e.g. `customer["createdAt"]`."""

T = TypeVar("T")


def segment(value: str, name: str = "id") -> str:
    """One path segment, percent-encoded so that an ID can never change the path."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is required and must be a non-empty string.")
    return quote(value, safe="")


class Resource:
    """Each call names the `vinr.types` TypedDict its answer is (the API's response schema, checked
    by tests/sdk/test_sdk_follows_openapi.py); the dict is returned as decoded, not validated."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get(self, returns: type[T], path: str, params: dict[str, str] | None = None) -> T:
        return cast(T, self._transport.json("GET", path, params=params))

    def _post(self, returns: type[T], path: str, body: dict[str, Any] | None, idempotency_key: str | None) -> T:
        return cast(T, self._transport.json("POST", path, body=body, idempotency_key=idempotency_key))

    def _delete(
        self, returns: type[T], path: str, idempotency_key: str | None, params: dict[str, str] | None = None
    ) -> T:
        return cast(T, self._transport.json("DELETE", path, params=params, idempotency_key=idempotency_key))

    def _iterate(self, returns: type[T], path: str, params: dict[str, str]) -> Iterator[T]:
        return cast(Iterator[T], self._transport.pages(path, params))
