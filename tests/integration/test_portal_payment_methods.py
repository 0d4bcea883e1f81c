"""The portal's payment methods: add a card or a SEPA mandate in the portal's own fields, make
one the default, remove one (not the last one a paid subscription needs), pay an open invoice,
and the deep link that opens on this page and returns to the merchant after the change."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tests.conftest import Stack
from tests.security.state import table_items
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import PortalBrowser, csrf_of
from tests.support.shop import Shop

RETURN_URL = "https://app.example.com/account"
# A Mastercard test number (tok_mastercard's): a card that pays.
NEW_CARD = "5555555555554444"
# The test processor's cards, typed: refused when attached / attached, every charge declined.
REFUSED_CARD = "4000000000000002"
DECLINING_CARD = "4000000000009995"
IBAN = "FR1420041010050500013M02606"


def mint(api: ApiClient, customer: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": RETURN_URL, **fields})
    assert response.status == 200, response.text
    session: dict[str, Any] = response.json()
    return session


def signed_in(stack: Stack, api: ApiClient, customer: str, **fields: Any) -> tuple[PortalBrowser, str, str]:
    """A browser signed in to `customer`'s portal: (browser, its CSRF token, the session ID)."""
    session = mint(api, customer, **fields)
    browser = PortalBrowser(stack.template)
    landed = browser.open_link(session["url"])
    assert landed.status == 200, landed.text
    return browser, csrf_of(landed.text), session["id"]


def card_form(csrf: str, **fields: str) -> dict[str, str]:
    """The card form as the browser sends it: "make this my default" is checked unless unset."""
    form = {"csrf": csrf, "name": "Ada Lovelace", "number": NEW_CARD, "expiry": "12/39", "cvc": "123"}
    return {**form, "set_default": "on", **fields}


def sepa_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {"csrf": csrf, "holder": "Ada Lovelace", "iban": IBAN, "mandate": "accepted", "set_default": "on"}
    return {**form, **fields}


