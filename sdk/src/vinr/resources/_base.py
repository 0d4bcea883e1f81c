"""What every resource shares: the transport, path segments, list paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias
from urllib.parse import quote

from vinr._http import Transport
from vinr._wire import NOT_GIVEN, NotGiven, body_of, query_of

__all__ = ["NOT_GIVEN", "NotGiven", "Resource", "VinrObject", "body_of", "query_of", "segment"]

VinrObject: TypeAlias = dict[str, Any]
"""An API object as the API answers it: camelCase keys, e.g. `customer["createdAt"]`."""


def segment(value: str, name: str = "id") -> str:
    """One path segment, percent-encoded so that an ID can never change the path."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is required and must be a non-empty string.")
    return quote(value, safe="")


class Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get(self, path: str, params: dict[str, str] | None = None) -> VinrObject:
        return self._transport.json("GET", path, params=params)

    def _post(self, path: str, body: dict[str, Any] | None, idempotency_key: str | None) -> VinrObject:
        return self._transport.json("POST", path, body=body, idempotency_key=idempotency_key)

    def _delete(self, path: str, idempotency_key: str | None, params: dict[str, str] | None = None) -> VinrObject:
        return self._transport.json("DELETE", path, params=params, idempotency_key=idempotency_key)

    def _iterate(self, path: str, params: dict[str, str]) -> Iterator[VinrObject]:
        return self._transport.pages(path, params)
