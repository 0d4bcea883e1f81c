"""`/v1/payment_gateway`: a merchant connects its own Stripe account, through the API, against
localstripe (the keys are checked with one call to it). Test and live are connected apart, a key
the gateway refuses is refused, and the secrets are never answered, logged or kept in plain text
(not in the connection's item, nor in the idempotency record of the request that saved them)."""

from __future__ import annotations

import json
import secrets
import string
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from billing.accounts import accounts
from billing.customers import customers
from billing.kernel import config
from billing.kernel.scope import Scope
from billing.payments import connections, secretbox
from billing.payments import store as payment_store
from billing.payments.gateway import PaymentGatewayNotConfigured
from billing.store.repository import Table
from local import invoke
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok
from tests.support.motoserver import free_port
from tests.support.stripefake import StripeFake
from tests.support.tablestate import snapshot

PATH = "/v1/payment_gateway"
_ALNUM = string.ascii_letters + string.digits


def _random(length: int = 32) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def stripe_keys(mode: str = "test", *, secret_prefix: str = "sk") -> dict[str, str]:
    """A fresh set of keys as the Stripe dashboard shows them (localstripe takes any `sk_` key)."""
    return {
        "type": "stripe",
        "secretKey": f"{secret_prefix}_{mode}_{_random()}",
        "publishableKey": f"pk_{mode}_{_random()}",
        "webhookSecret": f"whsec_{_random()}",
    }


def use_stripe_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", url)
    config.reset()


@pytest.fixture
def account(stack: Stack, stripe_fake: StripeFake, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ApiClient, ApiClient]:
    """A merchant with a test key and a live key, its Stripe calls going to localstripe."""
    use_stripe_at(monkeypatch, stripe_fake.url)
    account_id, test_key = stack.new_account()
    live_key = accounts.add_key(account_id, "live", table=Table()).secret
    return account_id, ApiClient(stack.template, key=test_key), ApiClient(stack.template, key=live_key)


def error_of(response: invoke.HttpResponse, status: int) -> dict[str, Any]:
    assert response.status == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def without_secrets(response: invoke.HttpResponse, keys: dict[str, str]) -> invoke.HttpResponse:
    for name in ("secretKey", "webhookSecret"):
        assert keys[name] not in response.text, f"{name} answered"
    return response


def test_connect_retrieve_replace_and_disconnect(account: tuple[str, ApiClient, ApiClient]) -> None:
    account_id, api, _ = account
    # Given a merchant with no gateway / Then there is none to retrieve or disconnect
    assert error_of(api.get(PATH), 404)["code"] == "resource_missing"
    # When it connects its Stripe keys
    keys = stripe_keys()
    connected = ok(without_secrets(api.post(PATH, keys), keys))
    # Then the answer shows what identifies them, never the secrets, and where Stripe must send events
    assert connected == {
        "id": connected["id"],
        "object": "payment_gateway",
        "type": "stripe",
        "publishableKey": keys["publishableKey"],
        "secretKeyLast4": keys["secretKey"][-4:],
        "webhookUrl": f"http://127.0.0.1/v1/gateway_webhooks/{account_id}/stripe",
        "connectedAt": connected["connectedAt"],
        "livemode": False,
    }
    assert connected["id"].startswith("gwc_")
    assert ok(without_secrets(api.get(PATH), keys)) == connected
    # When it connects other keys / Then they replace the first
    rolled = stripe_keys()
    replaced = ok(without_secrets(api.post(PATH, rolled), rolled))
    assert replaced["id"] != connected["id"]
    assert (replaced["publishableKey"], replaced["secretKeyLast4"]) == (
        rolled["publishableKey"],
        rolled["secretKey"][-4:],
    )
    assert ok(api.get(PATH)) == replaced
    # When it disconnects / Then nothing is connected, and a second disconnect is a 404
    assert ok(api.delete(PATH)) == {
        "id": replaced["id"],
        "object": "payment_gateway",
        "deleted": True,
        "livemode": False,
    }
    assert error_of(api.get(PATH), 404)["code"] == "resource_missing"
    assert error_of(api.delete(PATH), 404)["code"] == "resource_missing"


