"""Races: one card attached twice to one customer at once, through the API and another API
container; held so that both have read the customer before either writes.

What must hold: one attach wins, the other is the same 400 `payment_method_exists` a later
attach gets, and the customer holds the card once, with one event.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from billing.kernel import clock
from billing.kernel.scope import RequestInfo
from billing.payments import paymentmethods, store
from billing.store.repository import Table
from tests.conftest import Stack
from tests.races.test_races import as_api, as_service, race, scope_of
from tests.support.apiclient import ApiClient


def both_about_to_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first two attaches wait for each other at their commit: each has read the customer
    (and, before fingerprint items, had found no method with the card)."""
    arrived = threading.Barrier(2)
    calls = iter(range(2))
    original = paymentmethods._commit

    def held(*args: Any, **kwargs: Any) -> Any:
        if next(calls, None) is not None:
            arrived.wait(timeout=30)
        return original(*args, **kwargs)

    monkeypatch.setattr(paymentmethods, "_commit", held)


@pytest.mark.parametrize("has_a_method", [True, False], ids=["beside another card", "as the first method"])
def test_the_same_card_attached_twice_at_once_is_attached_once_and_the_other_refused(
    stack: Stack, merchant: ApiClient, monkeypatch: pytest.MonkeyPatch, has_a_method: bool
) -> None:
    # Given a customer (with a Mastercard as its default, or without a method)
    api, scope = merchant, scope_of(merchant)
    customer = api.post("/v1/customers", {"name": "Card Holder"}).json()["id"]
    before = []
    if has_a_method:
        before = [api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_mastercard"}).json()["id"]]
    both_about_to_commit(monkeypatch)
    details, behavior = paymentmethods.details_from_token(scope, "tok_visa", clock.now())
    info = RequestInfo("api", "race")
    # When the API and another container attach the same Visa at once
    outcomes = race(
        [
            lambda: as_api(lambda: api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})),
            lambda: as_service(lambda: paymentmethods.attach(scope, customer, details, behavior, info, table=Table())),
        ]
    )
    # Then one won and the other was refused as a duplicate
    assert sorted(outcomes) == ["400:payment_method_exists", "ok"], outcomes
    # And the customer holds the Visa once, beside what it had, with one attached event for it
    methods = api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    visas = [m for m in methods if m["card"]["brand"] == "visa"]
    assert len(visas) == 1 and [m["id"] for m in methods if m["id"] not in before] == [visas[0]["id"]]
    events = api.get("/v1/events", query={"customer": customer, "type": "payment_method.attached"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in events if e["data"]["object"]["card"]["brand"] == "visa"] == [
        visas[0]["id"]
    ]
    # And the default is the Mastercard it had, or the Visa as its first method
    default = api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    assert default == (before[0] if has_a_method else visas[0]["id"])
    assert store.fingerprint_held(Table(stack.resources.table_name), scope, customer, visas[0]["fingerprint"])
