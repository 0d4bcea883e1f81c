"""docs/api.md, the merchant API reference, generated from the API's own OpenAPI document.

python -m local.apidocs           writes docs/api.md (`make apidocs`)
python -m local.apidocs --check   exits 1 when docs/api.md is not what the code generates

The document is the one `GET /v1/openapi.json` serves: a payload v2 event for that route goes
through the template's API function handler in this process, as the local gateway sends it.
The reference lists each tag's operations (sorted by path, then method) with their parameters,
request body fields, responses and the fields of their schemas where the code declares them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from local import gateway, invoke
from local.template import ROOT, Template
from local.template import load as load_template

API_DOCS = ROOT / "docs" / "api.md"
OPENAPI_PATH = "/v1/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
MAX_DEPTH = 6  # nested fields shown this deep (schemas may refer to themselves)
MAX_PATTERN = 120  # longer patterns (country and currency codes in any case) only restate the description
Schema = Mapping[str, Any]


def openapi_document(template: Template | None = None) -> dict[str, Any]:
    """`GET /v1/openapi.json` answered by the API function's real handler."""
    template = template or load_template()
    core = str(ROOT / "layers" / "core")
    if core not in sys.path:
        sys.path.insert(0, core)  # the CoreLayer, as Lambda mounts it
    for route in gateway.routes_for("MerchantHttpApi", template.functions()):
        params = invoke.match_route(route.path, OPENAPI_PATH)
        if route.method in ("GET", "ANY") and params is not None:
            event = invoke.http_event("GET", OPENAPI_PATH, route_key=invoke.route_key(route.method, route.path))
            handler = invoke.load_handler(route.function)
            answer = invoke.http_response(handler(event, invoke.LambdaContext(route.function.name)))
            if answer.status != 200:
                raise RuntimeError(f"GET {OPENAPI_PATH} answered {answer.status}: {answer.text[:200]}")
            document: dict[str, Any] = answer.json()
            return document
    raise RuntimeError(f"no route of MerchantHttpApi in template.yaml takes GET {OPENAPI_PATH}")


