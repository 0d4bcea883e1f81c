"""`vinr.webhooks`: verifies exactly what billing.webhooks.webhooksigning signs, and nothing else."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import vinr
from hypothesis import given, settings
from hypothesis import strategies as st
from vinr import SignatureVerificationError, Vinr, VinrError
from vinr.webhooks import verify, verify_standard

from billing.webhooks import webhooksigning


def event_body(**extra: Any) -> bytes:
    event = {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "x"}
    return json.dumps({**event, **extra}, separators=(",", ":")).encode()


def vinr_header(secrets: list[str], body: bytes, timestamp: int | None = None) -> str:
    return webhooksigning.vinr_signature(secrets, int(time.time()) if timestamp is None else timestamp, body)


def test_a_delivery_signed_by_the_api_verifies_and_returns_the_event() -> None:
    # Given a delivery body signed as the deliver function signs it
    secret = webhooksigning.new_secret()
    body = event_body(type="invoice.paid", data={"object": {"id": "inv_1", "total": 1200, "name": "Müller"}})
    header = vinr_header([secret], body)
    # When the receiver verifies it, as bytes and as the decoded str a framework may hand over
    from_bytes = verify(body, header, secret=secret)
    from_text = verify(body.decode(), header, secret=secret)
    # Then both give the parsed event
    assert from_bytes == from_text == json.loads(body)
    assert from_bytes["data"]["object"]["name"] == "Müller"


def test_the_clients_webhook_secret_is_the_default_and_secret_overrides_it() -> None:
    # Given a client configured with one endpoint's secret, and a delivery of another endpoint
    mine, other = webhooksigning.new_secret(), webhooksigning.new_secret()
    client = Vinr("sk_test_" + "a" * 32, base_url="https://api.vinr.test", webhook_secret=mine)
    body = event_body()
    # When each delivery is verified through the client
    assert client.webhooks.verify(body, vinr_header([mine], body))["id"] == json.loads(body)["id"]
    # Then the other endpoint's delivery fails with the default, and verifies with secret=
    with pytest.raises(SignatureVerificationError):
        client.webhooks.verify(body, vinr_header([other], body))
    assert client.webhooks.verify(body, vinr_header([other], body), secret=other) == json.loads(body)
    # And the module-level function is the same one the package exposes
    assert vinr.webhooks.verify is verify


def test_a_tampered_body_is_refused() -> None:
    # Given a signed delivery whose body was changed by one character in transit
    secret = webhooksigning.new_secret()
    body = event_body(amount=1000)
    header = vinr_header([secret], body)
    tampered = body.replace(b"1000", b"9000")
    # When it is verified, Then it is refused, as a VinrError
    with pytest.raises(SignatureVerificationError, match="No signature matches") as refused:
        verify(tampered, header, secret=secret)
    assert isinstance(refused.value, VinrError)
    # And a re-serialised body (whitespace added) is refused too: the raw bytes are what is signed
    with pytest.raises(SignatureVerificationError):
        verify(json.dumps(json.loads(body)), header, secret=secret)


def test_a_wrong_secret_is_refused() -> None:
    body = event_body()
    header = vinr_header([webhooksigning.new_secret()], body)
    with pytest.raises(SignatureVerificationError, match="No signature matches"):
        verify(body, header, secret=webhooksigning.new_secret())


@pytest.mark.parametrize(("offset", "word"), [(-301, "old"), (301, "future"), (-86_400, "old")])
def test_a_timestamp_outside_the_tolerance_is_refused_even_with_a_valid_signature(offset: int, word: str) -> None:
    # Given a correctly signed delivery whose timestamp is more than 300 s away from now
    secret = webhooksigning.new_secret()
    body = event_body()
    header = vinr_header([secret], body, int(time.time()) + offset)
    # When it is verified with the default tolerance, Then it is refused as a replay
    with pytest.raises(SignatureVerificationError, match=word):
        verify(body, header, secret=secret)
    # And a wider tolerance, or none (replaying stored fixtures), accepts it
    assert verify(body, header, abs(offset) + 60, secret=secret)["object"] == "event"
    assert verify(body, header, None, secret=secret)["object"] == "event"


def test_a_timestamp_just_inside_the_tolerance_is_accepted() -> None:
    secret = webhooksigning.new_secret()
    body = event_body()
    now = 1_800_000_000
    assert verify(body, vinr_header([secret], body, now - 300), secret=secret, now=now)["type"] == "x"
    assert verify(body, vinr_header([secret], body, now + 300), secret=secret, now=now)["type"] == "x"
    with pytest.raises(SignatureVerificationError):
        verify(body, vinr_header([secret], body, now - 301), secret=secret, now=now)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "garbage",
        "t=,v1=00",
        "t=abc,v1=00",
        "t=-5,v1=00",
        "t=1.5,v1=00",
        "v1=00",
        "t=1700000000",
        "t=1700000000,v1=",
        "t=1700000000,t=1700000001,v1=00",
        "t=1700000000;v1=00",
        "t=1700000000,v0=00",
        "t=1700000000,v1=ünïcode",
    ],
)
def test_a_malformed_header_is_refused_with_the_typed_error(header: str | None) -> None:
    with pytest.raises(SignatureVerificationError):
        verify(event_body(), header, None, secret=webhooksigning.new_secret())


def test_during_a_secret_roll_either_secret_verifies_and_a_third_does_not() -> None:
    # Given a delivery signed while a secret roll is in progress (one v1 per live secret)
    old, new = webhooksigning.new_secret(), webhooksigning.new_secret()
    body = event_body(type="customer.updated")
    header = vinr_header([old, new], body)
    assert header.count("v1=") == 2
    # When a receiver still on the old secret, and one already on the new, verify it
    # Then both accept it
    assert verify(body, header, secret=old) == verify(body, header, secret=new) == json.loads(body)
    # And any other secret is refused
    with pytest.raises(SignatureVerificationError):
        verify(body, header, secret=webhooksigning.new_secret())


def test_the_standard_webhooks_headers_verify_too() -> None:
    # Given every header of a delivery during a roll, as the deliver function sends them
    old, new = webhooksigning.new_secret(), webhooksigning.new_secret()
    body = event_body()
    message_id = json.loads(body)["id"]
    headers = webhooksigning.headers([old, new], message_id, int(time.time()), body)
    # When verified through the Standard Webhooks headers (any header case), Then either secret works
    upper = {name.title(): value for name, value in headers.items()}
    assert verify_standard(body, headers, secret=old) == verify_standard(body, upper, secret=new) == json.loads(body)
    # And a different message id, a tampered body or a stale timestamp are refused
    with pytest.raises(SignatureVerificationError):
        verify_standard(body, {**headers, "webhook-id": "evt_other"}, secret=old)
    with pytest.raises(SignatureVerificationError):
        verify_standard(body + b" ", headers, secret=old)
    stale = webhooksigning.headers([old], message_id, int(time.time()) - 600, body)
    with pytest.raises(SignatureVerificationError, match="old"):
        verify_standard(body, stale, secret=old)
    with pytest.raises(SignatureVerificationError, match="webhook-signature"):
        verify_standard(body, {k: v for k, v in headers.items() if k != "webhook-signature"}, secret=old)


def test_no_secret_at_all_is_a_mistake_in_the_code_a_value_error() -> None:
    body = event_body()
    header = vinr_header([webhooksigning.new_secret()], body)
    with pytest.raises(ValueError, match="webhook_secret") as failed:
        Vinr("sk_test_" + "a" * 32, base_url="https://api.vinr.test").webhooks.verify(body, header)
    assert not isinstance(failed.value, SignatureVerificationError)


MALFORMED_SECRETS = {
    "empty": "",
    "blank": "   ",
    "not whsec_": "sk_test_" + "a" * 32,
    "no prefix, valid base64": webhooksigning.new_secret().removeprefix("whsec_"),
    "bad base64": "whsec_not base64!",
    "bad padding": "whsec_abc",
    "prefix only": "whsec_",
}


@pytest.mark.parametrize("secret", MALFORMED_SECRETS.values(), ids=MALFORMED_SECRETS.keys())
def test_a_malformed_secret_is_a_signature_verification_error_that_does_not_show_it(secret: str) -> None:
    # Given a delivery signed with a real secret, verified with a malformed one
    body = event_body()
    header = vinr_header([webhooksigning.new_secret()], body)
    standard = webhooksigning.headers([webhooksigning.new_secret()], "msg_1", int(time.time()), body)
    client = Vinr("sk_test_" + "a" * 32, base_url="https://api.vinr.test", webhook_secret=secret)
    # Then every way of verifying raises SignatureVerificationError (what a handler catches), not
    # ValueError or binascii.Error, and the message names whsec_ but never echoes the secret
    for attempt in (
        lambda: verify(body, header, secret=secret),
        lambda: verify_standard(body, standard, secret=secret),
        lambda: client.webhooks.verify(body, header),
        lambda: client.webhooks.verify_standard(body, standard),
    ):
        with pytest.raises(SignatureVerificationError, match="whsec_") as failed:
            attempt()
        assert type(failed.value) is SignatureVerificationError
        if secret.strip() and secret != "whsec_":
            assert secret.strip() not in str(failed.value)


def test_a_validly_signed_body_that_is_not_a_json_object_is_refused() -> None:
    secret = webhooksigning.new_secret()
    for body in (b"[1, 2]", b"not json", b"\xff\xfe"):
        with pytest.raises(SignatureVerificationError, match="JSON"):
            verify(body, vinr_header([secret], body), secret=secret)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=75, deadline=None)
@given(event=st.dictionaries(st.text(max_size=12), json_values, max_size=6), compact=st.booleans())
def test_any_signed_json_object_round_trips(event: dict[str, Any], compact: bool) -> None:
    secret = webhooksigning.new_secret()
    body = json.dumps(event, separators=(",", ":") if compact else None, ensure_ascii=compact).encode()
    assert verify(body, vinr_header([secret], body), secret=secret) == event


@settings(max_examples=75, deadline=None)
@given(body=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_single_byte_change_to_any_body_is_refused(body: bytes, data: st.DataObject) -> None:
    # Given any body, signed, and the same body with one byte changed
    secret = webhooksigning.new_secret()
    header = vinr_header([secret], body)
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    # Then the changed body never passes the signature check
    with pytest.raises(SignatureVerificationError, match="No signature matches"):
        verify(changed, header, secret=secret)