def test_the_webhook_url_is_the_api_s_own_as_the_request_reached_it(account: tuple[str, ApiClient, ApiClient]) -> None:
    account_id, api, _ = account
    # Given the request reached the API as API Gateway passes it on (its host, https)
    deployed = {"host": "api.billing.example.com", "x-forwarded-proto": "https"}
    answer = ok(api.post(PATH, stripe_keys(), headers=deployed))
    # Then the URL to give Stripe is on that host
    assert answer["webhookUrl"] == f"https://api.billing.example.com/v1/gateway_webhooks/{account_id}/stripe"
    # And on the local stack (plain http, a port) it is the local one
    local = ok(api.get(PATH, headers={"host": "127.0.0.1:3000"}))
    assert local["webhookUrl"] == f"http://127.0.0.1:3000/v1/gateway_webhooks/{account_id}/stripe"


def test_test_and_live_mode_are_connected_apart(account: tuple[str, ApiClient, ApiClient]) -> None:
    _, test_api, live_api = account
    # When the merchant connects its live keys with a live key
    live_keys = stripe_keys("live")
    live = ok(without_secrets(live_api.post(PATH, live_keys), live_keys))
    # Then live mode has them, and test mode still has nothing
    assert (live["livemode"], live["publishableKey"]) == (True, live_keys["publishableKey"])
    assert error_of(test_api.get(PATH), 404)["code"] == "resource_missing"
    # When test mode connects its own, and then disconnects them / Then live mode keeps its own
    test_keys = stripe_keys("test")
    assert ok(test_api.post(PATH, test_keys))["livemode"] is False
    assert ok(test_api.delete(PATH))["deleted"] is True
    assert ok(live_api.get(PATH)) == live


@pytest.mark.parametrize(
    ("mode", "field", "value", "says"),
    [
        ("test", "secretKey", "sk_live_" + "a" * 24, "is a live-mode key; this request is in test mode"),
        ("test", "secretKey", "rk_live_" + "a" * 24, "is a live-mode key; this request is in test mode"),
        ("test", "publishableKey", "pk_live_" + "a" * 24, "is a live-mode key; this request is in test mode"),
        ("live", "secretKey", "sk_test_" + "a" * 24, "is a test-mode key; this request is in live mode"),
        ("live", "publishableKey", "pk_test_" + "a" * 24, "is a test-mode key; this request is in live mode"),
        ("test", "secretKey", "pk_test_" + "a" * 24, "must be a secret key (sk_test_…) or restricted key"),
        ("test", "publishableKey", "sk_test_" + "a" * 24, "must be a publishable key (pk_test_…)"),
        ("test", "secretKey", "sk_test_short", "must be a secret key (sk_test_…)"),
        ("test", "webhookSecret", "sk_test_" + "a" * 24, "must be the webhook endpoint's signing secret (whsec_…)"),
    ],
)
def test_a_key_of_the_other_mode_or_shape_is_refused_naming_its_field(
    account: tuple[str, ApiClient, ApiClient], mode: str, field: str, value: str, says: str
) -> None:
    _, test_api, live_api = account
    api = live_api if mode == "live" else test_api
    keys = {**stripe_keys(mode), field: value}
    error = error_of(api.post(PATH, keys), 400)
    assert (error["param"], error["code"]) == (field, "invalid_request")
    assert says in error["message"]
    assert value not in error["message"]
    assert error_of(api.get(PATH), 404)["code"] == "resource_missing"


def test_an_unknown_gateway_type_is_refused(account: tuple[str, ApiClient, ApiClient]) -> None:
    _, api, _ = account
    error = error_of(api.post(PATH, {**stripe_keys(), "type": "paypal"}), 400)
    assert (error["param"], error["code"]) == ("type", "parameter_invalid")


