"""Webhook endpoints and deliveries as records and items (no I/O): items as today's writes leave
them read back and are written again attribute for attribute; the records' derived figures; the
update expressions the store builds (checked against a table double that applies them)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from msgspec.structs import replace

from billing.events.records import Event
from billing.kernel.errors import ServiceUnavailable
from billing.kernel.scope import Scope
from billing.store.repository import Cancelled, Check, Contended, Delete, Put, Update
from billing.webhooks import store
from billing.webhooks.records import Attempt, Delivery, Secret, WebhookEndpoint

SCOPE = Scope("acct_1", "test")
EVENT_PK = "ACCT#acct_1#test#EVT#evt_1"


def endpoint_item(**more: Any) -> dict[str, Any]:
    """An endpoint as `create` writes it, with one rolled secret."""
    return {
        "pk": "ACCT#acct_1#test#WE#we_1",
        "sk": "WEBHOOK_ENDPOINT",
        "type": "webhook_endpoint",
        "id": "we_1",
        "account": "acct_1",
        "mode": "test",
        "url": "https://hooks.example.com/vinr",
        "enabledEvents": ["invoice.paid", "customer.updated"],
        "description": None,
        "disabled": False,
        "disabledReason": None,
        "metadata": {"team": "finance"},
        "secrets": [{"secret": "whsec_new", "expiresAt": None}, {"secret": "whsec_old", "expiresAt": 2_000}],
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-02T00:00:00Z",
        "version": 2,
        "gsi2pk": "ACCT#acct_1#test#WEBHOOK_ENDPOINTS",
        "gsi2sk": "we_1",
        **more,
    }


def new_delivery_item() -> dict[str, Any]:
    """A delivery as the fanout leaves it: no attempt, no lease, no schedule yet."""
    return {
        "pk": EVENT_PK,
        "sk": "DELIVERY#we_1",
        "type": "delivery",
        "event": "evt_1",
        "endpoint": "we_1",
        "url": "https://hooks.example.com/vinr",
        "createdAt": "2026-01-03T00:00:00Z",
        "expiresAt": 1_800_000_000,
        "attemptCount": 0,
        "status": "pending",
        "round": 1,
    }


def attempted_delivery_item() -> dict[str, Any]:
    """A delivery after a failed attempt (pending, next attempt set, lease let go) and a redelivery's
    claim that holds it now."""
    return {
        **new_delivery_item(),
        "status": "pending",
        "round": 2,
        "attemptCount": 1,
        "attempts": [
            {
                "at": "2026-01-03T00:00:01Z",
                "attempt": 1,
                "round": 1,
                "status": None,
                "latencyMs": 5000,
                "error": "No answer within 5 s.",
                "response": "",
            }
        ],
        "lastAttemptAt": "2026-01-03T00:00:01Z",
        "nextAttemptAt": "2026-01-03T00:01:01Z",
        "recordedClaim": "c1",
        "lease": 1_767_398_500,
        "claim": "c2",
    }


def finished_delivery_item() -> dict[str, Any]:
    item = attempted_delivery_item()
    for name in ("nextAttemptAt", "lease"):
        del item[name]
    item["attempts"].append({**item["attempts"][0], "at": "2026-01-03T00:01:02Z", "attempt": 2, "status": 200})
    return {**item, "status": "succeeded", "attemptCount": 2, "deliveredAt": "2026-01-03T00:01:02Z"}


def endpoint(**changes: Any) -> WebhookEndpoint:
    return replace(store.endpoint_from_item(endpoint_item()), **changes)


def event() -> Event:
    return Event(
        id="evt_1",
        type="invoice.paid",
        account="acct_1",
        mode="test",
        created_at="2026-01-03T00:00:00Z",
        data_object={"id": "in_1", "object": "invoice"},
        previous_attributes={},
        request={"source": "api", "id": None, "idempotencyKey": None},
        expires_at=1_800_000_000,
    )


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize(
    "written",
    [
        endpoint_item(),
        endpoint_item(
            pk="ACCT#acct_1#live#WE#we_1",
            gsi2pk="ACCT#acct_1#live#WEBHOOK_ENDPOINTS",
            mode="live",
            disabled=True,
            disabledReason="gone",
            description="Sync",
        ),
    ],
    ids=["enabled", "disabled"],
)
def test_an_endpoint_item_reads_back_and_is_written_again_unchanged(written: dict[str, Any]) -> None:
    scope = Scope("acct_1", written["mode"])
    decoded = store.endpoint_from_item(copy.deepcopy(written))
    assert store.endpoint_to_item(scope, decoded) == written
    assert store.endpoint_from_item(store.endpoint_to_item(scope, decoded)) == decoded


def test_the_endpoint_record_holds_its_secrets_in_order() -> None:
    assert endpoint().secrets == (Secret(secret="whsec_new"), Secret(secret="whsec_old", expires_at=2_000))
    assert endpoint().enabled_events == ("invoice.paid", "customer.updated")


@pytest.mark.parametrize(
    "written",
    [new_delivery_item(), attempted_delivery_item(), finished_delivery_item()],
    ids=["new", "attempted", "finished"],
)
def test_a_delivery_item_reads_back_and_is_written_again_unchanged(written: dict[str, Any]) -> None:
    decoded = store.delivery_from_item(copy.deepcopy(written))
    assert store.delivery_to_item(SCOPE, decoded) == written
    assert store.delivery_from_item(store.delivery_to_item(SCOPE, decoded)) == decoded


def test_the_delivery_record_reads_attempts_field_by_field() -> None:
    decoded = store.delivery_from_item(finished_delivery_item())
    assert decoded.attempts[0] == Attempt(
        at="2026-01-03T00:00:01Z",
        attempt=1,
        round=1,
        status=None,
        latency_ms=5000,
        error="No answer within 5 s.",
        response="",
    )
    assert (decoded.attempts[1].status, decoded.status, decoded.lease) == (200, "succeeded", None)


# ------------------------------------------------------------------ derived figures
class TestEndpoint:
    def test_live_secrets_are_the_current_one_then_the_unexpired_rolled_ones(self) -> None:
        rolled = endpoint(
            secrets=(
                Secret(secret="whsec_new"),
                Secret(secret="whsec_old", expires_at=1_000),
                Secret(secret="whsec_older", expires_at=500),
            )
        )
        assert rolled.live_secrets(499) == ["whsec_new", "whsec_old", "whsec_older"]
        assert rolled.live_secrets(500) == ["whsec_new", "whsec_old"]
        assert rolled.live_secrets(1_000) == ["whsec_new"]
        assert rolled.rolled_until(499) == 1_000 and rolled.rolled_until(1_000) is None

    def test_a_roll_keeps_the_current_secret_for_the_grace_period_newest_first(self) -> None:
        rolled = endpoint().rolled_secrets("whsec_next", 1_000, 3_600, keep=4)
        assert rolled == (
            Secret(secret="whsec_next"),
            Secret(secret="whsec_new", expires_at=4_600),
            Secret(secret="whsec_old", expires_at=2_000),
        )

    def test_a_roll_of_zero_drops_the_current_secret_and_expired_ones_go(self) -> None:
        assert endpoint().rolled_secrets("whsec_next", 2_000, 0, keep=4) == (Secret(secret="whsec_next"),)

    def test_a_roll_of_zero_also_ends_the_secrets_earlier_rolls_kept(self) -> None:
        # whsec_old still signs until 2_000; a roll of 0 at 1_000 ends it too
        assert endpoint().rolled_secrets("whsec_next", 1_000, 0, keep=4) == (Secret(secret="whsec_next"),)

    def test_a_roll_keeps_at_most_keep_rolled_secrets_dropping_the_soonest_to_expire(self) -> None:
        many = endpoint(secrets=(Secret(secret="s0"), *(Secret(secret=f"s{n}", expires_at=100 + n) for n in (1, 2, 3))))
        rolled = many.rolled_secrets("s_next", 50, 1_000, keep=2)
        assert [s.secret for s in rolled] == ["s_next", "s0", "s3"]

    @pytest.mark.parametrize(
        ("events", "disabled", "event_type", "wanted"),
        [
            (("*",), False, "invoice.paid", True),
            (("invoice.paid",), False, "invoice.paid", True),
            (("invoice.paid",), False, "invoice.voided", False),
            (("*",), True, "invoice.paid", False),
        ],
    )
    def test_wants_an_event_when_enabled_and_listed_for_it(
        self, events: tuple[str, ...], disabled: bool, event_type: str, wanted: bool
    ) -> None:
        assert endpoint(enabled_events=events, disabled=disabled).wants(event_type) is wanted

    def test_status_and_livemode(self) -> None:
        assert (endpoint().status, endpoint().livemode) == ("enabled", False)
        assert (endpoint(disabled=True).status, endpoint(mode="live").livemode) == ("disabled", True)


def test_a_held_delivery_retries_when_its_lease_ends_and_at_least_a_second_later() -> None:
    held = store.delivery_from_item(attempted_delivery_item())
    assert held.held_for(1_767_398_400) == 100
    assert held.held_for(1_767_398_500) == 1
    assert replace(held, lease=None).held_for(5) == 1


# ------------------------------------------------------------------ writes
class Recorder:
    """A table double: answers `update` by applying the SET/REMOVE clauses the store builds to
    one stored item (enough of DynamoDB's expression language for these updates)."""

    def __init__(
        self, item: dict[str, Any] | None = None, *, cancel: Cancelled | None = None, contended: int = 0
    ) -> None:
        self.item = copy.deepcopy(item) if item is not None else None
        self.calls: list[dict[str, Any]] = []
        self.cancel = cancel  # what a transaction raises, when given
        self.contended = contended  # how many updates a transaction holding the item refuses first

    def transact(self, operations: list[Any], **options: Any) -> None:
        """Records the operations; applies the updates (one item: the delivery's) unless cancelled."""
        self.calls.append({"operations": list(operations), **options})
        if self.cancel is not None:
            raise self.cancel
        for op in operations:
            if isinstance(op, Update):
                self.update(op.pk, op.sk, expression=op.expression, names=op.names, values=op.values)

    def update(self, pk: str, sk: str, *, expression: str, **options: Any) -> dict[str, Any]:
        self.calls.append({"pk": pk, "sk": sk, "expression": expression, **options})
        if self.contended:
            self.contended -= 1
            raise Contended("held by a transaction")
        names, values = options.get("names") or {}, options.get("values") or {}
        item = self.item if self.item is not None else {"pk": pk, "sk": sk}
        sets, _, removes = expression.removeprefix("SET ").partition(" REMOVE ")
        for clause in sets.split(", #"):
            target, _, value = clause.lstrip("#").partition(" = ")
            attribute = names["#" + target]
            item[attribute] = evaluate(value, item, names, values)
        for token in filter(None, removes.split(", ")):
            item.pop(names[token], None)
        self.item = item
        return copy.deepcopy(item)


def evaluate(text: str, item: dict[str, Any], names: dict[str, str], values: dict[str, Any]) -> Any:
    if text.startswith("if_not_exists("):
        inner, _, rest = text.removeprefix("if_not_exists(").partition(")")
        name, _, default = inner.partition(", ")
        value = item.get(names[name], values[default])
        return value + values[rest.removeprefix(" + ")] if rest else value
    if text.startswith("list_append("):
        inner = text.removeprefix("list_append(").removesuffix(")")
        current, _, entries = inner.rpartition(", ")
        return evaluate(current, item, names, values) + values[entries]
    return values[text]


def test_the_fanout_opens_a_delivery_once_and_a_second_time_changes_nothing() -> None:
    table = Recorder()
    opened = store.open_delivery(table, SCOPE, event(), endpoint(), "2026-01-03T00:00:00Z")  # type: ignore[arg-type]
    assert store.delivery_to_item(SCOPE, opened) == new_delivery_item()
    again = store.open_delivery(table, SCOPE, event(), endpoint(url="https://x"), "2026-01-04T00:00:00Z")  # type: ignore[arg-type]
    assert again == opened
    assert table.calls[0]["condition"] is None


def test_a_new_round_is_pending_again_to_the_current_url_with_no_schedule() -> None:
    table = Recorder(finished_delivery_item())
    started = store.start_round(table, SCOPE, event(), endpoint(url="https://moved"), "2026-02-01T00:00:00Z")  # type: ignore[arg-type]
    assert (started.round, started.status, started.url) == (3, "pending", "https://moved")
    assert (started.delivered_at, started.next_attempt_at, started.lease, started.failure_reason) == (None,) * 4
    assert (started.created_at, started.attempt_count) == ("2026-01-03T00:00:00Z", 2)
    fresh = store.start_round(Recorder(), SCOPE, event(), endpoint(), "2026-01-03T00:00:00Z")  # type: ignore[arg-type]
    assert store.delivery_to_item(SCOPE, fresh) == new_delivery_item()


def test_recording_an_attempt_appends_it_counts_it_and_lets_the_lease_go() -> None:
    table = Recorder(attempted_delivery_item())
    attempt = Attempt(
        at="2026-01-03T00:01:02Z", attempt=2, round=2, status=200, latency_ms=12, error=None, response="ok"
    )
    store.record_attempt(
        table,  # type: ignore[arg-type]
        SCOPE,
        "evt_1",
        "we_1",
        attempt,
        claim="c2",
        status="succeeded",
        delivered_at="2026-01-03T00:01:02Z",
    )
    recorded = store.delivery_from_item(table.item or {})
    assert (recorded.status, recorded.attempt_count, recorded.attempts[-1]) == ("succeeded", 2, attempt)
    assert (recorded.lease, recorded.next_attempt_at, recorded.recorded_claim) == (None, None, "c2")
    assert recorded.delivered_at == "2026-01-03T00:01:02Z" and recorded.last_attempt_at == attempt.at
    [call] = table.calls
    assert call["condition"] == "#round = :round AND (attribute_not_exists(#recordedClaim) OR #recordedClaim <> :claim)"
    assert (call["values"][":round"], call["values"][":claim"]) == (2, "c2")


def test_a_failed_attempt_that_will_be_retried_keeps_its_next_attempt() -> None:
    table = Recorder(new_delivery_item())
    attempt = Attempt(at="2026-01-03T00:00:01Z", attempt=1, round=1, status=500, latency_ms=3, error=None, response="")
    store.record_attempt(
        table,  # type: ignore[arg-type]
        SCOPE,
        "evt_1",
        "we_1",
        attempt,
        claim="c1",
        status="pending",
        next_attempt_at="2026-01-03T00:01:01Z",
    )
    assert (table.item or {})["nextAttemptAt"] == "2026-01-03T00:01:01Z"
    assert (table.item or {})["attempts"] == [
        {
            "at": attempt.at,
            "attempt": 1,
            "round": 1,
            "status": 500,
            "latencyMs": 3,
            "error": None,
            "response": "",
        }
    ]


def test_a_claim_holds_the_round_unless_succeeded_or_held_while_the_endpoint_is_at_its_version() -> None:
    table = Recorder(new_delivery_item())
    refusal = store.claim_delivery(
        table,  # type: ignore[arg-type]
        SCOPE,
        "evt_1",
        "we_1",
        round=1,
        now=100,
        lease=135,
        claim="c1",
        endpoint_version=2,
    )
    assert refusal is None
    assert ((table.item or {})["lease"], (table.item or {})["claim"]) == (135, "c1")
    # one transaction: the delivery's conditional update and a check of the endpoint's version,
    # each answering the item as it stood when its condition fails
    [hold, check] = table.calls[0]["operations"]
    assert table.calls[0]["return_old"] is True
    assert (hold.pk, hold.sk) == (EVENT_PK, "DELIVERY#we_1")
    assert hold.condition == (
        "#round = :round AND #status <> :succeeded AND (attribute_not_exists(#lease) OR #lease < :now)"
    )
    assert {k: hold.values[k] for k in (":round", ":succeeded", ":now")} == {
        ":round": 1,
        ":succeeded": "succeeded",
        ":now": 100,
    }
    assert isinstance(check, Check)
    assert (check.pk, check.sk) == ("ACCT#acct_1#test#WE#we_1", "WEBHOOK_ENDPOINT")
    assert (check.condition, check.names, check.values) == ("#v = :v", {"#v": "version"}, {":v": 2})


@pytest.mark.parametrize(
    "reasons,expected",
    [
        (
            [("None", None), ("ConditionalCheckFailed", endpoint_item(version=3))],
            {"endpoint_changed": True, "endpoint_version": 3},
        ),
        ([("None", None), ("ConditionalCheckFailed", None)], {"endpoint_changed": True, "endpoint_version": None}),
        (
            [("ConditionalCheckFailed", finished_delivery_item()), ("ConditionalCheckFailed", None)],
            {"endpoint_changed": True, "endpoint_version": None},
        ),
        ([("ConditionalCheckFailed", finished_delivery_item()), ("None", None)], {"delivery_status": "succeeded"}),
        ([("ConditionalCheckFailed", None), ("None", None)], {"delivery_status": None}),
        ([("TransactionConflict", None), ("None", None)], {"contended": True}),
    ],
)
def test_a_refused_claim_says_why(reasons: list[tuple[str, Any]], expected: dict[str, Any]) -> None:
    table = Recorder(new_delivery_item(), cancel=Cancelled("conflict", reasons))
    refusal = store.claim_delivery(
        table,  # type: ignore[arg-type]
        SCOPE,
        "evt_1",
        "we_1",
        round=2,
        now=100,
        lease=135,
        claim="c1",
        endpoint_version=2,
    )
    assert refusal is not None
    found = {
        "endpoint_changed": refusal.endpoint_changed,
        "endpoint_version": None if refusal.endpoint is None else refusal.endpoint.version,
        "delivery_status": None if refusal.delivery is None else refusal.delivery.status,
        "contended": refusal.contended,
    }
    nothing = {"endpoint_changed": False, "endpoint_version": None, "delivery_status": None, "contended": False}
    assert found == {**nothing, **expected}
    assert refusal.delivery_taken == ("delivery_status" in expected)
    assert (table.item or {}).get("lease") is None  # nothing applied


def test_a_claim_without_a_version_is_the_deliverys_update_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CONTENDED_PAUSES", (0, 0))
    table = Recorder(new_delivery_item(), contended=1)  # a duplicate's claim held the delivery once
    refusal = store.claim_delivery(
        table,  # type: ignore[arg-type]
        SCOPE,
        "evt_1",
        "we_1",
        round=1,
        now=100,
        lease=135,
        claim="c1",
        endpoint_version=None,
    )
    assert refusal is None
    assert ((table.item or {})["lease"], (table.item or {})["claim"]) == (135, "c1")
    assert [c.get("operations") for c in table.calls] == [None, None]  # two updates, no transaction
    call = table.calls[-1]
    assert call["condition"].startswith("#round = :round AND #status <> :succeeded")
    assert call["already"]({**new_delivery_item(), "lease": 135, "claim": "c1"})
    assert not call["already"]({**new_delivery_item(), "lease": 135, "claim": "c9"})


def test_a_write_a_transaction_keeps_refusing_is_unavailable_never_a_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CONTENDED_PAUSES", (0, 0))
    table = Recorder(attempted_delivery_item(), contended=3)
    with pytest.raises(ServiceUnavailable):
        store.close(table, SCOPE, "evt_1", "we_1", round=2, status="failed", reason="deleted")  # type: ignore[arg-type]
    assert len(table.calls) == 3 and (table.item or {})["status"] != "failed"


def test_a_claim_cancelled_for_another_reason_is_not_a_refusal() -> None:
    table = Recorder(new_delivery_item(), cancel=Cancelled("conflict", [("ValidationError", None), ("None", None)]))
    with pytest.raises(Cancelled):
        store.claim_delivery(
            table,  # type: ignore[arg-type]
            SCOPE,
            "evt_1",
            "we_1",
            round=1,
            now=100,
            lease=135,
            claim="c1",
            endpoint_version=2,
        )


def test_closing_a_delivery_fails_it_with_the_reason_in_its_round_only() -> None:
    table = Recorder(attempted_delivery_item())
    store.close(table, SCOPE, "evt_1", "we_1", round=2, status="failed", reason="deleted")  # type: ignore[arg-type]
    closed = store.delivery_from_item(table.item or {})
    assert (closed.status, closed.failure_reason, closed.lease, closed.next_attempt_at) == (
        "failed",
        "deleted",
        None,
        None,
    )
    assert table.calls[0]["condition"] == "attribute_exists(pk) AND #round = :round AND #status <> :succeeded"


def test_an_undone_round_puts_the_delivery_back_or_deletes_a_new_one() -> None:
    before = store.delivery_from_item(finished_delivery_item())
    after = replace(before, round=3, status="pending")
    put = store.undo_round(SCOPE, before, after)
    assert isinstance(put, Put) and put.item == finished_delivery_item()
    assert (put.condition, put.values) == ("#round = :round AND attribute_not_exists(#lease)", {":round": 3})
    gone = store.undo_round(SCOPE, None, after)
    assert isinstance(gone, Delete) and (gone.pk, gone.sk) == (EVENT_PK, "DELIVERY#we_1")


def test_an_endpoint_update_sets_the_changed_attributes_over_the_version_read() -> None:
    before = endpoint()
    after = replace(before, url="https://new.example.com", updated_at="2026-02-01T00:00:00Z", version=3)
    op = store.update_endpoint(SCOPE, before, after)
    assert isinstance(op, Update) and (op.pk, op.sk) == ("ACCT#acct_1#test#WE#we_1", "WEBHOOK_ENDPOINT")
    assert store.endpoint_changes(SCOPE, before, after) == {
        "url": "https://new.example.com",
        "updatedAt": "2026-02-01T00:00:00Z",
    }
    assert (op.expression, op.condition) == ("SET #f0 = :f0, #f1 = :f1, #f2 = :f2", "#v = :expected")
    assert op.names == {"#f0": "url", "#f1": "updatedAt", "#f2": "version", "#v": "version"}
    assert op.values == {":f0": "https://new.example.com", ":f1": "2026-02-01T00:00:00Z", ":f2": 3, ":expected": 2}


def test_the_counter_refuses_a_create_past_the_limit_and_a_delete_counts_down() -> None:
    up, down = store.count_up(SCOPE, 16), store.count_down(SCOPE)
    assert (up.pk, up.sk) == (down.pk, down.sk) == ("ACCT#acct_1#test#WEBHOOK_ENDPOINTS", "COUNTER")
    assert (up.expression, up.condition, up.values) == (
        "ADD #n :one",
        "attribute_not_exists(#n) OR #n < :max",
        {":one": 1, ":max": 16},
    )
    assert (down.expression, down.values) == ("ADD #n :minus", {":minus": -1})


def test_deliveries_live_beside_their_event() -> None:
    assert store.delivery_key(SCOPE, "evt_1", "we_1") == (EVENT_PK, "DELIVERY#we_1")
    assert isinstance(store.delivery_from_item(new_delivery_item()), Delivery)
