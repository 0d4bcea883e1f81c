"""Least privilege, per function, proven against what each function's code really calls.

Every AWS call is recorded (botocore's `_make_api_call`, so the repository's clients and
Powertools' idempotency client alike) and attributed to the function whose handler made it.
A workload drives every function through its real handler (the merchant API, the invoice PDF,
the portal, the clock, the stream fan-out and the delivery worker), and then:

- every call a function made is allowed by its own policy statements in template.yaml (a
  missing action is an AccessDenied in production that moto never shows), and
- every action a function's policy allows is one its code was seen to use, or one the event
  source mapping needs (listed below with the reason);
- every item a function writes (PutItem, UpdateItem, DeleteItem, ConditionCheckItem, alone or
  in a transaction) has a partition key its write statements' `dynamodb:LeadingKeys` allow, and
  each key pattern they allow was written by its code (or is listed below with the reason);
- every kind of item is writable by the functions that write it and refused to every other
  (`WRITERS`, checked on keys made by the stores' own key functions): the internet-facing portal
  never writes an account, an API key, the catalogue or an idempotency record.

LeadingKeys sees the partition key only. A kind that shares its partition with others (a
payment method in its customer's, a delivery or an email beside its event, the email settings
in the account's) is granted with its partition: SECURITY.md's threat model says what remains.

tests/integration/test_template.py holds the shape (no managed policies, no wildcards).
"""

from __future__ import annotations

import contextvars
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import botocore.client
import pytest
from botocore.exceptions import ClientError

from billing.emails import ses
from billing.kernel import clock
from billing.store import keymaterial
from local import invoke
from local.template import Template
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.emails import EmailPipeline, sent_emails
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser
from tests.support.shop import open_shop
from tests.support.webhooks import Pipeline, Receiver

Grant = tuple[str, str]  # (IAM action, resource: "table", "index/<name>", "queue/<logical id>", "secret", "stream")

# Permissions the Lambda service uses on the function's behalf for its event source mapping
# (the function's code never calls them, so the workload cannot see them).
EVENT_SOURCE_MAPPING: dict[str, set[Grant]] = {
    "FanoutFunction": {
        ("dynamodb:DescribeStream", "stream"),
        ("dynamodb:GetRecords", "stream"),
        ("dynamodb:GetShardIterator", "stream"),
        ("dynamodb:ListStreams", "stream"),
    },
    "DeliverFunction": {
        ("sqs:ReceiveMessage", "queue/DeliveryQueue"),
        ("sqs:DeleteMessage", "queue/DeliveryQueue"),
        ("sqs:GetQueueAttributes", "queue/DeliveryQueue"),
    },
    "MailerFunction": {
        ("sqs:ReceiveMessage", "queue/EmailQueue"),
        ("sqs:DeleteMessage", "queue/EmailQueue"),
        ("sqs:GetQueueAttributes", "queue/EmailQueue"),
    },
}

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("lambda_function", default=None)