# ------------------------------------------------------------------ schemas
def _cell(text: str) -> str:
    """Text for a table cell: one line, pipes escaped (GitHub tables split on them, code spans too)."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return f"`{shown}`"


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _characters(count: Any) -> str:
    return f"{_number(count)} character{'' if count == 1 else 's'}"


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


class Schemas:
    """The document's component schemas, and how a schema reads in a table."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.components: Mapping[str, Schema] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: Schema) -> Schema:
        seen: set[str] = set()
        while "$ref" in schema and schema["$ref"] not in seen:
            seen.add(schema["$ref"])
            schema = self.components.get(_ref_name(schema["$ref"]), {})
        return schema

    def _variants(self, schema: Schema) -> list[Schema]:
        """`anyOf`/`oneOf` alternatives, or the schema itself."""
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return list(schema[key])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return [schema["allOf"][0]]
        return [schema]

    def type_of(self, schema: Schema) -> str:
        names: list[str] = []
        for variant in self._variants(schema):
            name = self._single_type(variant)
            if name not in names:
                names.append(name)
        return " or ".join(names) if names else "any"

    def _single_type(self, schema: Schema) -> str:
        if "$ref" in schema:
            return _ref_name(schema["$ref"])
        if "const" in schema:
            return _code(schema["const"])
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(str(k) for k in kind)
        if kind == "array":
            items = schema.get("items")
            return f"array of {self.type_of(items)}" if items else "array"
        if kind == "object" and not schema.get("properties") and isinstance(schema.get("additionalProperties"), dict):
            return f"map of {self.type_of(schema['additionalProperties'])}"
        if kind is None and ("anyOf" in schema or "oneOf" in schema):
            return self.type_of(schema)
        if kind is None:
            return "any"
        fmt = schema.get("format")
        return f"{kind} ({fmt})" if fmt else str(kind)

    def notes(self, schema: Schema) -> str:
        """Description, allowed values, bounds, pattern and default of one field."""
        parts: list[str] = []
        own = schema
        variants = [v for v in self._variants(schema) if v.get("type") != "null"]
        described = own.get("description") or next(
            (self.resolve(v).get("description") for v in variants if "$ref" not in v and v.get("description")), None
        )
        if described:
            parts.append(str(described).rstrip("."))
        for variant in [own, *variants] if variants != [own] else [own]:
            parts.extend(self._constraints(variant))
        if "default" in own:
            parts.append(f"default {_code(own['default'])}")
        if own.get("examples") and not own.get("enum"):
            parts.append(f"e.g. {_code(own['examples'][0])}")
        unique: list[str] = []
        for part in parts:
            if part not in unique:
                unique.append(part)
        return _cell("; ".join(unique))

    def _constraints(self, schema: Schema) -> list[str]:
        found: list[str] = []
        if schema.get("enum"):
            found.append("one of " + ", ".join(_code(v) for v in schema["enum"]))
        low, high = schema.get("minLength"), schema.get("maxLength")
        if low is not None and low == high:
            found.append(f"exactly {_characters(low)}")
        else:
            found += [f"at least {_characters(low)}"] if low is not None else []
            found += [f"at most {_characters(high)}"] if high is not None else []
        bounds = (
            ("minimum", "≥ {}"),
            ("exclusiveMinimum", "> {}"),
            ("maximum", "≤ {}"),
            ("exclusiveMaximum", "< {}"),
            ("minItems", "at least {} items"),
            ("maxItems", "at most {} items"),
            ("maxProperties", "at most {} entries"),
        )
        for key, text in bounds:
            if key in schema:
                found.append(text.format(_number(schema[key])))
        if "pattern" in schema and len(schema["pattern"]) <= MAX_PATTERN:
            found.append(f"pattern {_code(schema['pattern'])}")
        elif "pattern" in schema:
            found.append("a pattern too long to show here (in `/v1/openapi.json`)")
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            items = schema["items"]
            if "$ref" not in items:
                found.extend(f"each: {c}" for c in self._constraints(items))
        return found

    def object_of(self, schema: Schema) -> Schema | None:
        """The object a field holds (directly, through a reference, a union with null or a
        string, or as the items of an array), whose own fields are listed under it."""
        for variant in self._variants(schema):
            resolved = self.resolve(variant)
            if resolved.get("type") == "array" and isinstance(resolved.get("items"), dict):
                items = self.object_of(resolved["items"])
                if items is not None:
                    return items
            if resolved.get("properties"):
                return resolved
        return None

    def is_array(self, schema: Schema) -> bool:
        return any(self.resolve(v).get("type") == "array" for v in self._variants(schema))

    def rows(
        self, schema: Schema, prefix: str = "", depth: int = 0, within: tuple[int, ...] = ()
    ) -> Iterator[tuple[str, str, bool, str]]:
        """(dotted name, type, required, notes) for every field, nested fields after their parent;
        a schema met again inside itself is named, not expanded."""
        schema = self.resolve(schema)
        within = (*within, id(schema))
        for part in schema.get("allOf", []) if len(schema.get("allOf", [])) > 1 else []:
            yield from self.rows(part, prefix, depth, within)
        required = set(schema.get("required", []))
        for name, field in schema.get("properties", {}).items():
            dotted = f"{prefix}{name}"
            yield dotted, _cell(self.type_of(field)), name in required, self.notes(field)
            nested = self.object_of(field)
            if nested is not None and id(nested) not in within and depth < MAX_DEPTH:
                marker = "[]" if self.is_array(field) else ""
                yield from self.rows(nested, f"{dotted}{marker}.", depth + 1, within)


