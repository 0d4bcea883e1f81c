"""Parts several objects share."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from merchant_api.responses.base import Wire

Metadata = dict[str, str]
Timestamp = str  # ISO 8601 in UTC, as `2026-05-01T09:00:00Z`


class PostalAddress(Wire):
    """An address as it was given: only the parts that were set."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postalCode: str | None = None
    state: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, upper case")


AnyObject = dict[str, Any]
