"""What the fuzzing found in the merchant API, pinned: each of these was a 500, an undocumented
answer, or schema-violating input accepted, before its fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.apiclient import ApiClient


def error_of(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status == status, (answer.status, answer.body[:500])
    body = answer.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"type", "code", "message"} <= set(error) <= {"type", "code", "message", "param"}, error
    return error


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data", "image/png"],
)
def test_a_body_in_another_media_type_is_a_415(merchant: ApiClient, content_type: str) -> None:
    # was: 500 (Powertools' RequestUnsupportedContentType; a multipart type without its boundary)
    answer = merchant.request("POST", "/v1/customers", body="name=x", headers={"content-type": content_type})
    assert error_of(answer, 415)["code"] == "unsupported_media_type"
    assert merchant.get("/v1/customers").json()["data"] == []


def test_a_415_comes_after_the_401(merchant: ApiClient) -> None:
    answer = merchant.request("POST", "/v1/customers", body="x", headers={"content-type": "text/plain"}, key="")
    assert error_of(answer, 401)["type"] == "authentication_error"


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, '{"name":' * 50_000, b"\x98\xff\xfe", b'{"name": "\xff"}'],
    ids=["nested-arrays", "nested-objects", "not-utf8", "not-utf8-in-a-string"],
)
def test_a_body_too_deep_or_not_utf8_is_a_400(merchant: ApiClient, body: str | bytes) -> None:
    # was: 500 (RecursionError in the JSON parser; UnicodeDecodeError of a base64 body)
    answer = merchant.request("POST", "/v1/customers", body=body, headers={"content-type": "application/json"})
    assert error_of(answer, 400)["code"] == "body_invalid"


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "off"])
def test_booleans_are_json_booleans(merchant: ApiClient, value: Any) -> None:
    # was: accepted (pydantic's lax mode reads 0, 1, "yes" … as booleans; the schema says boolean)
    error = error_of(merchant.post("/v1/products", {"name": "Pro", "active": value}), 400)
    assert error["param"] == "active"


@pytest.mark.parametrize("value", [0, 1_700_000_000, 1.5])
def test_a_date_time_is_an_iso_string(merchant: ApiClient, value: Any) -> None:
    # was: accepted as a Unix time (the schema says an ISO 8601 date-time string)
    error = error_of(merchant.post("/v1/test_clocks", {"frozenTime": value}), 400)
    assert error["param"] == "frozenTime"
    assert merchant.post("/v1/test_clocks", {"frozenTime": "2026-05-01T09:00:00+02:00"}).status == 200


def test_an_unknown_query_parameter_is_named_in_a_400(merchant: ApiClient) -> None:
    # was: silently ignored (a typo such as ?limt=5 answered the default page)
    error = error_of(merchant.get("/v1/customers", query={"limt": "5"}), 400)
    assert (error["code"], error["param"]) == ("parameter_unknown", "limt")
    assert error_of(merchant.get("/v1/customers", query={"x" * 5000: "1"}), 400)["param"].endswith("…")
    assert merchant.get("/v1/customers", query={"limit": "5"}).status == 200
    assert merchant.get("/health", query={"anything": "1"}).status == 200


def test_the_openapi_document_states_the_errors_as_answered(merchant: ApiClient) -> None:
    # was: every operation documented a 422 with Powertools' validation body, never answered
    document = merchant.get("/v1/openapi.json", key="").json()
    assert "Error" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            assert responses["4XX"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
