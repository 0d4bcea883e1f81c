"""The `Idempotency-Key` machinery: loaded by a keyed POST or DELETE only, and Powertools'
idempotency errors answered as the API's own errors, exactly as before they were translated."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from billing.kernel.errors import BillingError
from tests.support.functions import cold_start_json, import_api_module

idempotency = import_api_module("merchant_api.idempotency")
wire = import_api_module("merchant_api.wire")


def _app(method: str, key: str | None) -> SimpleNamespace:
    headers = {} if key is None else {"idempotency-key": key}
    event = SimpleNamespace(
        http_method=method, path="/v1/customers", body="{}", headers=headers, query_string_parameters=None
    )
    return SimpleNamespace(current_event=event, lambda_context=None, context={})


def _failing_with(error: Exception) -> Callable[..., Callable[..., Any]]:
    """Stands in for `idempotent_function`: the decorated request fails with `error`, as
    Powertools fails it before (or instead of) running it."""

    def decorator(**_: Any) -> Callable[..., Any]:
        def wrap(_function: Callable[..., Any]) -> Callable[..., Any]:
            def run(**__: Any) -> Any:
                raise error

            return run

        return wrap

    return decorator


@pytest.mark.parametrize(
    ("powertools_error", "status", "envelope", "headers"),
    [
        (
            IdempotencyValidationError("Payload does not match stored record for this event key"),
            400,
            {
                "type": "invalid_request_error",
                "code": "idempotency_key_reused",
                "message": "This Idempotency-Key was used with a different request; use a new key for a new request.",
                "param": "Idempotency-Key",
            },
            None,
        ),
        (
            IdempotencyAlreadyInProgressError("Execution already in progress with idempotency key"),
            409,
            {
                "type": "invalid_request_error",
                "code": "idempotency_in_progress",
                "message": "A request with this Idempotency-Key is still in progress; retry shortly.",
            },
            None,
        ),
        (
            IdempotencyPersistenceLayerError("Failed to save in progress record to idempotency store"),
            503,
            {
                "type": "api_error",
                "code": "service_unavailable",
                "message": "The data store did not answer in time; retry the request with the same Idempotency-Key.",
            },
            {"Retry-After": "1"},
        ),
    ],
)
def test_powertools_idempotency_errors_answer_as_the_apis_own(
    monkeypatch: pytest.MonkeyPatch,
    powertools_error: Exception,
    status: int,
    envelope: dict[str, str],
    headers: dict[str, str] | None,
) -> None:
    # Given a keyed POST whose idempotency record Powertools refuses (nothing was carried out)
    monkeypatch.setattr(idempotency, "idempotent_function", _failing_with(powertools_error))
    monkeypatch.setattr(idempotency, "_persistence", lambda _table: object())
    monkeypatch.setattr(idempotency, "caller", lambda _app: SimpleNamespace(account_id="acct_1", mode="test"))
    monkeypatch.setattr(idempotency.config, "settings", lambda: SimpleNamespace(table_name="t"))
    reached: list[object] = []
    # When it is answered
    with pytest.raises(BillingError) as raised:
        idempotency.answer_once(_app("POST", "k1"), "k1", reached.append)
    # Then the error is the API's own, answering what the resolver's handlers for Powertools'
    # errors answered, and the request itself never ran
    answer = wire.error_response(raised.value)
    expected_headers = {"Content-Type": "application/json", **(headers or {})}
    assert (answer.status_code, answer.body, answer.headers) == (status, {"error": envelope}, expected_headers)
    assert raised.value.__cause__ is powertools_error
    assert reached == []


def _cold_start(script: str) -> dict[str, Any]:
    prelude = (
        "import json, sys, threading\n"
        "from types import SimpleNamespace\n"
        "import app\n"
        "from merchant_api import request\n"
        "def event(method, key):\n"
        "    headers = {} if key is None else {'idempotency-key': key}\n"
        "    current = SimpleNamespace(http_method=method, path='/v1/customers', body='{}', headers=headers)\n"
        "    return SimpleNamespace(current_event=current, lambda_context=None, context={})\n"
        "def loaded():\n"
        "    names = ('aws_lambda_powertools.utilities.idempotency', 'merchant_api.idempotency')\n"
        "    return sorted(name for name in names if name in sys.modules)\n"
    )
    found: dict[str, Any] = cold_start_json("api", prelude + script)
    return found


def test_the_idempotency_machinery_is_loaded_by_the_first_keyed_post_or_delete_only() -> None:
    # Given a cold start, then requests without a key or with a key on a GET, then keyed POSTs
    # from eight threads at once (a key too long: refused before any record is read)
    found = _cold_start(
        "steps = {'cold start': loaded()}\n"
        "passed = []\n"
        "for method, key in (('GET', 'k1'), ('POST', None), ('DELETE', ' '), ('PATCH', 'k1')):\n"
        "    request.idempotent_requests(event(method, key), passed.append)\n"
        "steps['unkeyed'] = loaded()\n"
        "answers = []\n"
        "def keyed():\n"
        "    try:\n"
        "        request.idempotent_requests(event('POST', 'k' * 256), passed.append)\n"
        "    except Exception as error:\n"
        "        answers.append([type(error).__name__, str(error)])\n"
        "threads = [threading.Thread(target=keyed) for _ in range(8)]\n"
        "for thread in threads: thread.start()\n"
        "for thread in threads: thread.join()\n"
        "steps['keyed'] = loaded()\n"
        "print(json.dumps({'steps': steps, 'passed': len(passed), 'answers': answers}))\n"
    )
    # Then neither the cold start nor the unkeyed requests load it, and each of those went on
    assert found["steps"]["cold start"] == [] and found["steps"]["unkeyed"] == []
    assert found["passed"] == 4
    # And the keyed requests load it, each answered by it (none saw a half-imported module)
    assert found["steps"]["keyed"] == ["aws_lambda_powertools.utilities.idempotency", "merchant_api.idempotency"]
    assert found["answers"] == [["InvalidRequest", "Idempotency-Key is at most 255 characters."]] * 8


@pytest.mark.parametrize(
    ("first", "retry"),
    [
        ('{"name": "Ann", "metadata": {"a": "1", "b": "2"}}', '{"metadata":{"b":"2","a":"1"},"name":"Ann"}'),
        ('{"name": "Ann"}', '\n  {\n    "name" :\t"Ann"\n  }\n'),
        (r'{"name": "\u00c5sa"}', '{"name": "Åsa"}'),
        ('{"amount": 10}', '{"amount": 10.0}'),
        ('{"amount": 10}', '{"amount": 1e1}'),
        ('{"rate": 0.5}', '{"rate": 0.50}'),
        ('{"rate": 0.5}', '{"rate": 5E-1}'),
        ('{"items": [{"price": "p", "quantity": 2}]}', '{"items":[{"quantity":2,"price":"p"}]}'),
        ("", ""),
    ],
)
def test_the_same_json_in_another_spelling_has_one_fingerprint(first: str, retry: str) -> None:
    assert idempotency.fingerprint("POST", "/v1/customers", None, first) == idempotency.fingerprint(
        "POST", "/v1/customers", None, retry
    )


@pytest.mark.parametrize(
    ("first", "other"),
    [
        ('{"name": "Ann"}', '{"name": "Anne"}'),
        ('{"amount": 10}', '{"amount": "10"}'),
        ('{"amount": 10}', '{"amount": 10.5}'),
        ('{"flag": true}', '{"flag": 1}'),
        ('{"value": null}', "{}"),
        ('{"items": [1, 2]}', '{"items": [2, 1]}'),
        ('{"a": {"b": 1}}', '{"a.b": 1}'),
        ("not json", "not  json"),
    ],
)
def test_another_meaning_has_another_fingerprint(first: str, other: str) -> None:
    assert idempotency.fingerprint("POST", "/v1/customers", None, first) != idempotency.fingerprint(
        "POST", "/v1/customers", None, other
    )


def test_the_method_path_and_query_are_in_the_fingerprint_in_any_query_order() -> None:
    base = idempotency.fingerprint("DELETE", "/v1/subscriptions/sub_1", {"prorate": "true", "invoiceNow": "true"}, None)
    same = idempotency.fingerprint("DELETE", "/v1/subscriptions/sub_1", {"invoiceNow": "true", "prorate": "true"}, None)
    assert base == same
    assert base != idempotency.fingerprint("DELETE", "/v1/subscriptions/sub_1", {"prorate": "true"}, None)
    assert base != idempotency.fingerprint(
        "DELETE", "/v1/subscriptions/sub_2", {"prorate": "true", "invoiceNow": "true"}, None
    )
    assert base != idempotency.fingerprint(
        "POST", "/v1/subscriptions/sub_1", {"prorate": "true", "invoiceNow": "true"}, None
    )