def test_a_key_the_gateway_refuses_is_not_saved_and_the_connected_one_stays(
    account: tuple[str, ApiClient, ApiClient],
) -> None:
    _, api, _ = account
    connected = ok(api.post(PATH, stripe_keys()))
    # When the merchant offers a restricted key that Stripe (here localstripe, which takes `sk_`
    # keys only) answers with 401
    refused = stripe_keys(secret_prefix="rk")
    error = error_of(without_secrets(api.post(PATH, refused), refused), 400)
    # Then it is a 400 naming the secret key, and the gateway connected before is still the one
    assert error["param"] == "secretKey"
    assert error["code"] == "payment_gateway_keys_invalid"
    assert ok(api.get(PATH)) == connected


class _StripeStub(BaseHTTPRequestHandler):
    """Answers every call as Stripe does with `status` (its error body); counts the calls."""

    status = 500
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        kinds = {401: "invalid_request_error", 403: "invalid_request_error", 429: "invalid_request_error"}
        body = json.dumps({"error": {"type": kinds.get(self.status, "api_error"), "message": "stub"}}).encode()
        self.send_response(self.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stripe_stub() -> Iterator[tuple[str, type[_StripeStub]]]:
    handler = type("Stub", (_StripeStub,), {"calls": 0})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "answer", "code", "param"),
    [
        (401, 400, "payment_gateway_keys_invalid", "secretKey"),  # Stripe: invalid API key
        (403, 400, "payment_gateway_keys_invalid", "secretKey"),  # a restricted key without Balance (read)
        (429, 503, "payment_gateway_unavailable", None),
        (500, 503, "payment_gateway_unavailable", None),
    ],
)
def test_what_stripe_answers_the_check_decides(
    account: tuple[str, ApiClient, ApiClient],
    stripe_stub: tuple[str, type[_StripeStub]],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    answer: int,
    code: str,
    param: str | None,
) -> None:
    _, api, _ = account
    url, stub = stripe_stub
    stub.status = status
    use_stripe_at(monkeypatch, url)
    error = error_of(api.post(PATH, stripe_keys()), answer)
    assert (error["code"], error.get("param")) == (code, param)
    assert stub.calls == 1  # one call, never retried within the request
    assert error_of(api.get(PATH), 404)["code"] == "resource_missing"


