"""Every API and portal operation that writes, with a fault at each of its AWS calls in turn.

For one operation: a clean run first records its AWS calls (in order) and what it changes in
the table. Then, for each of those calls and each fault that fits it, a fresh object gets the
same request with the fault injected (tests/faults/injector.py) and the table is read whole
before and after:

- a transient fault (one failed attempt; botocore's standard retries absorb it) must not show:
  the request completes and changes exactly what the clean run changed. Every write also meets
  a `late` one: it committed, but its answer timed out and botocore sent it again (a
  conditional write then finds its own change: that is the request's success, not a 409). A
  late `SendMessageBatch` queues its messages twice: allowed, as the consumer claims each
  (event, endpoint, round) before it sends and delivers a duplicated message never again
  (`deliveries._claim`); the request still queues exactly the clean run's distinct messages;
- a persistent one (every attempt fails) and a cancelled transaction either complete with the
  clean run's changes or are refused cleanly: 503 (throttling, timeouts) or 409 (a failed
  condition), with the error envelope (API) or the error page (portal), and the table exactly
  as it was: nothing half-written, no event without its change, no change without its event.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.invoke import HttpResponse
from tests.conftest import Stack
from tests.faults import injector as faults
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import (
    ADDRESS_FORM,
    RETURN_URL,
    PortalBrowser,
    mint_session,
    page_csrf,
    signed_in,
)
from tests.support.shop import Shop, open_shop
from tests.support.tablestate import changes, queued, snapshot

RETRYABLE = ("throttle", "throttling", "read-timeout", "connect-timeout", "server-error")
TRANSACTION_ONLY = ("txn-conflict", "txn-throttle")
WRITES = {"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "SendMessageBatch"}
# Faults that still show, each with why (outside the core layer: functions/api). Strict: each
# must still fail this way, so that its fix shows here and its entry goes.
# A Mastercard the test processor does not know (a card that pays) and a French IBAN, as typed;
# made the default, so the customer (and its customer.updated event) changes with the attach.
CARD_FORM = {"name": "Ada Lovelace", "number": "5555555555554444", "expiry": "12/39", "cvc": "123", "set_default": "on"}
SEPA_FORM = {
    "holder": "Ada Lovelace",
    "iban": "FR1420041010050500013M02606",
    "mandate": "accepted",
    "set_default": "on",
}


@dataclass
class World:
    stack: Stack
    shop: Shop
    endpoint_url: str

    @property
    def api(self) -> ApiClient:
        return self.shop.api

    def customer(self) -> str:
        return self.shop.customer()

    def subscription(self) -> dict[str, Any]:
        made = self.shop.subscribe(self.customer())
        assert made.status == 200, made.text
        result: dict[str, Any] = made.json()
        return result

    def session(self, customer: str, **fields: Any) -> dict[str, Any]:
        return mint_session(self.api, customer, RETURN_URL, **fields)

    def browser(self, customer: str, **fields: Any) -> PortalBrowser:
        return signed_in(self.stack.template, self.api, customer, **fields)


@dataclass(frozen=True)
class Operation:
    name: str
    prepare: Callable[[World], Any]  # state the request needs (made without faults)
    send: Callable[[World, Any], HttpResponse]
    portal: bool = False


def _portal_switch(world: World) -> tuple[PortalBrowser, str, str]:
    sub = world.subscription()
    browser = world.browser(sub["customer"])
    path = f"/subscriptions/{sub['id']}/update/confirm?price={world.shop.yearly}&quantity=1"
    return browser, sub["id"], page_csrf(browser.get(path))


def _portal_cancel(world: World, configuration: str | None) -> tuple[PortalBrowser, str, str]:
    sub = world.subscription()
    browser = world.browser(sub["customer"], **({"configuration": configuration} if configuration else {}))
    return browser, sub["id"], page_csrf(browser.get(f"/subscriptions/{sub['id']}/cancel"))


def _landed(world: World) -> tuple[PortalBrowser, str]:
    browser, url = PortalBrowser(world.stack.template), world.session(world.customer())["url"]
    assert browser.get(urlsplit(url).path).status == 200
    return browser, url


def _event_of_new_customer(world: World) -> str:
    customer = world.customer()
    listed = world.api.get("/v1/events", query={"customer": customer, "type": "customer.created"}).json()
    return str(listed["data"][0]["id"])


def _portal_form(world: World, path: str) -> tuple[PortalBrowser, str]:
    browser = world.browser(world.customer())
    return browser, page_csrf(browser.get(path))


def _portal_card_and_sepa(world: World) -> tuple[PortalBrowser, str, str, str]:
    """A customer paying by card (the default) with a SEPA debit beside it: (browser, card, sepa, csrf)."""
    customer = world.shop.customer(token=None)
    card, sepa = (
        world.api.post(f"/v1/customers/{customer}/payment_methods", {"token": t}) for t in ("tok_visa", "tok_sepa_de")
    )
    assert card.status == sepa.status == 200, (card.text, sepa.text)
    browser = world.browser(customer)
    return browser, card.json()["id"], sepa.json()["id"], page_csrf(browser.get("/payment-methods"))


def _named_card_beside_another(world: World) -> tuple[str, str]:
    """A subscription naming the customer's Visa, a Mastercard beside it: (customer, the Visa)."""
    customer = world.customer()
    visa = world.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
    made = world.shop.subscribe(customer, defaultPaymentMethod=visa)
    other = world.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_mastercard"})
    assert made.status == other.status == 200, (made.text, other.text)
    return customer, visa


