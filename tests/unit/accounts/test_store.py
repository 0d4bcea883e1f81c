"""The merchant's records in the table (no I/O): items as the code has always written them read
back and write out attribute for attribute, records survive the trip, and the writes send what
changed (the table is a recorder)."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from billing.accounts import store
from billing.accounts.records import Account, ApiKey, Branding
from billing.kernel.scope import Scope
from billing.store.repository import Item, Put, Table, deserialize, serialize

SCOPE = Scope("acct_1", "test")


def as_read(item: Item) -> Item:
    """The item as a read answers it (numbers come back as int)."""
    return deserialize(serialize(item))


ACCOUNT_ITEM = {
    "pk": "ACCT#acct_1",
    "sk": "ACCOUNT",
    "type": "account",
    "id": "acct_1",
    "name": "Acme",
    "legalName": None,
    "country": "DE",
    "address": None,
    "taxId": None,
    "defaultCurrency": "usd",
    "defaultSessionMinutes": 30,
    "createdAt": "2026-05-30T14:25:00Z",
    "version": 1,
}
KEY_ITEM = {
    "pk": "APIKEY#" + "ab" * 32,
    "sk": "APIKEY",
    "type": "api_key",
    "id": "key_1",
    "account": "acct_1",
    "mode": "test",
    "prefix": "sk_test_",
    "last4": "WxYz",
    "createdAt": "2026-05-30T14:25:00Z",
    "gsi1pk": "ACCT#acct_1#KEYS",
    "gsi1sk": "2026-05-30T14:25:00Z#key_1",
}
BRANDING_ITEM = {
    "pk": "ACCT#acct_1#test#BRANDING",
    "sk": "BRANDING",
    "type": "branding",
    "logo": "data:image/png;base64,iVBORw0KGgo=",
    "accentColor": "#FFD600",
    "supportUrl": "https://acme.example/help",
    "privacyUrl": None,
    "termsUrl": None,
    "portalDomain": "billing.acme.example",
    "domainToken": "tok",
    "domainVerifiedAt": None,
    "updatedAt": "2026-05-30T14:25:00Z",
    "version": 3,
}


class TestAccount:
    def test_a_stored_account_reads_and_writes_back_attribute_for_attribute(self) -> None:
        item = as_read(ACCOUNT_ITEM)
        account = store.account_from_item(item)
        assert account == Account(id="acct_1", name="Acme", country="DE", created_at="2026-05-30T14:25:00Z", version=1)
        assert store.account_to_item(account) == item

    def test_a_full_account_survives_the_trip(self) -> None:
        account = Account(
            id="acct_2",
            name="Beta",
            legal_name="Beta GmbH",
            country="AT",
            address={"line1": "Ring 1", "city": "Wien", "country": "AT"},
            tax_id="ATU12345678",
            default_currency="eur",
            default_session_minutes=60,
            created_at="2026-01-01T00:00:00Z",
            version=7,
        )
        assert store.account_from_item(as_read(store.account_to_item(account))) == account

    def test_nulls_left_by_older_writes_read_as_the_defaults(self) -> None:
        item = {**ACCOUNT_ITEM, "defaultCurrency": None, "defaultSessionMinutes": None}
        account = store.account_from_item(item)
        assert (account.default_currency, account.default_session_minutes) == ("usd", 30)

    def test_the_create_is_conditional_on_a_new_account(self) -> None:
        op = store.insert_account(store.account_from_item(ACCOUNT_ITEM))
        assert op == Put(ACCOUNT_ITEM, condition="attribute_not_exists(pk)")


class TestApiKey:
    def test_a_stored_key_reads_and_writes_back_attribute_for_attribute(self) -> None:
        key = store.api_key_from_item(KEY_ITEM)
        assert key == ApiKey(
            id="key_1",
            account_id="acct_1",
            mode="test",
            key_hash="ab" * 32,
            prefix="sk_test_",
            last4="WxYz",
            created_at="2026-05-30T14:25:00Z",
        )
        assert store.api_key_to_item(key) == KEY_ITEM  # no revokedAt until it is revoked

    def test_a_revoked_key_keeps_when(self) -> None:
        item = {**KEY_ITEM, "revokedAt": "2026-06-01T00:00:00Z"}
        key = store.api_key_from_item(item)
        assert key.revoked and key.revoked_at == "2026-06-01T00:00:00Z"
        assert store.api_key_to_item(key) == item

    def test_display_and_revoked(self) -> None:
        key = store.api_key_from_item(KEY_ITEM)
        assert key.display == "sk_test_…WxYz"
        assert not key.revoked


class TestBranding:
    def test_a_stored_branding_reads_and_writes_back_attribute_for_attribute(self) -> None:
        branding = store.branding_from_item(as_read(BRANDING_ITEM))
        assert branding == Branding(
            logo="data:image/png;base64,iVBORw0KGgo=",
            accent_color="#FFD600",
            support_url="https://acme.example/help",
            domain="billing.acme.example",
            domain_token="tok",
            updated_at="2026-05-30T14:25:00Z",
            version=3,
        )
        assert store.branding_to_item(SCOPE, branding) == as_read(BRANDING_ITEM)

    def test_the_defaults_are_the_layout_get_branding_answered_without_a_stored_one(self) -> None:
        assert store.branding_to_item(SCOPE, Branding()) == {
            "pk": "ACCT#acct_1#test#BRANDING",
            "sk": "BRANDING",
            "type": "branding",
            "logo": None,
            "accentColor": "#635BFF",
            "supportUrl": None,
            "privacyUrl": None,
            "termsUrl": None,
            "portalDomain": None,
            "domainToken": None,
            "domainVerifiedAt": None,
            "updatedAt": None,
            "version": 0,
        }
        assert not Branding().stored and store.branding_from_item(BRANDING_ITEM).stored

    def test_attributes_an_older_item_lacks_have_their_defaults(self) -> None:
        item = {"pk": "ACCT#acct_1#test#BRANDING", "sk": "BRANDING", "supportUrl": "https://a.example", "version": 1}
        assert store.branding_from_item(item) == Branding(support_url="https://a.example", version=1)


class Recorder(Table):
    """A table that records its single-item writes and answers an update with the item as updated."""

    def __init__(self, stored: Item | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.stored = stored or {}

    def put(self, item: Any, **kwargs: Any) -> None:
        self.calls.append(("put", {"item": item, **kwargs}))

    def update(self, pk: str, sk: str, **kwargs: Any) -> Item:
        self.calls.append(("update", {"pk": pk, "sk": sk, **kwargs}))
        names, values = kwargs.get("names") or {}, kwargs.get("values") or {}
        changed = {names[f"#f{n}"]: values[f":f{n}"] for n in range(len(names) - 1)}
        return {**self.stored, **changed}


class TestWrites:
    def test_an_account_update_sets_only_what_changed_on_the_version_read(self) -> None:
        before = store.account_from_item(ACCOUNT_ITEM)
        table = Recorder(ACCOUNT_ITEM)
        after = store.save_account(
            table, before, replace(before, legal_name="Acme GmbH", version=2), conflict_message="retry"
        )
        [(kind, call)] = table.calls
        assert (kind, call["pk"], call["sk"], call["condition"]) == (
            "update",
            "ACCT#acct_1",
            "ACCOUNT",
            "#v = :expected",
        )
        assert set(call["names"].values()) == {"legalName", "version"}
        assert call["values"][":expected"] == 1
        assert after == replace(before, legal_name="Acme GmbH", version=2)
        assert call["already"]({**ACCOUNT_ITEM, "legalName": "Acme GmbH", "version": 2})
        assert not call["already"]({**ACCOUNT_ITEM, "legalName": "Acme GmbH", "version": 3})

    def test_the_first_branding_is_a_put_of_a_new_item_and_later_ones_an_update(self) -> None:
        table = Recorder(BRANDING_ITEM)
        first = replace(Branding(), accent_color="#112233", updated_at="2026-06-01T00:00:00Z", version=1)
        assert store.save_branding(table, SCOPE, Branding(), first, conflict_message="retry") == first
        before = store.branding_from_item(BRANDING_ITEM)
        after = replace(before, terms_url="https://acme.example/terms", updated_at="2026-06-02T00:00:00Z", version=4)
        assert store.save_branding(table, SCOPE, before, after, conflict_message="retry") == after
        (put_kind, put), (update_kind, update) = table.calls
        assert (put_kind, put["item"], put["condition"]) == (
            "put",
            store.branding_to_item(SCOPE, first),
            "attribute_not_exists(pk)",
        )
        assert update_kind == "update"
        assert set(update["names"].values()) == {"termsUrl", "updatedAt", "version"}
        assert update["values"][":expected"] == 3

    def test_a_revocation_is_conditional_on_a_live_key(self) -> None:
        table = Recorder()
        key = replace(store.api_key_from_item(KEY_ITEM), revoked_at="2026-06-01T00:00:00Z")
        store.save_revocation(table, key, conflict_message="already revoked")
        [(kind, call)] = table.calls
        assert (kind, call["pk"], call["expression"], call["values"]) == (
            "update",
            KEY_ITEM["pk"],
            "SET revokedAt = :now",
            {":now": "2026-06-01T00:00:00Z"},
        )
        assert call["condition"] == "attribute_exists(pk) AND attribute_not_exists(revokedAt)"

    def test_a_revocation_needs_its_time(self) -> None:
        with pytest.raises(AssertionError):
            store.save_revocation(Recorder(), store.api_key_from_item(KEY_ITEM), conflict_message="x")
