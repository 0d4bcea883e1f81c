"""Races: changes to one subscription from the API and the portal at once, the clock renewing
while the API changes, and one Idempotency-Key sent twice at once.

moto serialises DynamoDB requests as the service applies them (local/motofidelity.py), so the
threads interleave request by request, as Lambda containers do against DynamoDB. A handler
runs one invocation at a time per function, as in one Lambda container and as the local
gateway does (Powertools keeps the current event on a class attribute, so two invocations of
one handler in one process would mix requests); more containers of the API are the service
functions called on their own threads, which is all an API container does after parsing.

What must hold: each change is won by one writer (the others 409, or 400 for a subscription
that is already canceled), one event per committed version, the last event is the
subscription as it is, invoice numbers without gaps, invoice totals the sums of their lines.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from billing.customers import customers
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Table
from billing.subscriptions import changes as subscription_changes
from billing.subscriptions import subscriptions, testclocks
from local import invoke
from tests.conftest import Stack
from tests.races.invariants import check_invoices, check_subscription
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import page_csrf, signed_in
from tests.support.shop import Shop, open_shop

HANDLER_LOCKS = {"api": threading.Lock(), "portal": threading.Lock()}  # one container per function
Outcome = str  # "ok", or the refusal: "409", "400:subscription_canceled", …


def as_api(call: Callable[[], invoke.HttpResponse]) -> Outcome:
    with HANDLER_LOCKS["api"]:
        response = call()
    if response.status == 200:
        return "ok"
    error = response.json()["error"]
    assert response.status in (400, 409), response.text
    return f"{response.status}:{error['code']}"


def as_portal(call: Callable[[], invoke.HttpResponse]) -> Outcome:
    with HANDLER_LOCKS["portal"]:
        response = call()
    assert "Traceback" not in response.text
    if response.status == 303:
        return "ok"
    assert response.status in (400, 404, 409), f"{response.status}: {response.text[:300]}"
    return f"portal {response.status}"


def as_service(call: Callable[[], Any]) -> Outcome:
    """Another API container: the service call a route makes, its errors as the route maps them."""
    try:
        call()
    except Conflict:
        return "409:conflict"
    except BillingError as refused:
        assert refused.status == 400, refused
        return f"400:{refused.code}"
    return "ok"


def race(contestants: list[Callable[[], Outcome]]) -> list[Outcome]:
    """All of them at once (a barrier), each on its own thread; their outcomes in order."""
    assert len(contestants) <= 8
    start = threading.Barrier(len(contestants))

    def run(contestant: Callable[[], Outcome]) -> Outcome:
        start.wait(timeout=30)
        return contestant()

    with ThreadPoolExecutor(max_workers=len(contestants)) as pool:
        return list(pool.map(run, contestants, timeout=120))


@pytest.fixture
def shop(merchant: ApiClient) -> Shop:
    made = open_shop(merchant)
    features = {"subscriptionUpdate": {"enabled": True, "products": ["prod_pro"]}}
    assert merchant.post("/v1/billing/portal_configurations/default", {"features": features}).status == 200
    return made


def scope_of(api: ApiClient) -> Scope:
    return Scope(api.get("/v1/account").json()["id"], "test")


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_plan_switches_quantity_changes_and_cancellations_at_once_commit_one_event_each(
    stack: Stack, shop: Shop, round_: int
) -> None:
    # Given a monthly subscription, its customer signed in to the portal twice (two tabs)
    api, scope = shop.api, scope_of(shop.api)
    sub = shop.subscribe(shop.customer()).json()
    tabs = [signed_in(stack.template, api, sub["customer"]) for _ in range(2)]
    switch_csrf = page_csrf(tabs[0].get(f"/subscriptions/{sub['id']}/update/confirm?price={shop.yearly}&quantity=1"))
    cancel_csrf = page_csrf(tabs[1].get(f"/subscriptions/{sub['id']}/cancel"))
    path = f"/v1/subscriptions/{sub['id']}"

    def quantity(n: int) -> dict[str, Any]:
        return {"items": [{"price": shop.monthly, "quantity": n}], "prorationBehavior": "always_invoice"}

    api_info = RequestInfo("api", "race")
    contestants: list[Callable[[], Outcome]] = [
        lambda: as_api(lambda: api.post(path, quantity(2))),
        lambda: as_portal(
            lambda: tabs[0].post(
                f"/subscriptions/{sub['id']}/update/confirm",
                {"csrf": switch_csrf, "price": shop.yearly, "quantity": "1"},
            )
        ),
        lambda: as_portal(lambda: tabs[1].post(f"/subscriptions/{sub['id']}/cancel", {"csrf": cancel_csrf})),
        lambda: as_service(lambda: subscription_changes.update(scope, sub["id"], quantity(3), api_info, table=Table())),
        lambda: as_service(lambda: subscription_changes.update(scope, sub["id"], quantity(4), api_info, table=Table())),
        lambda: as_service(
            lambda: subscription_changes.update(
                scope,
                sub["id"],
                {"items": [{"price": shop.monthly, "quantity": 5}], "prorationBehavior": "none"},
                api_info,
                table=Table(),
            )
        ),
    ]
    if round_ == 2:  # and a cancellation now, which ends every other change
        contestants.append(
            lambda: as_service(lambda: subscriptions.cancel(scope, sub["id"], api_info, prorate=True, table=Table()))
        )
    # When they all run at once
    outcomes = race(contestants)
    # Then each either won or was refused cleanly, and every win is one committed version with its event
    assert set(outcomes) <= {
        "ok",
        "409:conflict",
        "400:subscription_canceled",
        "portal 409",
        "portal 404",
        "portal 400",
    }, outcomes
    wins = outcomes.count("ok")
    assert wins >= 1, outcomes
    _, changes = check_subscription(stack, scope, sub["id"])
    assert len(changes) == wins, (outcomes, [e["type"] for e in changes])
    # And the invoices are numbered without gaps, each total the sum of its lines
    invoices = check_invoices(stack, scope)
    invoiced_now = sum(1 for e in changes if "latestInvoice" in e["data"]["previousAttributes"])
    assert len(invoices) == 1 + invoiced_now  # the first period's, and one per change invoiced at once


class MovableClock:
    """`billing.kernel.clock.now` at a time the test sets."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.now)


