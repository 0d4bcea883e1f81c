"""The OpenAPI document states every success body: each 2xx of each operation has a schema, and
the bodies a real flow gets from the handler validate against their operation's schema (so the
response models in `merchant_api/responses` cannot drift from what the routes answer)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from billing.accounts import domains
from billing.kernel import config
from tests.conftest import Stack
from tests.integration.test_portal_billing_details import Portal, details
from tests.support.apiclient import ApiClient
from tests.support.livekeys import live_client
from tests.support.shop import Shop, open_shop
from tests.support.stripefake import StripeFake
from tests.support.webhooks import Pipeline, Receiver

JSON = "application/json"
DUMP = os.environ.get("DUMP_BODIES")


def document(api: ApiClient) -> dict[str, Any]:
    answered = api.get("/v1/openapi.json")
    assert answered.status == 200, answered.text
    found: dict[str, Any] = answered.json()
    return found


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def success_responses(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}


def test_every_success_response_of_every_operation_has_a_schema(merchant: ApiClient) -> None:
    # Given the API's OpenAPI document
    doc = document(merchant)
    schemas = doc["components"]["schemas"]
    missing = []
    for method, path, operation in operations(doc):
        answers = success_responses(operation)
        # Then each operation documents a success answer
        if not answers:
            missing.append(f"{method} {path}: no 2xx response")
        for code, answer in answers.items():
            for media, content in answer.get("content", {}).items():
                schema = content.get("schema") or {}
                if media == JSON:
                    # a JSON body is a named model (its properties stated), never Powertools' bare `Return`
                    ref = schema.get("$ref", "")
                    name = ref.removeprefix("#/components/schemas/")
                    if not ref or name not in schemas or not schemas[name].get("properties"):
                        missing.append(f"{method} {path} {code}: {schema}")
                elif schema.get("type") != "string":
                    missing.append(f"{method} {path} {code} {media}: {schema}")
            if not answer.get("content"):
                missing.append(f"{method} {path} {code}: no content")
    assert not missing, "\n".join(missing)


@dataclass
class Recorded:
    method: str
    path: str
    status: int
    content_type: str
    body: Any


@dataclass
class RecordingClient(ApiClient):
    """The merchant's client, keeping every answer it got."""

    answers: list[Recorded] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        answered = super().request(method, path, **kwargs)
        content_type = answered.header("content-type") or ""
        body = answered.json() if content_type.startswith(JSON) else answered.body
        self.answers.append(Recorded(method.upper(), path, answered.status, content_type, body))
        return answered


def ok(answered: Any) -> dict[str, Any]:
    assert 200 <= answered.status < 300, answered.text
    found: dict[str, Any] = answered.json()
    return found


