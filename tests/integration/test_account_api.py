"""The merchant API's account endpoints, authentication and error envelope, driven like a merchant."""

from __future__ import annotations

from typing import Any

import pytest

from billing.accounts import accounts
from billing.store.repository import Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client


def assert_envelope(body: dict[str, Any], *, type_: str, param: str | None = None) -> None:
    error = body["error"]
    assert error["type"] == type_
    assert error["code"] and error["message"]
    assert error.get("param") == param
    assert "Traceback" not in error["message"]


class TestAuthentication:
    def test_a_valid_key_reads_its_own_account(self, stack: Stack) -> None:
        # Given a new merchant and its first key
        account_id, key = stack.new_account("Acme")
        # When it reads its account
        response = ApiClient(stack.template, key=key).get("/v1/account")
        # Then it sees itself, in test mode
        assert response.status == 200
        body = response.json()
        assert body["id"] == account_id
        assert body["name"] == "Acme"
        assert body["object"] == "account"
        assert body["livemode"] is False

    @pytest.mark.parametrize(
        ("authorization", "code"),
        [
            (None, "missing_api_key"),
            ("Basic dXNlcjpwYXNz", "invalid_api_key"),
            ("Bearer", "invalid_api_key"),
            ("Bearer sk_test_short", "invalid_api_key"),
            ("Bearer sk_test_" + "A" * 32, "invalid_api_key"),
            ("Bearer pk_test_abcdef123456", "invalid_api_key"),
        ],
    )
    def test_missing_malformed_unknown_and_publishable_keys_are_401(
        self, stack: Stack, authorization: str | None, code: str
    ) -> None:
        # Given a request with a bad or no Authorization header
        headers = {"authorization": authorization} if authorization else {}
        # When it calls an authenticated route
        response = ApiClient(stack.template).get("/v1/account", headers=headers)
        # Then it is refused with the error envelope
        assert response.status == 401
        assert_envelope(response.json(), type_="authentication_error")
        assert response.json()["error"]["code"] == code

    def test_a_revoked_key_is_401_and_the_other_keys_keep_working(self, stack: Stack) -> None:
        # Given an account with two keys
        account_id, first = stack.new_account()
        second = accounts.add_key(account_id, "test", table=Table())
        first_id = next(k["id"] for k in accounts.list_keys(account_id, table=Table()) if k["id"] != second.key_id)
        # When the first is revoked
        accounts.revoke_key(account_id, first_id, table=Table())
        # Then it no longer authenticates, and the second still does
        assert ApiClient(stack.template, key=first).get("/v1/account").status == 401
        assert ApiClient(stack.template, key=second.secret).get("/v1/account").status == 200

    def test_an_unauthenticated_request_with_a_bad_body_is_401_not_400(self, stack: Stack) -> None:
        # Given no key and an invalid body, When posted
        response = ApiClient(stack.template).post(
            "/v1/account", body="{not json", headers={"content-type": "application/json"}
        )
        # Then authentication is judged first
        assert response.status == 401

    def test_two_accounts_never_see_each_other(self, stack: Stack) -> None:
        # Given two merchants
        first_id, first_key = stack.new_account("First")
        second_id, second_key = stack.new_account("Second")
        # When each reads its account
        first = ApiClient(stack.template, key=first_key).get("/v1/account").json()
        second = ApiClient(stack.template, key=second_key).get("/v1/account").json()
        # Then each sees only itself
        assert (first["id"], second["id"]) == (first_id, second_id)


@pytest.fixture
def live(merchant: ApiClient) -> ApiClient:
    """The merchant's account with a live key: its business details show on live invoices."""
    return live_client(merchant)


