"""The sign-in by code's rules that need no table: addresses, codes and their keyed hashes, which
code attempt signs whom in, and which of several customers sharing an address is chosen (no I/O:
the deploy-time secret is a fixed one here)."""

from __future__ import annotations

from typing import Any

import pytest

from billing.customers.records import Customer
from billing.kernel.errors import Conflict
from billing.kernel.ids import sortable_id
from billing.kernel.scope import Scope
from billing.portal import signin, store
from billing.store import keymaterial

SCOPE = Scope("acct_1", "test")
NOW_MS = 1_780_000_000_000


@pytest.fixture(autouse=True)
def fixed_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    master = b"m" * 64
    monkeypatch.setattr(keymaterial, "derive", lambda purpose: keymaterial.hkdf_sha256(master, purpose.encode()))


def customer(at_ms: int) -> Customer:
    return Customer(id=sortable_id("cus", at_ms=at_ms), email="ada@example.com", created_at="2026-01-01T00:00:00Z")


class TestCodes:
    def test_a_code_is_six_digits_with_its_leading_zeros(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(signin.secrets, "randbelow", lambda bound: 42 if bound == 1_000_000 else -1)
        assert signin.new_code() == "000042"

    def test_codes_are_drawn_from_the_whole_range(self) -> None:
        codes = {signin.new_code() for _ in range(200)}
        assert all(len(c) == 6 and c.isdigit() for c in codes)
        assert len(codes) > 190  # a million values: 200 draws all but never repeat

    @pytest.mark.parametrize("code", ["000000", "123456", "999999"])
    def test_six_ascii_digits_are_well_formed(self, code: str) -> None:
        assert signin.well_formed(code)

    @pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "12 345", "١٢٣٤٥٦", "１２３４５６"])
    def test_anything_else_is_not(self, code: str) -> None:
        assert not signin.well_formed(code)


class TestAddresses:
    @pytest.mark.parametrize(
        ("typed", "kept"),
        [("ada@example.com", "ada@example.com"), ("  Ada@Example.com\n", "Ada@Example.com"), ("a@b.co", "a@b.co")],
    )
    def test_an_address_is_kept_as_typed_once_trimmed(self, typed: str, kept: str) -> None:
        assert signin.normalise_email(typed) == kept

    @pytest.mark.parametrize(
        "typed",
        ["", "ada", "ada@", "@example.com", "ada@localhost", "ada lovelace@example.com", "a@" + "b" * 250 + ".com"],
    )
    def test_what_cannot_be_an_address_is_refused(self, typed: str) -> None:
        assert signin.normalise_email(typed) is None


class TestKeyedHashes:
    def test_an_address_key_ignores_case_and_does_not_hold_the_address(self) -> None:
        key = signin.email_key(SCOPE, "Ada@Example.com")
        assert key == signin.email_key(SCOPE, "ada@example.com")
        assert "ada" not in key.lower() and len(key) == 64

    def test_an_address_key_is_the_accounts_and_modes_own(self) -> None:
        keys = {
            signin.email_key(SCOPE, "ada@example.com"),
            signin.email_key(Scope("acct_2", "test"), "ada@example.com"),
            signin.email_key(Scope("acct_1", "live"), "ada@example.com"),
            signin.email_key(SCOPE, "bob@example.com"),
        }
        assert len(keys) == 4

    def test_a_code_hash_depends_on_the_code_the_address_and_the_scope(self) -> None:
        ada, bob = signin.email_key(SCOPE, "ada@example.com"), signin.email_key(SCOPE, "bob@example.com")
        hashed = signin.code_hash(SCOPE, ada, "123456")
        assert hashed == signin.code_hash(SCOPE, ada, "123456")
        assert "123456" not in hashed
        others = {
            signin.code_hash(SCOPE, ada, "123457"),
            signin.code_hash(SCOPE, bob, "123456"),
            signin.code_hash(Scope("acct_1", "live"), ada, "123456"),
        }
        assert hashed not in others and len(others) == 3

    def test_a_code_hash_needs_the_secret(self, monkeypatch: pytest.MonkeyPatch) -> None:
        ada = signin.email_key(SCOPE, "ada@example.com")
        hashed = signin.code_hash(SCOPE, ada, "123456")
        monkeypatch.setattr(keymaterial, "derive", lambda purpose: keymaterial.hkdf_sha256(b"o" * 64, purpose.encode()))
        assert signin.code_hash(SCOPE, ada, "123456") != hashed

    def test_a_clients_bucket_does_not_hold_its_ip_address(self) -> None:
        bucket = signin.client_bucket("203.0.113.7")
        assert bucket == signin.client_bucket("203.0.113.7") != signin.client_bucket("203.0.113.8")
        assert bucket.startswith("SIGNINIP#") and "203" not in bucket
        assert signin.client_bucket(None) == signin.client_bucket(None)


