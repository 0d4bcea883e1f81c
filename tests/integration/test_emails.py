"""Emails end to end in-process, through the merchant API: a change's event → the stream → fanout
→ the email queue → the mailer → SES (moto), each email recorded beside its event. The email
settings serve both modes, so only a live key changes them."""

from __future__ import annotations

from typing import Any

import pytest

from local.resources import LOCAL_SENDER_DOMAIN
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.emails import EmailPipeline, sent_emails
from tests.support.livekeys import live_client
from tests.support.shop import Shop, open_shop


def paid_invoice_event(merchant: ApiClient, customer: str) -> dict[str, Any]:
    listed = merchant.get("/v1/events", query={"customer": customer, "type": "invoice.paid"}).json()["data"]
    assert listed, "no invoice.paid event"
    event: dict[str, Any] = merchant.get(f"/v1/events/{listed[0]['id']}").json()
    return event


def set_emails(merchant: ApiClient, settings: dict[str, Any]) -> dict[str, Any]:
    """`merchant`'s account's email settings, changed with a live key (a test key may not)."""
    changed = live_client(merchant).post("/v1/account/emails", settings)
    assert changed.status == 200, changed.text
    answer: dict[str, Any] = changed.json()
    return answer


def subscribed_customer(shop: Shop, **fields: Any) -> str:
    customer = shop.customer(email="kunde@example.com", **fields)
    assert shop.subscribe(customer).status == 200
    return customer


def test_settings_answer_stripes_defaults_and_take_changes(merchant: ApiClient) -> None:
    # Given a new account / When it reads its email settings / Then receipts are off, notices on
    got = merchant.get("/v1/account/emails")
    assert got.status == 200, got.text
    assert got.json() == {
        "object": "email_settings",
        "receipt": False,
        "paymentFailed": True,
        "actionRequired": True,
        "subscriptionCanceled": True,
        "replyTo": None,
        "livemode": False,
    }
    # When a live key turns receipts on and sets a reply-to address / Then both are kept, for both modes
    changed = set_emails(merchant, {"receipt": True, "replyTo": "Help@Example.com"})
    assert (changed["receipt"], changed["livemode"]) == (True, True)
    assert merchant.get("/v1/account/emails").json()["receipt"] is True
    assert merchant.get("/v1/account/emails").json()["replyTo"] == "Help@example.com"
    # When it clears the reply-to / Then it is gone and the switches stay
    assert set_emails(merchant, {"replyTo": None})["replyTo"] is None
    assert merchant.get("/v1/account/emails").json()["receipt"] is True


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"receipt": True}, "receipt"),
        ({"paymentFailed": False}, "paymentFailed"),
        ({"actionRequired": False}, "actionRequired"),
        ({"subscriptionCanceled": False}, "subscriptionCanceled"),
        ({"replyTo": "hilfe@shop.example"}, "replyTo"),
        ({"replyTo": None}, "replyTo"),
        ({"replyTo": "hilfe@shop.example", "receipt": True}, "receipt"),
    ],
)
def test_a_test_key_gets_a_403_naming_the_field_and_changes_nothing(
    merchant: ApiClient, body: dict[str, Any], param: str
) -> None:
    # Given settings a live key set
    set_emails(merchant, {"receipt": True, "paymentFailed": True, "replyTo": "help@example.com"})
    before = merchant.get("/v1/account/emails").json()
    # When a test key changes which emails customers get, or where their replies go
    refused = merchant.post("/v1/account/emails", body)
    # Then it is refused, naming the field and asking for a live key, and nothing changed
    assert refused.status == 403, refused.text
    error = refused.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("permission_error", "live_key_required", param)
    assert "live secret key" in error["message"]
    assert merchant.get("/v1/account/emails").json() == before
    assert (before["receipt"], before["replyTo"]) == (True, "help@example.com")


def test_bad_settings_are_a_400_naming_the_field(merchant: ApiClient) -> None:
    for body, param in (
        ({"replyTo": "not an address"}, "replyTo"),
        ({"receipt": "yes"}, "receipt"),
        ({"bogus": True}, "bogus"),
    ):
        answer = live_client(merchant).post("/v1/account/emails", body)
        assert answer.status == 400, (body, answer.text)
        assert param in answer.text


