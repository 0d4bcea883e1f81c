"""Dunning without I/O: when each retry of a failed renewal is due, where that puts the
subscription in the clock's `due` index, how a renewal that fails starts (or keeps) the schedule,
the stored form of the state, and the account's settings as they are checked."""

from __future__ import annotations

import copy
from typing import Any

import msgspec.structs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.accounts import accounts
from billing.accounts import store as account_store
from billing.accounts.records import Account, DunningSettings
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.subscriptions import collection, dunning, store
from billing.subscriptions.records import Dunning, Subscription, retry_at
from tests.unit.subscriptions.test_store import SUB_ID, created_item

SCOPE = Scope("acct_1", "test")
FAILED_AT = "2026-02-15T10:00:00Z"  # the renewal at the period end of `created_item`, declined
DEFAULT = Dunning(failed_at=FAILED_AT, retry_days=(3, 5, 7), after_retries="unpaid")


def past_due(state: Dunning | None = DEFAULT, **fields: Any) -> Subscription:
    """The subscription of `created_item`, renewed on 15 Feb (to 15 Mar) and declined."""
    sub = store.from_item(created_item())
    renewed: dict[str, Any] = {
        "status": "past_due",
        "current_period_start": FAILED_AT,
        "current_period_end": "2026-03-15T10:00:00Z",
        "dunning": state,
    }
    return msgspec.structs.replace(sub, **{**renewed, **fields})


# ------------------------------------------------------------------ the schedule
def test_each_retry_is_its_days_after_the_first_failure_not_after_the_previous_retry() -> None:
    assert [retry_at(FAILED_AT, (3, 5, 7), n) for n in range(3)] == [
        "2026-02-18T10:00:00Z",
        "2026-02-20T10:00:00Z",
        "2026-02-22T10:00:00Z",
    ]


def test_days_are_whole_days_across_a_month_end_and_a_leap_day() -> None:
    assert retry_at("2028-02-27T23:30:00Z", (1, 2, 60), 0) == "2028-02-28T23:30:00Z"
    assert retry_at("2028-02-27T23:30:00Z", (1, 2, 60), 1) == "2028-02-29T23:30:00Z"
    assert retry_at("2028-02-27T23:30:00Z", (1, 2, 60), 2) == "2028-04-27T23:30:00Z"


def test_once_every_retry_is_done_the_end_is_due_when_the_last_retry_was() -> None:
    done = msgspec.structs.replace(DEFAULT, retries=3)
    assert done.exhausted
    assert done.next_at == "2026-02-22T10:00:00Z"
    assert not msgspec.structs.replace(DEFAULT, retries=2).exhausted


@given(
    days=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=4, unique=True).map(sorted),
    data=st.data(),
)
def test_retries_come_in_order_each_a_whole_number_of_days_after_the_failure(days: list[int], data: Any) -> None:
    state = Dunning(failed_at=FAILED_AT, retry_days=tuple(days), after_retries="canceled")
    times = [clock.from_wire(retry_at(state.failed_at, state.retry_days, n)) for n in range(len(days) + 2)]
    assert times == sorted(times)
    retries = data.draw(st.integers(min_value=0, max_value=len(days) - 1))
    delay = clock.from_wire(msgspec.structs.replace(state, retries=retries).next_at) - clock.from_wire(FAILED_AT)
    assert delay.total_seconds() == days[retries] * 86400


# ------------------------------------------------------------------ the due index
def test_a_past_due_subscription_is_due_at_its_next_retry_while_that_comes_before_its_period_end() -> None:
    sub = past_due()
    assert sub.retry_due_at == "2026-02-18T10:00:00Z"
    assert sub.due_at == "2026-02-18T10:00:00Z"
    item = store.to_item(SCOPE, sub)
    assert item["dueSk"] == f"2026-02-18T10:00:00Z#ACCT#acct_1#test#SUB#{SUB_ID}"


def test_a_retry_after_the_period_end_waits_for_the_renewal_first() -> None:
    # A weekly plan retried 3, 5 and 7 days on: the third retry falls after the next period end
    sub = past_due(msgspec.structs.replace(DEFAULT, retries=2), current_period_end="2026-02-22T09:00:00Z")
    assert sub.due_at == "2026-02-22T09:00:00Z"


def test_without_dunning_or_once_active_it_is_due_at_its_period_end_only() -> None:
    assert past_due(None).due_at == "2026-03-15T10:00:00Z"
    revived = past_due(status="active")
    assert revived.retry_due_at is None and revived.due_at == "2026-03-15T10:00:00Z"


def test_an_unpaid_subscription_is_not_renewed_and_leaves_the_due_index() -> None:
    unpaid = past_due(None, status="unpaid")
    assert unpaid.due_at is None and not unpaid.renews and not unpaid.charges
    assert "duePk" not in store.to_item(SCOPE, unpaid)
    # unless it is to end at its period end: the clock still ends it then
    ending = msgspec.structs.replace(unpaid, cancel_at_period_end=True)
    assert ending.due_at == "2026-03-15T10:00:00Z"


# ------------------------------------------------------------------ a renewal that fails
def test_a_first_failure_starts_the_accounts_schedule_as_it_is_then() -> None:
    active = past_due(None, status="active")
    settings = DunningSettings(retry_days=(2, 9), after_retries="canceled")
    started = dunning.after_renewal(active, clock.from_wire(FAILED_AT), settings)
    assert started == Dunning(failed_at=FAILED_AT, retry_days=(2, 9), after_retries="canceled", retries=0)


