"""Issue 17 item 11: a card's fingerprint is keyed per account and mode, so it correlates nothing
across merchants, nor between a test-mode portal and live data; within one account and mode
equal numbers still match (what refuses a duplicate)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from billing.kernel.scope import Scope
from billing.payments import instruments, paymentmethods
from billing.store import keymaterial

MASTER = b"m" * 64
VISA = "4242424242424242"


@pytest.fixture(autouse=True)
def deployment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployment's master secret, as Secrets Manager would give it."""
    monkeypatch.setattr(keymaterial, "_master", lambda arn: MASTER)
    monkeypatch.setattr(keymaterial.config, "settings", lambda: SimpleNamespace(key_material_secret_arn="arn:test"))


def test_the_same_card_has_unrelated_fingerprints_in_two_accounts() -> None:
    one = paymentmethods.fingerprint(Scope("acct_one", "live"), "card", VISA)
    two = paymentmethods.fingerprint(Scope("acct_two", "live"), "card", VISA)
    assert one != two and len(one) == len(two) == 32


def test_test_and_live_mode_of_one_account_have_unrelated_fingerprints() -> None:
    test = paymentmethods.fingerprint(Scope("acct_one", "test"), "card", VISA)
    live = paymentmethods.fingerprint(Scope("acct_one", "live"), "card", VISA)
    assert test != live


def test_within_one_account_and_mode_equal_numbers_match_and_others_do_not() -> None:
    scope = Scope("acct_one", "test")
    assert paymentmethods.fingerprint(scope, "card", VISA) == paymentmethods.fingerprint(scope, "card", VISA)
    assert paymentmethods.fingerprint(scope, "card", VISA) != paymentmethods.fingerprint(
        scope, "card", "5555555555554444"
    )
    assert paymentmethods.fingerprint(scope, "card", VISA) != paymentmethods.fingerprint(scope, "sepa_debit", VISA)


def test_the_deployment_wide_fingerprint_is_no_longer_what_is_stored_or_shown() -> None:
    legacy = instruments.fingerprint(keymaterial.derive("fingerprint"), "card", VISA)
    for scope in (Scope("acct_one", "test"), Scope("acct_one", "live"), Scope("acct_two", "live")):
        assert paymentmethods.fingerprint(scope, "card", VISA) != legacy


def test_a_stored_fingerprint_can_be_rekeyed_without_the_number() -> None:
    # A method stored before keeps the deployment-wide value; keyed over it, it becomes the new one
    scope = Scope("acct_one", "live")
    legacy = instruments.fingerprint(keymaterial.derive("fingerprint"), "card", VISA)
    scope_key = keymaterial.derive("fingerprint", scope.account_id, scope.mode)
    assert instruments.scoped_fingerprint(scope_key, legacy) == paymentmethods.fingerprint(scope, "card", VISA)


def test_details_carry_the_legacy_value_to_check_but_the_scoped_one_to_store() -> None:
    scope = Scope("acct_one", "test")
    details, _ = paymentmethods.details_from_token(scope, "tok_visa", datetime(2026, 5, 30, tzinfo=UTC))
    assert details.fingerprint == paymentmethods.fingerprint(scope, "card", VISA)
    assert details.legacy_fingerprint == instruments.fingerprint(keymaterial.derive("fingerprint"), "card", VISA)


class TestDerivation:
    def test_keys_derived_without_a_context_are_unchanged(self) -> None:
        # (the cookie, hosted-link and gateway-secret keys must not move)
        assert keymaterial.derive("cookie") == keymaterial.hkdf_sha256(MASTER, b"cookie")

    def test_each_account_and_mode_gets_its_own_key(self) -> None:
        keys = {
            keymaterial.derive("fingerprint"),
            keymaterial.derive("fingerprint", "acct_1", "test"),
            keymaterial.derive("fingerprint", "acct_1", "live"),
            keymaterial.derive("fingerprint", "acct_2", "test"),
        }
        assert len(keys) == 4

    def test_contexts_cannot_be_spelled_two_ways(self) -> None:
        infos = {
            keymaterial.info_for("fingerprint", "acct_1", "test"),
            keymaterial.info_for("fingerprint", "acct_1t", "est"),
            keymaterial.info_for("fingerprint", "acct_1test"),
            keymaterial.info_for("fingerprint"),
        }
        assert len(infos) == 4
        with pytest.raises(ValueError):
            keymaterial.info_for("fingerprint\x00acct_1", "test")