def _webhook_endpoint(world: World) -> str:
    made = world.api.post("/v1/webhook_endpoints", {"url": world.endpoint_url, "enabledEvents": ["invoice.paid"]})
    assert made.status == 200, made.text
    return str(made.json()["id"])


OPERATIONS = [
    Operation(
        "create customer",
        lambda w: None,
        lambda w, _: w.api.post("/v1/customers", {"name": "Ada", "address": {"country": "DE"}}),
    ),
    Operation(
        "create customer with an Idempotency-Key",
        lambda w: uuid.uuid4().hex,
        lambda w, key: w.api.post(
            "/v1/customers", {"name": "Ada", "address": {"country": "DE"}}, headers={"idempotency-key": key}
        ),
    ),
    Operation(
        "attach payment method",
        lambda w: w.shop.customer(token=None),
        lambda w, c: w.api.post(f"/v1/customers/{c}/payment_methods", {"token": "tok_visa"}),
    ),
    Operation(
        "create subscription",
        lambda w: w.customer(),
        lambda w, c: w.shop.subscribe(c),
    ),
    Operation(
        "switch plan (invoiced now)",
        lambda w: w.subscription()["id"],
        lambda w, s: w.api.post(
            f"/v1/subscriptions/{s}",
            {"items": [{"price": w.shop.monthly, "quantity": 3}], "prorationBehavior": "always_invoice"},
        ),
    ),
    Operation(
        "cancel at period end",
        lambda w: w.subscription()["id"],
        lambda w, s: w.api.post(f"/v1/subscriptions/{s}", {"cancelAtPeriodEnd": True}),
    ),
    Operation(
        "cancel now with proration",
        lambda w: w.subscription()["id"],
        lambda w, s: w.api.delete(f"/v1/subscriptions/{s}", query={"prorate": "true"}),
    ),
    Operation(
        "detach the method a subscription names",
        _named_card_beside_another,
        lambda w, p: w.api.delete(f"/v1/customers/{p[0]}/payment_methods/{p[1]}"),
    ),
    Operation(
        "mint portal session",
        lambda w: w.customer(),
        lambda w, c: w.api.post("/v1/billing/portal_sessions", {"customer": c, "returnUrl": RETURN_URL}),
    ),
    Operation(
        "revoke portal session",
        lambda w: w.session(w.customer())["id"],
        lambda w, s: w.api.post(f"/v1/billing/portal_sessions/{s}/revoke"),
    ),
    Operation(
        "create webhook endpoint",
        lambda w: None,
        lambda w, _: w.api.post("/v1/webhook_endpoints", {"url": w.endpoint_url, "enabledEvents": ["invoice.paid"]}),
    ),
    Operation(
        "update webhook endpoint",
        _webhook_endpoint,
        lambda w, e: w.api.post(
            f"/v1/webhook_endpoints/{e}",
            {"enabledEvents": ["invoice.paid", "invoice.payment_failed"], "disabled": True},
        ),
    ),
    Operation(
        "delete webhook endpoint",
        _webhook_endpoint,
        lambda w, e: w.api.delete(f"/v1/webhook_endpoints/{e}"),
    ),
    Operation(
        "redeliver event",
        _event_of_new_customer,
        lambda w, e: w.api.post(f"/v1/events/{e}/redeliver"),
    ),
    Operation(
        "portal exchange",
        _landed,
        lambda w, p: p[0].exchange(p[1]),
        portal=True,
    ),
    Operation(
        "portal plan switch",
        _portal_switch,
        lambda w, p: p[0].post(
            f"/subscriptions/{p[1]}/update/confirm", {"csrf": p[2], "price": w.shop.yearly, "quantity": "1"}
        ),
        portal=True,
    ),
    Operation(
        "portal cancel at period end",
        lambda w: _portal_cancel(w, None),
        lambda w, p: p[0].post(f"/subscriptions/{p[1]}/cancel", {"csrf": p[2], "reason": "too_expensive"}),
        portal=True,
    ),
    Operation(
        "portal cancel now",
        lambda w: _portal_cancel(w, w.cancel_now),  # type: ignore[attr-defined]
        lambda w, p: p[0].post(f"/subscriptions/{p[1]}/cancel", {"csrf": p[2], "reason": "unused"}),
        portal=True,
    ),
    Operation(
        "portal billing details",
        lambda w: (lambda b: (b, page_csrf(b.get("/billing-details"))))(w.browser(w.customer())),
        lambda w, p: p[0].post(
            "/billing-details",
            {"csrf": p[1], "name": "Ada Lovelace", "email": "ada@example.com", "phone": "", **ADDRESS_FORM},
        ),
        portal=True,
    ),
    Operation(
        "portal add card",
        lambda w: _portal_form(w, "/payment-methods/card"),
        lambda w, p: p[0].post("/payment-methods/card", {"csrf": p[1], **CARD_FORM}),
        portal=True,
    ),
    Operation(
        "portal add SEPA debit",
        lambda w: _portal_form(w, "/payment-methods/sepa"),
        lambda w, p: p[0].post("/payment-methods/sepa", {"csrf": p[1], **SEPA_FORM}),
        portal=True,
    ),
    Operation(
        "portal make default",
        _portal_card_and_sepa,
        lambda w, p: p[0].post(f"/payment-methods/{p[2]}/default", {"csrf": p[3]}),
        portal=True,
    ),
    Operation(
        "portal remove the default method",
        _portal_card_and_sepa,
        lambda w, p: p[0].post(f"/payment-methods/{p[1]}/remove", {"csrf": p[3]}),
        portal=True,
    ),
]