class TestAttempts:
    def stored(self, code: str, customer: str | None = "cus_1") -> dict[str, Any]:
        item: dict[str, Any] = {"codeHash": signin.code_hash(SCOPE, "k", code), "attempts": 1}
        if customer is not None:
            item["customer"] = customer
        return item

    def test_the_right_code_signs_its_customer_in(self) -> None:
        assert signin.customer_signed_in(self.stored("123456"), signin.code_hash(SCOPE, "k", "123456")) == "cus_1"

    def test_another_code_signs_nobody_in(self) -> None:
        assert signin.customer_signed_in(self.stored("123456"), signin.code_hash(SCOPE, "k", "654321")) is None

    def test_the_code_of_an_address_nobody_has_signs_nobody_in(self) -> None:
        unknown = self.stored("123456", customer=None)
        assert signin.customer_signed_in(unknown, signin.code_hash(SCOPE, "k", "123456")) is None

    def test_each_attempt_is_counted_only_while_the_code_lives_and_has_attempts_left(self) -> None:
        table = RecordingTable({"attempts": 1})
        found = store.spend_code_attempt(table, SCOPE, "k", now=100, max_attempts=signin.MAX_ATTEMPTS)  # type: ignore[arg-type]
        assert found == {"attempts": 1}
        (call,) = table.calls
        assert call["expression"] == "ADD attempts :one"
        assert call["condition"] == "attribute_exists(pk) AND attempts < :max AND expiresAt > :now"
        assert call["values"] == {":one": 1, ":max": 5, ":now": 100}

    def test_no_attempt_left_is_no_code_to_try(self) -> None:
        assert store.spend_code_attempt(RecordingTable(None), SCOPE, "k", now=100, max_attempts=5) is None  # type: ignore[arg-type]


class RecordingTable:
    """Answers `update` with the item as updated, or a Conflict (the condition failed)."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def update(self, pk: str, sk: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"pk": pk, "sk": sk, **kwargs})
        if self.answer is None:
            raise Conflict("condition failed")
        return self.answer


class TestMostRecentlyActive:
    def test_one_customer_is_chosen_without_a_lookup(self) -> None:
        only = customer(NOW_MS)

        def no_lookup(customer_id: str) -> str | None:
            raise AssertionError("looked up")

        assert signin.most_recently_active([only], no_lookup) == only

    def test_the_newest_event_wins_over_a_newer_customer(self) -> None:
        older, newer = customer(NOW_MS - 60_000), customer(NOW_MS - 30_000)
        events = {older.id: sortable_id("evt", at_ms=NOW_MS), newer.id: sortable_id("evt", at_ms=NOW_MS - 29_000)}
        assert signin.most_recently_active([newer, older], events.get) == older

    def test_without_events_the_newest_customer(self) -> None:
        older, newer = customer(NOW_MS - 60_000), customer(NOW_MS - 30_000)
        assert signin.most_recently_active([older, newer], lambda _: None) == newer

    def test_an_old_event_does_not_beat_a_newer_customers_creation(self) -> None:
        older, newer = customer(NOW_MS - 60_000), customer(NOW_MS - 30_000)
        events = {older.id: sortable_id("evt", at_ms=NOW_MS - 50_000)}
        assert signin.most_recently_active([older, newer], events.get) == newer
