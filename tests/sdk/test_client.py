"""The client over a mock transport: idempotency keys, retries, typed errors, wire casing, paging."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from vinr import (
    NOT_GIVEN,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CardError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Vinr,
    VinrError,
)
from vinr._wire import camel, camelize

from local.template import Template
from tests.sdk.conftest import BASE_URL, KEY, Recorder, answer, error

MockClient = Callable[..., Vinr]


def sequence(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering each request with the next response (or raising the next exception)."""
    pending = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        nxt = pending.pop(0)
        if isinstance(nxt, Exception):
            raise nxt
        return nxt

    return handle


# --- Idempotency-Key and retries ------------------------------------------------------------


def test_a_post_retried_after_5xx_carries_the_same_idempotency_key_and_body(
    mock_client: MockClient, recorder: Recorder
) -> None:
    # Given an API that fails twice with 5xx before answering
    client = mock_client(sequence(error(500, code="internal_error"), error(502, code="x"), answer(body={"id": "c1"})))
    # When a customer is created
    created = client.customers.create(email="ada@example.com")
    # Then the third attempt's answer is returned
    assert created == {"id": "c1"}
    assert len(recorder.requests) == 3
    # And all three attempts carried one generated UUID4 key and identical bytes
    keys = {r.headers["idempotency-key"] for r in recorder.requests}
    assert len(keys) == 1
    assert uuid.UUID(keys.pop()).version == 4
    assert len({r.content for r in recorder.requests}) == 1
    assert recorder.body() == {"email": "ada@example.com"}


def test_a_callers_idempotency_key_is_sent_as_given_on_every_attempt(
    mock_client: MockClient, recorder: Recorder
) -> None:
    client = mock_client(sequence(error(503, code="service_unavailable"), answer()))
    client.subscriptions.cancel("sub_1", idempotency_key="cancel-sub_1-once")
    assert [r.headers["idempotency-key"] for r in recorder.requests] == ["cancel-sub_1-once"] * 2
    assert [r.method for r in recorder.requests] == ["DELETE", "DELETE"]


def test_each_call_gets_its_own_key_and_reads_get_none(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: answer())
    client.products.create(name="A")
    client.products.create(name="A")
    client.billing.portal_sessions.revoke("bps_1")
    client.customers.retrieve("cust_1")
    first, second, revoke, read = recorder.requests
    assert (
        len({first.headers["idempotency-key"], second.headers["idempotency-key"], revoke.headers["idempotency-key"]})
        == 3
    )
    assert "idempotency-key" not in read.headers


def test_a_429_is_retried_after_the_servers_retry_after(mock_client: MockClient, recorder: Recorder) -> None:
    # Given a rate-limited first answer that says to wait 3 seconds
    client = mock_client(sequence(error(429, code="rate_limited", headers={"Retry-After": "3"}), answer()))
    # When a call is made
    client.account.retrieve()
    # Then the client waited exactly what the server said, then succeeded
    assert recorder.sleeps == [3.0]
    assert len(recorder.requests) == 2


def test_without_retry_after_the_backoff_grows_exponentially_with_jitter(
    mock_client: MockClient, recorder: Recorder
) -> None:
    client = mock_client(lambda _: error(500, code="internal_error"), max_retries=3)
    with pytest.raises(APIError):
        client.account.retrieve()
    assert len(recorder.requests) == 4
    first, second, third = recorder.sleeps
    assert 0.375 <= first <= 0.5 and 0.75 <= second <= 1.0 and 1.5 <= third <= 2.0


