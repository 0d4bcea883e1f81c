"""Which event makes which email, in which language, and what each says (no I/O)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from billing.emails import choice, content, layout, mime, wording
from billing.emails.layout import Brand
from billing.emails.records import KINDS, EmailKind
from billing.events.records import Event

HOSTILE = "<b>x</b>"


def event(type_: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> Event:
    return Event(
        id="evt_1",
        type=type_,
        account="acct_1",
        mode="test",
        created_at="2026-05-30T14:25:00Z",
        data_object=obj,
        previous_attributes=previous or {},
        request={},
        expires_at=2_000_000_000,
        customer="cust_1",
    )


INVOICE = {
    "id": "inv_1",
    "number": "INV-0001",
    "customer": "cust_1",
    "currency": "eur",
    "lines": [{"description": HOSTILE + " Pro", "amount": 2900}],
    "tax": 551,
    "total": 3451,
    "amountPaid": 3451,
    "amountDue": 3451,
    "amountRemaining": 3451,
    "paidAt": "2026-05-30T14:25:00Z",
}
HOSTED = "https://billing.example.com/i/abc"  # read when the email is sent: events do not carry it
SUBSCRIPTION = {
    "id": "sub_1",
    "status": "active",
    "cancelAtPeriodEnd": True,
    "currentPeriodEnd": "2026-06-30T00:00:00Z",
}
BRAND = Brand(
    merchant=HOSTILE,
    accent="#0A7B55",
    logo_url="https://billing.example.com/assets/logo/acct_1/test/abcd",
    support_url="https://shop.example/help",
    support_email="help@shop.example",
    terms_url="https://shop.example/terms",
    privacy_url="javascript:alert(1)",
)


@pytest.mark.parametrize(
    ("type_", "obj", "previous", "kind"),
    [
        ("invoice.paid", INVOICE, None, "receipt"),
        ("invoice.paid", {**INVOICE, "amountPaid": 0}, None, None),
        ("invoice.payment_failed", INVOICE, None, "payment_failed"),
        ("invoice.payment_action_required", INVOICE, None, "action_required"),
        ("subscription.deleted", {**SUBSCRIPTION, "status": "canceled"}, None, "subscription_canceled"),
        ("subscription.updated", SUBSCRIPTION, {"cancelAtPeriodEnd": False}, "subscription_canceled"),
        ("subscription.updated", SUBSCRIPTION, {"items": []}, None),
        ("subscription.updated", {**SUBSCRIPTION, "cancelAtPeriodEnd": False}, {"cancelAtPeriodEnd": True}, None),
        ("customer.created", {}, None, None),
    ],
)
def test_which_event_makes_which_email(type_: str, obj: dict[str, Any], previous: Any, kind: str | None) -> None:
    assert choice.kind_for(event(type_, obj, previous)) == kind


@pytest.mark.parametrize(
    ("preferred", "country", "locale"),
    [
        ("de", "US", "de"),
        ("fr-CA", None, "fr"),
        ("it", "ES", "es"),
        (None, "AT", "de"),
        (None, "US", "en"),
        (None, None, "en"),
    ],
)
def test_the_customers_language_else_the_accounts_country_else_english(
    preferred: str | None, country: str | None, locale: str
) -> None:
    assert wording.choose_locale(preferred, country) == locale


def test_every_language_has_every_phrase_with_the_same_placeholders() -> None:
    english = wording.PHRASES["en"]
    for locale in wording.LOCALES:
        phrases = wording.PHRASES[locale]
        assert set(phrases) == set(english), locale
        for key, text in english.items():
            assert set(re.findall(r"{(\w+)}", phrases[key])) == set(re.findall(r"{(\w+)}", text)), (locale, key)


def rendered(kind: EmailKind, locale: str) -> tuple[str, str, str]:
    obj = SUBSCRIPTION if kind == "subscription_canceled" else INVOICE
    said = content.for_event(kind, event("x", obj), locale=locale, merchant=HOSTILE, hosted_url=HOSTED)
    return said.subject, layout.html(said, BRAND), layout.text(said, BRAND)


@pytest.mark.parametrize("locale", wording.LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_email_in_each_language_keeps_names_as_text_and_carries_the_brand(kind: EmailKind, locale: str) -> None:
    subject, html, text = rendered(kind, locale)
    # the merchant's hostile name is text in the HTML, never markup; the text part shows it as typed
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert HOSTILE in text and HOSTILE in subject
    # the brand: its colour, logo, footer links; a javascript: link is dropped
    assert "#0A7B55" in html and 'src="https://billing.example.com/assets/logo/acct_1/test/abcd"' in html
    assert 'href="https://shop.example/help"' in html and 'href="https://shop.example/terms"' in html
    assert "javascript:" not in html and "javascript:" not in text
    assert f'lang="{locale}"' in html
    assert "help@shop.example" in text
    if kind != "subscription_canceled":
        # the invoice's hosted page, in both parts; the line description is escaped too
        assert 'href="https://billing.example.com/i/abc"' in html and "https://billing.example.com/i/abc" in text
        assert "&lt;b&gt;x&lt;/b&gt; Pro" in html


def test_the_receipt_reads_in_german_with_german_money() -> None:
    subject, html, text = rendered("receipt", "de")
    assert subject == f"Ihre Quittung von {HOSTILE}"
    assert "34,51\u00a0€" in text and "Rechnung ansehen" in text and "Bezahlter Betrag" in html


def test_the_signin_code_email_shows_the_code() -> None:
    said = content.signin_code("123456", locale="fr", merchant="Acme")
    assert said.subject == "Votre code de connexion pour Acme"
    assert "123456" in layout.html(said, BRAND) and "123456" in layout.text(said, BRAND)


def test_the_raw_message_cannot_be_given_extra_headers() -> None:
    raw = mime.build(
        merchant="Evil\r\nBcc: victim@example.com",
        domain="mail.example.com",
        to="a@example.com",
        reply_to=None,
        subject="Hi\nBcc: x@example.com",
        text="t",
        html="<p>h</p>",
        language="en",
    ).decode()
    headers = raw.split("\r\n\r\n", 1)[0]
    assert "\r\nBcc:" not in headers and "\nBcc:" not in headers
    assert "noreply@mail.example.com" in headers