def full_flow(api: RecordingClient, stack: Stack, receiver: Receiver) -> None:
    """Every operation of the API at least once, with the variants of their objects (nulls and
    not: a coupon by percent and by amount, a card and a SEPA debit, open, paid, void and
    uncollectible invoices, a trial, a test clock, a scheduled change, a portal change)."""
    ok(api.get("/v1/account"))
    # What live invoices, sessions, renewals and emails follow is changed with a live key (its answers
    # recorded with the rest)
    live = RecordingClient(api.template, key=live_client(api).key, answers=api.answers)
    ok(live.post("/v1/account", {"address": {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"}}))
    ok(api.get("/v1/account/dunning"))
    ok(live.post("/v1/account/dunning", {"retryDays": [2, 4], "afterRetries": "canceled"}))
    ok(api.get("/v1/account/emails"))
    ok(live.post("/v1/account/emails", {"receipt": True, "replyTo": "help@example.com"}))
    ok(api.get("/v1/branding"))
    ok(api.post("/v1/branding", {"accentColor": "#112233", "supportUrl": "https://example.com/help"}))
    pending = ok(live.post("/v1/branding", {"portalDomain": "billing.example.com"}))
    dns = domains.resolver()
    assert isinstance(dns, domains.RecordsResolver)  # (tests/support/dns.py)
    dns.add(pending["portalDomainRecord"]["name"], pending["portalDomainRecord"]["value"])
    ok(live.post("/v1/branding/portal_domain/verify"))
    shop = open_shop(api)
    ok(api.get("/v1/tax_rates"))
    ok(api.post("/v1/tax_rates", {"country": "US", "state": "CA", "percentage": "7.25", "displayName": "Sales tax"}))
    extra = ok(api.post("/v1/products", {"name": "Extra", "description": "More", "metadata": {"tier": "2"}}))
    ok(api.post(f"/v1/products/{extra['id']}", {"name": "Extra+", "active": False}))
    ok(api.get("/v1/products", query={"limit": 5}))
    ok(api.get("/v1/products/prod_pro"))
    weekly = ok(api.post("/v1/prices", {**price_of(shop), "nickname": "Pro weekly", "recurring": {"interval": "week"}}))
    ok(api.post(f"/v1/prices/{weekly['id']}", {"nickname": "Weekly"}))
    ok(api.get("/v1/prices", query={"product": "prod_pro"}))
    ok(api.get(f"/v1/prices/{shop.monthly}"))
    percent = ok(api.post("/v1/coupons", {"id": "save10", "name": "Save 10", "percentOff": 10, "duration": "forever"}))
    amount = ok(
        api.post(
            "/v1/coupons",
            {"amountOff": 500, "currency": "eur", "duration": "repeating", "durationInMonths": 3},
        )
    )
    ok(api.get(f"/v1/coupons/{amount['id']}"))

    customers_and_methods(api)
    subscriptions_and_invoices(api, shop, percent["id"], amount["id"])
    webhooks_and_events(api, stack, receiver)
    portal(api, stack, shop)
    payment_gateway(api)


def price_of(shop: Shop) -> dict[str, Any]:
    return {"product": "prod_pro", "unitAmount": 700, "currency": "eur"}


def customers_and_methods(api: RecordingClient) -> None:
    customer = ok(
        api.post(
            "/v1/customers",
            {
                "email": "ada@example.com",
                "name": "Ada",
                "phone": "+49 30 123456",
                "address": {"line1": "Unter den Linden 5", "postalCode": "10117", "city": "Berlin", "country": "DE"},
                "metadata": {"crm": "42"},
            },
        )
    )
    cid = customer["id"]
    ok(api.post("/v1/customers", {}))
    ok(api.get("/v1/customers", query={"limit": 1}))
    ok(api.get("/v1/customers", query={"email": "ada@example.com"}))
    ok(api.get(f"/v1/customers/{cid}"))
    tax_id = ok(api.post(f"/v1/customers/{cid}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}))
    ok(api.get(f"/v1/customers/{cid}"))
    ok(api.post(f"/v1/customers/{cid}/tax_ids", {"type": "eu_vat", "value": "FR40303265045"}))
    ok(api.delete(f"/v1/customers/{cid}/tax_ids/{tax_id['id']}"))
    card = ok(api.post(f"/v1/customers/{cid}/payment_methods", {"token": "tok_visa"}))
    sepa = ok(api.post(f"/v1/customers/{cid}/payment_methods", {"token": "tok_sepa_de", "setDefault": True}))
    ok(api.get(f"/v1/customers/{cid}/payment_methods"))
    ok(api.post(f"/v1/customers/{cid}/payment_methods/{card['id']}/default"))
    ok(api.delete(f"/v1/customers/{cid}/payment_methods/{sepa['id']}"))
    ok(api.post(f"/v1/customers/{cid}", {"name": "Ada L.", "metadata": {"crm": None, "plan": "pro"}}))
    gone = ok(api.post("/v1/customers", {"name": "Gone", "email": "gone@example.com"}))
    ok(api.delete(f"/v1/customers/{gone['id']}"))


def subscriptions_and_invoices(api: RecordingClient, shop: Shop, percent: str, amount: str) -> None:
    # paid, with a coupon by percent and German VAT
    paid = ok(shop.subscribe(shop.customer(), coupon=percent))
    ok(api.get("/v1/subscriptions", query={"customer": paid["customer"]}))
    ok(api.get("/v1/subscriptions", query={"status": "active"}))
    ok(api.get(f"/v1/subscriptions/{paid['id']}"))
    ok(api.get("/v1/invoices", query={"subscription": paid["id"]}))
    ok(api.get(f"/v1/invoices/{paid['latestInvoice']}"))
    assert api.get(f"/v1/invoices/{paid['latestInvoice']}/pdf").status == 200
    ok(api.get("/v1/invoices/upcoming", query={"subscription": paid["id"], "price": shop.yearly}))
    ok(api.get("/v1/invoices/upcoming", query={"subscription": paid["id"]}))
    ok(
        api.post(
            f"/v1/subscriptions/{paid['id']}",
            {"items": [{"price": shop.monthly, "quantity": 2}], "prorationBehavior": "always_invoice"},
        )
    )
    ok(
        api.post(
            f"/v1/subscriptions/{paid['id']}",
            {"cancelAtPeriodEnd": True, "cancellationDetails": {"reason": "too_expensive", "comment": "pricey"}},
        )
    )
    ok(api.get("/v1/invoices/upcoming", query={"subscription": paid["id"]}))
    # an amount-off coupon, a trial, then canceled now with a prorated credit
    trial = ok(shop.subscribe(shop.customer(country="FR"), coupon=amount, trialDays=14))
    ok(api.delete(f"/v1/subscriptions/{trial['id']}", query={"prorate": "true", "invoiceNow": "true"}))
    # declined: open invoices, paid again (declined again: a 402), voided, marked uncollectible, then
    # paid with another card
    declined = shop.customer(token="tok_chargeDeclined")
    first = ok(shop.subscribe(declined))
    assert api.post(f"/v1/invoices/{first['latestInvoice']}/pay").status == 402
    ok(api.post(f"/v1/invoices/{first['latestInvoice']}/void"))
    second = ok(shop.subscribe(declined))
    ok(api.post(f"/v1/invoices/{second['latestInvoice']}/mark_uncollectible"))
    ok(api.post(f"/v1/invoices/{second['latestInvoice']}/hosted_link"))
    third = ok(shop.subscribe(declined))
    visa = ok(api.post(f"/v1/customers/{declined}/payment_methods", {"token": "tok_visa"}))
    ok(api.post(f"/v1/subscriptions/{third['id']}", {"defaultPaymentMethod": visa["id"]}))
    ok(api.post(f"/v1/invoices/{third['latestInvoice']}/pay"))
    ok(api.get("/v1/invoices", query={"customer": declined, "limit": 100}))
    # a test clock, advanced past a renewal
    clock = ok(api.post("/v1/test_clocks", {"frozenTime": "2030-01-01T00:00:00Z", "name": "January"}))
    ok(api.get(f"/v1/test_clocks/{clock['id']}"))
    clocked = shop.customer(testClock=clock["id"])
    ok(shop.subscribe(clocked))
    ok(api.post(f"/v1/test_clocks/{clock['id']}/advance", {"frozenTime": "2030-02-02T00:00:00Z"}))
    ok(api.get("/v1/subscriptions", query={"customer": clocked}))


def webhooks_and_events(api: RecordingClient, stack: Stack, receiver: Receiver) -> None:
    hook = ok(
        api.post(
            "/v1/webhook_endpoints",
            {"url": receiver.url, "enabledEvents": ["*"], "description": "all", "metadata": {"a": "b"}},
        )
    )
    ok(api.get("/v1/webhook_endpoints"))
    ok(api.get(f"/v1/webhook_endpoints/{hook['id']}"))
    ok(api.post(f"/v1/webhook_endpoints/{hook['id']}", {"enabledEvents": ["customer.created", "invoice.paid"]}))
    ok(api.post(f"/v1/webhook_endpoints/{hook['id']}/roll_secret", {"expiresInSeconds": 3600}))
    ok(api.get(f"/v1/webhook_endpoints/{hook['id']}"))
    ok(api.post("/v1/customers", {"name": "Webhooked"}))
    events = ok(api.get("/v1/events", query={"type": "customer.*"}))
    event_id = events["data"][0]["id"]
    ok(api.post(f"/v1/events/{event_id}/redeliver", {"endpoint": hook["id"]}))
    ok(api.get(f"/v1/events/{event_id}"))
    Pipeline(stack).run()  # delivered: the deliveries show their attempts
    ok(api.get(f"/v1/events/{event_id}"))
    ok(api.get("/v1/events", query={"limit": 100}))
    gone = ok(api.post("/v1/webhook_endpoints", {"url": "https://example.com/h", "enabledEvents": ["invoice.paid"]}))
    ok(api.post(f"/v1/webhook_endpoints/{gone['id']}", {"disabled": True}))
    ok(api.delete(f"/v1/webhook_endpoints/{gone['id']}"))


def portal(api: RecordingClient, stack: Stack, shop: Shop) -> None:
    made = ok(
        api.post(
            "/v1/billing/portal_configurations",
            {
                "name": "limited",
                "businessProfile": {"headline": "Acme billing", "privacyPolicyUrl": "https://example.com/privacy"},
                "features": {
                    "subscriptionCancel": {"mode": "at_period_end", "retention": {"offerCoupon": "save10"}},
                    "subscriptionUpdate": {"products": ["prod_pro"]},
                },
                "metadata": {"team": "billing"},
            },
        )
    )
    ok(api.get("/v1/billing/portal_configurations"))
    ok(api.get("/v1/billing/portal_configurations/default"))
    ok(api.post(f"/v1/billing/portal_configurations/{made['id']}", {"name": "renamed"}))
    customer = shop.customer()
    session = ok(
        api.post(
            "/v1/billing/portal_sessions",
            {"customer": customer, "returnUrl": "https://example.com/account", "configuration": made["id"]},
        )
    )
    ok(api.get(f"/v1/billing/portal_sessions/{session['id']}"))
    ok(api.post(f"/v1/billing/portal_sessions/{session['id']}/revoke"))
    # a change the customer makes in the portal, in the audit log
    signed_in = Portal(stack, api, customer)
    assert signed_in.post("/billing-details", details(signed_in, name="Ada Lovelace")).status == 303
    ok(api.get("/v1/audit_log", query={"customer": customer}))
    ok(api.get("/v1/audit_log"))


def payment_gateway(api: RecordingClient) -> None:
    """Connected (to localstripe, `STRIPE_API_BASE`), sent one of the gateway's own signed events
    (on the public route the gateway calls, with no key) and disconnected again: the test mode's
    other operations went through the simulator."""
    keys = {
        "secretKey": "sk_test_" + "F" * 32,
        "publishableKey": "pk_test_" + "F" * 32,
        "webhookSecret": "whsec_" + "F" * 32,
    }
    connected = ok(api.post("/v1/payment_gateway", {"type": "stripe", **keys}))
    ok(api.get("/v1/payment_gateway"))
    event = {"id": "evt_flow1", "object": "event", "type": "customer.created", "livemode": False}
    body = json.dumps({**event, "created": int(time.time()), "data": {"object": {"id": "cus_1"}}}).encode()
    headers = {"content-type": JSON, "stripe-signature": stripe_signature(body, keys["webhookSecret"])}
    webhook_path = urlsplit(connected["webhookUrl"]).path
    assert ok(api.request("POST", webhook_path, body=body, headers=headers, key="")) == {
        "received": True,
        "result": "ignored",  # not a payment of ours
    }
    ok(api.delete("/v1/payment_gateway"))


def stripe_signature(body: bytes, secret: str) -> str:
    """The `Stripe-Signature` header as Stripe makes it."""
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def operation_of(doc: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The operation a request went to: a literal segment before a parameter (`/v1/invoices/upcoming`
    before `/v1/invoices/{invoice_id}`)."""
    matches = []
    for each_method, template, operation in operations(doc):
        pattern = "^" + "[^/]+".join(map(re.escape, re.split(r"\{[^}]+\}", template))) + "$"
        if each_method == method and re.match(pattern, path):
            matches.append((template.count("{"), template, operation))
    if not matches:
        return None
    _, template, operation = min(matches, key=lambda match: match[0])
    return f"{method} {template}", operation


@pytest.fixture
def recording(stack: Stack) -> RecordingClient:
    _, key = stack.new_account()
    return RecordingClient(template=stack.template, key=key)


def test_each_body_of_a_full_flow_validates_against_its_operations_schema(
    recording: RecordingClient,
    stack: Stack,
    receiver: Receiver,
    stripe_fake: StripeFake,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
    config.reset()
    # Given the document, and every answer of a flow through the whole API
    doc = document(recording)
    recording.answers.clear()
    full_flow(recording, stack, receiver)
    if DUMP:
        with open(DUMP, "w") as out:
            json.dump([a.__dict__ for a in recording.answers], out, default=str, indent=1)
    seen, problems = set(), []
    for answer in recording.answers:
        found = operation_of(doc, answer.method, answer.path)
        assert found is not None, f"{answer.method} {answer.path} is not in the document"
        name, operation = found
        if answer.status >= 400:  # a refusal the flow asked for (a payment declined): the error envelope
            error_schema = {**operation["responses"]["4XX"]["content"][JSON]["schema"], "components": doc["components"]}
            problems += [
                f"{name} {answer.status}: {e.message}"
                for e in Draft202012Validator(error_schema).iter_errors(answer.body)
            ]
            continue
        assert 200 <= answer.status < 300, f"{name}: {answer.status} {answer.body!r}"
        seen.add(name)
        content = operation["responses"][str(answer.status)]["content"]
        media = answer.content_type.split(";")[0].strip()
        assert media in content, f"{name}: answered {media}, documented {sorted(content)}"
        if media != JSON:
            continue
        # Then each body is valid against its operation's schema
        schema = {**content[JSON]["schema"], "components": doc["components"]}
        for error in Draft202012Validator(schema).iter_errors(answer.body):
            problems.append(f"{name}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
    assert not problems, "\n".join(problems[:40])
    # And the flow went through every operation the document has
    documented = {f"{method} {path}" for method, path, _ in operations(doc)}
    assert documented - seen == set()
    # And each event the flow made is valid against its type's webhook, `data.object` typed
    events = every_event(recording)
    problems = []
    for event in events:
        webhook = doc["webhooks"][event["type"]]["post"]
        schema = {**webhook["requestBody"]["content"][JSON]["schema"], "components": doc["components"]}
        for error in Draft202012Validator(schema).iter_errors(event):
            problems.append(f"{event['type']}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
    assert not problems, "\n".join(problems[:40])
    assert {"customer.deleted", "customer.tax_id.deleted", "invoice.paid", "portal_session.created"} <= {
        event["type"] for event in events
    }


def every_event(api: ApiClient) -> list[dict[str, Any]]:
    """The account's events, every page."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 100}
    while True:
        page = ok(api.get("/v1/events", query=query))
        found += page["data"]
        if not page["hasMore"]:
            return found
        query["startingAfter"] = page["data"][-1]["id"]