def methods(api: ApiClient, customer: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
    return data


def events(api: ApiClient, customer: str, type_: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get("/v1/events", query={"customer": customer, "type": type_}).json()["data"]
    return data


def event_item(stack: Stack, event_id: str) -> dict[str, Any]:
    """The stored event item (the audit record rides on it), as DynamoDB holds it."""
    for item in table_items(stack):
        if item.get("sk", {}).get("S") == "EVENT" and item["pk"]["S"].endswith(f"#EVT#{event_id}"):
            return item
    raise AssertionError(f"no stored item for {event_id}")


def assert_audited(stack: Stack, event: dict[str, Any], session_id: str) -> None:
    assert event["request"]["source"] == "portal"
    audit = event_item(stack, event["id"])["audit"]["M"]
    assert audit["session"]["S"] == session_id
    assert audit["userAgent"]["S"] == "pytest-browser"


# ------------------------------------------------------------------ the list
def test_the_list_shows_each_method_the_default_and_the_ways_to_add_one(shop: Shop, stack: Stack) -> None:
    # Given a customer with a card (the default) and a SEPA debit
    customer = shop.customer(name="Ada Lovelace")
    shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_sepa_de"})
    card, sepa = sorted(methods(shop.api, customer), key=lambda m: m["type"])
    browser, _, _ = signed_in(stack, shop.api, customer)
    # When the customer opens the payment methods
    listed = browser.get("/payment-methods")
    # Then each method shows with its label, the default is marked, and each has its forms
    assert listed.status == 200
    text = listed.text
    assert "Visa ending in 4242" in text and "SEPA Direct Debit, account ending in 3000" in text
    assert "Mandate reference" in text
    card_part = text.split(f'data-testid="pm-{card["id"]}"')[1].split("</li>")[0]
    sepa_part = text.split(f'data-testid="pm-{sepa["id"]}"')[1].split("</li>")[0]
    assert "Default" in card_part and f'action="/payment-methods/{card["id"]}/default"' not in card_part
    assert f'action="/payment-methods/{sepa["id"]}/default"' in sepa_part
    assert f'action="/payment-methods/{card["id"]}/remove"' in card_part
    assert 'href="/payment-methods/card"' in text and 'href="/payment-methods/sepa"' in text
    # And no invoice is offered for payment
    assert "open-invoice-" not in text and '/pay"' not in text


def test_the_configured_types_decide_what_can_be_added(merchant: ApiClient, stack: Stack) -> None:
    # Given a configuration that takes cards only
    config = merchant.post(
        "/v1/billing/portal_configurations",
        {"name": "cards only", "features": {"paymentMethodUpdate": {"enabled": True, "types": ["card"]}}},
    ).json()["id"]
    customer = merchant.post("/v1/customers", {"name": "Card Only"}).json()["id"]
    browser, csrf, _ = signed_in(stack, merchant, customer, configuration=config)
    # Then the list offers a card and no bank account; the SEPA page is a 404, even posted to
    text = browser.get("/payment-methods").text
    assert 'href="/payment-methods/card"' in text and 'href="/payment-methods/sepa"' not in text
    assert browser.get("/payment-methods/sepa").status == 404
    assert browser.post("/payment-methods/sepa", sepa_form(csrf)).status == 404
    assert browser.get("/payment-methods/card").status == 200
    assert methods(merchant, customer) == []


def test_a_disabled_feature_is_a_404_on_every_route(merchant: ApiClient, stack: Stack) -> None:
    # Given a session whose configuration disables payment methods
    config = merchant.post(
        "/v1/billing/portal_configurations",
        {"name": "no methods", "features": {"paymentMethodUpdate": {"enabled": False}}},
    ).json()["id"]
    customer = merchant.post("/v1/customers", {"name": "No Methods"}).json()["id"]
    merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
    pm = methods(merchant, customer)[0]["id"]
    browser, csrf, _ = signed_in(stack, merchant, customer, configuration=config)
    # Then every route of the part is a 404, and nothing changes
    for path in ("/payment-methods", "/payment-methods/card", "/payment-methods/sepa"):
        assert browser.get(path).status == 404, path
    for path, form in (
        ("/payment-methods/card", card_form(csrf)),
        ("/payment-methods/sepa", sepa_form(csrf)),
        (f"/payment-methods/{pm}/remove", {"csrf": csrf}),
        (f"/payment-methods/{pm}/default", {"csrf": csrf}),
    ):
        assert browser.post(path, form).status == 404, path
    assert [m["id"] for m in methods(merchant, customer)] == [pm]


# ------------------------------------------------------------------ adding a card
def test_adding_a_card_keeps_brand_last4_expiry_and_fingerprint_and_makes_it_the_default(
    shop: Shop, stack: Stack
) -> None:
    # Given a customer with a Visa card as its default
    customer = shop.customer()
    old = methods(shop.api, customer)[0]
    browser, csrf, session_id = signed_in(stack, shop.api, customer)
    # When the customer adds a Mastercard in the portal's card form ("make default" is checked)
    form = browser.get("/payment-methods/card")
    assert form.status == 200
    assert 'id="field-set_default" name="set_default" value="on" checked' in form.text
    added = browser.post("/payment-methods/card", card_form(csrf, number="5555 5555 5555 4444", set_default="on"))
    # Then it goes back to the list with a banner
    assert added.status == 303 and added.header("location") == "/payment-methods?done=card_added"
    assert "Your card was added." in browser.get(added.header("location") or "").text
    # And the API shows the card as brand, last4 and expiry, the default moved to it
    new = next(m for m in methods(shop.api, customer) if m["id"] != old["id"])
    assert new["type"] == "card"
    assert {k: new["card"][k] for k in ("brand", "last4", "expMonth", "expYear")} == {
        "brand": "mastercard",
        "last4": "4444",
        "expMonth": 12,
        "expYear": 2039,
    }
    assert len(new["fingerprint"]) == 32
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == new["id"]
    # And its events are the API's, from the portal, each carrying the session in its audit record
    attached = events(shop.api, customer, "payment_method.attached")
    portal_attached = [e for e in attached if e["data"]["object"]["id"] == new["id"]]
    assert len(portal_attached) == 1
    assert_audited(stack, portal_attached[0], session_id)
    updated = events(shop.api, customer, "customer.updated")[0]
    assert updated["data"]["object"]["defaultPaymentMethod"] == new["id"]
    assert_audited(stack, updated, session_id)


def test_a_card_added_without_make_default_leaves_the_default(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    old = methods(shop.api, customer)[0]
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    # When the "make default" box is left unchecked (a browser sends nothing for it)
    form = card_form(csrf, expiry="1/2039")
    del form["set_default"]
    assert browser.post("/payment-methods/card", form).status == 303
    # Then the card is added and the default stays
    assert len(methods(shop.api, customer)) == 2
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == old["id"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "number", "Enter a valid card number"),
        ({"number": "12"}, "number", "Enter a valid card number"),
        ({"number": ""}, "number", "Enter your card number."),
        ({"expiry": "01/20"}, "expiry", "Your card has expired."),
        ({"expiry": "13/30"}, "expiry", "The expiry month must be between 01 and 12."),
        ({"expiry": "soon"}, "expiry", "Enter the expiry date as month and year"),
        ({"cvc": "12"}, "cvc", "Enter the 3-digit security code"),
        ({"number": "3782 822463 10005", "cvc": "123"}, "cvc", "Enter the 4-digit security code"),
        ({"name": "   "}, "name", "Enter the name on the card."),
        ({"number": REFUSED_CARD}, "number", "Your card was declined."),
        # (a valid card that is not a test card: the simulator takes none)
        (
            {"number": "4111 1111 1111 1111"},
            "number",
            "Only test cards work in test mode. Use a test card number, like 4242 4242 4242 4242.",
        ),
    ],
)
def test_card_field_errors_show_on_the_form_again_without_the_number_or_cvc(
    shop: Shop, stack: Stack, fields: dict[str, str], field: str, message: str
) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    # When the card form comes back with one bad field
    posted = card_form(csrf, **{"name": "Ada <b>Lovelace</b>", "cvc": "987", **fields})
    answer = browser.post("/payment-methods/card", posted)
    # Then the form again (400) with the summary and the field's own message
    assert answer.status == 400
    text = answer.text
    assert "Please correct the following:" in text
    assert f'href="#field-{field}"' in text and f'id="error-{field}"' in text
    assert message in text
    # And what the customer typed stays (escaped), except the number and the security code
    if field != "name":
        assert 'value="Ada &lt;b&gt;Lovelace&lt;/b&gt;"' in text
    digits = re.sub(r"\D", "", posted["number"])
    if len(digits) > 4:
        assert digits not in re.sub(r"\D", "", text.replace(csrf, ""))
    assert f'value="{posted["cvc"]}"' not in text and 'name="cvc" type="text" value=""' in text
    # And nothing was added
    assert len(methods(shop.api, customer)) == 1


def test_every_card_field_is_checked_at_once(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    answer = browser.post("/payment-methods/card", {"csrf": csrf})
    assert answer.status == 400
    for field in ("name", "number", "expiry", "cvc"):
        assert f'href="#field-{field}"' in answer.text, field
    summary = answer.text.split('id="error-summary-title"')[1].split("</ul>")[0]
    assert re.findall(r"#field-(\w+)", summary) == ["name", "number", "expiry", "cvc"]


def test_a_card_whose_charges_decline_attaches_and_its_invoice_payment_is_refused_kindly(
    shop: Shop, stack: Stack
) -> None:
    # Given a customer whose only card declines every charge, with an open invoice
    customer = shop.customer(token=None)
    browser, csrf, session_id = signed_in(stack, shop.api, customer)
    assert browser.post("/payment-methods/card", card_form(csrf, number=DECLINING_CARD)).status == 303
    sub = shop.subscribe(customer).json()
    invoice = shop.invoice(sub)
    assert invoice["status"] == "open"
    # When the customer opens the list
    text = browser.get("/payment-methods").text
    # Then the open invoice is offered, to pay with the default method
    block = text.split(f'data-testid="open-invoice-{invoice["id"]}"')[1].split("</section>")[0]
    assert invoice["number"] in block and "€34.51" in block
    assert "Pay €34.51 with Visa ending in 9995" in block
    # When the customer pays it
    declined = browser.post(f"/invoices/{invoice['id']}/pay", {"csrf": csrf})
    # Then a friendly message, the invoice still open with the attempt recorded
    assert declined.status == 402
    assert "The payment was declined. Try another payment method." in declined.text
    after = shop.api.get(f"/v1/invoices/{invoice['id']}").json()
    assert after["status"] == "open" and after["attemptCount"] == 2
    failed = events(shop.api, customer, "invoice.payment_failed")[0]
    assert_audited(stack, failed, session_id)
    # When the customer adds a card that pays, as the default
    assert browser.post("/payment-methods/card", card_form(csrf, set_default="on")).status == 303
    # Then the new default paid the open invoice at once (dunning): none is offered any more, the
    # subscription is active
    assert "open-invoice-" not in browser.get("/payment-methods").text
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["status"] == "paid"
    assert shop.api.get(f"/v1/subscriptions/{sub['id']}").json()["status"] == "active"
    paid_event = events(shop.api, customer, "invoice.paid")[0]
    assert paid_event["data"]["object"]["id"] == invoice["id"]
    assert_audited(stack, paid_event, session_id)
    # And paying it again is refused, nothing charged twice
    again = browser.post(f"/invoices/{invoice['id']}/pay", {"csrf": csrf})
    assert again.status == 409 and "This invoice is no longer open." in again.text
    assert len(events(shop.api, customer, "invoice.paid")) == 1


def test_paying_from_the_invoice_page_returns_there(shop: Shop, stack: Stack) -> None:
    customer = shop.customer(token="tok_chargeDeclined")
    sub = shop.subscribe(customer).json()
    invoice = shop.invoice(sub)
    # (a card the subscription names, not a new default: that would pay the invoice at once)
    visa = shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"}).json()["id"]
    assert shop.api.post(f"/v1/subscriptions/{sub['id']}", {"defaultPaymentMethod": visa}).status == 200
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    paid = browser.post(f"/invoices/{invoice['id']}/pay", {"csrf": csrf, "from": "invoice"})
    assert paid.status == 303 and paid.header("location") == f"/invoices/{invoice['id']}?done=invoice_paid"


# ------------------------------------------------------------------ adding a SEPA debit
def test_adding_a_sepa_debit_records_the_mandate_with_time_ip_and_user_agent(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser, csrf, session_id = signed_in(stack, shop.api, customer)
    # When the customer opens the SEPA form
    form = browser.get("/payment-methods/sepa")
    # Then the mandate names the merchant as creditor, and must be accepted
    assert form.status == 200
    assert "SEPA Direct Debit mandate" in form.text and "you authorise (A)" in form.text
    assert 'name="mandate" value="accepted" required' in form.text
    # When the customer gives an IBAN (spaced, lower case) and accepts the mandate
    added = browser.post("/payment-methods/sepa", sepa_form(csrf, iban="fr14 2004 1010 0505 0001 3m02 606"))
    assert added.status == 303 and added.header("location") == "/payment-methods?done=sepa_added"
    # Then the API shows the debit with bank code, last4 and the mandate's record
    sepa = next(m for m in methods(shop.api, customer) if m["type"] == "sepa_debit")
    debit = sepa["sepaDebit"]
    assert (debit["bankCode"], debit["last4"], debit["country"]) == ("20041", "2606", "FR")
    mandate = debit["mandate"]
    assert mandate["reference"].startswith("MANDATE-") and mandate["acceptedAt"]
    assert mandate["ip"] and mandate["userAgent"] == "pytest-browser"
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == sepa["id"]
    attached = events(shop.api, customer, "payment_method.attached")[0]
    assert attached["data"]["object"]["id"] == sepa["id"]
    assert_audited(stack, attached, session_id)
    # And the list shows its mandate reference
    assert mandate["reference"] in browser.get("/payment-methods").text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"iban": "DE89370400440532013001"}, "iban", "Enter a valid IBAN"),
        ({"iban": "<script>alert(1)</script>"}, "iban", "Enter a valid IBAN"),
        ({"iban": ""}, "iban", "Enter your IBAN."),
        (
            {"iban": "GB82 WEST 1234 5698 7654 32"},
            "iban",
            "Only test IBANs work in test mode. Use a test IBAN, like DE89 3704 0044 0532 0130 00.",
        ),
        ({"mandate": ""}, "mandate", "Accept the mandate to pay by SEPA Direct Debit."),
        ({"holder": ""}, "holder", "Enter the account holder&#39;s name."),
    ],
)
def test_sepa_errors_show_on_the_form_again_without_the_iban(
    shop: Shop, stack: Stack, fields: dict[str, str], field: str, message: str
) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    answer = browser.post("/payment-methods/sepa", sepa_form(csrf, **fields))
    assert answer.status == 400
    assert f'href="#field-{field}"' in answer.text and message in answer.text
    iban = fields.get("iban", IBAN)
    if iban:
        assert iban not in answer.text and "<script>alert" not in answer.text
    assert len(methods(shop.api, customer)) == 1


