"""Least privilege, per function, proven against what each function's code really calls.

Every AWS call is recorded (botocore's `_make_api_call`, so the repository's clients and
Powertools' idempotency client alike) and attributed to the function whose handler made it.
A workload drives every function through its real handler (the merchant API, the invoice PDF,
the portal, the clock, the stream fan-out and the delivery worker), and then:

- every call a function made is allowed by its own policy statements in template.yaml (a
  missing action is an AccessDenied in production that moto never shows), and
- every action a function's policy allows is one its code was seen to use, or one the event
  source mapping needs (listed below with the reason).

tests/integration/test_template.py holds the shape (no managed policies, no wildcards).
"""

from __future__ import annotations

import contextvars
import re
from collections import defaultdict
from collections.abc import Iterator
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


@pytest.fixture
def recorded(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, set[Grant]]]:
    """Every AWS call of every handler invoked while the test runs, by function."""
    used: dict[str, set[Grant]] = defaultdict(set)
    original_call = botocore.client.BaseClient._make_api_call
    original_load = invoke.load_handler

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        function = _current.get()
        if function is not None:
            service = client.meta.service_model.service_name
            used[function] |= grants_of_call(service, operation, params, stack.resources.queues)
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
    yield used


def drive_every_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each function's operations, through its real handler: what a day of production does."""
    _, key = stack.new_account()
    api = ApiClient(stack.template, key=key)
    # The receiver fails the first delivery (deliver sets its retry time), then answers 200.
    receiver = Receiver(["fail"], then="ok")
    try:
        shop = open_shop(api)
        assert api.post("/v1/account/emails", {"receipt": True}).status == 200
        endpoint = api.post("/v1/webhook_endpoints", {"url": receiver.url, "enabledEvents": ["*"]}).json()
        customer = shop.customer(name="Iam Tester", email="iam@example.com")
        extra = api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_mastercard"}).json()["id"]
        api.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"})
        sub = api.post(
            "/v1/subscriptions",
            {"customer": customer, "items": [{"price": shop.monthly}]},
            headers={"Idempotency-Key": "iam-1"},
        ).json()
        api.get(f"/v1/invoices/{sub['latestInvoice']}/pdf")
        api.get("/v1/subscriptions", query={"customer": customer})
        api.get("/v1/events", query={"customer": customer})
        api.get("/v1/audit_log")
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
        # a subscription's pages (their reads are one batch)
        assert browser.get(f"/subscriptions/{sub['id']}/cancel").status == 200
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
    stack: Stack, recorded: dict[str, set[Grant]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every function driven through its real handler
    drive_every_function(stack, monkeypatch)
    functions = {f.logical_id for f in stack.template.functions()}
    assert set(recorded) == functions, f"functions the workload did not reach: {sorted(functions - set(recorded))}"
    problems = []
    for logical_id in sorted(functions):
        grants = policy_grants(stack.template, logical_id)
        used = recorded[logical_id]
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
