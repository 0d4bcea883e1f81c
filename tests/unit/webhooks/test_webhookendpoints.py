"""Webhook endpoints without I/O: event lists, live secrets, the wire (URL rules: test_egress.py)."""

from __future__ import annotations

from typing import Any

import pytest

from billing.kernel.errors import InvalidRequest
from billing.webhooks import webhookendpoints as we
from billing.webhooks.records import Secret, WebhookEndpoint


class TestEnabledEvents:
    def test_known_types_pass_deduplicated_in_order(self) -> None:
        assert we.check_enabled_events(["invoice.paid", "customer.created", "invoice.paid"]) == [
            "invoice.paid",
            "customer.created",
        ]
        assert we.check_enabled_events(["*", "*"]) == ["*"]

    @pytest.mark.parametrize(
        ("value", "param"),
        [
            ([], "enabledEvents"),
            (None, "enabledEvents"),
            ("invoice.paid", "enabledEvents"),
            (["invoice.paid", "invoice.exploded"], "enabledEvents.1"),
            (["invoice.*"], "enabledEvents.0"),
            ([7], "enabledEvents.0"),
            (["*", "invoice.paid"], "enabledEvents"),
            (["invoice.paid"] * 51, "enabledEvents"),
        ],
    )
    def test_bad_lists_name_the_field(self, value: Any, param: str) -> None:
        with pytest.raises(InvalidRequest) as raised:
            we.check_enabled_events(value)
        assert raised.value.param == param


def endpoint(secrets: list[Secret], **more: Any) -> WebhookEndpoint:
    fields: dict[str, Any] = {
        "id": "we_1",
        "account": "acct_1",
        "mode": "test",
        "url": "https://example.com/h",
        "enabled_events": ("*",),
        "description": None,
        "disabled": False,
        "disabled_reason": None,
        "metadata": {},
        "secrets": tuple(secrets),
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "version": 1,
        **more,
    }
    return WebhookEndpoint(**fields)


class TestLiveSecrets:
    def test_the_current_one_first_then_the_unexpired_rolled_ones(self) -> None:
        item = endpoint(
            [
                Secret(secret="whsec_new"),
                Secret(secret="whsec_old", expires_at=1_000),
                Secret(secret="whsec_older", expires_at=500),
            ]
        )
        assert item.live_secrets(499) == ["whsec_new", "whsec_old", "whsec_older"]
        assert item.live_secrets(500) == ["whsec_new", "whsec_old"]
        assert item.live_secrets(999) == ["whsec_new", "whsec_old"]
        assert item.live_secrets(1_000) == ["whsec_new"]

    def test_the_wire_never_carries_secrets_unless_given_one(self) -> None:
        item = endpoint([Secret(secret="whsec_current")])
        wire = we.to_wire(item)
        assert "secret" not in wire and "whsec_current" not in repr(wire)
        assert wire["status"] == "enabled" and wire["secretExpiresAt"] is None and wire["livemode"] is False
        assert we.to_wire(item, secret="whsec_shown")["secret"] == "whsec_shown"

    def test_the_wire_names_when_the_previous_secret_stops(self) -> None:
        item = endpoint(
            [Secret(secret="whsec_a"), Secret(secret="whsec_b", expires_at=4_102_444_800)],
            disabled=True,
            disabled_reason="gone",
            mode="live",
        )
        wire = we.to_wire(item)
        assert wire["secretExpiresAt"] == "2100-01-01T00:00:00Z"
        assert (wire["status"], wire["disabled"], wire["disabledReason"], wire["livemode"]) == (
            "disabled",
            True,
            "gone",
            True,
        )

    def test_the_wire_is_the_fields_in_their_order(self) -> None:
        item = endpoint([Secret(secret="whsec_a")], enabled_events=("invoice.paid",), metadata={"team": "x"})
        assert we.to_wire(item) == {
            "id": "we_1",
            "object": "webhook_endpoint",
            "url": "https://example.com/h",
            "enabledEvents": ["invoice.paid"],
            "description": None,
            "disabled": False,
            "status": "enabled",
            "disabledReason": None,
            "metadata": {"team": "x"},
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "livemode": False,
            "secretExpiresAt": None,
        }
        assert list(we.to_wire(item)) == [
            "id",
            "object",
            "url",
            "enabledEvents",
            "description",
            "disabled",
            "status",
            "disabledReason",
            "metadata",
            "createdAt",
            "updatedAt",
            "livemode",
            "secretExpiresAt",
        ]
