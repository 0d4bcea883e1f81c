"""The error envelope's schema, with every `type` and `code` the API can answer, read from the code.

The types and codes are those of the `BillingError` classes (`billing.kernel.errors` and their
subclasses in the core and this function), and the codes given where an error is raised
(`raise NotFound(…, code="route_not_found")`, `self.code = "parameter_invalid"`) or a payment's
outcome is made (`ChargeResult(…, code="processing_error")`: a payment refused is answered with
its code). The classes loaded are read as they are; the source of the core and of this function
(the `.py` files ship with the layer and the function) is read once, when the document is built,
for the codes given and for the classes of modules this function has not imported. A code a payment
gateway sends back (a card's decline code) passes through and is not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from billing.kernel.errors import BillingError

_CLASS = re.compile(r"^class (\w+)\(([^)]*)\):", re.MULTILINE)
_CLASS_ATTRIBUTE = re.compile(r'^    (type|code) = (?:"(\w+)"|([A-Z_][A-Z0-9_]*))\s*$', re.MULTILINE)
_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)
_CODE_GIVEN = re.compile(r'(?:\bcode=|\.code = )(?:"(\w+)"|([A-Z_][A-Z0-9_]*)\b)')  # `code="…"`, `error.code = …`
_CONSTANT = re.compile(r'^([A-Z_][A-Z0-9_]*) = "(\w+)"\s*$', re.MULTILINE)


def error_classes() -> list[type[BillingError]]:
    """`BillingError` and every subclass loaded, in a stable order."""
    found: dict[str, type[BillingError]] = {}
    pending: list[type[BillingError]] = [BillingError]
    while pending:
        cls = pending.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        pending.extend(cls.__subclasses__())
    return [found[name] for name in sorted(found)]


def source_roots() -> list[Path]:
    """The core's package and this function's: where errors are defined and raised."""
    import billing
    import merchant_api

    return [Path(folder) for package in (billing, merchant_api) for folder in package.__path__]


@dataclass
class _Source:
    """What the source says: classes (name → base names, own `type`/`code`) and the codes given to calls."""

    classes: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    calls: set[str] = field(default_factory=set)  # the codes given as `code=` to any call


def read_source(roots: Iterable[Path]) -> _Source:
    """What the source under `roots` says. Read as text (the code's own style: one class
    attribute a line, `code=` spelled so), not parsed: parsing it all would cost ~0.3 s."""
    source = _Source()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            _read_module(path.read_text(encoding="utf-8"), source)
    return source


def _read_module(text: str, source: _Source) -> None:
    constants = dict(_CONSTANT.findall(text))
    for string, constant in _CODE_GIVEN.findall(text):
        if string or constant in constants:
            source.calls.add(string or constants[constant])
    for found in _CLASS.finditer(text):
        following = _TOP_LEVEL.search(text, found.end())
        body = text[found.end() : following.start() if following else len(text)]
        own = {
            name: string or constants[constant]
            for name, string, constant in _CLASS_ATTRIBUTE.findall(body)
            if string or constant in constants
        }
        bases = [base.strip().rsplit(".", 1)[-1] for base in found.group(2).split(",") if base.strip()]
        source.classes[found.group(1)] = (bases, own)


def answered() -> tuple[list[str], list[str]]:
    """The error types and codes the API answers, each sorted."""
    known = {cls.__name__: {"type": cls.type, "code": cls.code} for cls in error_classes()}
    source = read_source(source_roots())
    added = True
    while added:  # the classes of modules not imported, each under a known base
        added = False
        for name, (bases, own) in source.classes.items():
            base = next((known[b] for b in bases if b in known), None)
            if name not in known and base is not None:
                known[name] = {**base, **own}
                added = True
    types = {attributes["type"] for attributes in known.values()}
    codes = {attributes["code"] for attributes in known.values()}
    codes |= source.calls
    return sorted(types), sorted(codes)


def schema() -> dict[str, Any]:
    """`#/components/schemas/Error`: the one shape of every error (`BillingError.envelope()`)."""
    types, codes = answered()
    return {
        "title": "Error",
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["type", "code", "message"],
                "additionalProperties": False,
                "properties": {
                    "type": {"type": "string", "enum": types, "description": "the kind of error"},
                    "code": {
                        "type": "string",
                        "description": "what went wrong, for a program to tell apart: one of `examples`, or "
                        "the payment gateway's own code for a refusal it made",
                        "examples": codes,
                    },
                    "message": {"type": "string", "description": "for a person to read"},
                    "param": {"type": "string", "description": "the parameter at fault, as `address.country`"},
                    "declineCode": {
                        "type": "string",
                        "description": "a `card_error`'s reason from the card issuer, as `insufficient_funds`",
                    },
                },
            }
        },
    }
