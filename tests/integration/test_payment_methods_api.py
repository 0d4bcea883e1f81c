"""Payment methods with test tokens: attach, list, default, detach, and what is (not) stored."""

from __future__ import annotations

from typing import Any

import boto3
import msgspec
import pytest

from billing.kernel.scope import Scope
from billing.payments import instruments, paymentmethods, store
from billing.store import keymaterial
from billing.store.repository import Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient


def new_customer(merchant: ApiClient) -> str:
    customer_id: str = merchant.post("/v1/customers", {"name": "Card Holder"}).json()["id"]
    return customer_id


def attach(merchant: ApiClient, customer: str, token: str, **extra: Any) -> dict[str, Any]:
    response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": token, **extra})
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def scope_of(merchant: ApiClient) -> Scope:
    return Scope(merchant.get("/v1/account").json()["id"], "test")


def method_ids(merchant: ApiClient, customer: str) -> list[str]:
    return [m["id"] for m in merchant.get(f"/v1/customers/{customer}/payment_methods").json()["data"]]


def forget_fingerprints(stack: Stack, merchant: ApiClient, customer: str) -> None:
    """The customer's methods as attached before fingerprint items existed: without them or the mark."""
    table, scope = Table(stack.resources.table_name), scope_of(merchant)
    partition = store.fingerprint_key(scope, customer, "")[0]
    for item in table.query_all(partition, consistent=True):
        if item["sk"].startswith(store.FINGERPRINT_PREFIX) or item["sk"] == store.FINGERPRINTS_MARKED_SK:
            table.delete(item["pk"], item["sk"])