def test_an_absurd_retry_after_is_capped(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(sequence(error(503, code="x", headers={"Retry-After": "86400"}), answer()))
    client.account.retrieve()
    assert recorder.sleeps == [60.0]


def test_connection_errors_are_retried_then_surface_as_api_connection_error(
    mock_client: MockClient, recorder: Recorder
) -> None:
    # Given a network that refuses one connection, then works
    client = mock_client(sequence(httpx.ConnectError("refused"), answer(body={"id": "cust_1"})))
    # Then the call succeeds on the retry, with the same key
    assert client.customers.create(name="A")["id"] == "cust_1"
    assert len({r.headers["idempotency-key"] for r in recorder.requests}) == 1
    # And when the network never answers, the typed error comes after 1 + max_retries attempts
    recorder.requests.clear()
    down = mock_client(lambda _: (_ for _ in ()).throw(httpx.ConnectError("refused")), max_retries=2)
    with pytest.raises(APIConnectionError, match="3 attempt") as failed:
        down.customers.create(name="A")
    assert len(recorder.requests) == 3
    assert failed.value.status is None


def test_timeouts_are_retried_and_surface_as_api_timeout_error(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: (_ for _ in ()).throw(httpx.ReadTimeout("slow")), max_retries=1)
    with pytest.raises(APITimeoutError) as failed:
        client.invoices.retrieve("inv_1")
    assert isinstance(failed.value, APIConnectionError)
    assert len(recorder.requests) == 2


def test_a_400_is_not_retried_and_carries_status_code_param_type_and_request_id(
    mock_client: MockClient, recorder: Recorder
) -> None:
    client = mock_client(
        lambda _: error(
            400,
            code="parameter_invalid",
            param="address.country",
            message="Invalid address.country: unknown country.",
            headers={"apigw-requestid": "req_abc"},
        )
    )
    with pytest.raises(InvalidRequestError) as failed:
        client.customers.create(address={"country": "XX"})
    assert len(recorder.requests) == 1
    assert recorder.sleeps == []
    e = failed.value
    assert (e.status, e.code, e.param, e.type, e.request_id) == (
        400,
        "parameter_invalid",
        "address.country",
        "invalid_request_error",
        "req_abc",
    )
    assert e.message == "Invalid address.country: unknown country."
    assert "address.country" in str(e) and "req_abc" in str(e)


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (401, AuthenticationError, "invalid_api_key"),
        (403, PermissionDeniedError, "forbidden"),
        (404, NotFoundError, "resource_missing"),
        (402, CardError, "card_declined"),
        (409, ConflictError, "idempotency_in_progress"),
        (409, ConflictError, "resource_exists"),
        (422, InvalidRequestError, "unprocessable"),
        (413, InvalidRequestError, "too_large"),
        (429, RateLimitError, "rate_limited"),
        (500, APIError, "internal_error"),
        (503, APIError, "service_unavailable"),
    ],
)
def test_each_status_maps_to_its_typed_error(
    mock_client: MockClient, recorder: Recorder, status: int, kind: type[VinrError], code: str
) -> None:
    client = mock_client(lambda _: error(status, code=code, param="id"), max_retries=1)
    with pytest.raises(kind) as failed:
        client.customers.retrieve("cust_missing")
    assert isinstance(failed.value, VinrError)
    assert (failed.value.status, failed.value.code, failed.value.param) == (status, code, "id")
    retried = status == 429 or status >= 500 or code == "idempotency_in_progress"
    assert len(recorder.requests) == (2 if retried else 1)


def test_a_key_still_in_progress_is_retried_with_the_same_key_and_body_until_answered(
    mock_client: MockClient, recorder: Recorder
) -> None:
    # Given an API still working on the first attempt's Idempotency-Key twice, then answering
    in_progress = error(409, code="idempotency_in_progress", message="A request with this key is still in progress.")
    client = mock_client(sequence(in_progress, in_progress, answer(body={"id": "sub_1"})), max_retries=2)
    # When a subscription is created
    created = client.subscriptions.create(customer="cust_1", items=[{"price": "price_1"}])
    # Then the answer is the one the key finally gave, after two backed-off retries
    assert created["id"] == "sub_1"
    assert len(recorder.requests) == 3
    first, second = recorder.sleeps
    assert 0.375 <= first <= 0.5 and 0.75 <= second <= 1.0
    # And every attempt was the same request: one key, the same bytes
    assert len({r.headers["idempotency-key"] for r in recorder.requests}) == 1
    assert len({r.content for r in recorder.requests}) == 1


