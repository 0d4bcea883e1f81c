"""Webhook endpoints, deliveries, redelivery and the audit log through the SDK, on the local stack.

A receiver runs on localhost (test mode allows http there), as a merchant's would: it verifies each
delivery with `vinr.webhooks.verify` and the secret the API showed once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from vinr import InvalidRequestError, NotFoundError, SignatureVerificationError, Vinr, webhooks

from tests.e2e.conftest import Running

pytestmark = pytest.mark.slow


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on localhost that records every POST and answers 200."""

    url: str
    received: list[Delivery] = field(default_factory=list)

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float = 30) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(list(self.received)):
                return list(self.received)
            time.sleep(0.1)
        raise AssertionError(f"no matching delivery within {timeout} s; got {len(self.received)}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            found.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/webhooks/vinr", found)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def eventually(check: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def events_of(deliveries: list[Delivery], secret: str) -> list[dict[str, Any]]:
    return [webhooks.verify(d.body, d.headers.get("vinr-signature"), secret=secret) for d in deliveries]


def test_an_endpoint_receives_signed_events_that_the_sdk_verifies_through_a_secret_roll(
    live: Vinr, receiver: Receiver
) -> None:
    # Given an endpoint for customer events, whose secret is shown once
    endpoint = live.webhook_endpoints.create(
        url=receiver.url,
        enabled_events=["customer.created", "customer.updated"],
        description="CRM sync",
        metadata={"team_id": "crm"},
    )
    secret = endpoint["secret"]
    assert secret.startswith("whsec_") and endpoint["status"] == "enabled"
    assert endpoint["enabledEvents"] == ["customer.created", "customer.updated"]
    assert endpoint["metadata"] == {"team_id": "crm"}
    assert "secret" not in live.webhook_endpoints.retrieve(endpoint["id"])
    assert endpoint["id"] in [e["id"] for e in live.webhook_endpoints.auto_paging_iter(limit=1)]

    # When a customer is created
    customer = live.customers.create(name="Hooked")
    # Then the receiver gets customer.created, and the SDK verifies both signature headers
    [delivery] = receiver.wait_for(lambda got: len(got) >= 1)
    [event] = events_of([delivery], secret)
    assert event["type"] == "customer.created"
    assert event["data"]["object"]["id"] == customer["id"]
    assert webhooks.verify_standard(delivery.body, delivery.headers, secret=secret)["id"] == event["id"]
    with pytest.raises(SignatureVerificationError):
        webhooks.verify(delivery.body + b" ", delivery.headers["vinr-signature"], secret=secret)
    # And the event shows the successful delivery (recorded once the 200 is back)
    assert eventually(
        lambda: (
            [d["status"] for d in live.events.retrieve(event["id"])["deliveries"] if d["endpoint"] == endpoint["id"]]
            == ["succeeded"]
        )
    )

    # When the secret is rolled with an hour's overlap and the event is redelivered to this endpoint
    rolled = live.webhook_endpoints.roll_secret(endpoint["id"], expires_in_seconds=3600)
    assert rolled["secret"] != secret and rolled["secretExpiresAt"]
    redelivered = live.events.redeliver(event["id"], endpoint=endpoint["id"])
    assert [d["endpoint"] for d in redelivered["data"]] == [endpoint["id"]]
    # Then the new delivery carries two signatures, and either secret verifies it
    second = receiver.wait_for(lambda got: len(got) >= 2)[1]
    assert second.headers["vinr-signature"].count("v1=") == 2
    assert events_of([second], secret) == events_of([second], rolled["secret"]) == [event]
    assert second.headers["webhook-id"] == event["id"]

    # When the endpoint is updated, disabled and deleted
    updated = live.webhook_endpoints.update(endpoint["id"], description=None, disabled=True)
    assert (updated["description"], updated["disabled"], updated["status"]) == (None, True, "disabled")
    deleted = live.webhook_endpoints.delete(endpoint["id"])
    # Then it is gone
    assert deleted == {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
    with pytest.raises(NotFoundError):
        live.webhook_endpoints.retrieve(endpoint["id"])


def test_an_invalid_endpoint_is_refused_with_its_param(live: Vinr, receiver: Receiver) -> None:
    # (a URL whose host resolves, as the API requires: the local receiver's, allowed in test mode)
    with pytest.raises(InvalidRequestError) as no_events:
        live.webhook_endpoints.create(url=receiver.url, enabled_events=[])
    assert no_events.value.param == "enabledEvents"
    with pytest.raises(InvalidRequestError) as unknown:
        live.webhook_endpoints.create(url=receiver.url, enabled_events=["customer.eaten"])
    assert unknown.value.param is not None and unknown.value.param.startswith("enabledEvents")
    endpoint = live.webhook_endpoints.create(url=receiver.url, enabled_events=["*"])
    with pytest.raises(InvalidRequestError) as roll:
        live.webhook_endpoints.roll_secret(endpoint["id"], expires_in_seconds=10**7)
    assert roll.value.param == "expiresInSeconds"


def test_a_customers_own_change_in_the_portal_is_in_the_audit_log(live: Vinr, running: Running) -> None:
    # Given a customer signed in to the portal through a session the SDK minted
    customer = live.customers.create(name="Kunde", email="kunde@example.com")
    session = live.billing.portal_sessions.create(customer=customer["id"], return_url="https://acme.example/account")
    link = urlsplit(session["url"])
    with httpx.Client(base_url=running.portal, headers={"user-agent": "sdk-audit-test"}, timeout=30) as browser:
        assert browser.get(link.path).status_code == 200
        exchanged = browser.post(f"{link.path}/exchange", data={"secret": link.fragment})
        assert exchanged.status_code == 303, exchanged.text
        # (the cookie is `Secure`; over the local stack's plain http it is sent by hand)
        browser.cookies.clear()
        browser.headers["cookie"] = exchanged.headers["set-cookie"].split(";")[0]
        page = browser.get("/billing-details")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert page.status_code == 200 and csrf, page.text[:500]
        # When the customer changes their name and email there
        saved = browser.post(
            "/billing-details",
            data={
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "phone": "",
                "address_line1": "",
                "address_line2": "",
                "address_postal_code": "",
                "address_city": "",
                "address_state": "",
                "address_country": "",
                "csrf": csrf.group(1),
            },
        )
        assert saved.status_code == 303, saved.text[:500]
    # Then the audit log has the customer's change, with the session as the actor
    [entry] = live.audit_log.list(customer=customer["id"])["data"]
    assert entry["object"] == "audit_entry" and entry["action"] == "customer.updated"
    assert entry["actor"]["type"] == "customer" and entry["actor"]["session"] == session["id"]
    assert entry["actor"]["userAgent"] == "sdk-audit-test"
    assert entry["target"] == {"object": "customer", "id": customer["id"]}
    assert (entry["before"]["name"], entry["after"]["name"]) == ("Kunde", "Ada Lovelace")
    assert live.events.retrieve(entry["event"])["request"]["source"] == "portal"
    assert [e["id"] for e in live.audit_log.auto_paging_iter(customer=customer["id"])] == [entry["id"]]
    # And a change the merchant makes through the API is not audited as the customer's
    live.customers.update(customer["id"], name="Ada L.")
    assert len(live.audit_log.list(customer=customer["id"])["data"]) == 1
