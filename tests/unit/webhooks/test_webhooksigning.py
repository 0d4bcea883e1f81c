"""Our webhook signatures, checked by the real `standardwebhooks` package (not our code)."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from billing.webhooks import webhooksigning

EVENT = {"id": "evt_1", "type": "customer.created", "data": {"object": {"id": "cust_1", "name": "Zoë <b>"}}}


def signed(secrets: list[str], body: bytes, timestamp: int | None = None) -> dict[str, str]:
    return webhooksigning.headers(secrets, "evt_1", int(time.time()) if timestamp is None else timestamp, body)


def body_of(event: object) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def test_the_standard_webhooks_library_verifies_a_delivery() -> None:
    secret = webhooksigning.new_secret()
    body = body_of(EVENT)
    assert Webhook(secret).verify(body, signed([secret], body)) == EVENT


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body.replace(b"cust_1", b"cust_2"), headers),
        lambda body, headers: (body, {**headers, "webhook-id": "evt_2"}),
        lambda body, headers: (body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)}),
        lambda body, headers: (body, {**headers, "webhook-signature": "v1,AAAA"}),
    ],
    ids=["body", "id", "timestamp", "signature"],
)
def test_a_tampered_delivery_is_rejected(tamper: object) -> None:
    secret = webhooksigning.new_secret()
    body, headers = tamper(body_of(EVENT), signed([secret], body_of(EVENT)))  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_the_wrong_secret_is_rejected() -> None:
    body = body_of(EVENT)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooksigning.new_secret()).verify(body, signed([webhooksigning.new_secret()], body))


@pytest.mark.parametrize("skew", [-301, 301, -3600, 86400])
def test_old_and_future_timestamps_are_rejected(skew: int) -> None:
    secret = webhooksigning.new_secret()
    body = body_of(EVENT)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, signed([secret], body, int(time.time()) + skew))


def test_during_a_roll_either_secret_verifies() -> None:
    new, old = webhooksigning.new_secret(), webhooksigning.new_secret()
    body = body_of(EVENT)
    headers = signed([new, old], body)
    assert headers["webhook-signature"].count("v1,") == 2
    assert headers["vinr-signature"].count("v1=") == 2
    assert Webhook(new).verify(body, headers) == EVENT
    assert Webhook(old).verify(body, headers) == EVENT


def test_the_vinr_signature_is_hmac_of_timestamp_and_body() -> None:
    import hashlib
    import hmac

    secret = webhooksigning.new_secret()
    body = body_of(EVENT)
    header = webhooksigning.vinr_signature([secret], 1_700_000_000, body)
    expected = hmac.new(webhooksigning.key_of(secret), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_secrets_have_the_standard_webhooks_shape() -> None:
    secret = webhooksigning.new_secret()
    assert secret.startswith("whsec_") and len(webhooksigning.key_of(secret)) == 32
    assert secret != webhooksigning.new_secret()


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_any_json_body_round_trips_through_verification(payload: object) -> None:
    secret = webhooksigning.new_secret()
    event = {"id": "evt_1", "payload": payload}
    body = body_of(event)
    assert Webhook(secret).verify(body, signed([secret], body)) == event