def test_a_key_in_progress_past_max_retries_is_a_conflict_error(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(
        lambda _: error(409, code="idempotency_in_progress", headers={"Retry-After": "1"}), max_retries=3
    )
    with pytest.raises(ConflictError) as failed:
        client.products.create(name="A", idempotency_key="product-a")
    assert failed.value.code == "idempotency_in_progress"
    assert len(recorder.requests) == 4 and recorder.sleeps == [1.0, 1.0, 1.0]
    assert {r.headers["idempotency-key"] for r in recorder.requests} == {"product-a"}


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"type": "invalid_request_error", "code": "conflict", "message": "Product prod_a exists."}},
        {"error": {"type": "invalid_request_error", "code": "version_conflict", "message": "Changed meanwhile."}},
        {"message": "idempotency_in_progress"},  # not the API's envelope: nothing to go by
    ],
)
def test_other_conflicts_are_not_retried(mock_client: MockClient, recorder: Recorder, body: dict[str, Any]) -> None:
    client = mock_client(lambda _: httpx.Response(409, json=body), max_retries=3)
    with pytest.raises(ConflictError):
        client.products.create(name="A", id="prod_a")
    assert len(recorder.requests) == 1 and recorder.sleeps == []


def test_a_decline_is_a_card_error_with_the_decline_code(mock_client: MockClient, recorder: Recorder) -> None:
    # Given a 402 naming the issuer's reason, as the API answers a declined payment
    declined = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "declineCode": "insufficient_funds",
            "message": "Your card was declined.",
            "param": "token",
        }
    }
    client = mock_client(lambda _: httpx.Response(402, json=declined, headers={"apigw-requestid": "req_402"}))
    # When a payment method is attached
    with pytest.raises(CardError) as failed:
        client.customers.payment_methods.create("cust_1", token="tok_chargeDeclinedInsufficientFunds")
    # Then the error carries what the API said, and it is not retried (a decline stays a decline)
    e = failed.value
    assert (e.status, e.type, e.code, e.decline_code, e.param, e.request_id) == (
        402,
        "card_error",
        "card_declined",
        "insufficient_funds",
        "token",
        "req_402",
    )
    assert isinstance(e, VinrError) and not isinstance(e, InvalidRequestError)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("envelope", "decline_code"),
    [
        ({"code": "card_declined"}, None),  # the simulator's decline: no finer reason
        ({"code": "expired_card"}, "expired_card"),  # the gateway's reason in `code`
        ({"code": "card_declined", "decline_code": "do_not_honor"}, "do_not_honor"),
    ],
)
def test_the_decline_code_is_what_the_api_gives_and_none_otherwise(
    mock_client: MockClient, envelope: dict[str, str], decline_code: str | None
) -> None:
    body = {"error": {"type": "card_error", "message": "Declined.", **envelope}}
    client = mock_client(lambda _: httpx.Response(402, json=body))
    with pytest.raises(CardError) as failed:
        client.invoices.pay("inv_1")
    assert failed.value.decline_code == decline_code
    assert failed.value.code == envelope["code"]


def test_api_gateways_own_404_is_a_not_found_error_without_code(mock_client: MockClient) -> None:
    client = mock_client(lambda _: httpx.Response(404, json={"message": "Not Found"}))
    with pytest.raises(NotFoundError) as failed:
        client.request("GET", "/v1/nothing_here")
    assert (failed.value.message, failed.value.code, failed.value.param) == ("Not Found", None, None)


def test_a_non_json_success_is_an_api_error(mock_client: MockClient) -> None:
    client = mock_client(lambda _: httpx.Response(200, text="<html>proxy page</html>"))
    with pytest.raises(APIError, match="not JSON") as failed:
        client.account.retrieve()
    assert failed.value.status == 200


def test_max_retries_zero_makes_one_attempt(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: error(500, code="internal_error"), max_retries=0)
    with pytest.raises(APIError):
        client.account.retrieve()
    assert len(recorder.requests) == 1 and recorder.sleeps == []


# --- What goes on the wire -------------------------------------------------------------------


def test_requests_carry_the_bearer_key_and_a_user_agent(mock_client: MockClient, recorder: Recorder) -> None:
    mock_client(lambda _: answer()).account.retrieve()
    assert recorder.last.headers["authorization"] == f"Bearer {KEY}"
    assert recorder.last.headers["user-agent"].startswith("vinr-python/")
    assert str(recorder.last.url) == f"{BASE_URL}/v1/account"