def test_the_mandate_speaks_the_sessions_language(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer, locale="de")
    text = browser.get("/payment-methods/sepa").text
    assert "SEPA-Lastschriftmandat" in text and "Ich erteile das Mandat" in text
    refused = browser.post("/payment-methods/sepa", sepa_form(csrf, iban="DE00", mandate=""))
    assert refused.status == 400
    assert "Geben Sie eine gültige IBAN ein" in refused.text and "Please correct" not in refused.text


def test_a_card_or_account_the_customer_already_has_is_refused_on_the_form(shop: Shop, stack: Stack) -> None:
    # Given a customer whose Visa (4242 4242 4242 4242) was attached through the API
    customer = shop.customer()
    [visa] = methods(shop.api, customer)
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    # When the customer types the same card (another expiry: the same card still) into the portal
    again = browser.post("/payment-methods/card", card_form(csrf, number="4242 4242 4242 4242", expiry="01/40"))
    # Then the form comes back, the number field saying so, without the number
    assert again.status == 400
    assert 'href="#field-number"' in again.text and "You have already added this card." in again.text
    assert "4242 4242 4242 4242" not in again.text and "4242424242424242" not in again.text
    # And nothing was attached, the default unchanged
    assert [m["id"] for m in methods(shop.api, customer)] == [visa["id"]]
    assert len(events(shop.api, customer, "payment_method.attached")) == 1
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == visa["id"]
    # When the customer adds a bank account, then the same IBAN again, typed another way
    assert browser.post("/payment-methods/sepa", sepa_form(csrf)).status == 303
    twice = browser.post("/payment-methods/sepa", sepa_form(csrf, iban="fr14 2004 1010 0505 0001 3m02 606"))
    # Then the second is refused on the IBAN field
    assert twice.status == 400
    assert 'href="#field-iban"' in twice.text and "You have already added this bank account." in twice.text
    assert len(methods(shop.api, customer)) == 2


