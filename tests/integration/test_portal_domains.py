"""Custom portal domains (issue 17, item 6): one account's each, and used only once a DNS TXT
record proves the merchant holds the domain (the resolver is the in-process stand-in `dns`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from billing.accounts import domains
from billing.accounts.domains import RecordsResolver
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok
from tests.support.livekeys import live_client
from tests.support.portalbrowser import PortalBrowser
from tests.support.shop import open_shop

DOMAIN = "billing.example.com"
RETURN_URL = "https://app.example.com/account"


def live_merchant(stack: Stack) -> ApiClient:
    _, key = stack.new_account()
    return live_client(ApiClient(stack.template, key=key))


def minted(api: ApiClient) -> dict[str, Any]:
    customer = ok(api.post("/v1/customers", {"name": "Ada", "email": "ada@example.com"}))["id"]
    return ok(api.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": RETURN_URL}))


def on_host(url: str) -> str:
    """The link's path and fragment, for a browser that names its own host."""
    parts = urlsplit(url)
    return f"http://127.0.0.1:3001{parts.path}#{parts.fragment}"


def publish(dns: RecordsResolver, branding: dict[str, Any]) -> None:
    record = branding["portalDomainRecord"]
    assert record["type"] == "TXT" and record["name"] == f"_vinr-challenge.{branding['portalDomain']}"
    dns.add(record["name"], record["value"])


def test_setting_a_domain_answers_the_txt_record_and_leaves_it_unused(stack: Stack) -> None:
    a = live_merchant(stack)
    body = ok(a.post("/v1/branding", {"portalDomain": "Billing.Example.com"}))
    assert body["portalDomain"] == DOMAIN and body["portalDomainStatus"] == "pending_verification"
    record = body["portalDomainRecord"]
    assert record["name"] == "_vinr-challenge.billing.example.com" and len(record["value"]) >= 32
    assert ok(a.get("/v1/branding")) == body
    # Until verified, sessions open on the platform's host only
    session = minted(a)
    assert urlsplit(session["url"]).netloc == "127.0.0.1:3001"
    assert PortalBrowser(stack.template, host=DOMAIN).get(urlsplit(session["url"]).path).status == 404
    assert PortalBrowser(stack.template, host=DOMAIN).exchange(session["url"]).status == 404
    assert PortalBrowser(stack.template).open_link(session["url"]).status == 200
    # and the sign-in page (a configuration's login URL) is on the platform's host too
    configuration = a.post("/v1/billing/portal_configurations/default", {"loginPage": {"enabled": True}})
    login = ok(configuration)["loginPage"]["url"]
    assert urlsplit(login).netloc == "127.0.0.1:3001"
    assert PortalBrowser(stack.template, host=DOMAIN).get(urlsplit(login).path).status != 200


def test_verify_refuses_a_missing_or_wrong_record_then_the_portal_serves_the_domain(
    stack: Stack, dns: RecordsResolver
) -> None:
    a = live_merchant(stack)
    # Nothing to verify yet
    nothing = a.post("/v1/branding/portal_domain/verify")
    assert nothing.status == 400 and nothing.json()["error"]["code"] == "portal_domain_missing"
    body = ok(a.post("/v1/branding", {"portalDomain": DOMAIN}))
    record = body["portalDomainRecord"]
    # No record: a 400 naming the record to publish and its value
    missing = a.post("/v1/branding/portal_domain/verify")
    assert missing.status == 400, missing.text
    error = missing.json()["error"]
    assert error["code"] == "portal_domain_unverified" and error["param"] == "portalDomain"
    assert record["name"] in error["message"] and record["value"] in error["message"]
    assert "no TXT record" in error["message"]
    # A record with another value (another account's token, say)
    dns.add(record["name"], "someone-elses-token")
    wrong = a.post("/v1/branding/portal_domain/verify")
    assert wrong.status == 400 and "without that value" in wrong.json()["error"]["message"]
    assert ok(a.get("/v1/branding"))["portalDomainStatus"] == "pending_verification"
    assert record["name"] in dns.lookups
    # The right record: verified, and the portal serves the account there
    publish(dns, body)
    verified = ok(a.post("/v1/branding/portal_domain/verify"))
    assert verified["portalDomainStatus"] == "verified" and verified["portalDomain"] == DOMAIN
    assert ok(a.post("/v1/branding/portal_domain/verify")) == verified  # again: as it is
    session = minted(a)
    assert session["url"].startswith(f"https://{DOMAIN}/session/{session['id']}#")
    assert PortalBrowser(stack.template, host=DOMAIN).open_link(on_host(session["url"])).status == 200
    # and still on the platform's host
    assert PortalBrowser(stack.template).open_link(on_host(minted(a)["url"])).status == 200