def test_snake_case_arguments_and_nested_keys_go_out_in_camel_case_but_metadata_keys_do_not(
    mock_client: MockClient, recorder: Recorder
) -> None:
    client = mock_client(lambda _: answer())
    # When a customer is created with a snake_case address and merchant metadata keys
    client.customers.create(
        name="Ada",
        address={"line1": "Unter den Linden 1", "postal_code": "10117", "country": "DE"},
        metadata={"order_id": "o_1", "crm_ref": None},
        test_clock="clock_1",
    )
    # Then API keys are camelCased and the merchant's own keys are left alone
    assert recorder.body() == {
        "name": "Ada",
        "address": {"line1": "Unter den Linden 1", "postalCode": "10117", "country": "DE"},
        "metadata": {"order_id": "o_1", "crm_ref": None},
        "testClock": "clock_1",
    }


def test_portal_configuration_features_accept_snake_and_camel_keys_and_keep_values(
    mock_client: MockClient, recorder: Recorder
) -> None:
    client = mock_client(lambda _: answer())
    client.billing.portal_configurations.update(
        "default",
        business_profile={"headline": "Acme billing", "privacy_policy_url": "https://acme.example/privacy"},
        features={
            "subscription_cancel": {
                "enabled": True,
                "mode": "at_period_end",
                "proration_behavior": "none",
                "cancellation_reason": {"enabled": True, "options": ["too_expensive", "other"]},
            },
            "customerUpdate": {"allowedUpdates": ["email", "tax_id"]},
            "subscriptionUpdate": {"products": [{"product": "prod_pro", "prices": []}]},
        },
    )
    assert recorder.last.method == "POST"
    assert recorder.last.url.path == "/v1/billing/portal_configurations/default"
    assert recorder.body() == {
        "businessProfile": {"headline": "Acme billing", "privacyPolicyUrl": "https://acme.example/privacy"},
        "features": {
            "subscriptionCancel": {
                "enabled": True,
                "mode": "at_period_end",
                "prorationBehavior": "none",
                "cancellationReason": {"enabled": True, "options": ["too_expensive", "other"]},
            },
            "customerUpdate": {"allowedUpdates": ["email", "tax_id"]},
            "subscriptionUpdate": {"products": [{"product": "prod_pro", "prices": []}]},
        },
    }


def test_omitted_arguments_are_left_out_and_none_is_sent_as_null(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: answer())
    client.branding.update(accent_color="#635BFF", logo=None, support_url=NOT_GIVEN)
    assert recorder.body() == {"accentColor": "#635BFF", "logo": None}


def test_decimals_and_datetimes_are_encoded_as_the_api_reads_them(mock_client: MockClient, recorder: Recorder) -> None:
    from datetime import UTC, datetime

    client = mock_client(lambda _: answer())
    client.tax_rates.create(country="DE", percentage=Decimal("19"), display_name="MwSt", inclusive=True)
    assert recorder.body() == {"country": "DE", "percentage": 19, "displayName": "MwSt", "inclusive": True}
    client.coupons.create(id="rwd_save20", percent_off=Decimal("12.5"), duration="repeating", duration_in_months=3)
    assert recorder.body() == {"id": "rwd_save20", "percentOff": 12.5, "duration": "repeating", "durationInMonths": 3}
    client.test_clocks.advance("clock_1", frozen_time=datetime(2027, 1, 31, 12, tzinfo=UTC))
    assert recorder.body() == {"frozenTime": "2027-01-31T12:00:00+00:00"}


def test_query_parameters_are_camel_cased_with_lowercase_booleans(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: answer())
    client.subscriptions.cancel("sub_1", prorate=True, invoice_now=False)
    assert recorder.last.method == "DELETE" and recorder.last.content == b""
    assert dict(recorder.last.url.params) == {"prorate": "true", "invoiceNow": "false"}
    client.invoices.upcoming(subscription="sub_1", price="price_pro", quantity=2, proration_behavior="none")
    assert dict(recorder.last.url.params) == {
        "subscription": "sub_1",
        "price": "price_pro",
        "quantity": "2",
        "prorationBehavior": "none",
    }
    client.events.list(type="invoice.paid", customer="cust_1", limit=5, starting_after="evt_9")
    assert dict(recorder.last.url.params) == {
        "type": "invoice.paid",
        "customer": "cust_1",
        "limit": "5",
        "startingAfter": "evt_9",
    }