def test_the_duplicate_message_speaks_the_sessions_language(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer, locale="de")
    again = browser.post("/payment-methods/card", card_form(csrf, number="4242424242424242"))
    assert again.status == 400
    assert "Sie haben diese Karte bereits hinzugefügt." in again.text
    assert "already added" not in again.text
    assert len(methods(shop.api, customer)) == 1


def test_a_removed_card_can_be_added_again(shop: Shop, stack: Stack) -> None:
    customer = shop.customer(token=None)
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    assert browser.post("/payment-methods/card", card_form(csrf)).status == 303
    [card] = methods(shop.api, customer)
    assert browser.post(f"/payment-methods/{card['id']}/remove", {"csrf": csrf}).status == 303
    assert browser.post("/payment-methods/card", card_form(csrf)).status == 303
    [again] = methods(shop.api, customer)
    assert again["fingerprint"] == card["fingerprint"] and again["id"] != card["id"]


# ------------------------------------------------------------------ default and remove
def test_make_default_and_remove(shop: Shop, stack: Stack) -> None:
    # Given a customer with a card (default) and a SEPA debit
    customer = shop.customer()
    shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_sepa_de"})
    card, sepa = sorted(methods(shop.api, customer), key=lambda m: m["type"])
    browser, csrf, session_id = signed_in(stack, shop.api, customer)
    # When the customer makes the debit the default
    made = browser.post(f"/payment-methods/{sepa['id']}/default", {"csrf": csrf})
    assert made.status == 303 and made.header("location") == "/payment-methods?done=default_changed"
    assert "Your default payment method was changed." in browser.get(made.header("location") or "").text
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == sepa["id"]
    assert_audited(stack, events(shop.api, customer, "customer.updated")[0], session_id)
    # When the customer removes the card
    removed = browser.post(f"/payment-methods/{card['id']}/remove", {"csrf": csrf})
    assert removed.status == 303 and removed.header("location") == "/payment-methods?done=removed"
    assert "The payment method was removed." in browser.get(removed.header("location") or "").text
    assert [m["id"] for m in methods(shop.api, customer)] == [sepa["id"]]
    detached = events(shop.api, customer, "payment_method.detached")[0]
    assert detached["data"]["object"]["id"] == card["id"]
    assert_audited(stack, detached, session_id)
    # And the removed card's routes are now a 404
    assert browser.post(f"/payment-methods/{card['id']}/default", {"csrf": csrf}).status == 404


