"""Customers, tax IDs, events and idempotency, driven through the API like a merchant."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from billing.kernel import clock
from tests.conftest import Stack
from tests.support.apiclient import ApiClient
from tests.support.shop import Shop

MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
MID_MAY = MAY_1 + timedelta(days=15, hours=12)


def events_of(merchant: ApiClient, **query: Any) -> list[dict[str, Any]]:
    response = merchant.get("/v1/events", query=query)
    assert response.status == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


class TestCustomers:
    def test_create_then_retrieve_with_its_event(self, merchant: ApiClient) -> None:
        # When a merchant creates a customer
        created = merchant.post(
            "/v1/customers",
            {
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "phone": "+44 20 7946 0000",
                "address": {"line1": "12 St James's Sq", "city": "London", "postalCode": "SW1Y 4JH", "country": "gb"},
                "metadata": {"crmId": "42"},
            },
        )
        # Then it is answered, retrievable, and announced by customer.created
        assert created.status == 200, created.text
        customer = created.json()
        assert customer["id"].startswith("cust_") and customer["object"] == "customer"
        assert customer["address"]["country"] == "GB" and customer["metadata"] == {"crmId": "42"}
        assert merchant.get(f"/v1/customers/{customer['id']}").json() == customer
        [event] = events_of(merchant, type="customer.created")
        assert event["data"]["object"] == customer
        assert event["request"]["source"] == "api" and event["livemode"] is False

    def test_update_is_partial_records_previous_attributes_and_merges_metadata(self, merchant: ApiClient) -> None:
        customer = merchant.post("/v1/customers", {"email": "a@example.com", "metadata": {"a": "1", "b": "2"}}).json()
        # When the email changes and one metadata key is removed
        updated = merchant.post(f"/v1/customers/{customer['id']}", {"email": "b@example.com", "metadata": {"a": ""}})
        # Then the rest stays and the event says what it was before
        assert updated.status == 200, updated.text
        assert updated.json()["email"] == "b@example.com"
        assert updated.json()["metadata"] == {"b": "2"}
        [event] = events_of(merchant, type="customer.updated")
        assert event["data"]["previousAttributes"] == {"email": "a@example.com", "metadata": {"a": "1", "b": "2"}}

    def test_an_update_that_changes_nothing_emits_nothing(self, merchant: ApiClient) -> None:
        customer = merchant.post("/v1/customers", {"name": "Same"}).json()
        assert merchant.post(f"/v1/customers/{customer['id']}", {"name": "Same"}).status == 200
        assert events_of(merchant, type="customer.updated") == []

    @pytest.mark.parametrize(
        ("payload", "param"),
        [
            ({"email": "not-an-email"}, "email"),
            ({"phone": "call me"}, "phone"),
            ({"address": {"country": "ZZ"}}, "address.country"),
            ({"metadata": {"k" * 41: "v"}}, "metadata." + "k" * 41),
            ({"name": "n" * 201}, "name"),
            ({"shoeSize": 44}, "shoeSize"),
        ],
    )
    def test_bad_fields_are_400_naming_the_field(
        self, merchant: ApiClient, payload: dict[str, Any], param: str
    ) -> None:
        response = merchant.post("/v1/customers", payload)
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param

    def test_list_pages_newest_first(self, merchant: ApiClient) -> None:
        made = [merchant.post("/v1/customers", {"name": f"c{n}"}).json()["id"] for n in range(5)]
        first = merchant.get("/v1/customers", query={"limit": 2}).json()
        assert [c["id"] for c in first["data"]] == made[::-1][:2] and first["hasMore"] is True
        rest = merchant.get("/v1/customers", query={"limit": 10, "startingAfter": first["data"][-1]["id"]}).json()
        assert [c["id"] for c in rest["data"]] == made[::-1][2:] and rest["hasMore"] is False

    @pytest.mark.parametrize("limit", [0, 101, "ten"])
    def test_limit_out_of_range_is_400(self, merchant: ApiClient, limit: object) -> None:
        response = merchant.get("/v1/customers", query={"limit": limit})
        assert response.status == 400 and response.json()["error"]["param"] == "limit"

    def test_another_accounts_customer_is_404_like_a_missing_one(self, stack: Stack, merchant: ApiClient) -> None:
        customer = merchant.post("/v1/customers", {"name": "Mine"}).json()
        _, other_key = stack.new_account()
        other = ApiClient(stack.template, key=other_key)
        theirs = other.get(f"/v1/customers/{customer['id']}")
        missing = other.get("/v1/customers/cust_doesnotexist")
        assert theirs.status == missing.status == 404
        assert theirs.json()["error"]["code"] == missing.json()["error"]["code"]
        assert other.post(f"/v1/customers/{customer['id']}", {"name": "Stolen"}).status == 404
        assert other.get("/v1/customers").json()["data"] == []


class TestPreferredLocale:
    def test_a_customer_keeps_the_language_of_its_invoices(self, merchant: ApiClient) -> None:
        # Given a customer created in German, and one created without a language
        german = merchant.post("/v1/customers", {"name": "Kundin", "preferredLocale": "de"})
        plain = merchant.post("/v1/customers", {"name": "Customer"})
        # Then each is answered with its language (none: null) and reads back the same
        assert german.status == 200, german.text
        assert (german.json()["preferredLocale"], plain.json()["preferredLocale"]) == ("de", None)
        customer_id = german.json()["id"]
        assert merchant.get(f"/v1/customers/{customer_id}").json()["preferredLocale"] == "de"
        # When it changes to French, then is cleared
        updated = merchant.post(f"/v1/customers/{customer_id}", {"preferredLocale": "fr"})
        assert updated.status == 200 and updated.json()["preferredLocale"] == "fr"
        [event] = events_of(merchant, type="customer.updated")
        assert event["data"]["previousAttributes"] == {"preferredLocale": "de"}
        cleared = merchant.post(f"/v1/customers/{customer_id}", {"preferredLocale": None})
        assert cleared.status == 200 and cleared.json()["preferredLocale"] is None
        # And each of the four languages is accepted
        for locale in ("en", "de", "fr", "es"):
            response = merchant.post(f"/v1/customers/{customer_id}", {"preferredLocale": locale})
            assert response.status == 200 and response.json()["preferredLocale"] == locale

    @pytest.mark.parametrize("value", ["xx", "de-DE", "DE", "", 7])
    def test_a_language_we_do_not_write_in_is_400_naming_the_field(self, merchant: ApiClient, value: object) -> None:
        created = merchant.post("/v1/customers", {"preferredLocale": value})
        assert created.status == 400, created.text
        assert created.json()["error"]["param"] == "preferredLocale"
        customer_id = merchant.post("/v1/customers", {"name": "Kunde"}).json()["id"]
        updated = merchant.post(f"/v1/customers/{customer_id}", {"preferredLocale": value})
        assert updated.status == 400 and updated.json()["error"]["param"] == "preferredLocale"

    def test_the_invoice_pdf_is_in_the_language_the_customer_preferred_when_it_was_made(
        self, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given a German-speaking customer whose subscription went from 1 to 3 seats mid-May
        moment = {"now": MAY_1}
        monkeypatch.setattr(clock, "now", lambda: moment["now"])
        customer = shop.customer(preferredLocale="de")
        sub = shop.subscribe(customer).json()
        moment["now"] = MID_MAY
        changed = shop.api.post(
            f"/v1/subscriptions/{sub['id']}",
            {"items": [{"price": shop.monthly, "quantity": 3}], "prorationBehavior": "always_invoice"},
        )
        assert changed.status == 200, changed.text
        invoice = shop.invoice(changed.json())
        # (the API's descriptions stay English)
        assert invoice["lines"][0]["description"] == "Unused time on Pro after 16 May 2026"
        assert invoice["customerDetails"]["preferredLocale"] == "de"
        # When the customer's language changes afterwards and the merchant fetches the PDF
        assert shop.api.post(f"/v1/customers/{customer}", {"preferredLocale": "fr"}).status == 200
        response = shop.api.get(f"/v1/invoices/{invoice['id']}/pdf")
        # Then it is in German, the language the invoice was made in
        assert response.status == 200
        text = " ".join(PdfReader(io.BytesIO(response.body)).pages[0].extract_text().split())
        for expected in (
            "Rechnung",
            "Bezahlter Betrag",
            "Nicht genutzte Zeit für Pro ab dem 16.05.2026",
            "Verbleibende Zeit für Pro ab dem 16.05.2026",
        ):
            assert expected in text, expected
        assert "Amount due" not in text and "Unused time" not in text


class TestTaxIds:
    def test_a_valid_vat_id_is_normalised_with_its_country_and_events(self, merchant: ApiClient) -> None:
        customer = merchant.post("/v1/customers", {"name": "Acme"}).json()
        added = merchant.post(f"/v1/customers/{customer['id']}/tax_ids", {"type": "eu_vat", "value": "de 136 695 976"})
        assert added.status == 200, added.text
        tax_id = added.json()
        assert (tax_id["value"], tax_id["country"], tax_id["object"]) == ("DE136695976", "DE", "tax_id")
        assert merchant.get(f"/v1/customers/{customer['id']}").json()["taxIds"] == [tax_id]
        deleted = merchant.delete(f"/v1/customers/{customer['id']}/tax_ids/{tax_id['id']}")
        assert deleted.status == 200 and deleted.json()["deleted"] is True
        assert merchant.get(f"/v1/customers/{customer['id']}").json()["taxIds"] == []
        types = [e["type"] for e in events_of(merchant, customer=customer["id"])]
        assert types[:2] == ["customer.tax_id.deleted", "customer.tax_id.created"]

    @pytest.mark.parametrize(
        ("type_", "value", "param"),
        [
            ("eu_vat", "DE123", "value"),
            ("gb_vat", "GB123456789", "value"),
            ("us_ein", "00-0000000", "value"),
            ("xx_vat", "1", "type"),
        ],
    )
    def test_a_bad_tax_id_is_400_naming_the_field(
        self, merchant: ApiClient, type_: str, value: str, param: str
    ) -> None:
        customer = merchant.post("/v1/customers", {"name": "Acme"}).json()
        response = merchant.post(f"/v1/customers/{customer['id']}/tax_ids", {"type": type_, "value": value})
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param

    def test_deleting_an_unknown_tax_id_is_404(self, merchant: ApiClient) -> None:
        customer = merchant.post("/v1/customers", {"name": "Acme"}).json()
        assert merchant.delete(f"/v1/customers/{customer['id']}/tax_ids/txi_nothere").status == 404


class TestIdempotency:
    def test_a_retried_post_answers_the_first_result_and_creates_once(self, merchant: ApiClient) -> None:
        key = str(uuid.uuid4())
        first = merchant.post("/v1/customers", {"name": "Once"}, headers={"idempotency-key": key})
        again = merchant.post("/v1/customers", {"name": "Once"}, headers={"idempotency-key": key})
        assert first.status == again.status == 200
        assert first.json() == again.json()
        assert len(merchant.get("/v1/customers").json()["data"]) == 1
        assert len(events_of(merchant, type="customer.created")) == 1

    def test_reusing_a_key_for_another_request_is_refused(self, merchant: ApiClient) -> None:
        key = str(uuid.uuid4())
        merchant.post("/v1/customers", {"name": "First"}, headers={"idempotency-key": key})
        reused = merchant.post("/v1/customers", {"name": "Second"}, headers={"idempotency-key": key})
        assert reused.status == 400
        assert reused.json()["error"]["code"] == "idempotency_key_reused"

    def test_keys_are_scoped_to_the_account(self, stack: Stack, merchant: ApiClient) -> None:
        key = str(uuid.uuid4())
        _, other_key = stack.new_account()
        other = ApiClient(stack.template, key=other_key)
        mine = merchant.post("/v1/customers", {"name": "Same"}, headers={"idempotency-key": key}).json()
        theirs = other.post("/v1/customers", {"name": "Same"}, headers={"idempotency-key": key}).json()
        assert mine["id"] != theirs["id"]

    def test_a_failed_request_can_be_retried_with_the_same_key(self, merchant: ApiClient) -> None:
        key = str(uuid.uuid4())
        customer = merchant.post("/v1/customers", {"name": "Acme"}).json()
        path = f"/v1/customers/{customer['id']}/tax_ids"
        bad = merchant.post(path, {"type": "eu_vat", "value": "DE1"}, headers={"idempotency-key": key})
        assert bad.status == 400
        bad_again = merchant.post(path, {"type": "eu_vat", "value": "DE1"}, headers={"idempotency-key": key})
        assert bad_again.status == 400 and bad_again.json() == bad.json()