def test_ids_are_one_path_segment_each(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: answer())
    client.customers.retrieve("cust_1/../../v1/account")
    assert recorder.last.url.raw_path == b"/v1/customers/cust_1%2F..%2F..%2Fv1%2Faccount"
    with pytest.raises(ValueError, match="customer"):
        client.customers.retrieve("")


def test_the_invoice_pdf_is_returned_as_bytes(mock_client: MockClient, recorder: Recorder) -> None:
    document = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    client = mock_client(lambda _: httpx.Response(200, content=document, headers={"content-type": "application/pdf"}))
    assert client.invoices.pdf("inv_1") == document
    assert recorder.last.url.path == "/v1/invoices/inv_1/pdf"
    assert recorder.last.headers["accept"] == "application/pdf"


def test_auto_paging_iter_follows_starting_after_until_has_more_is_false(
    mock_client: MockClient, recorder: Recorder
) -> None:
    # Given 5 customers served 2 a page
    ids = [f"cust_{n}" for n in range(5)]

    def pages(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("startingAfter")
        start = ids.index(after) + 1 if after else 0
        chunk = ids[start : start + 2]
        return answer(body={"object": "list", "data": [{"id": i} for i in chunk], "hasMore": start + 2 < len(ids)})

    client = mock_client(pages)
    # When every customer is iterated
    seen = [c["id"] for c in client.customers.auto_paging_iter(limit=2, email="a@example.com")]
    # Then all five come back in order, from three requests that kept the filters
    assert seen == ids
    assert [r.url.params.get("startingAfter") for r in recorder.requests] == [None, "cust_1", "cust_3"]
    assert {r.url.params["email"] for r in recorder.requests} == {"a@example.com"}
    # And list() is one page as the API answers it
    assert client.customers.list(limit=2)["hasMore"] is True


def test_the_raw_request_escape_hatch_uses_the_same_machinery(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(sequence(error(500, code="x"), answer(body={"ok": True})))
    assert client.request("POST", "/v1/customers/cust_1", body={"postal_code": "1"}, params={"dry_run": True}) == {
        "ok": True
    }
    assert len({r.headers["idempotency-key"] for r in recorder.requests}) == 1
    assert recorder.body() == {"postalCode": "1"}
    assert dict(recorder.last.url.params) == {"dryRun": "true"}


def test_the_client_closes_only_an_http_client_it_created() -> None:
    given = httpx.Client(transport=httpx.MockTransport(lambda _: answer()))
    with Vinr(KEY, base_url=BASE_URL, http_client=given) as client:
        client.account.retrieve()
    assert not given.is_closed
    given.close()
    with Vinr(KEY, base_url=BASE_URL) as own:
        inner = own._transport._http
    assert inner.is_closed


def test_bad_construction_is_refused_early() -> None:
    with pytest.raises(ValueError, match="secret_key"):
        Vinr("", base_url=BASE_URL)
    with pytest.raises(ValueError, match="max_retries"):
        Vinr(KEY, base_url=BASE_URL, max_retries=-1)
    assert "sk_test" not in repr(Vinr(KEY, base_url="https://api.example/"))
    assert Vinr(KEY, base_url="https://api.example/").base_url == "https://api.example"


def test_without_a_base_url_or_vinr_api_url_the_client_refuses_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no VINR_API_URL in the environment
    monkeypatch.delenv("VINR_API_URL", raising=False)
    # Then a client without base_url is refused before any request, naming both ways to give it
    for missing in (None, "", "   "):
        with pytest.raises(ValueError, match="base_url") as failed:
            Vinr(KEY, base_url=missing)
        assert "VINR_API_URL" in str(failed.value)
    assert not isinstance(failed.value, VinrError)
    # And no host that does not exist is ever a default
    import vinr

    assert not hasattr(vinr, "DEFAULT_BASE_URL")


def test_vinr_api_url_is_the_base_url_unless_one_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VINR_API_URL", " http://127.0.0.1:3000/ ")
    assert Vinr(KEY).base_url == "http://127.0.0.1:3000"
    assert Vinr(KEY, base_url="https://billing.example.com").base_url == "https://billing.example.com"
    monkeypatch.setenv("VINR_API_URL", "")
    with pytest.raises(ValueError, match="VINR_API_URL"):
        Vinr(KEY)


def test_a_base_url_that_is_not_http_is_refused() -> None:
    for wrong in ("billing.acme.test", "ftp://billing.acme.test", "sk_test_" + "k" * 32):
        with pytest.raises(ValueError, match="http") as failed:
            Vinr(KEY, base_url=wrong)
        assert wrong not in str(failed.value)  # never echoed: it may be a secret passed by mistake


# --- Every route of the merchant API has its SDK call ------------------------------------------

CALLS: list[tuple[str, Callable[[Vinr], Any]]] = [
    ("GET /v1/account", lambda v: v.account.retrieve()),
    ("POST /v1/account", lambda v: v.account.update(name="A")),
    ("GET /v1/account/dunning", lambda v: v.account.dunning.retrieve()),
    ("POST /v1/account/dunning", lambda v: v.account.dunning.update(retry_days=[3, 5, 7], after_retries="unpaid")),
    ("GET /v1/account/emails", lambda v: v.account.emails.retrieve()),
    ("POST /v1/account/emails", lambda v: v.account.emails.update(receipt=True, reply_to="help@example.com")),
    ("GET /v1/branding", lambda v: v.branding.retrieve()),
    ("POST /v1/branding", lambda v: v.branding.update(accent_color="#000000")),
    ("POST /v1/branding/portal_domain/verify", lambda v: v.branding.verify_portal_domain()),
    ("POST /v1/tax_rates", lambda v: v.tax_rates.create(country="DE", percentage=19, display_name="VAT")),
    ("GET /v1/tax_rates", lambda v: v.tax_rates.list()),
    ("POST /v1/customers", lambda v: v.customers.create(email="a@example.com")),
    ("GET /v1/customers", lambda v: v.customers.list()),
    ("GET /v1/customers/{id}", lambda v: v.customers.retrieve("cust_1")),
    ("POST /v1/customers/{id}", lambda v: v.customers.update("cust_1", name="B")),
    ("DELETE /v1/customers/{id}", lambda v: v.customers.delete("cust_1")),
    ("POST /v1/customers/{id}/tax_ids", lambda v: v.customers.tax_ids.create("cust_1", type="eu_vat", value="DE1")),
    ("DELETE /v1/customers/{id}/tax_ids/{id}", lambda v: v.customers.tax_ids.delete("cust_1", "txi_1")),
    (
        "POST /v1/customers/{id}/payment_methods",
        lambda v: v.customers.payment_methods.create("cust_1", token="tok_visa"),
    ),
    ("GET /v1/customers/{id}/payment_methods", lambda v: v.customers.payment_methods.list("cust_1")),
    (
        "DELETE /v1/customers/{id}/payment_methods/{id}",
        lambda v: v.customers.payment_methods.delete("cust_1", "pm_1"),
    ),
    (
        "POST /v1/customers/{id}/payment_methods/{id}/default",
        lambda v: v.customers.payment_methods.set_default("cust_1", "pm_1"),
    ),
    ("POST /v1/products", lambda v: v.products.create(name="P")),
    ("GET /v1/products", lambda v: v.products.list()),
    ("GET /v1/products/{id}", lambda v: v.products.retrieve("prod_1")),
    ("POST /v1/products/{id}", lambda v: v.products.update("prod_1", active=False)),
    (
        "POST /v1/prices",
        lambda v: v.prices.create(product="prod_1", unit_amount=100, currency="eur", recurring={"interval": "month"}),
    ),
    ("GET /v1/prices", lambda v: v.prices.list(product="prod_1")),
    ("GET /v1/prices/{id}", lambda v: v.prices.retrieve("price_1")),
    ("POST /v1/prices/{id}", lambda v: v.prices.update("price_1", active=False)),
    ("POST /v1/coupons", lambda v: v.coupons.create(duration="once", percent_off=10)),
    ("GET /v1/coupons/{id}", lambda v: v.coupons.retrieve("rwd_1")),
    ("POST /v1/subscriptions", lambda v: v.subscriptions.create(customer="cust_1", items=[{"price": "price_1"}])),
    ("GET /v1/subscriptions", lambda v: v.subscriptions.list(customer="cust_1")),
    ("GET /v1/subscriptions/{id}", lambda v: v.subscriptions.retrieve("sub_1")),
    ("POST /v1/subscriptions/{id}", lambda v: v.subscriptions.update("sub_1", cancel_at_period_end=True)),
    ("DELETE /v1/subscriptions/{id}", lambda v: v.subscriptions.cancel("sub_1")),
    ("GET /v1/invoices", lambda v: v.invoices.list(subscription="sub_1")),
    ("GET /v1/invoices/upcoming", lambda v: v.invoices.upcoming(subscription="sub_1")),
    ("GET /v1/invoices/{id}", lambda v: v.invoices.retrieve("inv_1")),
    ("GET /v1/invoices/{id}/pdf", lambda v: v.invoices.pdf("inv_1")),
    ("POST /v1/invoices/{id}/pay", lambda v: v.invoices.pay("inv_1")),
    ("POST /v1/invoices/{id}/void", lambda v: v.invoices.void("inv_1")),
    ("POST /v1/invoices/{id}/hosted_link", lambda v: v.invoices.replace_hosted_link("inv_1")),
    ("POST /v1/invoices/{id}/mark_uncollectible", lambda v: v.invoices.mark_uncollectible("inv_1")),
    (
        "POST /v1/payment_gateway",
        lambda v: v.payment_gateway.connect(
            type="stripe", secret_key="sk_test_1", publishable_key="pk_test_1", webhook_secret="whsec_1"
        ),
    ),
    ("GET /v1/payment_gateway", lambda v: v.payment_gateway.retrieve()),
    ("DELETE /v1/payment_gateway", lambda v: v.payment_gateway.disconnect()),
    ("POST /v1/test_clocks", lambda v: v.test_clocks.create(frozen_time="2027-01-01T00:00:00Z")),
    ("GET /v1/test_clocks/{id}", lambda v: v.test_clocks.retrieve("clock_1")),
    ("POST /v1/test_clocks/{id}/advance", lambda v: v.test_clocks.advance("clock_1", frozen_time="2027-02-01T00:00Z")),
    ("POST /v1/billing/portal_sessions", lambda v: v.billing.portal_sessions.create(customer="c", return_url="r")),
    ("GET /v1/billing/portal_sessions/{id}", lambda v: v.billing.portal_sessions.retrieve("bps_1")),
    ("POST /v1/billing/portal_sessions/{id}/revoke", lambda v: v.billing.portal_sessions.revoke("bps_1")),
    ("POST /v1/billing/portal_configurations", lambda v: v.billing.portal_configurations.create(name="n")),
    ("GET /v1/billing/portal_configurations", lambda v: v.billing.portal_configurations.list()),
    ("GET /v1/billing/portal_configurations/{id}", lambda v: v.billing.portal_configurations.retrieve("bpc_1")),
    ("POST /v1/billing/portal_configurations/{id}", lambda v: v.billing.portal_configurations.update("bpc_1")),
    (
        "POST /v1/webhook_endpoints",
        lambda v: v.webhook_endpoints.create(url="https://a.example/h", enabled_events=["*"]),
    ),
    ("GET /v1/webhook_endpoints", lambda v: v.webhook_endpoints.list()),
    ("GET /v1/webhook_endpoints/{id}", lambda v: v.webhook_endpoints.retrieve("we_1")),
    ("POST /v1/webhook_endpoints/{id}", lambda v: v.webhook_endpoints.update("we_1", disabled=True)),
    ("DELETE /v1/webhook_endpoints/{id}", lambda v: v.webhook_endpoints.delete("we_1")),
    ("POST /v1/webhook_endpoints/{id}/roll_secret", lambda v: v.webhook_endpoints.roll_secret("we_1")),
    ("GET /v1/events", lambda v: v.events.list()),
    ("GET /v1/events/{id}", lambda v: v.events.retrieve("evt_1")),
    ("POST /v1/events/{id}/redeliver", lambda v: v.events.redeliver("evt_1", endpoint="we_1")),
    ("GET /v1/audit_log", lambda v: v.audit_log.list(customer="cust_1")),
]
# The routes a merchant's code never calls. `ANY $default`: no operation of its own, the API
# function's answer to what no route takes (404, 405). The gateway's webhook route: called by the
# payment gateway (Stripe), signed with its own secret, never with a merchant's key.
GATEWAY_WEBHOOKS = "POST /v1/gateway_webhooks/{id}/stripe"
NOT_FOR_THE_SDK = {"GET /health", "GET /v1/openapi.json", "ANY $default", GATEWAY_WEBHOOKS}


def _shape(method: str, path: str) -> str:
    """`/v1/customers/cust_1/tax_ids/txi_1` → `/v1/customers/{id}/tax_ids/{id}` (the IDs above end in `_<n>`)."""
    return f"{method} {'/'.join(re.sub(r'^[a-z]+_[0-9]+$', '{id}', part) for part in path.split('/'))}"


@pytest.mark.parametrize(("route", "call"), CALLS, ids=[route for route, _ in CALLS])
def test_each_sdk_call_hits_its_route(
    mock_client: MockClient, recorder: Recorder, route: str, call: Callable[[Vinr], Any]
) -> None:
    client = mock_client(lambda r: httpx.Response(200, content=b"%PDF") if r.url.path.endswith("/pdf") else answer())
    call(client)
    assert _shape(recorder.last.method, recorder.last.url.path) == route
    mutating = recorder.last.method in ("POST", "DELETE")
    assert ("idempotency-key" in recorder.last.headers) is mutating


def test_every_merchant_api_route_in_the_template_has_an_sdk_call(template: Template) -> None:
    # Given every route the template gives the merchant API (what API Gateway will serve)
    routes = {
        f"{route.method} {re.sub(r'[{][^}]+[}]', '{id}', route.path)}"
        for function in template.functions()
        for route in function.routes
        if route.api == "MerchantHttpApi"
    }
    assert "GET /v1/customers/{id}" in routes
    # Then each one has its SDK call above
    missing = routes - {route for route, _ in CALLS} - NOT_FOR_THE_SDK
    assert not missing, f"routes without an SDK call: {sorted(missing)}"


snake_keys = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,5}){0,3}", fullmatch=True)
nested = st.recursive(
    st.none() | st.booleans() | st.integers() | snake_keys,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(snake_keys, children, max_size=3),
    max_leaves=15,
)