def test_the_last_method_a_paid_subscription_needs_cannot_be_removed(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    shop.subscribe(customer)
    pm = methods(shop.api, customer)[0]["id"]
    browser, csrf, _ = signed_in(stack, shop.api, customer, locale="fr")
    refused = browser.post(f"/payment-methods/{pm}/remove", {"csrf": csrf})
    # Then the list again with a friendly message in the page's language, nothing removed
    assert refused.status == 409
    assert 'data-testid="problem"' in refused.text and "Ajoutez d’abord un autre moyen de paiement" in refused.text
    assert [m["id"] for m in methods(shop.api, customer)] == [pm]
    assert events(shop.api, customer, "payment_method.detached") == []


# ------------------------------------------------------------------ the deep link
def test_the_deep_link_opens_on_payment_methods_and_returns_after_adding_one(shop: Shop, stack: Stack) -> None:
    # Given a session minted for updating the payment method
    customer = shop.customer()
    session = mint(shop.api, customer, flow={"type": "payment_method_update"})
    browser = PortalBrowser(stack.template)
    # When the customer follows the link, the exchange lands on the payment methods
    landing = browser.get(f"/session/{session['id']}")
    assert landing.status == 200
    exchanged = browser.exchange(session["url"])
    assert exchanged.header("location") == "/payment-methods"
    listed = browser.get("/payment-methods")
    assert listed.status == 200
    # And the page lets its forms go back to the merchant
    policy = listed.header("content-security-policy") or ""
    assert "https://app.example.com" in policy
    csrf = csrf_of(listed.text)
    # When the customer adds a card
    added = browser.post("/payment-methods/card", card_form(csrf))
    # Then straight back to the merchant
    assert added.status == 303 and added.header("location") == RETURN_URL
    # And making another the default also goes back; a removal stays in the portal
    pm = methods(shop.api, customer)[-1]["id"]
    assert browser.post(f"/payment-methods/{pm}/default", {"csrf": csrf}).header("location") == RETURN_URL
    other = next(m["id"] for m in methods(shop.api, customer) if m["id"] != pm)
    assert browser.post(f"/payment-methods/{other}/remove", {"csrf": csrf}).header("location") == (
        "/payment-methods?done=removed"
    )


# ------------------------------------------------------------------ safety
def test_another_customers_methods_and_invoices_are_a_404(shop: Shop, stack: Stack) -> None:
    # Given Alice signed in, and Mallory with a card and an open invoice
    alice = shop.customer(name="Alice")
    mallory = shop.customer(name="Mallory", token="tok_chargeDeclined")
    invoice = shop.invoice(shop.subscribe(mallory).json())
    shop.api.post(f"/v1/customers/{mallory}/payment_methods", {"token": "tok_visa"})
    theirs = [m["id"] for m in methods(shop.api, mallory)]
    browser, csrf, _ = signed_in(stack, shop.api, alice)
    # When Alice posts to Mallory's objects (and to unknown and malformed IDs)
    for pm in [*theirs, "pm_doesnotexist", "pm_<x>", "x" * 500]:
        for action in ("default", "remove"):
            answer = browser.post(f"/payment-methods/{pm}/{action}", {"csrf": csrf})
            # Then each is the 404 page
            assert answer.status == 404, (pm, action)
            assert "Mallory" not in answer.text
    for inv in (invoice["id"], "inv_doesnotexist", "inv_%3Cx%3E"):
        assert browser.post(f"/invoices/{inv}/pay", {"csrf": csrf}).status == 404
    # And nothing of Mallory's changed
    assert sorted(m["id"] for m in methods(shop.api, mallory)) == sorted(theirs)
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["attemptCount"] == 1


def test_a_form_without_its_csrf_token_is_a_403_and_changes_nothing(shop: Shop, stack: Stack) -> None:
    customer = shop.customer(token="tok_chargeDeclined")
    invoice = shop.invoice(shop.subscribe(customer).json())
    shop.api.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_sepa_de"})
    before = methods(shop.api, customer)
    pm = before[0]["id"]
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    for path, form in (
        ("/payment-methods/card", card_form("")),
        ("/payment-methods/sepa", sepa_form("wrong")),
        (f"/payment-methods/{pm}/default", {}),
        (f"/payment-methods/{pm}/remove", {"csrf": csrf[:-2]}),
        (f"/invoices/{invoice['id']}/pay", {}),
    ):
        assert browser.post(path, form).status == 403, path
    assert methods(shop.api, customer) == before
    assert shop.api.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == before[-1]["id"]
    assert shop.api.get(f"/v1/invoices/{invoice['id']}").json()["attemptCount"] == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "x" * 10_000},
        {"number": "4" * 10_000},
        {"expiry": "1" * 10_000},
        {"cvc": "1" * 10_000},
        {"name": "<script>alert(1)</script>", "expiry": '"><img src=x>'},
        {"number": "４２４２４２４２４２４２４２４２"},
        {"number": "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"},
    ],
)
def test_hostile_card_input_is_a_form_error_never_a_500(shop: Shop, stack: Stack, fields: dict[str, str]) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    answer = browser.post("/payment-methods/card", card_form(csrf, **fields))
    assert answer.status == 400, answer.text
    assert "<script>alert" not in answer.text and "<img src=x>" not in answer.text
    assert "x" * 201 not in answer.text
    assert len(methods(shop.api, customer)) == 1