def test_an_unreachable_gateway_is_a_503(
    account: tuple[str, ApiClient, ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, api, _ = account
    use_stripe_at(monkeypatch, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    error = error_of(api.post(PATH, stripe_keys()), 503)
    assert error["code"] == "payment_gateway_unavailable"
    assert error_of(api.get(PATH), 404)["code"] == "resource_missing"


def test_the_secrets_are_kept_sealed_only_and_never_printed(
    stack: Stack,
    account: tuple[str, ApiClient, ApiClient],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    account_id, api, live_api = account
    keys, live_keys = stripe_keys("test"), stripe_keys("live")
    # When the merchant connects both modes, the test mode's with an Idempotency-Key, and retries it
    first = ok(without_secrets(api.post(PATH, keys, headers={"Idempotency-Key": "connect-1"}), keys))
    replayed = ok(without_secrets(api.post(PATH, keys, headers={"Idempotency-Key": "connect-1"}), keys))
    assert replayed == first
    ok(without_secrets(live_api.post(PATH, live_keys), live_keys))
    ok(without_secrets(api.get(PATH), keys))
    # Then no item of the table holds a secret in plain text, the idempotency record included
    items = snapshot(stack)
    assert any(pk == "IDEMPOTENCY" for pk, _ in items)
    stored = json.dumps(list(items.values()), default=str)
    for secret in (keys["secretKey"], keys["webhookSecret"], live_keys["secretKey"], live_keys["webhookSecret"]):
        assert secret not in stored
    # And what is stored opens to them, only with the key material and for its own account and mode
    scope = Scope(account_id=account_id, mode="test")
    connection = connections.get(scope, table=Table())
    assert connection is not None
    record = connection.record
    assert record.sealed_secret_key.startswith("v1:") and record.sealed_webhook_secret.startswith("v1:")
    assert secretbox.open_sealed(record.sealed_secret_key, scope=scope, field="secretKey") == keys["secretKey"]
    assert (
        secretbox.open_sealed(record.sealed_webhook_secret, scope=scope, field="webhookSecret") == keys["webhookSecret"]
    )
    with pytest.raises(secretbox.Unsealable):
        secretbox.open_sealed(
            record.sealed_secret_key, scope=Scope(account_id=account_id, mode="live"), field="secretKey"
        )
    # And nothing the functions printed or logged holds them
    printed = "".join(capfd.readouterr()) + caplog.text
    for secret in (keys["secretKey"], keys["webhookSecret"], live_keys["secretKey"], live_keys["webhookSecret"]):
        assert secret not in printed


def test_each_customer_gets_one_gateway_customer_per_connection(
    stack: Stack, account: tuple[str, ApiClient, ApiClient], stripe_fake: StripeFake
) -> None:
    account_id, api, _ = account
    scope, table = Scope(account_id=account_id, mode="test"), Table()
    ok(api.post(PATH, stripe_keys()))
    made = ok(api.post("/v1/customers", {"email": "ada@example.com", "name": "Ada"}))
    customer = customers.get(scope, made["id"], table=table)
    # When two requests need the customer's gateway customer at once, and later ones again
    with ThreadPoolExecutor(2) as pool:
        racing = list(pool.map(lambda _: connections.customer_ref(scope, customer, table=table), range(2)))
    again = connections.customer_ref(scope, customer, table=table)
    # Then they all agree on one, which Stripe (localstripe) holds for our customer
    assert racing[0] == racing[1] == again and again.startswith("cus_")
    held = httpx.get(f"{stripe_fake.url}/v1/customers/{again}", auth=(stripe_keys()["secretKey"], ""), timeout=10)
    assert held.status_code == 200, held.text
    assert (held.json()["email"], held.json()["metadata"]) == ("ada@example.com", {"vinr_customer": customer.id})
    mappings = [item for item in snapshot(stack).values() if item.get("type") == "gateway_customer"]
    assert [(m["customer"], m["gatewayCustomer"]) for m in mappings] == [(customer.id, again)]
    # And with no gateway connected, test mode's simulator knows the customer by our own ID
    ok(api.delete(PATH))
    table = Table()  # (a table is a request's: it reads the connection once)
    assert connections.customer_ref(scope, customer, table=table) == customer.id
    # and live mode, with none, refuses (409 payment_gateway_not_configured)
    with pytest.raises(PaymentGatewayNotConfigured):
        connections.customer_ref(Scope(account_id=account_id, mode="live"), customer, table=table)


def test_sealed_keys_moved_to_another_mode_do_not_open_there(account: tuple[str, ApiClient, ApiClient]) -> None:
    account_id, api, live_api = account
    ok(api.post(PATH, stripe_keys("test")))
    ok(live_api.post(PATH, stripe_keys("live")))
    test_scope, live_scope, table = Scope(account_id, "test"), Scope(account_id, "live"), Table()
    live = connections.get(live_scope, table=table)
    assert live is not None
    # Given someone with write access to the table copies the live secrets into the test connection
    pk, sk = payment_store.gateway_connection_key(test_scope)
    table.update(
        pk,
        sk,
        expression="SET sealedSecretKey = :s",
        values={":s": live.record.sealed_secret_key},
    )
    moved = connections.get(test_scope, table=table)
    assert moved is not None
    # Then they do not open in test mode: a 409 asking to connect the gateway again, no key used
    with pytest.raises(connections.GatewayKeysUnreadable) as refused:
        moved.gateway()
    assert (refused.value.status, refused.value.code) == (409, "payment_gateway_reconnect_required")
    assert live.gateway().name == "stripe"  # where they belong, they open