def casing_keeps_keys_apart(value: Any) -> bool:
    """No two keys of one object become the same camelCase key (`a_1` and `a1` would)."""
    if isinstance(value, dict):
        return len({camel(k) for k in value}) == len(value) and all(casing_keeps_keys_apart(v) for v in value.values())
    if isinstance(value, list):
        return all(casing_keeps_keys_apart(item) for item in value)
    return True


@settings(max_examples=100, deadline=None)
@given(fields=st.dictionaries(snake_keys, nested, max_size=5), metadata=st.dictionaries(snake_keys, snake_keys))
def test_camel_casing_reaches_every_key_keeps_every_value_and_is_idempotent(
    fields: dict[str, Any], metadata: dict[str, str]
) -> None:
    assume(casing_keeps_keys_apart(fields))
    wire = camelize({**fields, "metadata": metadata})

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [k for k, v in value.items() for k in [k, *keys(v)]]
        if isinstance(value, list):
            return [k for item in value for k in keys(item)]
        return []

    def leaves(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [leaf for v in value.values() for leaf in leaves(v)]
        if isinstance(value, list):
            return [leaf for item in value for leaf in leaves(item)]
        return [value]

    # Then no API key keeps an underscore, the merchant's metadata is untouched, values are unchanged
    assert not [k for k in keys({k: v for k, v in wire.items() if k != "metadata"}) if "_" in k]
    assert wire["metadata"] == metadata
    assert leaves(wire) == leaves({**fields, "metadata": metadata})
    # And casing twice is casing once (camelCase input is accepted as it is)
    assert camelize(wire) == wire
