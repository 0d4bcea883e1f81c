"""Payload v2 events and responses, as API Gateway builds and reads them."""

from __future__ import annotations

import base64

import pytest

from local.invoke import http_event, http_response, match_route, route_key, route_specificity


def test_cookies_move_to_their_own_list_and_repeated_headers_and_params_join_with_commas() -> None:
    event = http_event(
        "get",
        "/v1/things",
        query="a=1&a=2&b=",
        headers=[("Cookie", "x=1; y=2"), ("X-Tag", "one"), ("x-tag", "two"), ("Host", "portal.test")],
    )
    assert event["version"] == "2.0"
    assert event["cookies"] == ["x=1", "y=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-tag"] == "one,two"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["domainName"] == "portal.test"


def test_text_bodies_stay_text_and_binary_bodies_are_base64() -> None:
    text = http_event("POST", "/", headers={"content-type": "application/json"}, body=b'{"a": "\xc3\xa9"}')
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": "é"}', False)
    raw = bytes(range(256))
    binary = http_event("POST", "/", headers={"content-type": "application/octet-stream"}, body=raw)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == raw


def test_responses_carry_cookies_and_decode_binary_bodies() -> None:
    pdf = b"%PDF-1.7\x00\xff"
    response = http_response(
        {
            "statusCode": 200,
            "headers": {"content-type": "application/pdf"},
            "cookies": ["a=1; Secure", "b=2"],
            "body": base64.b64encode(pdf).decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.body == pdf
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1; Secure", "b=2"]


def test_a_bare_value_is_a_200_json_answer() -> None:
    response = http_response({"hello": "world"})
    assert (response.status, response.json()) == (200, {"hello": "world"})


@pytest.mark.parametrize(
    ("template", "path", "params"),
    [
        ("/v1/customers/{id}", "/v1/customers/cust_1", {"id": "cust_1"}),
        ("/v1/customers/{id}", "/v1/customers", None),
        ("/v1/customers/{id}", "/v1/customers/a/b", None),
        ("/{proxy+}", "/session/bps_1", {"proxy": "session/bps_1"}),
        ("/{proxy+}", "/", None),
        ("/", "/", {}),
        ("$default", "/v1/anything/at/all", {}),
        ("$default", "/", {}),
    ],
)
def test_route_matching(template: str, path: str, params: dict[str, str] | None) -> None:
    assert match_route(template, path) == params


def test_literal_routes_win_over_parameters_and_greedy_routes_come_last() -> None:
    ordered = sorted(["$default", "/{proxy+}", "/v1/{thing}", "/v1/account"], key=route_specificity)
    assert ordered == ["/v1/account", "/v1/{thing}", "/{proxy+}", "$default"]


def test_the_default_route_has_its_own_route_key() -> None:
    assert route_key("ANY", "$default") == "$default"
    assert route_key("GET", "/v1/customers/{id}") == "GET /v1/customers/{id}"
