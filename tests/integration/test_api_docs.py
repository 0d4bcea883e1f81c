"""docs/api.md is the API reference generated from the OpenAPI document the API serves
(`local/apidocs.py`, `make apidocs`): it fails while the file is stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local import apidocs


def test_docs_api_md_is_what_the_openapi_document_generates() -> None:
    # Given the OpenAPI document, as GET /v1/openapi.json serves it
    document = apidocs.openapi_document()
    # Then docs/api.md is exactly its rendering
    assert not apidocs.stale(apidocs.API_DOCS, document), "docs/api.md is stale: run `make apidocs`"


def test_the_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    # Given the generated reference with one operation's summary edited by hand
    document = apidocs.openapi_document()
    edited = tmp_path / "api.md"
    edited.write_text(apidocs.render(document).replace("Create a customer", "Make a customer", 1))
    # Then the check finds it stale, and a missing file too
    assert apidocs.stale(edited, document)
    assert apidocs.stale(tmp_path / "missing.md", document)


def test_every_operation_of_the_document_is_in_the_reference() -> None:
    document = apidocs.openapi_document()
    text = apidocs.render(document)
    for path, item in document["paths"].items():
        for method in item:
            assert f"### `{method.upper()} {path}`" in text


SAMPLE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Sample", "version": "1", "description": "A sample."},
    "paths": {
        "/v1/things/{thing_id}": {
            "get": {
                "tags": ["Things"],
                "summary": "Retrieve a thing",
                "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The thing",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "4XX": {
                        "description": "Refused",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "pattern": "^th_[a-z]+$"},
                    "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
                    "owner": {"anyOf": [{"$ref": "#/components/schemas/Thing"}, {"type": "null"}]},
                },
            },
            "Part": {"type": "object", "properties": {"amount": {"type": "integer", "minimum": 0.0}}},
            "Error": {"type": "object", "properties": {"error": {"type": "object"}}},
        }
    },
}


def test_response_schemas_are_rendered_field_by_field() -> None:
    # Given an operation whose 200 names a schema with nested, array and self-referring fields
    text = apidocs.render(SAMPLE)
    # Then its fields are listed, dotted, with their types, and the error response names its schema
    assert "`200` body (`Thing`):" in text
    assert "| `id` | string | yes | pattern `^th_[a-z]+$` |" in text
    assert "| `parts[].amount` | integer |  | ≥ 0 |" in text
    assert "| `owner` | Thing or null |  |  |" in text
    assert "| `4XX` | Refused | `application/json` `Error` |" in text
    assert "owner.id" not in text  # a schema inside itself is named, not expanded
    # and rendering twice gives the same text
    assert apidocs.render(SAMPLE) == text