def grants_of_call(service: str, operation: str, params: dict[str, Any], queues: dict[str, str]) -> set[Grant]:
    """The IAM permissions one API call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return {(f"dynamodb:{kinds[next(iter(op))]}", "table") for op in params["TransactItems"]}
        if operation == "TransactGetItems":
            return {("dynamodb:GetItem", "table")}
        index = params.get("IndexName")
        return {(f"dynamodb:{operation}", f"index/{index}" if index else "table")}
    if service == "sqs":
        by_url = {url: logical for logical, url in queues.items()}
        action = {"SendMessageBatch": "SendMessage", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
        return {(f"sqs:{action.get(operation, operation)}", f"queue/{by_url.get(params.get('QueueUrl', ''), '?')}")}
    if service == "secretsmanager":
        return {(f"secretsmanager:{operation}", "secret")}
    if service == "sesv2" and operation == "SendEmail":
        # SES authorises the sending identity and the configuration set the identity applies.
        return {("ses:SendEmail", "ses-identity"), ("ses:SendEmail", "ses-configuration-set")}
    return {(f"{service}:{operation}", "?")}


WRITE_ACTIONS = {
    "PutItem": "dynamodb:PutItem",
    "UpdateItem": "dynamodb:UpdateItem",
    "DeleteItem": "dynamodb:DeleteItem",
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
Write = tuple[str, str]  # (IAM action, the partition key written)


def writes_of_call(service: str, operation: str, params: dict[str, Any]) -> set[Write]:
    """The item writes one API call makes: each action with the partition key it names."""
    if service != "dynamodb":
        return set()
    if operation == "TransactWriteItems":
        found = set()
        for op in params["TransactItems"]:
            ((kind, body),) = op.items()
            found.add((WRITE_ACTIONS[kind], body["Key"]["pk"]["S"] if "Key" in body else body["Item"]["pk"]["S"]))
        return found
    if operation == "BatchWriteItem":
        raise AssertionError("a BatchWriteItem: name its partitions here before granting it")
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        key = params["Item"] if operation == "PutItem" else params["Key"]
        return {(WRITE_ACTIONS[operation], key["pk"]["S"])}
    return set()


# Key patterns a function's code writes on paths the workload does not reach, with the reason.
UNREACHED_KEYS: dict[str, dict[str, str]] = {
    "ApiFunction": {
        "ACCT#*#GATEWAY": "connecting a payment gateway (tests/integration/test_payment_gateway_connection.py)",
        "ACCT#*#GWC#*": "a customer's gateway reference, put by an attach through a connected gateway",
        "ACCT#*#GWEVT#*": "a settled gateway event's mark, put by the gateway's signed webhook",
        "DOMAIN#*": "a portal domain's claim, put when branding names one (tests/integration/test_portal_domains.py)",
    },
    "PortalFunction": {
        "ACCT#*#GWC#*": "a customer's gateway reference, put by an attach through a connected gateway",
    },
    "ClockFunction": {
        "ACCT#*#CUST#*": "the customer's credit a renewal spends (a guarded ADD); the workload's customer has none",
    },
}
WRITE_ACTION_NAMES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}


def leading_key_matches(pattern: str, key: str) -> bool:
    """IAM's StringLike: `*` any run of characters, `?` one character, the rest literal."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, key, re.S) is not None