class TestAccountUpdate:
    def test_business_details_are_saved_and_normalised(self, live: ApiClient) -> None:
        # When the merchant sets its business details
        response = live.post(
            "/v1/account",
            {
                "name": "Acme",
                "legalName": "Acme GmbH",
                "country": "de",
                "address": {"line1": "Unter den Linden 1", "city": "Berlin", "postalCode": "10117", "country": "DE"},
                "taxId": "DE136695976",
                "defaultCurrency": "EUR",
                "defaultSessionMinutes": 45,
            },
        )
        # Then they are answered normalised and read back the same
        assert response.status == 200, response.text
        body = response.json()
        assert body["country"] == "DE"
        assert body["defaultCurrency"] == "eur"
        assert body["defaultSessionMinutes"] == 45
        assert live.get("/v1/account").json() == body

    def test_a_partial_update_keeps_the_other_fields(self, live: ApiClient) -> None:
        live.post("/v1/account", {"legalName": "Acme Ltd", "country": "GB"})
        # When only one field changes
        body = live.post("/v1/account", {"defaultSessionMinutes": 60}).json()
        # Then the others stay
        assert (body["legalName"], body["country"], body["defaultSessionMinutes"]) == ("Acme Ltd", "GB", 60)

    def test_null_sets_a_field_back_to_its_default_and_leaves_the_name(self, live: ApiClient) -> None:
        # Given an account with its own currency, session length and legal name
        name = live.post("/v1/account", {"defaultCurrency": "EUR", "defaultSessionMinutes": 60}).json()["name"]
        live.post("/v1/account", {"legalName": "Acme Ltd"})
        # When each is set to null (found by schemathesis: the answer said null where the schema says a number)
        body = live.post(
            "/v1/account",
            {"defaultCurrency": None, "defaultSessionMinutes": None, "legalName": None, "name": None},
        ).json()
        # Then the defaults are back, the legal name is gone and the name is kept
        assert (body["defaultCurrency"], body["defaultSessionMinutes"]) == ("usd", 30)
        assert (body["legalName"], body["name"]) == (None, name)
        assert live.get("/v1/account").json() == body

    @pytest.mark.parametrize(
        ("payload", "param"),
        [
            ({"defaultSessionMinutes": 4}, "defaultSessionMinutes"),
            ({"defaultSessionMinutes": 241}, "defaultSessionMinutes"),
            ({"defaultSessionMinutes": "30"}, "defaultSessionMinutes"),
            ({"country": "XX"}, "country"),
            ({"defaultCurrency": "abc"}, "defaultCurrency"),
            ({"address": {"country": "Germany"}}, "address.country"),
            ({"name": ""}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_invalid_fields_are_400_naming_the_field(
        self, live: ApiClient, payload: dict[str, Any], param: str
    ) -> None:
        # When a field is invalid
        response = live.post("/v1/account", payload)
        # Then the 400 names it and nothing changes
        assert response.status == 400, response.text
        assert_envelope(response.json(), type_="invalid_request_error", param=param)
        assert live.get("/v1/account").json()["defaultSessionMinutes"] == 30

    def test_a_body_that_is_not_json_is_400(self, live: ApiClient) -> None:
        response = live.post("/v1/account", body="{oops", headers={"content-type": "application/json"})
        assert response.status == 400
        assert response.json()["error"]["code"] == "body_invalid"


class TestLiveFacingDetailsNeedALiveKey:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name", "Other Name"),
            ("legalName", "Other GmbH"),
            ("country", "FR"),
            ("address", {"line1": "1 rue de Rivoli", "city": "Paris", "postalCode": "75001", "country": "FR"}),
            ("taxId", "FR40303265045"),
            ("defaultSessionMinutes", 240),
        ],
    )
    def test_a_test_key_gets_a_403_naming_the_field_and_changes_nothing(
        self, merchant: ApiClient, field: str, value: Any
    ) -> None:
        before = merchant.get("/v1/account").json()
        # When a test key changes what live invoices or live sessions show (with a field it may change)
        response = merchant.post("/v1/account", {"defaultCurrency": "eur", field: value})
        # Then it is refused, naming the field and saying a live key is needed, and nothing changes
        assert response.status == 403, response.text
        assert_envelope(response.json(), type_="permission_error", param=field)
        assert response.json()["error"]["code"] == "live_key_required"
        assert "live secret key" in response.json()["error"]["message"]
        assert merchant.get("/v1/account").json() == before

    def test_a_live_key_changes_them_for_both_modes_and_a_test_key_keeps_the_rest(
        self, merchant: ApiClient, live: ApiClient
    ) -> None:
        # A setting nothing live reads stays writable with a test key
        assert merchant.post("/v1/account", {"defaultCurrency": "EUR"}).json()["defaultCurrency"] == "eur"
        # The live key sets the details, and the test key reads the same account
        changed = live.post("/v1/account", {"legalName": "Acme GmbH", "defaultSessionMinutes": 45})
        assert changed.status == 200, changed.text
        assert changed.json()["livemode"] is True
        seen = merchant.get("/v1/account").json()
        assert (seen["legalName"], seen["defaultSessionMinutes"], seen["livemode"]) == ("Acme GmbH", 45, False)


class TestPublicRoutes:
    def test_openapi_is_served_without_a_key_and_describes_the_account_routes(self, stack: Stack) -> None:
        response = ApiClient(stack.template).get("/v1/openapi.json")
        assert response.status == 200
        document = response.json()
        assert document["openapi"].startswith("3.")
        assert {"get", "post"} <= set(document["paths"]["/v1/account"])
        assert "secretKey" in document["components"]["securitySchemes"]

    def test_health_answers_without_a_key(self, stack: Stack) -> None:
        response = ApiClient(stack.template).get("/health")
        assert (response.status, response.json()["status"]) == (200, "ok")

    def test_an_unknown_route_is_a_404_envelope(self, merchant: ApiClient) -> None:
        response = merchant.get("/v1/nothing-here")
        assert response.status == 404
        assert_envelope(response.json(), type_="invalid_request_error")


class TestUnexpectedFaults:
    def test_an_internal_fault_is_a_500_envelope_without_details(
        self, merchant: ApiClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given the account store fails in an unforeseen way
        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("secret internal detail")

        monkeypatch.setattr(accounts, "get_account", broken)
        # When the merchant reads its account
        response = merchant.get("/v1/account")
        # Then it gets a generic 500 envelope, no stack trace, no internal message
        assert response.status == 500
        assert response.json()["error"]["type"] == "api_error"
        assert "secret internal detail" not in response.text