class TestAttach:
    @pytest.mark.parametrize(
        ("token", "brand", "last4"),
        [("tok_visa", "visa", "4242"), ("tok_mastercard", "mastercard", "4444"), ("tok_amex", "amex", "0005")],
    )
    def test_cards_keep_brand_last4_expiry_and_a_fingerprint(
        self, merchant: ApiClient, token: str, brand: str, last4: str
    ) -> None:
        customer = new_customer(merchant)
        method = attach(merchant, customer, token)
        assert (method["type"], method["card"]["brand"], method["card"]["last4"]) == ("card", brand, last4)
        assert {"expMonth", "expYear", "country"} <= set(method["card"])
        assert len(method["fingerprint"]) == 32

    def test_the_first_method_becomes_the_default_and_set_default_moves_it(self, merchant: ApiClient) -> None:
        customer = new_customer(merchant)
        first = attach(merchant, customer, "tok_visa")
        assert merchant.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == first["id"]
        second = attach(merchant, customer, "tok_mastercard")
        assert merchant.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == first["id"]
        third = attach(merchant, customer, "tok_sepa_de", setDefault=True)
        assert merchant.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == third["id"]
        assert merchant.post(f"/v1/customers/{customer}/payment_methods/{second['id']}/default").status == 200
        assert merchant.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == second["id"]
        listed = merchant.get(f"/v1/customers/{customer}/payment_methods").json()["data"]
        assert [m["id"] for m in listed] == [third["id"], second["id"], first["id"]]

    def test_sepa_keeps_bank_code_last4_country_and_a_mandate(self, merchant: ApiClient) -> None:
        method = attach(merchant, new_customer(merchant), "tok_sepa_de")
        sepa = method["sepaDebit"]
        assert (sepa["bankCode"], sepa["last4"], sepa["country"]) == ("37040044", "3000", "DE")
        assert sepa["mandate"]["reference"] and sepa["mandate"]["acceptedAt"]

    def test_the_same_card_has_the_same_fingerprint_for_two_customers(self, merchant: ApiClient) -> None:
        one = attach(merchant, new_customer(merchant), "tok_visa")
        two = attach(merchant, new_customer(merchant), "tok_visa")
        other = attach(merchant, new_customer(merchant), "tok_mastercard")
        assert one["fingerprint"] == two["fingerprint"] != other["fingerprint"]

    @pytest.mark.parametrize(("token", "kind"), [("tok_visa", "card"), ("tok_sepa_de", "bank account")])
    def test_a_card_or_account_the_customer_already_has_is_refused(
        self, merchant: ApiClient, token: str, kind: str
    ) -> None:
        # Given a customer with the method attached
        customer = new_customer(merchant)
        first = attach(merchant, customer, token)
        # When the same card (or IBAN) is attached again
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": token, "setDefault": True})
        # Then it is a 400 naming the token, with its code, and nothing changed
        assert response.status == 400
        error = response.json()["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "invalid_request_error",
            "payment_method_exists",
            "token",
        )
        assert f"already has this {kind}" in error["message"]
        assert [m["id"] for m in merchant.get(f"/v1/customers/{customer}/payment_methods").json()["data"]] == [
            first["id"]
        ]
        types = [e["type"] for e in merchant.get("/v1/events", query={"customer": customer}).json()["data"]]
        assert types.count("payment_method.attached") == 1
        # And another customer can still attach it
        assert attach(merchant, new_customer(merchant), token)["fingerprint"] == first["fingerprint"]

    def test_a_detached_card_can_be_attached_again(self, stack: Stack, merchant: ApiClient) -> None:
        # Given a customer with a card attached: the customer holds its fingerprint
        table, scope = Table(stack.resources.table_name), scope_of(merchant)
        customer = new_customer(merchant)
        first = attach(merchant, customer, "tok_visa")
        assert store.fingerprint_held(table, scope, customer, first["fingerprint"])
        # When the card is detached
        assert merchant.delete(f"/v1/customers/{customer}/payment_methods/{first['id']}").status == 200
        # Then the fingerprint goes with it, and the same card attaches again (and is held again)
        assert not store.fingerprint_held(table, scope, customer, first["fingerprint"])
        again = attach(merchant, customer, "tok_visa")
        assert again["id"] != first["id"] and again["fingerprint"] == first["fingerprint"]
        assert store.fingerprint_held(table, scope, customer, first["fingerprint"])
        assert method_ids(merchant, customer) == [again["id"]]
        # And a second time it is refused
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
        assert (response.status, response.json()["error"]["code"]) == (400, "payment_method_exists")
        assert method_ids(merchant, customer) == [again["id"]]

    def test_methods_from_before_fingerprint_items_still_refuse_their_card_and_are_marked_by_an_attach(
        self, stack: Stack, merchant: ApiClient
    ) -> None:
        # Given a customer whose card and bank account were attached before fingerprint items existed
        table, scope = Table(stack.resources.table_name), scope_of(merchant)
        customer = new_customer(merchant)
        visa, sepa = attach(merchant, customer, "tok_visa"), attach(merchant, customer, "tok_sepa_de")
        forget_fingerprints(stack, merchant, customer)
        assert not store.fingerprint_held(table, scope, customer, visa["fingerprint"])
        # When the same card is attached
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
        # Then it is refused as before, and nothing changed
        assert (response.status, response.json()["error"]["code"]) == (400, "payment_method_exists")
        assert method_ids(merchant, customer) == [sepa["id"], visa["id"]]
        # When another card is attached
        master = attach(merchant, customer, "tok_mastercard")
        # Then it is attached, and the customer now holds every method's fingerprint and its mark
        assert method_ids(merchant, customer) == [master["id"], sepa["id"], visa["id"]]
        for method in (visa, sepa, master):
            assert store.fingerprint_held(table, scope, customer, method["fingerprint"])
        assert store.has_fingerprints_marked(table, scope, customer)
        # And the bank account is refused by its fingerprint item alone
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_sepa_de"})
        assert (response.status, response.json()["error"]["code"]) == (400, "payment_method_exists")
        types = [e["type"] for e in merchant.get("/v1/events", query={"customer": customer}).json()["data"]]
        assert types.count("payment_method.attached") == 3

    def test_a_card_attached_twice_before_fingerprint_items_stays_refused_until_both_are_detached(
        self, stack: Stack, merchant: ApiClient
    ) -> None:
        # Given a customer holding one card twice, from before duplicates were refused, and then marked
        table, scope = Table(stack.resources.table_name), scope_of(merchant)
        customer = new_customer(merchant)
        first = attach(merchant, customer, "tok_visa")
        forget_fingerprints(stack, merchant, customer)
        twin = store.from_item(table.get(*store.key(scope, customer, first["id"])) or {})
        twin_id = first["id"] + "2"
        table.put(store.to_item(scope, msgspec.structs.replace(twin, id=twin_id)))
        attach(merchant, customer, "tok_mastercard")
        # When one of the two is detached
        assert merchant.delete(f"/v1/customers/{customer}/payment_methods/{first['id']}").status == 200
        # Then the other still holds the card: attaching it is refused
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
        assert (response.status, response.json()["error"]["code"]) == (400, "payment_method_exists")
        # When the other is detached too
        assert merchant.delete(f"/v1/customers/{customer}/payment_methods/{twin_id}").status == 200
        # Then the card attaches again
        assert attach(merchant, customer, "tok_visa")["fingerprint"] == first["fingerprint"]

    def test_a_declining_card_is_refused_at_attach(self, merchant: ApiClient) -> None:
        customer = new_customer(merchant)
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_cardDeclined"})
        assert response.status == 402
        assert response.json()["error"] == {
            "type": "card_error",
            "code": "card_declined",
            "message": "Your card was declined.",
            "param": "token",
        }
        assert merchant.get(f"/v1/customers/{customer}/payment_methods").json()["data"] == []

    def test_an_unknown_token_is_400(self, merchant: ApiClient) -> None:
        response = merchant.post(f"/v1/customers/{new_customer(merchant)}/payment_methods", {"token": "tok_nope"})
        assert response.status == 400 and response.json()["error"]["param"] == "token"

    def test_no_card_number_or_iban_is_stored(self, stack: Stack, merchant: ApiClient) -> None:
        customer = new_customer(merchant)
        for token in ("tok_visa", "tok_amex", "tok_sepa_de"):
            attach(merchant, customer, token)
        dump = str(boto3.client("dynamodb").scan(TableName=stack.resources.table_name)["Items"])
        for secret in ("4242424242424242", "378282246310005", "DE89370400440532013000", "370400440532013000"):
            assert secret not in dump


