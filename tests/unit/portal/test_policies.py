"""The portal's policies and the changes they make: what a configuration lets a customer do to a
subscription, and which subscription service each change goes to (the services are replaced
by recorders; no I/O)."""

from __future__ import annotations

from typing import Any

import msgspec.structs
import pytest

from billing.kernel.scope import RequestInfo, Scope
from billing.portal import changes
from billing.portal.offers import RetentionOffer
from billing.portal.policies import CancelPolicy, UpdatePolicy, changeable, keeps_for_period_end
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions import preview as upcoming
from billing.subscriptions import subscriptions
from billing.subscriptions.records import Interval, SubscriptionItem
from tests.unit.portal.samples import item, subscription

# The services these call are stand-ins: the table is handed through and never read.
TABLE = Table.__new__(Table)

SCOPE = Scope("acct_test", "test")
REQUEST = RequestInfo(source="portal", session="bps_1")


SUB = subscription(item("price_pro", 3000))
ENDING = msgspec.structs.replace(SUB, cancel_at_period_end=True)
# What the catalog resolves each price to (`billing.subscriptions.changes.requested_items`, replaced below).
PRICES: dict[str, tuple[int, Interval]] = {
    "price_pro": (3000, "month"),
    "price_basic": (1000, "month"),
    "price_pro_w": (900, "week"),
}


class TestUpdatePolicy:
    def test_what_a_configuration_says(self) -> None:
        settings = {
            "allowedUpdates": ["price"],
            "prorationBehavior": "always_invoice",
            "scheduleAtPeriodEnd": {"conditions": ["decreasing_item_amount"]},
        }
        assert UpdatePolicy.of(settings) == UpdatePolicy(
            can_price=True,
            can_quantity=False,
            proration_behavior="always_invoice",
            period_end_conditions=frozenset({"decreasing_item_amount"}),
        )

    def test_the_defaults(self) -> None:
        assert UpdatePolicy.of({}) == UpdatePolicy(False, False, "create_prorations", frozenset())


class TestCancelPolicy:
    def test_what_a_configuration_says(self) -> None:
        settings = {
            "mode": "immediately",
            "prorationBehavior": "create_prorations",
            "cancellationReason": {"enabled": True, "options": ["unused", "other"]},
        }
        assert CancelPolicy.of(settings) == CancelPolicy(
            immediately=True, prorate=True, survey=True, reasons=("unused", "other")
        )

    def test_the_defaults_cancel_at_the_period_end_without_a_credit_or_a_survey(self) -> None:
        assert CancelPolicy.of({}) == CancelPolicy(immediately=False, prorate=False, survey=False, reasons=())
        assert CancelPolicy.of({"mode": "at_period_end", "prorationBehavior": "none"}).prorate is False


