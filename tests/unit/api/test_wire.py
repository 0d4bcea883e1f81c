"""Validation errors become 400s that name the field; domain errors keep their status."""

from __future__ import annotations

import pytest

from billing.kernel.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound, ServiceUnavailable
from tests.support.functions import import_api_module

wire = import_api_module("merchant_api.wire")


@pytest.mark.parametrize(
    ("error", "param", "code"),
    [
        ({"type": "missing", "loc": ("body", "customer"), "msg": "Field required"}, "customer", "parameter_missing"),
        ({"type": "extra_forbidden", "loc": ("body", "colour"), "msg": "x"}, "colour", "parameter_unknown"),
        ({"type": "int_parsing", "loc": ("query", "limit"), "msg": "bad"}, "limit", "parameter_invalid"),
        (
            {"type": "string_too_long", "loc": ("body", "address", "city"), "msg": "long"},
            "address.city",
            "parameter_invalid",
        ),
        (
            {"type": "value_error", "loc": ("body", "items", 0, "price"), "msg": "Value error, no"},
            "items.0.price",
            "parameter_invalid",
        ),
    ],
)
def test_the_first_pydantic_error_names_its_field(error: dict[str, object], param: str, code: str) -> None:
    converted = wire.validation_error([error])
    assert (converted.status, converted.param, converted.code) == (400, param, code)
    assert "Value error" not in converted.message


def test_a_body_that_is_not_json_has_no_param() -> None:
    converted = wire.validation_error([{"type": "json_invalid", "loc": ("body", 0), "msg": "x"}])
    assert converted.code == "body_invalid" and converted.param is None


@pytest.mark.parametrize(
    ("error", "status", "type_"),
    [
        (InvalidRequest("x", param="p"), 400, "invalid_request_error"),
        (AuthenticationFailed("x"), 401, "authentication_error"),
        (NotFound("x"), 404, "invalid_request_error"),
        (Conflict("x"), 409, "invalid_request_error"),
        (ServiceUnavailable("x"), 503, "api_error"),
    ],
)
def test_domain_errors_keep_their_status_and_envelope(error: InvalidRequest, status: int, type_: str) -> None:
    response = wire.error_response(error)
    assert response.status_code == status
    assert response.body == error.envelope()
    assert error.envelope()["error"]["type"] == type_
    if status == 503:
        assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("customer", "nope", "No such customer: 'nope'."),
        ("paymentMethod", "pm_!", "No such payment method: 'pm_!'."),
        ("taxId", "x" * 150, f"No such tax ID: '{'x' * 100}…'."),
        ("account", "acct-1", "No payment gateway is connected for this account and mode."),
    ],
)
def test_a_malformed_path_id_is_a_404_naming_the_parameter_without_its_pattern(
    name: str, value: str, message: str
) -> None:
    # Given pydantic's refusal of a path parameter's pattern (what a malformed ID gives)
    error = {
        "type": "string_pattern_mismatch",
        "loc": ("path", name),
        "msg": "String should match pattern '^cust_[A-Za-z0-9]{1,40}$'",
        "input": value,
    }
    # Then it is the 404 of an object that is not there, naming the parameter, in the service's words
    converted = wire.validation_error([error])
    assert (converted.status, converted.code, converted.param) == (404, "resource_missing", name)
    assert converted.message == message


def test_a_pattern_is_never_the_message() -> None:
    error = {
        "type": "string_pattern_mismatch",
        "loc": ("body", "testClock"),
        "msg": "String should match pattern '^clock_'",
    }
    converted = wire.validation_error([error])
    assert (converted.status, converted.code, converted.param) == (400, "parameter_invalid", "testClock")
    assert "^" not in converted.message and "pattern '" not in converted.message
