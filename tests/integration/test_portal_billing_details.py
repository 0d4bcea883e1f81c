"""Billing details in the portal: name, email, phone, address and tax IDs as the configuration
allows, through the same customer service as the merchant API, audited by the session."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from billing.kernel.scope import Scope
from billing.store.repository import Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.portalbrowser import ADDRESS_FORM, RETURN_URL, csrf_of, portal_sign_in


class Portal:
    """A customer's signed-in portal, and the session that signed it in."""

    def __init__(self, stack: Stack, api: ApiClient, customer: str, **fields: Any) -> None:
        self.browser, landed, minted = portal_sign_in(stack.template, api, customer, RETURN_URL, **fields)
        self.session = str(minted["id"])
        assert landed.status == 200
        assert urlsplit(minted["url"]).path.endswith(self.session)

    def csrf(self, path: str = "/billing-details") -> str:
        return csrf_of(self.browser.get(path).text)

    def post(self, path: str, form: dict[str, Any], *, csrf: bool = True) -> Any:
        return self.browser.post(path, {**form, "csrf": self.csrf()} if csrf else form)


def customer_of(merchant: ApiClient, **fields: Any) -> str:
    created = merchant.post("/v1/customers", {"name": "Kunde", "email": "kunde@example.com", **fields})
    assert created.status == 200, created.text
    return str(created.json()["id"])


def details(portal: Portal, **changes: str) -> dict[str, str]:
    return {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+49 30 123456", **ADDRESS_FORM, **changes}


def configuration(merchant: ApiClient, customer_update: dict[str, Any]) -> str:
    created = merchant.post(
        "/v1/billing/portal_configurations", {"name": "limited", "features": {"customerUpdate": customer_update}}
    )
    assert created.status == 200, created.text
    return str(created.json()["id"])


def stored_audit(merchant: ApiClient, event_id: str) -> dict[str, Any]:
    account = merchant.get("/v1/account").json()["id"]
    item = Table().get(Scope(account, "test").key("EVT", event_id), "EVENT")
    assert item is not None
    audit: dict[str, Any] = item["audit"]
    return audit


def events_of(merchant: ApiClient, customer: str, type_: str) -> list[dict[str, Any]]:
    found = merchant.get("/v1/events", query={"customer": customer, "type": type_})
    assert found.status == 200, found.text
    return list(found.json()["data"])


def test_the_customer_updates_name_email_phone_and_address(merchant: ApiClient, stack: Stack) -> None:
    # Given a customer with a name and an email, signed in to the portal
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    page = portal.browser.get("/billing-details")
    assert page.status == 200
    assert 'value="Kunde"' in page.text and 'value="kunde@example.com"' in page.text
    # When the customer saves new details
    saved = portal.post("/billing-details", details(portal))
    # Then the page comes back with its banner
    assert saved.status == 303 and saved.header("location") == "/billing-details?done=details_saved"
    assert "Your billing details were saved." in portal.browser.get(saved.header("location")).text
    # And the merchant API shows the change
    after = merchant.get(f"/v1/customers/{customer}").json()
    assert after["name"] == "Ada Lovelace" and after["email"] == "ada@example.com"
    assert after["phone"] == "+49 30 123456"
    assert after["address"] == {"line1": "Unter den Linden 5", "postalCode": "10117", "city": "Berlin", "country": "DE"}
    # And its event came from the portal, audited with the session
    [event] = events_of(merchant, customer, "customer.updated")
    assert event["request"]["source"] == "portal"
    assert event["data"]["previousAttributes"]["name"] == "Kunde"
    audit = stored_audit(merchant, event["id"])
    assert audit["session"] == portal.session and audit["userAgent"] == "pytest-browser"


def test_emptied_optional_fields_are_cleared(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant, phone="+44 20 7946 0000", address={"line1": "1 Main St", "country": "GB"})
    portal = Portal(stack, merchant, customer)
    empty_address = dict.fromkeys(ADDRESS_FORM, "")
    saved = portal.post(
        "/billing-details", {"name": "Kunde", "email": "kunde@example.com", "phone": "", **empty_address}
    )
    assert saved.status == 303
    after = merchant.get(f"/v1/customers/{customer}").json()
    assert after["phone"] is None and after["address"] is None


def test_field_errors_show_each_fields_own_message_and_keep_the_input(merchant: ApiClient, stack: Stack) -> None:
    # Given a signed-in customer
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    # When the form comes back with a bad email, phone, country and an over-long city
    form = details(portal, email="not-an-email", phone="call me", address_country="XX", address_city="B" * 201)
    page = portal.post("/billing-details", form)
    # Then it is shown again (400) with the summary and each field's message
    assert page.status == 400
    text = page.text
    assert "Please correct the following:" in text
    assert 'href="#field-email"' in text and "Enter a valid email address" in text
    assert 'href="#field-phone"' in text and "Enter a phone number using digits" in text
    assert 'href="#field-address_country"' in text and "Choose a country from the list." in text
    assert 'href="#field-address_city"' in text and "use at most 200 characters" in text
    assert 'aria-invalid="true"' in text
    # And what the customer typed is kept
    assert 'value="not-an-email"' in text and 'value="call me"' in text
    # And nothing changed, no event was written
    assert merchant.get(f"/v1/customers/{customer}").json()["email"] == "kunde@example.com"
    assert events_of(merchant, customer, "customer.updated") == []


def test_field_errors_are_translated(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer, locale="de")
    page = portal.browser.get("/billing-details")
    assert "Rechnungsdaten" in page.text and "Postleitzahl" in page.text
    assert '<option value="DE" selected>Deutschland</option>' in page.text or ">Deutschland<" in page.text
    bad = portal.post("/billing-details", details(portal, email="nope", address_country="ZZ"))
    assert bad.status == 400
    assert "Geben Sie eine gültige E-Mail-Adresse ein" in bad.text
    assert "Wählen Sie ein Land aus der Liste." in bad.text
    assert "Enter a valid" not in bad.text and "ISO 3166" not in bad.text


def test_the_configuration_decides_which_fields_show_and_apply(merchant: ApiClient, stack: Stack) -> None:
    # Given a configuration that lets customers change their email only
    config = configuration(merchant, {"enabled": True, "allowedUpdates": ["email"]})
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer, configuration=config)
    # When the customer opens the page
    page = portal.browser.get("/billing-details").text
    # Then only the email field shows, and no tax IDs
    assert 'name="email"' in page
    assert 'name="name"' not in page and 'name="phone"' not in page and 'name="address_line1"' not in page
    assert "/billing-details/tax-ids" not in page
    # When a crafted post carries the fields it does not allow
    saved = portal.post("/billing-details", details(portal, email="new@example.com", name="Mallory"))
    # Then only the email is applied
    assert saved.status == 303
    after = merchant.get(f"/v1/customers/{customer}").json()
    assert after["email"] == "new@example.com" and after["name"] == "Kunde" and after["address"] is None
    # And tax IDs cannot be added
    added = portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": "DE136695976"})
    assert added.status == 404
    assert merchant.get(f"/v1/customers/{customer}").json()["taxIds"] == []


