"""What the routes answer, as models: one module per resource (`customers`, `invoices`, …). They
describe the JSON the core's `to_wire` functions make (camelCase, null where the wire has null);
the routes answer those dicts as they are, never re-validated.

A route names its model with `responses=ok("Customer")`: its 200 refers to
`#/components/schemas/Customer`, and `schemas()` states the models in the document. By name,
so that the handler's cold start imports no model (defining them costs ~30 ms): they are
imported and built only for `/v1/openapi.json`, and tests/integration/test_openapi_responses.py
checks that every name resolves and every body matches."""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/{model}"
_ANSWERED: set[str] = set()


def ok(model: str) -> dict[int, Any]:
    """`responses=` of a route answering the model named `model` with a 200."""
    _ANSWERED.add(model)
    return {
        200: {"description": model, "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}}
    }


def models() -> dict[str, Any]:
    """Every response model, by name (each name once across the modules)."""
    import importlib
    import pkgutil

    from merchant_api.responses.base import Wire

    found: dict[str, Any] = {}
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for name, value in vars(loaded).items():
            if isinstance(value, type) and issubclass(value, Wire) and value.__module__ == loaded.__name__:
                if name in found:
                    raise RuntimeError(f"two response models named {name}")
                found[name] = value
    return found


def schemas(also: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The JSON Schema of each model a route answers (and of those named in `also`: the webhooks'
    objects), and of the models they hold, by name."""
    from pydantic.json_schema import models_json_schema

    known = models()
    stated = _ANSWERED | also
    unknown = stated - set(known)
    if unknown:
        raise RuntimeError(f"routes answer unknown response models: {sorted(unknown)}")
    _, found = models_json_schema([(known[name], "validation") for name in sorted(stated)], ref_template=_REF)
    defs: dict[str, Any] = found.get("$defs", {})
    return defs


def description(model: str) -> str:
    """The first line of the model's docstring: its answer's description."""
    doc = models()[model].__doc__ or model
    return str(doc).strip().splitlines()[0]