class TestFingerprintsPerAccountAndMode:
    """Issue 17 item 11: one key per account and mode, so fingerprints correlate nothing across
    merchants nor between test and live; duplicates are still refused within one."""

    def test_the_same_card_has_unrelated_fingerprints_in_two_accounts(self, stack: Stack, merchant: ApiClient) -> None:
        _, other_key = stack.new_account()
        other = ApiClient(stack.template, key=other_key)
        mine, theirs = (
            attach(merchant, new_customer(merchant), "tok_visa"),
            attach(other, new_customer(other), "tok_visa"),
        )
        assert mine["fingerprint"] != theirs["fingerprint"]
        # and each account still refuses its own duplicate
        for client, method in ((merchant, mine), (other, theirs)):
            response = client.post(f"/v1/customers/{method['customer']}/payment_methods", {"token": "tok_visa"})
            assert (response.status, response.json()["error"]["code"]) == (400, "payment_method_exists")

    def test_a_test_mode_fingerprint_is_not_the_live_one(self, merchant: ApiClient) -> None:
        # Given the fingerprint a test-mode attach (or a test-mode portal) shows for a number
        scope = scope_of(merchant)
        shown = attach(merchant, new_customer(merchant), "tok_visa")["fingerprint"]
        assert shown == paymentmethods.fingerprint(scope, "card", VISA)
        # Then the same number has another in live mode, and the deployment-wide value is neither
        assert shown != paymentmethods.fingerprint(Scope(scope.account_id, "live"), "card", VISA)
        assert shown != instruments.fingerprint(keymaterial.derive("fingerprint"), "card", VISA)

    @pytest.mark.parametrize("marked", [True, False])
    def test_a_method_stored_with_the_deployment_wide_fingerprint_still_refuses_its_card(
        self, stack: Stack, merchant: ApiClient, marked: bool
    ) -> None:
        # Given a customer whose card was attached before fingerprints were per account and mode
        table, scope = Table(stack.resources.table_name), scope_of(merchant)
        customer = new_customer(merchant)
        method = attach(merchant, customer, "tok_visa")
        legacy = store_as_before_per_account_keys(table, scope, customer, method)
        if not marked:
            forget_fingerprints(stack, merchant, customer)
        # When the same card is attached again, then it is refused as the duplicate it is
        response = merchant.post(f"/v1/customers/{customer}/payment_methods", {"token": "tok_visa"})
        assert (response.status, response.json()["error"]["code"]) == (400, "payment_method_exists")
        assert method_ids(merchant, customer) == [method["id"]]
        # And another card attaches; once the old one is detached, the card attaches under its new fingerprint
        assert attach(merchant, customer, "tok_mastercard")
        assert merchant.delete(f"/v1/customers/{customer}/payment_methods/{method['id']}").status == 200
        assert not store.fingerprint_held(table, scope, customer, legacy)
        assert attach(merchant, customer, "tok_visa")["fingerprint"] == method["fingerprint"]