def test_tax_ids_are_added_and_removed(merchant: ApiClient, stack: Stack) -> None:
    # Given a signed-in customer
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    page = portal.browser.get("/billing-details").text
    assert '<option value="eu_vat">EU VAT number</option>' in page
    # When the customer adds a German VAT number, typed with spaces
    added = portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": "DE 136 695 976"})
    # Then it is stored normalized, shown with a Remove form, and its event is the portal's
    assert added.status == 303 and added.header("location") == "/billing-details?done=tax_id_added"
    [tax_id] = merchant.get(f"/v1/customers/{customer}").json()["taxIds"]
    assert tax_id["value"] == "DE136695976" and tax_id["country"] == "DE"
    shown = portal.browser.get("/billing-details?done=tax_id_added").text
    assert "The tax ID was added." in shown and "DE136695976" in shown
    assert f'action="/billing-details/tax-ids/{tax_id["id"]}/remove"' in shown
    [created] = events_of(merchant, customer, "customer.tax_id.created")
    assert created["request"]["source"] == "portal"
    assert stored_audit(merchant, created["id"])["session"] == portal.session
    # When the customer removes it
    removed = portal.post(f"/billing-details/tax-ids/{tax_id['id']}/remove", {})
    # Then it is gone, with its audited event
    assert removed.status == 303 and removed.header("location") == "/billing-details?done=tax_id_removed"
    assert merchant.get(f"/v1/customers/{customer}").json()["taxIds"] == []
    [deleted] = events_of(merchant, customer, "customer.tax_id.deleted")
    assert stored_audit(merchant, deleted["id"])["session"] == portal.session