def test_another_account_cannot_take_a_domain_and_a_change_releases_it(stack: Stack, dns: RecordsResolver) -> None:
    a, b = live_merchant(stack), live_merchant(stack)
    publish(dns, ok(a.post("/v1/branding", {"portalDomain": DOMAIN})))
    # Pending or verified, B gets a 409 naming portalDomain, and nothing of B's changes
    for _ in ("pending", "verified"):
        taken = b.post("/v1/branding", {"portalDomain": DOMAIN, "accentColor": "#112233"})
        assert taken.status == 409, taken.text
        assert taken.json()["error"] == {
            "type": "invalid_request_error",
            "code": "portal_domain_taken",
            "message": f"portalDomain {DOMAIN} is another account's portal domain.",
            "param": "portalDomain",
        }
        assert ok(b.get("/v1/branding"))["accentColor"] == "#635BFF"
        ok(a.post("/v1/branding/portal_domain/verify"))
    # Even with A's TXT record in place, B cannot verify what it could not set
    assert b.post("/v1/branding/portal_domain/verify").status == 400
    # A's sessions open on the domain, B's do not
    of_b = minted(b)
    assert PortalBrowser(stack.template, host=DOMAIN).exchange(of_b["url"]).status == 404
    # A moves to another domain: the first is released (and A's new one waits for verification)
    moved = ok(a.post("/v1/branding", {"portalDomain": "portal.example.com"}))
    assert moved["portalDomainStatus"] == "pending_verification"
    assert urlsplit(minted(a)["url"]).netloc == "127.0.0.1:3001"
    taken_now = ok(b.post("/v1/branding", {"portalDomain": DOMAIN}))
    assert taken_now["portalDomainStatus"] == "pending_verification"
    # and removing a domain releases it too
    assert ok(a.post("/v1/branding", {"portalDomain": None}))["portalDomainStatus"] is None
    assert ok(b.post("/v1/branding", {"portalDomain": "portal.example.com"}))["portalDomain"] == "portal.example.com"


def test_an_unverified_claim_is_held_for_a_while_then_its_owner_may_take_it(stack: Stack, dns: RecordsResolver) -> None:
    squatter, owner = live_merchant(stack), live_merchant(stack)
    ok(squatter.post("/v1/branding", {"portalDomain": DOMAIN}))
    assert owner.post("/v1/branding", {"portalDomain": DOMAIN}).status == 409
    # Once the claim is older than the hold and still not verified, the owner may set the domain
    boto3.client("dynamodb").update_item(
        TableName=stack.resources.table_name,
        Key={"pk": {"S": f"DOMAIN#{DOMAIN}"}, "sk": {"S": "DOMAIN"}},
        UpdateExpression="SET claimedEpoch = claimedEpoch - :hold",
        ExpressionAttributeValues={":hold": {"N": str(domains.UNVERIFIED_HOLD_SECONDS + 1)}},
    )
    publish(dns, ok(owner.post("/v1/branding", {"portalDomain": DOMAIN})))
    assert ok(owner.post("/v1/branding/portal_domain/verify"))["portalDomainStatus"] == "verified"
    # The squatter cannot verify it (the record holds the owner's token);
    # and its own change releases nothing of the owner's
    assert squatter.post("/v1/branding/portal_domain/verify").status == 400
    ok(squatter.post("/v1/branding", {"portalDomain": None}))
    assert urlsplit(minted(owner)["url"]).netloc == DOMAIN


@pytest.mark.parametrize("path", ["/v1/branding", "/v1/branding/portal_domain/verify"])
def test_a_test_key_neither_sets_nor_verifies_a_domain(merchant: ApiClient, path: str) -> None:
    response = merchant.post(path, {"portalDomain": DOMAIN} if path == "/v1/branding" else None)
    assert response.status == 403, response.text
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("permission_error", "live_key_required", "portalDomain")
    assert "live secret key" in error["message"]
    assert ok(merchant.get("/v1/branding"))["portalDomain"] is None


def test_a_domain_stored_before_verification_existed_is_not_used(stack: Stack, merchant: ApiClient) -> None:
    # Given a branding written as before this change: a domain and no verification
    account = ok(merchant.get("/v1/account"))["id"]
    boto3.client("dynamodb").put_item(
        TableName=stack.resources.table_name,
        Item={
            "pk": {"S": f"ACCT#{account}#test#BRANDING"},
            "sk": {"S": "BRANDING"},
            "type": {"S": "branding"},
            "accentColor": {"S": "#112233"},
            "portalDomain": {"S": DOMAIN},
            "version": {"N": "1"},
        },
    )
    body = ok(merchant.get("/v1/branding"))
    assert body["portalDomain"] == DOMAIN and body["portalDomainStatus"] == "pending_verification"
    session = minted(merchant)
    assert urlsplit(session["url"]).netloc == "127.0.0.1:3001"
    assert PortalBrowser(stack.template, host=DOMAIN).exchange(session["url"]).status == 404


def test_a_hosted_invoice_link_stays_on_the_platforms_host_until_the_domain_is_verified(
    stack: Stack, dns: RecordsResolver
) -> None:
    shop = open_shop(live_merchant(stack))
    pending = ok(shop.api.post("/v1/branding", {"portalDomain": DOMAIN}))
    # (a live trial's first invoice: paid at 0, with no payment gateway)
    invoice = shop.invoice(ok(shop.subscribe(shop.customer(token=None), trialDays=14)))
    url = invoice["hostedInvoiceUrl"]
    assert urlsplit(url).netloc == "127.0.0.1:3001"
    assert PortalBrowser(stack.template, host=DOMAIN).get(urlsplit(url).path).status == 404
    assert PortalBrowser(stack.template).get(urlsplit(url).path).status == 200
    # Once verified, the same invoice's link is on the domain, and opens there
    publish(dns, pending)
    ok(shop.api.post("/v1/branding/portal_domain/verify"))
    url = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["hostedInvoiceUrl"]
    assert urlsplit(url).netloc == DOMAIN
    assert PortalBrowser(stack.template, host=DOMAIN).get(urlsplit(url).path).status == 200