def clock_run(stack: Stack) -> Outcome:
    """One scheduled run of the clock function (through its real handler)."""
    function = stack.template.function("clock")
    answer = invoke.load_handler(function)({}, invoke.LambdaContext(function.name))
    assert answer["processed"] >= 0
    return "ok"


def renewal_invoices(invoices: list[dict[str, Any]], sub: dict[str, Any], period_start: str) -> list[dict[str, Any]]:
    return [i for i in invoices if i["subscription"] == sub["id"] and i["periodStart"] == period_start]


@pytest.mark.slow
def test_the_clock_renewing_while_the_api_changes_the_subscriptions_renews_each_once(
    stack: Stack, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two monthly subscriptions whose period has just ended
    now = MovableClock(monkeypatch)
    api, scope = shop.api, scope_of(shop.api)
    subs = [shop.subscribe(shop.customer()).json() for _ in range(2)]
    now.now += timedelta(days=32)
    info = RequestInfo("api", "race")

    def change(sub: dict[str, Any], n: int) -> Callable[[], Outcome]:
        body = {"items": [{"price": shop.monthly, "quantity": n}], "prorationBehavior": "always_invoice"}
        return lambda: as_service(lambda: subscription_changes.update(scope, sub["id"], body, info, table=Table()))

    # When two clock runs (overlapping schedules) and API changes to both run at once
    outcomes = race(
        [
            lambda: clock_run(stack),
            lambda: clock_run(stack),
            change(subs[0], 2),
            change(subs[1], 3),
            lambda: as_api(lambda: api.post(f"/v1/subscriptions/{subs[0]['id']}", {"cancelAtPeriodEnd": True})),
            lambda: as_api(lambda: api.post(f"/v1/subscriptions/{subs[1]['id']}", {"cancelAtPeriodEnd": True})),
        ]
    )
    assert set(outcomes) <= {"ok", "409:conflict"}, outcomes
    clock_run(stack)  # the next scheduled run does what a conflict left
    # Then each subscription was renewed (or ended) exactly once, with one event per version
    invoices = check_invoices(stack, scope)
    for sub in subs:
        current, _ = check_subscription(stack, scope, sub["id"])
        if current["status"] == "canceled":
            assert current["endedAt"] == sub["currentPeriodEnd"]
            assert renewal_invoices(invoices, sub, sub["currentPeriodEnd"]) == []
        else:
            assert clock.from_wire(current["currentPeriodEnd"]) > now.now
            assert len(renewal_invoices(invoices, sub, sub["currentPeriodEnd"])) == 1


@pytest.mark.slow
def test_a_test_clock_advanced_while_the_api_changes_its_subscriptions_renews_each_once(
    stack: Stack, shop: Shop
) -> None:
    # Given three subscriptions of customers on one test clock
    api, scope = shop.api, scope_of(shop.api)
    start = clock.now().replace(microsecond=0)
    test_clock = api.post("/v1/test_clocks", {"frozenTime": clock.to_wire(start)}).json()["id"]
    subs = [shop.subscribe(shop.customer(testClock=test_clock)).json() for _ in range(3)]
    info = RequestInfo("api", "race")
    target = start + timedelta(days=40)

    def change(sub: dict[str, Any], n: int) -> Callable[[], Outcome]:
        body = {"items": [{"price": shop.monthly, "quantity": n}], "prorationBehavior": "always_invoice"}
        return lambda: as_service(lambda: subscription_changes.update(scope, sub["id"], body, info, table=Table()))

    # When the clock is advanced past their period end while the API changes each of them
    outcomes = race(
        [
            lambda: as_api(
                lambda: api.post(f"/v1/test_clocks/{test_clock}/advance", {"frozenTime": clock.to_wire(target)})
            ),
            lambda: as_service(lambda: testclocks.advance(scope, test_clock, target, info, table=Table())),
            *(change(sub, n) for n, sub in enumerate(subs, start=2)),
            *(change(sub, n) for n, sub in enumerate(subs, start=7)),
        ]
    )
    assert "ok" in outcomes[:2], outcomes  # the clock moved
    assert set(outcomes) <= {"ok", "409:conflict", "400:clock_backwards"}, outcomes
    # Then every subscription lives in the clock's time: renewed exactly once, never left behind
    invoices = check_invoices(stack, scope)
    for sub in subs:
        current, _ = check_subscription(stack, scope, sub["id"])
        assert clock.from_wire(current["currentPeriodEnd"]) > target, (current["currentPeriodEnd"], outcomes)
        assert len(renewal_invoices(invoices, sub, sub["currentPeriodEnd"])) == 1


def test_one_idempotency_key_sent_again_while_the_first_is_in_progress_runs_once(
    stack: Stack, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a create-customer request held inside the service (a slow first container)
    api, scope = shop.api, scope_of(shop.api)
    entered, release = threading.Event(), threading.Event()
    original = customers.create

    def held(*args: Any, **kwargs: Any) -> Any:
        if not entered.is_set():
            entered.set()
            assert release.wait(timeout=30)
        return original(*args, **kwargs)

    monkeypatch.setattr(customers, "create", held)
    body = {"name": "Ada", "email": "ada@example.com"}
    headers = {"idempotency-key": "race-1"}
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(api.post, "/v1/customers", body, headers=headers)
        assert entered.wait(timeout=30)
        # When the same key arrives meanwhile (another container), with the same and with another body
        again = api.post("/v1/customers", body, headers=headers)
        other = api.post("/v1/customers", {"name": "Eve"}, headers=headers)
        release.set()
        done = first.result(timeout=60)
    # Then the ones in the meantime were refused with 409 and nothing else ran
    assert done.status == 200, done.text
    assert again.status == 409 and again.json()["error"]["code"] == "idempotency_in_progress", again.text
    assert other.status in (400, 409), other.text
    # And afterwards the key answers the first request's result, and only one customer exists
    replay = api.post("/v1/customers", body, headers=headers)
    assert replay.status == 200 and replay.json() == done.json()
    listed = api.get("/v1/customers", query={"email": "ada@example.com"}).json()["data"]
    assert [c["id"] for c in listed] == [done.json()["id"]]
    created = api.get("/v1/events", query={"type": "customer.created", "customer": done.json()["id"]}).json()
    assert len(created["data"]) == 1
    del scope


@pytest.mark.parametrize("round_", range(2))
def test_one_idempotency_key_sent_by_many_callers_at_once_creates_one_subscription(shop: Shop, round_: int) -> None:
    # Given a customer, and the same subscription request with one key from several callers
    api = shop.api
    customer = shop.customer()
    body = {"customer": customer, "items": [{"price": shop.monthly}]}
    headers = {"idempotency-key": f"sub-race-{round_}"}
    # When they send it at once (through one API container, as the gateway does: they queue for it)
    responses: list[invoke.HttpResponse] = []

    def send() -> Outcome:
        with HANDLER_LOCKS["api"]:
            responses.append(api.post("/v1/subscriptions", body, headers=headers))
        return "ok"

    race([send] * 6)
    # Then one subscription was made and every caller got its answer (or 409 while it was in progress)
    statuses = Counter(r.status for r in responses)
    assert set(statuses) <= {200, 409} and statuses[200] >= 1, statuses
    bodies = {r.text for r in responses if r.status == 200}
    assert len(bodies) == 1
    listed = api.get("/v1/subscriptions", query={"customer": customer}).json()["data"]
    assert len(listed) == 1