def test_a_bad_tax_id_shows_the_field_error(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    bad = portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": "DE000000000"})
    assert bad.status == 400
    assert 'href="#field-tax_value"' in bad.text and "This is not a valid EU VAT number." in bad.text
    assert 'value="DE000000000"' in bad.text
    no_type = portal.post("/billing-details/tax-ids", {"tax_type": "xx_nope", "tax_value": "123"})
    assert no_type.status == 400 and "Choose the type of tax ID." in no_type.text
    assert portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": "DE136695976"}).status == 303
    again = portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": "DE136695976"})
    assert again.status == 400 and "You have already added this tax ID." in again.text
    assert len(merchant.get(f"/v1/customers/{customer}").json()["taxIds"]) == 1


def test_another_customers_tax_id_is_not_found(merchant: ApiClient, stack: Stack) -> None:
    # Given two customers, the other with a tax ID
    mine = customer_of(merchant)
    theirs = customer_of(merchant, name="Theirs")
    their_tax_id = merchant.post(f"/v1/customers/{theirs}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}).json()
    portal = Portal(stack, merchant, mine)
    # When my session tries to remove theirs, an unknown or a malformed one
    for tax_id in (their_tax_id["id"], "txi_unknown", "<script>"):
        response = portal.post(f"/billing-details/tax-ids/{tax_id}/remove", {})
        # Then it is a 404 and theirs stays
        assert response.status == 404, tax_id
    assert len(merchant.get(f"/v1/customers/{theirs}").json()["taxIds"]) == 1
    assert "Theirs" not in portal.browser.get("/billing-details").text


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant)
    tax_id = merchant.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}).json()
    portal = Portal(stack, merchant, customer)
    for path, form in (
        ("/billing-details", details(portal)),
        ("/billing-details/tax-ids", {"tax_type": "gb_vat", "tax_value": "GB980780684"}),
        (f"/billing-details/tax-ids/{tax_id['id']}/remove", {}),
    ):
        assert portal.post(path, form, csrf=False).status == 403, path
        assert portal.post(path, {**form, "csrf": "forged"}, csrf=False).status == 403, path
    after = merchant.get(f"/v1/customers/{customer}").json()
    assert after["name"] == "Kunde" and [t["id"] for t in after["taxIds"]] == [tax_id["id"]]
    assert events_of(merchant, customer, "customer.*") and all(
        e["request"]["source"] == "api" for e in events_of(merchant, customer, "customer.*")
    )