@pytest.fixture
def world(merchant: ApiClient, stack: Stack) -> World:
    shop = open_shop(merchant)
    features = {"subscriptionUpdate": {"enabled": True, "products": ["prod_pro"]}}
    assert merchant.post("/v1/billing/portal_configurations/default", {"features": features}).status == 200
    now = {"subscriptionCancel": {"enabled": True, "mode": "immediately", "prorationBehavior": "create_prorations"}}
    made = merchant.post("/v1/billing/portal_configurations", {"name": "cancel now", "features": now})
    assert made.status == 200, made.text
    url = "http://127.0.0.1:9/hooks"  # never called here: nothing runs the queue
    for _ in range(2):  # two endpoints: a redelivery sends two messages
        assert merchant.post("/v1/webhook_endpoints", {"url": url, "enabledEvents": ["*"]}).status == 200
    made_world = World(stack, shop, url)
    made_world.cancel_now = made.json()["id"]  # type: ignore[attr-defined]
    made_world.subscription()  # the invoice counter exists: every run changes the same kinds of item
    return made_world


def _succeeded(operation: Operation, response: HttpResponse) -> bool:
    return response.status == (303 if operation.portal else 200)


def _refused_cleanly(operation: Operation, response: HttpResponse) -> None:
    assert response.status in (409, 503), f"{response.status}: {response.text[:500]}"
    assert "Traceback" not in response.text
    if operation.portal:
        assert "<html" in response.text.lower()
    else:
        error = response.json()["error"]
        assert error["type"] and error["code"] and error["message"]
        if response.status == 503:
            assert response.header("retry-after") == "1"