def test_only_a_single_plan_that_is_not_ending_is_changeable() -> None:
    assert changeable(SUB)
    assert not changeable(msgspec.structs.replace(SUB, items=(item("price_a", 100), item("price_b", 200))))
    assert not changeable(ENDING)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The subscription services the changes call, recorded instead of run."""
    made: list[tuple[str, Any]] = []

    def requested_items(scope: Scope, sub: Any, wanted: Any, **_: Any) -> tuple[SubscriptionItem, ...]:
        resolved = []
        for want in wanted:
            amount, interval = PRICES[want["price"]]
            resolved.append(item(want["price"], amount, want["quantity"], interval))
        return tuple(resolved)

    def recorder(name: str) -> Any:
        def record(scope: Scope, sub_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            assert kwargs.pop("table") is TABLE  # the caller's table, handed through
            assert kwargs.pop("known").subscription.id == sub_id  # the page's read, not read again
            made.append((name, (sub_id, *args, kwargs) if kwargs else (sub_id, *args)))
            return {}

        return record

    def preview(scope: Scope, sub_id: str, **kwargs: Any) -> dict[str, Any]:
        made.append(("preview", kwargs))
        return {"immediate": {"total": 1}, "next": {"total": 2}}

    monkeypatch.setattr(subscription_changes, "requested_items", requested_items)
    monkeypatch.setattr(upcoming, "preview", preview)
    for name in ("update", "schedule_change", "accept_retention"):
        monkeypatch.setattr(subscription_changes, name, recorder(name))
    monkeypatch.setattr(subscriptions, "cancel", recorder("cancel"))
    return made


DOWNGRADES_LATER = UpdatePolicy(True, True, "none", frozenset({"decreasing_item_amount"}))


class TestSwitch:
    @pytest.mark.usefixtures("calls")
    def test_a_downgrade_the_configuration_names_waits_for_the_period_end(self) -> None:
        assert keeps_for_period_end(SCOPE, DOWNGRADES_LATER, SUB, "price_basic", 1, table=TABLE)
        assert not keeps_for_period_end(SCOPE, DOWNGRADES_LATER, SUB, "price_pro", 2, table=TABLE)  # an upgrade
        # A shorter interval is a condition of its own, which this configuration does not name
        assert not keeps_for_period_end(SCOPE, DOWNGRADES_LATER, SUB, "price_pro_w", 4, table=TABLE)
        shorter = UpdatePolicy(True, True, "none", frozenset({"shortening_interval"}))
        assert keeps_for_period_end(SCOPE, shorter, SUB, "price_pro_w", 4, table=TABLE)
        assert not keeps_for_period_end(SCOPE, UpdatePolicy.of({}), SUB, "price_basic", 1, table=TABLE)

    def test_a_kept_switch_is_scheduled(self, calls: list[tuple[str, Any]]) -> None:
        assert changes.switch(SCOPE, DOWNGRADES_LATER, SUB, "price_basic", 1, REQUEST, table=TABLE) == "scheduled"
        assert calls == [("schedule_change", ("sub_1", {"items": [{"price": "price_basic", "quantity": 1}]}, REQUEST))]

    def test_any_other_switch_is_made_now_with_the_configured_proration(self, calls: list[tuple[str, Any]]) -> None:
        assert changes.switch(SCOPE, DOWNGRADES_LATER, SUB, "price_pro", 3, REQUEST, table=TABLE) == "changed"
        fields = {"items": [{"price": "price_pro", "quantity": 3}], "prorationBehavior": "none"}
        assert calls == [("update", ("sub_1", fields, REQUEST))]

    def test_the_preview_is_of_the_switch_as_it_would_be_made(self, calls: list[tuple[str, Any]]) -> None:
        later = changes.preview_switch(SCOPE, DOWNGRADES_LATER, SUB, "price_basic", 1, table=TABLE)
        now = changes.preview_switch(SCOPE, DOWNGRADES_LATER, SUB, "price_pro", 2, table=TABLE)
        assert later == changes.SwitchPreview(True, "none", {"total": 1}, {"total": 2})
        assert now.at_period_end is False
        assert [kwargs["at_period_end"] for _, kwargs in calls] == [True, False]
        assert {kwargs["behavior"] for _, kwargs in calls} == {"none"}


DETAILS = {"reason": "unused", "comment": None}


class TestCancel:
    def test_now_with_a_credit(self, calls: list[tuple[str, Any]]) -> None:
        policy = CancelPolicy(immediately=True, prorate=True, survey=True, reasons=("unused",))
        assert changes.cancel(SCOPE, policy, SUB, DETAILS, REQUEST, table=TABLE) == "canceled"
        kwargs = {"prorate": True, "invoice_now": True, "cancellation_details": DETAILS}
        assert calls == [("cancel", ("sub_1", REQUEST, kwargs))]

    def test_at_the_period_end_with_the_survey(self, calls: list[tuple[str, Any]]) -> None:
        policy = CancelPolicy(immediately=False, prorate=False, survey=True, reasons=("unused",))
        assert changes.cancel(SCOPE, policy, SUB, DETAILS, REQUEST, table=TABLE) == "scheduled"
        fields = {"cancelAtPeriodEnd": True, "cancellationDetails": DETAILS}
        assert calls == [("update", ("sub_1", fields, REQUEST))]

    def test_at_the_period_end_without_a_survey_and_once_only(self, calls: list[tuple[str, Any]]) -> None:
        policy = CancelPolicy.of({})
        assert changes.cancel(SCOPE, policy, SUB, None, REQUEST, table=TABLE) == "scheduled"
        assert changes.cancel(SCOPE, policy, ENDING, None, REQUEST, table=TABLE) == "scheduled"
        assert calls == [("update", ("sub_1", {"cancelAtPeriodEnd": True}, REQUEST))]

    def test_the_retention_coupon_and_the_renewal(self, calls: list[tuple[str, Any]]) -> None:
        offer = RetentionOffer("rwd_stay", 580, 580, "eur", "forever", 0, SUB.items[0], True)
        changes.accept_retention(SCOPE, offer, SUB, REQUEST, table=TABLE)
        changes.renew(SCOPE, SUB, REQUEST, table=TABLE)  # not ending: nothing to take back
        changes.renew(SCOPE, ENDING, REQUEST, table=TABLE)
        assert calls == [
            ("accept_retention", ("sub_1", "rwd_stay", REQUEST)),  # once per subscription, recorded on it
            ("update", ("sub_1", {"cancelAtPeriodEnd": False}, REQUEST)),
        ]
