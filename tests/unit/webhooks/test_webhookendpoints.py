"""Webhook endpoints without I/O: event lists, live secrets, the wire (URL rules: test_egress.py)."""

from __future__ import annotations

from typing import Any

import pytest

from billing.kernel.errors import InvalidRequest
from billing.webhooks import webhookendpoints as we


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


def endpoint(secrets: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "id": "we_1",
        "url": "https://example.com/h",
        "enabledEvents": ["*"],
        "mode": "test",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "secrets": secrets,
        **more,
    }


class TestLiveSecrets:
    def test_the_current_one_first_then_the_unexpired_rolled_ones(self) -> None:
        item = endpoint(
            [
                {"secret": "whsec_new", "expiresAt": None},
                {"secret": "whsec_old", "expiresAt": 1_000},
                {"secret": "whsec_older", "expiresAt": 500},
            ]
        )
        assert we.live_secrets(item, 499) == ["whsec_new", "whsec_old", "whsec_older"]
        assert we.live_secrets(item, 500) == ["whsec_new", "whsec_old"]
        assert we.live_secrets(item, 999) == ["whsec_new", "whsec_old"]
        assert we.live_secrets(item, 1_000) == ["whsec_new"]

    def test_the_wire_never_carries_secrets_unless_given_one(self) -> None:
        item = endpoint([{"secret": "whsec_current", "expiresAt": None}])
        wire = we.to_wire(item)
        assert "secret" not in wire and "whsec_current" not in repr(wire)
        assert wire["status"] == "enabled" and wire["secretExpiresAt"] is None and wire["livemode"] is False
        assert we.to_wire(item, secret="whsec_shown")["secret"] == "whsec_shown"

    def test_the_wire_names_when_the_previous_secret_stops(self) -> None:
        item = endpoint(
            [{"secret": "whsec_a", "expiresAt": None}, {"secret": "whsec_b", "expiresAt": 4_102_444_800}],
            disabled=True,
            disabledReason="gone",
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