def _faults_for(operation_name: str, n: int) -> list[tuple[str, int]]:
    """The faults tried at the `n`th call (0-based) of an operation: a transient one and a
    persistent one, their kinds taking turns from call to call so that every kind meets every
    operation (bounded: the whole matrix would take minutes); a write also gets a late answer
    (committed, then retried), a transaction both cancellations, a batch send its partial failure."""
    kinds = [(RETRYABLE[n % len(RETRYABLE)], 1), (("throttle", "read-timeout", "throttling")[n % 3], faults.ATTEMPTS)]
    if operation_name in WRITES:
        kinds += [("late", 1)]
    if operation_name == "TransactWriteItems":
        kinds += [(kind, 1) for kind in TRANSACTION_ONLY]
    if operation_name == "SendMessageBatch":
        kinds += [("partial", 1)]
    return kinds


@pytest.mark.slow
@pytest.mark.parametrize("operation", [pytest.param(o, id=o.name) for o in OPERATIONS])
def test_a_fault_at_any_aws_call_completes_or_is_refused_leaving_nothing_half_written(
    world: World, operation: Operation
) -> None:
    with faults.installed() as injector:
        # Given the operation's AWS calls and changes in a clean run
        state = operation.prepare(world)
        injector.reset()
        before, queued_before = snapshot(world.stack), queued(world.stack)
        clean = operation.send(world, state)
        assert _succeeded(operation, clean), f"{clean.status}: {clean.text[:500]}"
        expected = changes(before, snapshot(world.stack))
        expected_messages = len([key for key in queued(world.stack) if key not in queued_before])
        assert expected, "the clean run changed nothing"
        calls = list(injector.sequence)
        seen: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        for n, call in enumerate(calls):
            seen[call] += 1
            for kind, times in _faults_for(call, n):
                # When the same request meets the fault at this call
                state = operation.prepare(world)
                injector.reset()
                fault = injector.arm(call, seen[call], kind, times)
                before, queued_before = snapshot(world.stack), queued(world.stack)
                response = operation.send(world, state)
                changed = changes(before, snapshot(world.stack))
                sent = [body for key, body in queued(world.stack).items() if key not in queued_before]
                label = f"{call}#{seen[call]} {kind}×{times}"
                assert fault.fired, f"{label}: the fault never fired (calls {injector.sequence})"
                # Then it completed with the clean run's changes, or was refused leaving the table as it was
                if _succeeded(operation, response):
                    assert changed == expected, f"{label}: completed but changed {dict(changed)}"
                    assert len(set(sent)) == expected_messages, f"{label}: completed but queued {sent}"
                    assert len(sent) == expected_messages or kind == "late", f"{label}: queued {sent}"
                    outcomes[f"completed after {kind}"] += 1
                else:
                    assert not (kind in RETRYABLE and times == 1), f"{label}: a transient fault showed: {response.text}"
                    assert kind != "late", f"{label}: a committed write answered late showed: {response.text}"
                    _refused_cleanly(operation, response)
                    assert not changed, f"{label}: answered {response.status} but changed {dict(changed)}"
                    if call in WRITES and kind in RETRYABLE:
                        assert response.status == 503, label
                    outcomes[f"{response.status} after {kind}"] += 1
        print(f"{operation.name}: {len(calls)} calls {calls}; {dict(outcomes)}")