def test_missing_duplicated_and_hostile_fields_never_500(shop: Shop, stack: Stack) -> None:
    customer = shop.customer()
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    # Duplicated fields: the last one counts, as on the billing details
    body = f"csrf={csrf}&name=A&name=B&number=1&number={NEW_CARD}&expiry=99/99&expiry=12/39&cvc=123"
    assert _raw_post(browser, "/payment-methods/card", body).status == 303
    # A body that is no form at all, and a multipart one with a file for the number
    assert _raw_post(browser, "/payment-methods/card", "%%%&&&==").status == 403
    multipart = (
        '--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf + "\r\n"
        '--b\r\nContent-Disposition: form-data; name="number"; filename="n.txt"\r\n\r\n4242\r\n--b--\r\n'
    )
    assert _raw_post(browser, "/payment-methods/card", multipart, "multipart/form-data; boundary=b").status == 400
    # SEPA: a 10 kB IBAN and holder, a mandate with another value, nothing at all
    for form in (
        sepa_form(csrf, iban="D" * 10_000, holder="y" * 10_000),
        sepa_form(csrf, mandate="yes"),
        {"csrf": csrf},
    ):
        refused = browser.post("/payment-methods/sepa", form)
        assert refused.status == 400
        assert "y" * 201 not in refused.text
    assert len(methods(shop.api, customer)) == 2