def test_a_renewal_that_fails_again_while_retried_keeps_the_schedule_of_the_first_failure() -> None:
    under_way = msgspec.structs.replace(DEFAULT, retries=1)
    kept = dunning.after_renewal(past_due(under_way), clock.from_wire("2026-03-15T10:00:00Z"), DunningSettings())
    assert kept == under_way


# ------------------------------------------------------------------ stored
def test_the_state_is_stored_with_the_subscription_and_reads_back() -> None:
    sub = past_due(msgspec.structs.replace(DEFAULT, retries=2))
    item = store.to_item(SCOPE, sub)
    assert item["dunning"] == {"failedAt": FAILED_AT, "retryDays": [3, 5, 7], "afterRetries": "unpaid", "retries": 2}
    assert store.from_item(copy.deepcopy(item)) == sub


def test_an_item_stored_before_dunning_reads_without_it_and_writes_without_it() -> None:
    item = created_item()
    sub = store.from_item(item)
    assert sub.dunning is None
    assert "dunning" not in store.to_item(SCOPE, sub)


# ------------------------------------------------------------------ the account's settings
ACCOUNT_ITEM = {
    "pk": "ACCT#acct_1",
    "sk": "ACCOUNT",
    "type": "account",
    "id": "acct_1",
    "name": "Acme",
    "legalName": None,
    "country": "DE",
    "address": None,
    "taxId": None,
    "defaultCurrency": "eur",
    "defaultSessionMinutes": 30,
    "createdAt": "2026-05-30T14:25:00Z",
    "version": 1,
}


def test_an_account_that_set_none_has_the_defaults_and_its_item_is_unchanged() -> None:
    account = account_store.account_from_item(ACCOUNT_ITEM)
    assert account.dunning is None
    assert account.dunning_settings == DunningSettings(retry_days=(3, 5, 7), after_retries="unpaid")
    assert account_store.account_to_item(account) == ACCOUNT_ITEM


def test_an_accounts_own_settings_are_stored_and_read_back() -> None:
    account = Account(
        id="acct_1",
        name="Acme",
        dunning=DunningSettings(retry_days=(1, 4), after_retries="canceled"),
        created_at="2026-05-30T14:25:00Z",
        version=2,
    )
    item = account_store.account_to_item(account)
    assert item["dunning"] == {"retryDays": [1, 4], "afterRetries": "canceled"}
    assert account_store.account_from_item(item) == account


@pytest.mark.parametrize(
    "days",
    [[], [1, 2, 3, 4, 5], [0], [61], [-3], [3, 3], [1, 1, 1, 1], [3, "5"], [3, 5.5], [True], "3,5,7", None],
)
def test_retry_days_out_of_their_rules_are_refused_naming_retry_days(days: Any) -> None:
    with pytest.raises(InvalidRequest) as refused:
        accounts.valid_retry_days(days)
    assert refused.value.param == "retryDays" and refused.value.code == "parameter_invalid"


@pytest.mark.parametrize("days", [[1], [60], [3, 5, 7], [1, 2, 3, 60], (2, 30)])
def test_one_to_four_increasing_retries_of_one_to_sixty_days_are_taken(days: Any) -> None:
    assert accounts.valid_retry_days(days) == tuple(days)


def test_retry_days_in_another_order_are_kept_ascending() -> None:
    # (the schema says each day once; the order of retries can only be the order of their days)
    assert accounts.valid_retry_days([7, 3, 5]) == (3, 5, 7)


@pytest.mark.parametrize("after", ["cancel", "void", "", None, 1, "Unpaid"])
def test_an_end_other_than_unpaid_or_canceled_is_refused_naming_after_retries(after: Any) -> None:
    with pytest.raises(InvalidRequest) as refused:
        accounts.valid_after(after)
    assert refused.value.param == "afterRetries"


# ------------------------------------------------------------------ coming back
def test_a_paid_past_due_subscription_is_active_again_in_the_period_it_was_in() -> None:
    sub = past_due(msgspec.structs.replace(DEFAULT, retries=1))
    after = collection.revived(sub, clock.from_wire("2026-02-21T00:00:00Z"))
    assert (after.status, after.dunning, after.version) == ("active", None, sub.version + 1)
    assert (after.current_period_end, after.billing_cycle_anchor) == (sub.current_period_end, sub.billing_cycle_anchor)


def test_a_paid_unpaid_subscription_whose_period_ended_starts_a_new_cycle_then() -> None:
    unpaid = past_due(None, status="unpaid")
    paid_at = clock.from_wire("2026-04-20T08:00:00Z")
    after = collection.revived(unpaid, paid_at)
    assert after.status == "active"
    assert (after.current_period_end, after.billing_cycle_anchor) == ("2026-04-20T08:00:00Z", "2026-04-20T08:00:00Z")
    assert after.due_at == "2026-04-20T08:00:00Z"  # the clock renews it at its next run
    # within its period, it keeps it
    early = collection.revived(unpaid, clock.from_wire("2026-03-01T00:00:00Z"))
    assert early.current_period_end == unpaid.current_period_end