def test_hostile_input_gives_form_errors_never_a_500(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    huge = "x" * 10_000
    # Markup is kept as text and stored as typed (it is a valid name), and shows escaped
    markup = portal.post("/billing-details", details(portal, name='<script>alert("x")</script>'))
    assert markup.status == 303
    page = portal.browser.get("/billing-details").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    # 10 kB strings in every field: each field's message
    overlong = portal.post("/billing-details", dict.fromkeys(details(portal), huge))
    assert overlong.status == 400
    for field in ("name", "email", "phone", "address_line1", "address_city", "address_country"):
        assert f'href="#field-{field}"' in overlong.text, field
    # Missing fields: a form error, nothing applied
    missing = portal.post("/billing-details", {"name": "Only Name"})
    assert missing.status == 400 and "This field was missing from the form." in missing.text
    # Duplicated fields: the last one counts, no 500
    doubled = portal.browser.post(
        "/billing-details",
        {**details(portal, name="Doubled"), "csrf": portal.csrf(), "email": ["a@example.com", "b@example.com"]},
    )
    assert doubled.status == 303
    assert merchant.get(f"/v1/customers/{customer}").json()["email"] == "b@example.com"
    # Tax IDs: a 10 kB value, an empty one, a missing type
    assert portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": huge}).status == 400
    assert portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": ""}).status == 400
    assert portal.post("/billing-details/tax-ids", {"tax_value": "DE136695976"}).status == 400
    assert portal.post("/billing-details/tax-ids", {}).status == 400
    after = merchant.get(f"/v1/customers/{customer}").json()
    assert after["name"] == "Doubled" and after["taxIds"] == []


def test_a_disabled_feature_is_not_found(merchant: ApiClient, stack: Stack) -> None:
    config = configuration(merchant, {"enabled": False})
    customer = customer_of(merchant)
    tax_id = merchant.post(f"/v1/customers/{customer}/tax_ids", {"type": "eu_vat", "value": "DE136695976"}).json()
    portal = Portal(stack, merchant, customer, configuration=config)
    assert portal.browser.get("/billing-details").status == 404
    csrf = csrf_of(portal.browser.get("/").text)
    for path, form in (
        ("/billing-details", details(portal)),
        ("/billing-details/tax-ids", {"tax_type": "gb_vat", "tax_value": "GB980780684"}),
        (f"/billing-details/tax-ids/{tax_id['id']}/remove", {}),
    ):
        assert portal.browser.post(path, {**form, "csrf": csrf}).status == 404, path
    assert merchant.get(f"/v1/customers/{customer}").json()["name"] == "Kunde"


def test_the_merchant_api_applies_the_same_rules(merchant: ApiClient) -> None:
    # The API's models and the portal's form share the core's contact-detail rules
    customer = customer_of(merchant)
    for body in ({"phone": "call me"}, {"name": "x" * 201}, {"email": "nope"}, {"address": {"country": "XX"}}):
        assert merchant.post(f"/v1/customers/{customer}", body).status == 400, body
    assert merchant.post(f"/v1/customers/{customer}", {"phone": "+49 (30) 123-456"}).status == 200


def test_an_address_needs_line1_postal_code_city_and_country(merchant: ApiClient, stack: Stack) -> None:
    # Given a customer with a complete address
    customer = customer_of(
        merchant, address={"line1": "1 Main St", "postalCode": "SW1A 1AA", "city": "London", "country": "GB"}
    )
    portal = Portal(stack, merchant, customer)
    page = portal.browser.get("/billing-details").text
    # Then the optional parts say so, and the page says when the others are needed
    assert '<label for="field-name">Name (optional)</label>' in page and "Phone (optional)" in page
    assert "Address line 2 (optional)" in page and "State, province or region (optional)" in page
    assert "If you enter one, fill in every field not marked optional." in page
    # When the customer blanks line 1, the postal code and the city (spaces count as blank)
    blanked = details(portal, address_line1="", address_postal_code="  ", address_city="")
    refused = portal.post("/billing-details", blanked)
    # Then each is named with its own message, in the page's order, and nothing is saved
    assert refused.status == 400
    summary = refused.text.split("Please correct the following:")[1].split("</ul>")[0]
    assert re.findall(r'href="#field-(address_\w+)"', summary) == [
        "address_line1",
        "address_postal_code",
        "address_city",
    ]
    for message in ("Enter the first line of the address.", "Enter the postal code.", "Enter the city."):
        assert message in refused.text
    assert merchant.get(f"/v1/customers/{customer}").json()["address"]["city"] == "London"
    # When only the country is left out
    no_country = portal.post("/billing-details", details(portal, address_country=""))
    assert no_country.status == 400 and "Choose the country." in no_country.text
    assert 'href="#field-address_country"' in no_country.text
    assert events_of(merchant, customer, "customer.updated") == []
    # When the whole address is emptied, it is removed (the address is optional)
    emptied = portal.post("/billing-details", details(portal, **dict.fromkeys(ADDRESS_FORM, "")))
    assert emptied.status == 303
    assert merchant.get(f"/v1/customers/{customer}").json()["address"] is None


def test_a_missing_address_part_is_named_in_the_pages_language(merchant: ApiClient, stack: Stack) -> None:
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer, locale="de")
    refused = portal.post("/billing-details", details(portal, address_city="", address_postal_code=""))
    assert refused.status == 400
    assert "Geben Sie die Postleitzahl ein." in refused.text and "Geben Sie den Ort ein." in refused.text
    assert "Enter the" not in refused.text
    assert merchant.get(f"/v1/customers/{customer}").json()["address"] is None


def test_the_merchant_api_still_takes_a_partial_address(merchant: ApiClient) -> None:
    # A country alone decides tax: the API keeps taking it (only the portal asks for a whole address)
    customer = customer_of(merchant)
    updated = merchant.post(f"/v1/customers/{customer}", {"address": {"country": "FR"}})
    assert updated.status == 200 and updated.json()["address"] == {"country": "FR"}


def test_the_tax_id_example_shown_is_one_the_form_accepts(merchant: ApiClient, stack: Stack) -> None:
    # Given the form as it first shows
    customer = customer_of(merchant)
    portal = Portal(stack, merchant, customer)
    page = portal.browser.get("/billing-details").text
    shown = re.findall(r"EU VAT number: for example (\S+)</p>", page)
    # Then it shows a German VAT number, and no longer the refused DE123456789
    assert shown == ["DE136695976"] and "DE123456789" not in page
    # When the customer types the example
    assert portal.post("/billing-details/tax-ids", {"tax_type": "eu_vat", "tax_value": shown[0]}).status == 303
    # When another type comes back with an error, its own example shows, and it is accepted
    refused = portal.post("/billing-details/tax-ids", {"tax_type": "gb_vat", "tax_value": "GB000"})
    assert refused.status == 400
    [uk] = re.findall(r"UK VAT number: for example (.+?)</p>", refused.text)
    assert portal.post("/billing-details/tax-ids", {"tax_type": "gb_vat", "tax_value": uk}).status == 303
    assert [t["type"] for t in merchant.get(f"/v1/customers/{customer}").json()["taxIds"]] == ["eu_vat", "gb_vat"]