VISA = "4242424242424242"


def store_as_before_per_account_keys(table: Table, scope: Scope, customer: str, method: dict[str, Any]) -> str:
    """The method and its fingerprint item rewritten with the deployment-wide fingerprint, as
    attaches stored them before the key was per account and mode; that fingerprint."""
    legacy = instruments.fingerprint(keymaterial.derive("fingerprint"), "card", VISA)
    pk, sk = store.key(scope, customer, method["id"])
    item = table.get(pk, sk)
    assert item is not None
    table.put({**item, "fingerprint": legacy})
    table.delete(*store.fingerprint_key(scope, customer, method["fingerprint"]))
    fingerprint_pk, fingerprint_sk = store.fingerprint_key(scope, customer, legacy)
    table.put(
        {
            "pk": fingerprint_pk,
            "sk": fingerprint_sk,
            "type": "payment_method_fingerprint",
            "paymentMethod": method["id"],
        }
    )
    return legacy


class TestDetach:
    def test_detaching_the_default_promotes_another_and_emits_events(self, merchant: ApiClient) -> None:
        customer = new_customer(merchant)
        first = attach(merchant, customer, "tok_visa")
        second = attach(merchant, customer, "tok_mastercard")
        response = merchant.delete(f"/v1/customers/{customer}/payment_methods/{first['id']}")
        assert response.status == 200 and response.json()["deleted"] is True
        assert merchant.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] == second["id"]
        types = [e["type"] for e in merchant.get("/v1/events", query={"customer": customer}).json()["data"]]
        assert "payment_method.detached" in types and types.count("payment_method.attached") == 2

    def test_detaching_twice_or_another_customers_method_is_404(self, merchant: ApiClient) -> None:
        customer, other = new_customer(merchant), new_customer(merchant)
        method = attach(merchant, customer, "tok_visa")
        assert merchant.delete(f"/v1/customers/{other}/payment_methods/{method['id']}").status == 404
        assert merchant.delete(f"/v1/customers/{customer}/payment_methods/{method['id']}").status == 200
        assert merchant.delete(f"/v1/customers/{customer}/payment_methods/{method['id']}").status == 404
        assert merchant.get(f"/v1/customers/{customer}").json()["defaultPaymentMethod"] is None