def write_statements(template: Template, logical_id: str) -> list[tuple[set[str], list[str]]]:
    """Each statement of the function that allows an item write: its actions and the partition
    key patterns its `dynamodb:LeadingKeys` condition allows (every such statement has one)."""
    found = []
    for policy in template.raw["Resources"][logical_id]["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if not WRITE_ACTION_NAMES & set(actions):
                continue
            sid = f"{logical_id}.{statement.get('Sid')}"
            assert set(actions) <= WRITE_ACTION_NAMES, f"{sid}: reads and writes in one statement"
            condition = statement.get("Condition")
            assert condition and set(condition) == {"ForAllValues:StringLike"}, f"{sid}: writes under no key condition"
            keys = condition["ForAllValues:StringLike"]
            assert set(keys) == {"dynamodb:LeadingKeys"}, f"{sid}: {keys}"
            patterns = keys["dynamodb:LeadingKeys"]
            found.append((set(actions), patterns if isinstance(patterns, list) else [patterns]))
    return found


def may_write(statements: list[tuple[set[str], list[str]]], action: str, partition: str) -> bool:
    return any(
        action in actions and any(leading_key_matches(p, partition) for p in patterns)
        for actions, patterns in statements
    )


def resource_names(value: Any) -> list[str]:
    """A policy statement's Resource, in the names `grants_of_call` uses."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if item == {"Fn::GetAtt": ["Table", "Arn"]} or item == {"Fn::GetAtt": "Table.Arn"}:
            names.append("table")
        elif item in ({"Fn::GetAtt": ["Table", "StreamArn"]}, {"Fn::GetAtt": "Table.StreamArn"}):
            names.append("stream")
        elif item == {"Ref": "KeyMaterialSecret"}:
            names.append("secret")
        elif isinstance(item, dict) and "Fn::GetAtt" in item:
            target = item["Fn::GetAtt"]
            logical = target[0] if isinstance(target, list) else target.split(".")[0]
            names.append(f"queue/{logical}")
        elif isinstance(item, dict) and "Fn::Sub" in item and str(item["Fn::Sub"]).startswith("${Table.Arn}/index/"):
            names.append("index/" + str(item["Fn::Sub"]).rsplit("/", 1)[1])
        elif (
            isinstance(item, dict)
            and ":ses:" in str(item.get("Fn::Sub"))
            and ":identity/${SenderDomain}" in str(item["Fn::Sub"])
        ):
            names.append("ses-identity")
        elif (
            isinstance(item, dict)
            and ":ses:" in str(item.get("Fn::Sub"))
            and ":configuration-set/" in str(item["Fn::Sub"])
        ):
            names.append("ses-configuration-set")
        else:
            raise AssertionError(f"a resource this test cannot name: {item!r}")
    return names


def policy_grants(template: Template, logical_id: str) -> set[Grant]:
    resource = template.raw["Resources"][logical_id]
    grants: set[Grant] = set()
    for policy in resource["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                for name in resource_names(statement["Resource"]):
                    grants.add((action, name))
    return grants


def allowed(grant: Grant, grants: set[Grant]) -> bool:
    action, resource = grant
    if (action, resource) in grants:
        return True
    return resource.startswith("index/") and (action, "index/*") in grants


@dataclass
class Recorded:
    used: dict[str, set[Grant]] = field(default_factory=lambda: defaultdict(set))
    written: dict[str, set[Write]] = field(default_factory=lambda: defaultdict(set))


@pytest.fixture
def recorded(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    """Every AWS call of every handler invoked while the test runs, by function: the permissions
    it needed and the items it wrote."""
    calls = Recorded()
    used, written = calls.used, calls.written
    original_call = botocore.client.BaseClient._make_api_call
    original_load = invoke.load_handler

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        function = _current.get()
        if function is not None:
            service = client.meta.service_model.service_name
            used[function] |= grants_of_call(service, operation, params, stack.resources.queues)
            written[function] |= writes_of_call(service, operation, params)
        return original_call(client, operation, params)

    def load_handler(function: Any) -> Any:
        handler = original_load(function)

        def attributed(event: Any, context: Any) -> Any:
            # Every function runs in its own container: what one cached (the key material)
            # another must fetch itself, so each invocation starts from a cold cache here.
            keymaterial.reset()
            token = _current.set(function.logical_id)
            try:
                return handler(event, context)
            finally:
                _current.reset(token)

        return attributed

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    monkeypatch.setattr(invoke, "load_handler", load_handler)
    yield calls


def drive_every_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each function's operations, through its real handler: what a day of production does."""
    _, key = stack.new_account()
    api = ApiClient(stack.template, key=key)
    # The receiver fails the first delivery (deliver sets its retry time), then answers 200.
    receiver = Receiver(["fail"], then="ok")
    try:
        shop = open_shop(api)
        assert live_client(api).post("/v1/account/emails", {"receipt": True}).status == 200
        endpoint = api.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["*"]}).json()
        customer = shop.customer(name="Iam Tester", email="iam@example.com")
        dearer_price = {
            "product": "prod_pro",
            "unitAmount": 4900,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
        dearer = api.post("/v1/prices", dearer_price).json()["id"]
        features = {
            "subscriptionUpdate": {"enabled": True, "products": ["prod_pro"], "prorationBehavior": "always_invoice"}
        }
        assert api.post("/v1/billing/portal_configurations/default", {"features": features}).status == 200
        extra = api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_mastercard"}).json()["id"]
        api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"})
        sub = api.post(
            "/v1/subscriptions",
            {"customer": customer, "items": [{"price": shop.monthly}]},
            headers={"Idempotency-Key": "iam-1"},
        ).json()
        api.get(f"/v1/invoices/{sub['latestInvoice']}/pdf")
        second = api.post("/v1/subscriptions", {"customer": customer, "items": [{"price": shop.yearly}]}).json()
        api.get("/v1/subscriptions", query={"customer": customer})
        api.get("/v1/events", query={"customer": customer})
        api.get("/v1/audit_log")
        assert api.post("/v1/coupons", {"id": "iam_10", "percentOff": 10, "duration": "once"}).status == 200
        assert api.post("/v1/test_clocks", {"frozenTime": clock.to_wire(clock.now())}).status == 200
        assert api.post("/v1/branding", {"accentColor": "#225588"}).status == 200
        api.delete(f"/v1/customers/{customer}/payment_methods/{extra}")
        # the portal: sign in, change the billing details, remove a payment method
        api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa_debit"})
        url = api.post(
            "/v1/billing/portal_sessions", {"customer": customer, "returnUrl": "https://app.example.com/"}
        ).json()["url"]
        browser = PortalBrowser(stack.template)
        home = browser.open_link(url)
        csrf = home.text.split('name="csrf" value="')[1].split('"')[0]
        browser.post("/billing-details", {"csrf": csrf, "name": "Iam Changed"})
        card = {"csrf": csrf, "name": "Iam", "number": "5555 5555 5555 4444", "expiry": "12/34", "cvc": "123"}
        assert browser.post("/payment-methods/card", card).status == 303
        default = api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"]
        methods = api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
        removable = next(m["id"] for m in methods if m["id"] != default)
        browser.get("/payment-methods")
        assert browser.post(f"/payment-methods/{removable}/remove", {"csrf": csrf}).status == 303
        browser.get(f"/invoices/{sub['latestInvoice']}/pdf")
        # a subscription's pages (their reads are one batch); a plan switch invoiced at once, a cancellation
        assert browser.get(f"/subscriptions/{sub['id']}/cancel").status == 200
        switched = {"csrf": csrf, "price": dearer, "quantity": "1"}
        assert browser.post(f"/subscriptions/{sub['id']}/update/confirm", switched).status == 303
        assert browser.post(f"/subscriptions/{second['id']}/cancel", {"csrf": csrf}).status == 303
        # the login page: a code mailed through SES at once, typed in, a new session
        login = api.post("/v1/billing/portal_configurations/default", {"loginPage": {"enabled": True}}).json()
        login_path = "/" + login["loginPage"]["url"].split("/", 3)[3]
        visitor = PortalBrowser(stack.template)
        form_csrf = visitor.get(login_path).text.split('name="csrf" value="')[1].split('"')[0]
        mailed = len(sent_emails())
        assert visitor.post(login_path, {"csrf": form_csrf, "email": "iam@example.com"}).status == 200
        [code_email] = sent_emails()[mailed:]
        code = re.search(r"^\s+(\d{6})\s*$", code_email.text, re.M)
        assert code, code_email.text
        signed = visitor.post(f"{login_path}/code", {"csrf": form_csrf, "email": "iam@example.com", "code": code[1]})
        assert signed.status == 303, signed.text
        # the webhooks: the stream to fanout, the queue to deliver, a retry, a redelivery
        pipeline = Pipeline(stack)
        pipeline.run()
        event = api.get("/v1/events").json()["data"][0]["id"]
        assert api.post(f"/v1/events/{event}/redeliver", {}).status == 200
        pipeline.run()
        api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
        # the emails: the receipt through the mailer (SES throttles it once: its retry time is set),
        # then SES's bounce of it through EventBridge
        real_client = ses.client

        class ThrottlingOnce:
            def __init__(self) -> None:
                self.real, self.throttled = real_client("sesv2"), False

            def send_email(self, **request: Any) -> Any:
                answer = self.real.send_email(**request)
                if not self.throttled:
                    self.throttled = True
                    error = {"Error": {"Code": "TooManyRequestsException"}, "ResponseMetadata": {"HTTPStatusCode": 429}}
                    raise ClientError(error, "SendEmail")
                return answer

        throttling = ThrottlingOnce()
        monkeypatch.setattr(ses, "client", lambda service: throttling)
        EmailPipeline(stack).send()
        recipients = [{"emailAddress": "iam@example.com"}]
        bounce = {"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": recipients}}
        feedback_function = next(f for f in stack.template.functions() if f.logical_id == "EmailFeedbackFunction")
        feedback = invoke.load_handler(feedback_function)
        feedback({"detail-type": "Email Bounced", "source": "aws.ses", "detail": bounce}, invoke.LambdaContext("fb"))
        # the clock, once the subscription's period has ended
        later = clock.from_wire(sub["currentPeriodEnd"]) + timedelta(hours=1)
        monkeypatch.setattr(clock, "now", lambda: later)
        invoke.load_handler(stack.template.function("clock"))({"source": "aws.events"}, invoke.LambdaContext("clock"))
    finally:
        receiver.stop()