# ------------------------------------------------------------------ rendering
def _anchor(title: str) -> str:
    """GitHub's heading anchor."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _field_table(schemas: Schemas, schema: Schema) -> list[str]:
    rows = list(schemas.rows(schema))
    if not rows:
        return []
    lines = ["| field | type | required | notes |", "| --- | --- | --- | --- |"]
    lines += [f"| `{name}` | {kind} | {'yes' if req else ''} | {notes} |" for name, kind, req, notes in rows]
    return lines


def _schema_title(schemas: Schemas, schema: Schema) -> str:
    if "$ref" in schema:
        return f"`{_ref_name(schema['$ref'])}`"
    resolved = schemas.resolve(schema)
    if resolved.get("properties") or resolved.get("type") not in (None, "object"):
        return schemas.type_of(schema)
    return ""


def _parameters(schemas: Schemas, operation: Mapping[str, Any]) -> list[str]:
    parameters = operation.get("parameters") or []
    if not parameters:
        return []
    lines = ["Parameters:", "", "| name | in | type | required | notes |", "| --- | --- | --- | --- | --- |"]
    for parameter in parameters:
        schema = parameter.get("schema", {})
        notes = schemas.notes(
            {**schema, **({"description": parameter["description"]} if "description" in parameter else {})}
        )
        lines.append(
            f"| `{parameter['name']}` | {parameter['in']} | {_cell(schemas.type_of(schema))} "
            f"| {'yes' if parameter.get('required') else ''} | {notes} |"
        )
    return [*lines, ""]


def _request_body(schemas: Schemas, operation: Mapping[str, Any]) -> list[str]:
    body = operation.get("requestBody")
    if not body:
        return []
    lines: list[str] = []
    for media, content in sorted(body.get("content", {}).items()):
        schema = content.get("schema", {})
        title = _schema_title(schemas, schema)
        required = "required" if body.get("required") else "optional"
        lines += [f"Request body ({required}, `{media}`{', ' + title if title else ''}):", ""]
        table = _field_table(schemas, schema)
        lines += [*table, ""] if table else []
    return lines


def _responses(schemas: Schemas, operation: Mapping[str, Any]) -> list[str]:
    responses: Mapping[str, Any] = operation.get("responses") or {}
    lines = ["Responses:", "", "| status | description | body |", "| --- | --- | --- |"]
    tables: list[str] = []
    for status in sorted(responses, key=lambda s: (not s.startswith("2"), s)):
        answer = responses[status]
        bodies = []
        for media, content in sorted((answer.get("content") or {}).items()):
            schema = content.get("schema", {})
            title = _schema_title(schemas, schema)
            bodies.append(f"`{media}`{' ' + title if title else ''}")
            if status.startswith("2"):
                table = _field_table(schemas, schema)
                if table:
                    tables += [f"`{status}` body ({title or media}):", "", *table, ""]
        headers = ", ".join(f"`{name}` header" for name in sorted(answer.get("headers") or {}))
        shown = "; ".join(b for b in (", ".join(bodies), headers) if b) or "—"
        lines.append(f"| `{status}` | {_cell(str(answer.get('description', '')))} | {_cell(shown)} |")
    return [*lines, "", *tables]


def _operations(document: Mapping[str, Any]) -> dict[str, list[tuple[str, str, Mapping[str, Any]]]]:
    by_tag: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                for tag in operation.get("tags") or ["Other"]:
                    by_tag.setdefault(tag, []).append((path, method, operation))
    for operations in by_tag.values():
        operations.sort(key=lambda op: (op[0], METHODS.index(op[1])))
    return dict(sorted(by_tag.items()))


def _error_codes(schemas: Schemas) -> list[str]:
    error = schemas.resolve({"$ref": "#/components/schemas/Error"}).get("properties", {}).get("error", {})
    codes = error.get("properties", {}).get("code", {}).get("examples") or []
    if not codes:
        return []
    return [f"The codes (`error.code`): {', '.join(_code(code) for code in codes)}.", ""]


def _webhooks(schemas: Schemas, webhooks: Mapping[str, Any]) -> list[str]:
    """Each event type's webhook: the object its `data.object` is, and the request's headers once."""
    if not webhooks:
        return []
    lines = [
        "## Webhooks",
        "",
        "A POST to each enabled endpoint subscribed to the event's type, its body the event "
        "(`Event`, with `type` and `data.object` as below):",
        "",
        "| event type | `data.object` | body |",
        "| --- | --- | --- |",
    ]
    first: Mapping[str, Any] = {}
    for event_type, item in sorted(webhooks.items()):
        delivery = item.get("post", {})
        first = first or delivery
        body = delivery.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        data = schemas.resolve(schemas.resolve(body).get("properties", {}).get("data", {}))
        carried = data.get("properties", {}).get("object", {})
        lines.append(f"| `{event_type}` | {_schema_title(schemas, carried)} | {_schema_title(schemas, body)} |")
    lines.append("")
    lines += _parameters(schemas, first)
    lines += _responses(schemas, first)
    return lines


def render(document: Mapping[str, Any]) -> str:
    schemas = Schemas(document)
    info = document.get("info", {})
    by_tag = _operations(document)
    out = [
        f"# {info.get('title', 'API')} reference",
        "",
        "<!-- Generated by `make apidocs` (`python -m local.apidocs`) from the OpenAPI document that "
        "`GET /v1/openapi.json` serves. Do not edit: change the routes in `functions/api/merchant_api/` and "
        "regenerate; `tests/integration/test_api_docs.py` fails while this file is stale. -->",
        "",
        f"{info.get('description', '')} Version `{info.get('version', '')}`, OpenAPI {document.get('openapi', '')}.",
        "",
        "The conventions every route shares (authentication, errors, lists, `Idempotency-Key`) are in "
        "[the API guide](api-guide.md); the OpenAPI document itself is `GET /v1/openapi.json`.",
        "",
    ]
    security = document.get("components", {}).get("securitySchemes", {})
    if security:
        out += ["Authentication:", ""]
        for name, scheme in sorted(security.items()):
            kind = f"{scheme.get('type', '')} {scheme.get('scheme', '')}".strip()
            out.append(f"- `{name}`: {kind}. {scheme.get('description', '')}".rstrip())
        out.append("")
    out += ["## Contents", ""]
    for tag, operations in by_tag.items():
        out.append(f"- [{tag}](#{_anchor(tag)}): {len(operations)} operations")
    out += ["- [Errors](#errors)"]
    out += ["- [Webhooks](#webhooks)", ""] if document.get("webhooks") else [""]
    for tag, operations in by_tag.items():
        out += [f"## {tag}", ""]
        for path, method, operation in operations:
            out += [f"### `{method.upper()} {path}`", ""]
            if operation.get("summary"):
                out += [operation["summary"].strip(), ""]
            if operation.get("operationId"):
                out += [f"Operation ID: `{operation['operationId']}`.", ""]
            if operation.get("description"):
                out += [operation["description"].strip(), ""]
            if operation.get("security") == []:
                out += ["Public: no key needed.", ""]
            out += _parameters(schemas, operation)
            out += _request_body(schemas, operation)
            out += _responses(schemas, operation)
    out += [
        "## Errors",
        "",
        "Every error answer, whatever its status, is this body (`Error`):",
        "",
        *_field_table(schemas, {"$ref": "#/components/schemas/Error"}),
        "",
        *_error_codes(schemas),
        *_webhooks(schemas, document.get("webhooks") or {}),
    ]
    return "\n".join(line.rstrip() for line in out).rstrip() + "\n"


def stale(path: Path = API_DOCS, document: Mapping[str, Any] | None = None) -> bool:
    """Whether `path` differs from what the code generates."""
    expected = render(document if document is not None else openapi_document())
    return not path.exists() or path.read_text(encoding="utf-8") != expected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.apidocs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is stale; write nothing")
    args = parser.parse_args(argv)
    relative = API_DOCS.relative_to(ROOT)
    if args.check:
        if stale():
            print(f"{relative} is stale: run `make apidocs` and commit it", file=sys.stderr)
            return 1
        print(f"{relative} is up to date")
        return 0
    API_DOCS.parent.mkdir(parents=True, exist_ok=True)
    API_DOCS.write_text(render(openapi_document()), encoding="utf-8")
    print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
