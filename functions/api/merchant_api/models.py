"""Request models shared by several routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from billing.countries import validate_country
from billing.errors import InvalidRequest
from billing.money import validate_currency


def _currency(code: str) -> str:
    try:
        return validate_currency(code)
    except InvalidRequest as error:
        raise ValueError(error.message) from None


Country = Annotated[str, Field(min_length=2, max_length=2, examples=["DE"]), AfterValidator(validate_country)]
ShortText = Annotated[str, Field(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=100, description="1 to 100 objects a page")]
StartingAfter = Annotated[
    str | None, Query(max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$", description="the last ID of the previous page")
]
MetadataKey = Annotated[str, Field(min_length=1, max_length=40)]
Metadata = dict[MetadataKey, Annotated[str, Field(max_length=500)] | None]
# JSON's true and false only: pydantic's lax mode would also take 0, 1, "yes", "off"…
StrictBool = Annotated[bool, Field(strict=True)]


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 date-time with its offset, like 2026-05-01T09:00:00Z")
    return value


# An ISO 8601 string (pydantic's lax mode would also read a number as a Unix time).
DateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
Currency = Annotated[str, Field(min_length=3, max_length=3, examples=["eur"]), AfterValidator(_currency)]


class Request(BaseModel):
    """Unknown fields are refused (named in the 400), never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(Request):
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    postalCode: Annotated[str, Field(max_length=20)] | None = None
    state: ShortText | None = None
    country: Country | None = None