def test_every_function_may_do_what_its_code_does_and_nothing_else(
    stack: Stack, recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every function driven through its real handler
    drive_every_function(stack, monkeypatch)
    functions = {f.logical_id for f in stack.template.functions()}
    assert set(recorded.used) == functions, (
        f"functions the workload did not reach: {sorted(functions - set(recorded.used))}"
    )
    problems = []
    for logical_id in sorted(functions):
        grants = policy_grants(stack.template, logical_id)
        used = recorded.used[logical_id]
        statements = write_statements(stack.template, logical_id)
        written = recorded.written[logical_id]
        # Then each item it wrote has a partition key its write statements allow for that action
        problems += [
            f"{logical_id} writes ({a}) {pk} outside its key conditions"
            for a, pk in sorted(written)
            if not may_write(statements, a, pk)
        ]
        # And each key pattern it may write was written by its code, with one of the statement's actions
        unreached = UNREACHED_KEYS.get(logical_id, {})
        for actions, patterns in statements:
            for pattern in patterns:
                seen = any(a in actions and leading_key_matches(pattern, pk) for a, pk in written)
                if seen == (pattern in unreached):
                    problems.append(
                        f"{logical_id} may write {pattern} but never does"
                        if not seen
                        else f"{logical_id} writes {pattern}: drop it from UNREACHED_KEYS"
                    )
        # Then each call it made is allowed by its own statements (else AccessDenied once deployed)
        problems += [
            f"{logical_id} calls {a} on {r} without permission" for a, r in sorted(used) if not allowed((a, r), grants)
        ]
        # And each permission it holds was used by its code, or is its event source mapping's
        needed = used | EVENT_SOURCE_MAPPING.get(logical_id, set())
        for action, resource in sorted(grants):
            if resource == "index/*":
                if not any(a == action and r.startswith("index/") for a, r in needed):
                    problems.append(f"{logical_id} may {action} on every index but never queries one")
            elif (action, resource) not in needed:
                problems.append(f"{logical_id} may {action} on {resource} but never does")
    assert not problems, "\n".join(problems)


ALL_WRITES: tuple[str, ...] = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)
RENEWAL: tuple[str, ...] = ("dynamodb:PutItem", "dynamodb:UpdateItem")
UPDATES: tuple[str, ...] = ("dynamodb:UpdateItem",)