def test_a_paid_invoice_mails_a_receipt_in_the_customers_language(stack: Stack, merchant: ApiClient) -> None:
    # Given a German merchant that sends receipts, with a support address and a brand
    shop = open_shop(merchant)
    assert live_client(merchant).post("/v1/account", {"name": "Shop & Söhne"}).status == 200
    set_emails(merchant, {"receipt": True, "replyTo": "hilfe@shop.example"})
    merchant.post("/v1/branding", {"accentColor": "#0A7B55", "supportUrl": "https://shop.example/hilfe"})
    # And a customer who reads French, whose first invoice is paid
    customer = subscribed_customer(shop, preferredLocale="fr")
    before = len(sent_emails())
    # When the outbox is fanned out and the mailer runs
    EmailPipeline(stack).run()
    # Then one receipt went out, from the platform's address in the merchant's name, replies to its support
    sent = sent_emails()[before:]
    assert len(sent) == 1
    receipt = sent[0]
    assert receipt.message["To"] == "kunde@example.com"
    assert receipt.sender == f"Shop & Söhne <noreply@{LOCAL_SENDER_DOMAIN}>"
    assert receipt.reply_to == "hilfe@shop.example"
    assert receipt.subject == "Votre reçu de Shop & Söhne"
    # And both parts say it in French, with the amount as Babel writes it, the brand and its links
    assert "34,51\u00a0€" in receipt.text  # 29.00 + 19 % USt.
    assert "Shop &amp; Söhne" in receipt.html and "#0A7B55" in receipt.html
    assert 'href="https://shop.example/hilfe"' in receipt.html
    assert "hilfe@shop.example" in receipt.text
    # And it links the invoice's hosted page and its PDF there (the URL the API answers)
    event = paid_invoice_event(merchant, customer)
    hosted = merchant.get(f"/v1/invoices/{event['data']['object']['id']}").json()["hostedInvoiceUrl"]
    assert hosted and f'href="{hosted}"' in receipt.html and f'href="{hosted}/pdf"' in receipt.html
    assert hosted in receipt.text
    # And the event lists it as sent, beside its deliveries
    assert event["emails"] == [
        {
            "object": "email",
            "type": "receipt",
            "to": "kunde@example.com",
            "locale": "fr",
            "status": "sent",
            "attempts": 1,
            "sentAt": event["emails"][0]["sentAt"],
            "failureReason": None,
            "createdAt": event["emails"][0]["createdAt"],
        }
    ]
    assert event["emails"][0]["sentAt"]


def test_without_a_preferred_locale_the_accounts_country_decides(stack: Stack, merchant: ApiClient) -> None:
    # Given a German account sending receipts and a customer with no language of their own
    shop = open_shop(merchant)
    set_emails(merchant, {"receipt": True})
    subscribed_customer(shop)
    before = len(sent_emails())
    EmailPipeline(stack).run()
    # Then the receipt is in German
    (receipt,) = sent_emails()[before:]
    assert receipt.subject.startswith("Ihre Quittung von")
    assert receipt.message["Content-Language"] == "de"


def test_a_kind_turned_off_is_not_mailed_nor_listed(stack: Stack, merchant: ApiClient) -> None:
    # Given an account with receipts off (the default)
    shop = open_shop(merchant)
    customer = subscribed_customer(shop)
    before = len(sent_emails())
    # When its invoice is paid and the pipeline runs
    EmailPipeline(stack).run()
    # Then nothing was mailed, and the event lists no email
    assert sent_emails()[before:] == []
    assert paid_invoice_event(merchant, customer)["emails"] == []


def test_a_customer_without_an_email_gets_nothing(stack: Stack, merchant: ApiClient) -> None:
    shop = open_shop(merchant)
    set_emails(merchant, {"receipt": True})
    customer = shop.customer()
    assert shop.subscribe(customer).status == 200
    before = len(sent_emails())
    EmailPipeline(stack).run()
    assert sent_emails()[before:] == []
    assert paid_invoice_event(merchant, customer)["emails"] == []


def test_a_scheduled_cancellation_mails_its_end_date(stack: Stack, merchant: ApiClient) -> None:
    # Given a subscription (receipts off) and its customer, who reads Spanish
    shop = open_shop(merchant)
    customer = shop.customer(email="cliente@example.com", preferredLocale="es")
    sub = shop.subscribe(customer).json()
    pipeline = EmailPipeline(stack)
    pipeline.run()
    before = len(sent_emails())
    # When the merchant sets it to cancel at the period end
    assert merchant.post(f"/v1/subscriptions/{sub['id']}", {"cancelAtPeriodEnd": True}).status == 200
    pipeline.run()
    # Then the customer is told, in Spanish, when it ends
    (notice,) = sent_emails()[before:]
    assert notice.subject.startswith("Tu suscripción a ")
    assert "termina el" in notice.subject


def test_a_suppressed_address_is_recorded_suppressed_and_not_mailed(stack: Stack, merchant: ApiClient) -> None:
    from billing.emails import suppressions
    from billing.store.repository import Table

    # Given an address SES reported as a hard bounce
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "KUNDE@example.com"}]},
    }
    assert suppressions.handle_notification(bounce, table=Table()) == 1
    shop = open_shop(merchant)
    set_emails(merchant, {"receipt": True})
    customer = subscribed_customer(shop)
    before = len(sent_emails())
    # When its receipt comes up
    EmailPipeline(stack).run()
    # Then it is not mailed, and the event says why
    assert sent_emails()[before:] == []
    (listed,) = paid_invoice_event(merchant, customer)["emails"]
    assert listed["status"] == "suppressed"
    assert "bounced" in listed["failureReason"]


def test_the_signin_code_is_mailed_at_once_in_the_brand(stack: Stack, merchant: ApiClient) -> None:
    from billing.accounts import accounts
    from billing.emails import signin
    from billing.kernel.scope import Scope
    from billing.store.repository import Table

    # Given a German account with a support address
    open_shop(merchant)
    set_emails(merchant, {"replyTo": "hilfe@shop.example"})
    account_id = merchant.get("/v1/account").json()["id"]
    name = accounts.get_account(account_id, table=Table()).name
    before = len(sent_emails())
    # When the portal sends a sign-in code to a customer with no language of their own
    signin.send_code(Scope(account_id, "test"), to="kunde@example.com", code="482913", locale=None, table=Table())
    # Then it went out at once, in German, from the merchant's name, with the code in both parts
    (sent,) = sent_emails()[before:]
    assert sent.subject == f"Ihr Anmeldecode für {name}"
    assert sent.reply_to == "hilfe@shop.example"
    assert "482913" in sent.text and "482913" in sent.html
