"""`client.payment_gateway`: connecting the account's own Stripe keys through the SDK, over a mock
transport (what goes on the wire) and against the local stack (its Stripe is localstripe), and
the invoice fields a gateway payment fills (`paymentProcessing`, `paymentActionRequired`)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from typing import cast

import pytest
from vinr import InvalidRequestError, NotFoundError, Vinr
from vinr.types import Invoice, PaymentGateway

from tests.sdk.conftest import Recorder, answer, error

MockClient = Callable[..., Vinr]
_ALNUM = string.ascii_letters + string.digits


def stripe_keys(mode: str = "test") -> dict[str, str]:
    """Fresh keys as the Stripe dashboard shows them (localstripe takes any `sk_` key)."""

    def random() -> str:
        return "".join(secrets.choice(_ALNUM) for _ in range(32))

    return {
        "secret_key": f"sk_{mode}_{random()}",
        "publishable_key": f"pk_{mode}_{random()}",
        "webhook_secret": f"whsec_{random()}",
    }


def test_connect_sends_the_keys_once_in_camel_case_with_an_idempotency_key(
    mock_client: MockClient, recorder: Recorder
) -> None:
    # Given an API that is busy once, then connects
    keys = stripe_keys()
    connected = {"id": "gwc_1", "object": "payment_gateway", "secretKeyLast4": keys["secret_key"][-4:]}
    client = mock_client(lambda _: answer(body=connected) if recorder.requests[1:] else error(503, code="busy"))
    # When the merchant connects its Stripe keys
    answered = client.payment_gateway.connect(type="stripe", **keys)
    # Then both attempts were the same POST: the body in the API's casing, one Idempotency-Key
    assert answered == connected
    assert [(r.method, r.url.path) for r in recorder.requests] == [("POST", "/v1/payment_gateway")] * 2
    assert recorder.body() == {
        "type": "stripe",
        "secretKey": keys["secret_key"],
        "publishableKey": keys["publishable_key"],
        "webhookSecret": keys["webhook_secret"],
    }
    assert len({r.headers["idempotency-key"] for r in recorder.requests}) == 1


def test_retrieve_and_disconnect_carry_no_body(mock_client: MockClient, recorder: Recorder) -> None:
    client = mock_client(lambda _: answer())
    client.payment_gateway.retrieve()
    client.payment_gateway.disconnect(idempotency_key="disconnect-once")
    read, removed = recorder.requests
    assert (read.method, read.url.path, read.content) == ("GET", "/v1/payment_gateway", b"")
    assert "idempotency-key" not in read.headers
    assert (removed.method, removed.url.path, removed.content) == ("DELETE", "/v1/payment_gateway", b"")
    assert removed.headers["idempotency-key"] == "disconnect-once"


def test_a_refused_key_is_a_typed_error_that_does_not_repeat_the_secrets(
    mock_client: MockClient, recorder: Recorder
) -> None:
    # Given an API that refuses the secret key, naming the field
    refusal = error(400, code="payment_gateway_keys_invalid", param="secretKey", message="Stripe refused the key.")
    client = mock_client(lambda _: refusal)
    keys = stripe_keys()
    # When the merchant connects / Then an InvalidRequestError names the field, not retried
    with pytest.raises(InvalidRequestError) as refused:
        client.payment_gateway.connect(type="stripe", **keys)
    assert (refused.value.code, refused.value.param) == ("payment_gateway_keys_invalid", "secretKey")
    assert len(recorder.requests) == 1
    # And nothing the merchant would log holds the secrets
    shown = f"{refused.value} {refused.value!r} {refused.value.body} {refused.value.headers} {client!r}"
    assert keys["secret_key"] not in shown and keys["webhook_secret"] not in shown


@pytest.mark.slow
def test_a_merchant_connects_and_disconnects_its_gateway_through_the_sdk(live: Vinr) -> None:
    # Given a test-mode invoice paid through test mode's simulator
    customer = live.customers.create(name="Kunde")
    live.customers.payment_methods.create(customer["id"], token="tok_visa", set_default=True)
    product = live.products.create(name="Gateway plan")
    price = live.prices.create(product=product["id"], unit_amount=900, currency="eur", recurring={"interval": "month"})
    subscription = live.subscriptions.create(customer=customer["id"], items=[{"price": price["id"]}])
    invoice = cast(Invoice, live.invoices.retrieve(subscription["latestInvoice"]))
    # Then it is paid, with no payment processing and nothing for the customer to do
    assert (invoice["status"], invoice["paymentProcessing"], invoice["paymentActionRequired"]) == ("paid", False, None)

    # Given no gateway is connected / Then there is none to retrieve
    with pytest.raises(NotFoundError):
        live.payment_gateway.retrieve()
    # When the merchant connects its test-mode Stripe keys (the stack's Stripe is localstripe)
    keys = stripe_keys()
    connected = cast(PaymentGateway, live.payment_gateway.connect(type="stripe", **keys))
    # Then the answer identifies them without the secrets, and says where Stripe sends its events
    assert (connected["type"], connected["livemode"]) == ("stripe", False)
    assert connected["publishableKey"] == keys["publishable_key"]
    assert connected["secretKeyLast4"] == keys["secret_key"][-4:]
    assert connected["webhookUrl"].endswith(f"/v1/gateway_webhooks/{live.account.retrieve()['id']}/stripe")
    assert keys["secret_key"] not in str(connected) and keys["webhook_secret"] not in str(connected)
    assert live.payment_gateway.retrieve() == connected

    # When live-mode keys are given with a test key / Then they are refused, naming the field
    with pytest.raises(InvalidRequestError) as refused:
        live.payment_gateway.connect(type="stripe", **stripe_keys("live"))
    assert (refused.value.status, refused.value.param) == (400, "secretKey")
    assert live.payment_gateway.retrieve() == connected

    # When the merchant disconnects / Then nothing is connected, and a second disconnect is a 404
    removed = live.payment_gateway.disconnect()
    assert removed == {"id": connected["id"], "object": "payment_gateway", "deleted": True, "livemode": False}
    with pytest.raises(NotFoundError):
        live.payment_gateway.retrieve()
    with pytest.raises(NotFoundError):
        live.payment_gateway.disconnect()