def sample_partitions() -> dict[str, str]:
    """A partition key of each kind of item, made by the stores' own key functions."""
    from billing.accounts import store as accounts_store
    from billing.catalog import store as catalog_store
    from billing.customers import store as customers_store
    from billing.emails import store as emails_store
    from billing.events import store as events_store
    from billing.invoicing import store as invoicing_store
    from billing.kernel.ids import new_id
    from billing.kernel.scope import Scope
    from billing.payments import store as payments_store
    from billing.portal import store as portal_store
    from billing.subscriptions import store as subscriptions_store
    from billing.webhooks import store as webhooks_store

    account = new_id("acct")
    scope = Scope(account_id=account, mode="live")
    return {
        "account": accounts_store.account_key(account)[0],
        "email settings": emails_store.settings_key(account)[0],
        "API key": accounts_store.api_key_key("0" * 64)[0],
        "customer": customers_store.customer_key(scope, "cust_1")[0],
        "payment method": payments_store.key(scope, "cust_1", "pm_1")[0],
        "product": catalog_store.product_key(scope, "prod_1")[0],
        "price": catalog_store.price_key(scope, "price_1")[0],
        "coupon": catalog_store.coupon_key(scope, "coupon_1")[0],
        "tax rate": catalog_store.tax_rate_key(scope, "txr_1")[0],
        "subscription": subscriptions_store.sub_key(scope, "sub_1")[0],
        "invoice": invoicing_store.invoice_key(scope, "inv_1")[0],
        "invoice counter": invoicing_store.counter_key(scope)[0],
        "hosted invoice link": invoicing_store.hosted_link_key("0" * 64)[0],
        "gateway event": invoicing_store.gateway_event_key(scope, "evt_1")[0],
        "test clock": customers_store.clock_key(scope, "clock_1")[0],
        "event": events_store.event_key(scope, "evt_1")[0],
        "webhook delivery": webhooks_store.delivery_key(scope, "evt_1", "we_1")[0],
        "email": emails_store.email_key(scope, "evt_1", "receipt")[0],
        "webhook endpoint": webhooks_store.endpoint_key(scope, "we_1")[0],
        "endpoint counter": webhooks_store.counter_key(scope)[0],
        "portal configuration": portal_store.configuration_key(scope, "bpc_1")[0],
        "login page pointer": portal_store.login_page_key("bpc_1")[0],
        "portal session": portal_store.session_key("bps_1")[0],
        "sign-in code": scope.key("SIGNIN", "0" * 64),
        "rate counter": "RATE#SIGNINIP#" + "0" * 64 + "#1700000000",
        "branding": accounts_store.branding_key(scope)[0],
        "portal domain": accounts_store.domain_key("billing.example.com")[0],
        "gateway connection": payments_store.gateway_connection_key(scope)[0],
        "gateway customer": payments_store.gateway_customer_key(scope, "gwc_1", "cust_1")[0],
        "suppressed address": emails_store.suppression_key("someone@example.com")[0],
        "idempotency record": "IDEMPOTENCY",
    }


