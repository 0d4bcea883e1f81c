"""Request models shared by several routes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from billing.kernel.countries import COUNTRIES, validate_country
from billing.kernel.errors import InvalidRequest
from billing.kernel.money import CURRENCIES, validate_currency


# ------------------------------------------------------------------ patterns for the schema
# JSON Schema patterns have no flags: a case-insensitive match spells each letter as [Xx].
def any_case(text: str) -> str:
    """A regex for `text` in any letter case (`data:` → `[Dd][Aa][Tt][Aa]:`)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


def one_of_codes(codes: Iterable[str]) -> str:
    """A regex matching exactly `codes` (letters, all of one length) in any letter case: a trie
    of character classes, so that the schema states the very list the service checks."""

    def trie(words: list[str]) -> str:
        if all(len(word) == 1 for word in words):
            return "[" + "".join(f"{c.upper()}{c.lower()}" for c in sorted(set(words))) + "]"
        heads: dict[str, list[str]] = {}
        for word in words:
            heads.setdefault(word[0], []).append(word[1:])
        branches = [f"{any_case(head)}{trie(rest)}" for head, rest in sorted(heads.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return f"^{trie(sorted({code.lower() for code in codes}))}$"


COUNTRY_PATTERN = one_of_codes(COUNTRIES)
CURRENCY_PATTERN = one_of_codes(CURRENCIES)


def _currency(code: str) -> str:
    try:
        return validate_currency(code)
    except InvalidRequest as error:
        raise ValueError(error.message) from None


# The service checks the code against its list (one message naming the field); the schema's
# pattern is that same list, in any letter case.
Country = Annotated[
    str,
    Field(
        min_length=2,
        max_length=2,
        examples=["DE"],
        description="ISO 3166-1 alpha-2 country code, in any case (answered upper case)",
        json_schema_extra={"pattern": COUNTRY_PATTERN},
    ),
    AfterValidator(validate_country),
]
ShortText = Annotated[str, Field(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=100, description="1 to 100 objects a page")]
# A cursor is an ID of the list's own objects (a merchant's product ID may hold `_` and `-`); one
# that is not in the list is a 400 naming the parameter (`billing.store.listing`).
StartingAfter = Annotated[
    str | None,
    Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="the last ID of the previous page (older objects)"),
]
EndingBefore = Annotated[
    str | None,
    Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="the first ID of the next page (newer objects)"),
]
MetadataKey = Annotated[str, Field(min_length=1, max_length=40)]
Metadata = dict[MetadataKey, Annotated[str, Field(max_length=500)] | None]
# JSON's true and false only: pydantic's lax mode would also take 0, 1, "yes", "off"…
StrictBool = Annotated[bool, Field(strict=True)]


def _without_null(schema: dict[str, Any]) -> None:
    branches = [branch for branch in schema.get("anyOf", ()) if branch != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema.update(branches[0])


# `Annotated[X | None, NullRefused] = None`: an optional field that takes no null (omit it to leave
# it as it is). The service refuses a null for it, naming the field; the schema offers none.
# (`X | None` still, for pydantic: its errors inside X are located as in any optional field.)
NullRefused = Field(json_schema_extra=_without_null)


def _whole_number(value: Any) -> Any:
    # JSON Schema's integer is any number without a fraction: 3.0 is the integer 3.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# `Annotated[int, Field(strict=True, …), WholeNumber]`: a JSON integer (3, or 3.0 as JSON Schema
# reads it), never a string or a boolean as pydantic's lax mode would take. (After the bounds, so
# that the schema states them.)
WholeNumber = BeforeValidator(_whole_number)


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 date-time with its offset, like 2026-05-01T09:00:00Z")
    return value


# An ISO 8601 string (pydantic's lax mode would also read a number as a Unix time).
DateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
Currency = Annotated[
    str,
    Field(
        min_length=3,
        max_length=3,
        examples=["eur"],
        description="ISO 4217 currency code, in any case (answered lower case)",
        json_schema_extra={"pattern": CURRENCY_PATTERN},
    ),
    AfterValidator(_currency),
]

_PLAIN_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\Z")


def plain_decimal(value: Any) -> Any:
    """A decimal string as the schema offers it: Decimal() would also read " 5", "1e1" and the
    digits of other scripts."""
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError("Input should be a valid decimal")
    return value


def percent_schema(*, places: int, above_zero: bool, description: str) -> WithJsonSchema:
    """A percentage from 0 (or above 0) to 100 with at most `places` decimals, as a JSON number or
    the same as a decimal string ("19.5"): the bounds and places of both, stated in the schema."""
    digits = rf"[0-9]{{0,2}}(?:\.[0-9]{{0,{places}}}0*)?"
    if above_zero:  # a non-zero digit somewhere
        text = rf"^(?=.*[1-9])\+?0*(?:100(?:\.0*)?|{digits})$"
    else:  # a digit somewhere; a negative zero is zero
        text = rf"^(?=.*[0-9])(?:\+?0*(?:100(?:\.0*)?|{digits})|-0*(?:\.0*)?)$"
    number: dict[str, Any] = {"type": "number", "maximum": 100, "multipleOf": float(Decimal(1).scaleb(-places))}
    number["exclusiveMinimum" if above_zero else "minimum"] = 0
    return WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": text}], "description": description})


def _stripped_lengths(schema: dict[str, Any], *, text: bool = False) -> None:
    """Text is read without its surrounding whitespace, so a minimum length counts the rest: the
    schema says so with a pattern (`\\S` for one character: not blank)."""
    text = text or schema.get("type") == "string"
    if text and schema.get("minLength", 0) >= 1 and "pattern" not in schema:
        least = schema["minLength"]
        schema["pattern"] = r"\S" if least == 1 else rf"^\s*\S[\s\S]{{{least - 2},}}\S\s*$"
    for key in ("properties", "$defs"):
        for each in (schema.get(key) or {}).values():
            _stripped_lengths(each)
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            _stripped_lengths(schema[key], text=key == "propertyNames")
    for each in schema.get("anyOf", ()):
        _stripped_lengths(each)


class Request(BaseModel):
    """Unknown fields are refused (named in the 400), never silently dropped. Text is read without
    its surrounding whitespace. Each model's validator is built when a request first needs it
    (`defer_build`): a cold start compiles only its own route's models, not all of them."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        defer_build=True,
        json_schema_extra=lambda schema, _: _stripped_lengths(schema),
    )


class Address(Request):
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    postalCode: Annotated[str, Field(max_length=20)] | None = None
    state: ShortText | None = None
    country: Country | None = None