def _cookie(browser: PortalBrowser) -> str:
    return "; ".join(f"{k}={v}" for k, v in browser.jar.items())


def _raw_post(
    browser: PortalBrowser, path: str, body: str, content_type: str = "application/x-www-form-urlencoded"
) -> Any:
    """A body as given (repeated fields, multipart), with the browser's cookies."""
    client = ApiClient(browser.template, api="PortalHttpApi")
    headers = {"host": browser.host, "user-agent": browser.user_agent, "cookie": _cookie(browser)}
    return client.request("POST", path, body=body, headers={**headers, "content-type": content_type})


def test_the_card_number_cvc_and_iban_reach_no_item_no_event_and_no_log(
    shop: Shop, stack: Stack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    customer = shop.customer(token=None)
    browser, csrf, _ = signed_in(stack, shop.api, customer)
    # When the customer adds a card and a debit, and sends a bad form of each
    secrets = {"number": "4000002760000016", "cvc": "739", "iban": "NL91ABNA0417164300"}
    assert browser.post("/payment-methods/card", card_form(csrf, number="4000 0027 6000 0016", cvc="739")).status == 303
    assert browser.post("/payment-methods/sepa", sepa_form(csrf, iban="NL91 ABNA 0417 1643 00")).status == 303
    bad_card = browser.post("/payment-methods/card", card_form(csrf, number=secrets["number"], cvc="739", expiry="x"))
    bad_sepa = browser.post("/payment-methods/sepa", sepa_form(csrf, iban=secrets["iban"], mandate=""))
    assert bad_card.status == bad_sepa.status == 400
    # Then no stored item, event, page or log line holds the number, the CVC (next to "cvc") or the IBAN
    stored = json.dumps(table_items(stack))
    listed = json.dumps(shop.api.get("/v1/events", query={"customer": customer}).json())
    logs = capsys.readouterr()
    logged = logs.out + logs.err + caplog.text
    for where, text in (("table", stored), ("events", listed), ("logs", logged)):
        assert secrets["number"] not in text, where
        assert secrets["iban"] not in text and "NL91 ABNA" not in text, where
        assert '"cvc": "739"' not in text and "cvc=739" not in text, where
    for answer in (bad_card, bad_sepa):
        assert secrets["number"] not in answer.text and secrets["iban"] not in answer.text
        assert 'value="739"' not in answer.text
    # And what is kept is the card's brand and last4, and the debit's last4
    kinds = {m["type"]: m for m in methods(shop.api, customer)}
    assert kinds["card"]["card"]["last4"] == "0016" and kinds["card"]["card"]["country"] == "DE"
    assert kinds["sepa_debit"]["sepaDebit"]["last4"] == "4300"