# Who may write each kind of item, and with which actions; every other function is refused.
# (A delivery and an email share their event's partition, the email settings the account's, a
# payment method its customer's: their rows grant what the partition's other kinds need.)
CUSTOMERS_ITEMS: dict[str, tuple[str, ...]] = {
    "ApiFunction": ALL_WRITES,
    "PortalFunction": ALL_WRITES,
    "ClockFunction": RENEWAL,
}
EVENT_PARTITION: dict[str, tuple[str, ...]] = {
    **CUSTOMERS_ITEMS,
    "FanoutFunction": UPDATES,
    # deliver also checks the earlier event's delivery of the same change (webhook order)
    "DeliverFunction": (*UPDATES, "dynamodb:ConditionCheckItem"),
    "MailerFunction": UPDATES,
}
API_ONLY: dict[str, tuple[str, ...]] = {"ApiFunction": ALL_WRITES}
WRITERS: dict[str, dict[str, tuple[str, ...]]] = {
    "account": API_ONLY,
    "email settings": API_ONLY,
    "API key": {},  # the operator's commands make and revoke keys with their own credentials
    "customer": CUSTOMERS_ITEMS,
    "payment method": CUSTOMERS_ITEMS,
    "product": API_ONLY,
    "price": API_ONLY,
    "coupon": API_ONLY,
    "tax rate": API_ONLY,
    "subscription": CUSTOMERS_ITEMS,
    "invoice": CUSTOMERS_ITEMS,
    "invoice counter": CUSTOMERS_ITEMS,
    "hosted invoice link": CUSTOMERS_ITEMS,
    "gateway event": API_ONLY,
    "test clock": API_ONLY,
    "event": EVENT_PARTITION,
    "webhook delivery": EVENT_PARTITION,
    "email": EVENT_PARTITION,
    "webhook endpoint": {"ApiFunction": ALL_WRITES, "DeliverFunction": ("dynamodb:ConditionCheckItem",)},
    "endpoint counter": API_ONLY,
    "portal configuration": API_ONLY,
    "login page pointer": API_ONLY,
    "portal session": {"ApiFunction": ALL_WRITES, "PortalFunction": ALL_WRITES},
    "sign-in code": {"PortalFunction": ALL_WRITES},
    "rate counter": {"PortalFunction": ALL_WRITES},
    "branding": API_ONLY,
    "portal domain": API_ONLY,
    "gateway connection": API_ONLY,
    "gateway customer": {"ApiFunction": ALL_WRITES, "PortalFunction": ALL_WRITES},
    "suppressed address": {"EmailFeedbackFunction": ("dynamodb:PutItem",)},
    "idempotency record": API_ONLY,
}


def test_each_kind_of_item_is_writable_by_its_writers_only(template: Template) -> None:
    # Given a partition key of every kind of item, made as the stores make them
    samples = sample_partitions()
    assert set(samples) == set(WRITERS)
    functions = sorted(f.logical_id for f in template.functions())
    wrong = []
    for kind, partition in samples.items():
        for logical_id in functions:
            statements = write_statements(template, logical_id)
            for action in ALL_WRITES:
                # Then each function may write it exactly when, and with the actions, it is listed
                expected = action in WRITERS[kind].get(logical_id, ())
                if may_write(statements, action, partition) != expected:
                    verdict = "may not" if expected else "may"
                    wrong.append(f"{logical_id} {verdict} {action.split(':')[1]} a {kind} ({partition})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("ACCT#acct_????????????????", "ACCT#acct_0123456789abcdef", True),
        ("ACCT#acct_????????????????", "ACCT#acct_0123456789abcdef#live#CUST#cust_1", False),
        ("ACCT#*#CUST#*", "ACCT#acct_1#test#CUST#cust_1", True),
        ("ACCT#*#CUST#*", "ACCT#acct_1#test#SUB#sub_1", False),
        ("PSESS#*", "APIKEY#PSESS#", False),
        ("IDEMPOTENCY", "IDEMPOTENCY#x", False),
    ],
)
def test_leading_key_patterns_match_as_iam_does(pattern: str, key: str, matches: bool) -> None:
    assert leading_key_matches(pattern, key) is matches
