"""Which settings need a live key (billing.accounts.livesettings)."""

from __future__ import annotations

import pytest

from billing.accounts import livesettings
from billing.kernel.errors import PermissionDenied


def test_a_live_key_changes_anything() -> None:
    livesettings.require_live_key(livesettings.ACCOUNT, livemode=True, live_facing=livesettings.ACCOUNT)


def test_a_test_key_is_refused_naming_the_first_live_facing_field_and_listing_the_others() -> None:
    with pytest.raises(PermissionDenied) as caught:
        livesettings.require_live_key(
            ["defaultCurrency", "taxId", "legalName"], livemode=False, live_facing=livesettings.ACCOUNT
        )
    error = caught.value
    assert (error.status, error.code, error.param) == (403, "live_key_required", "legalName")
    assert "(as do taxId)" in error.message and "live secret key" in error.message


def test_a_test_key_keeps_the_settings_nothing_live_reads() -> None:
    livesettings.require_live_key(["defaultCurrency"], livemode=False, live_facing=livesettings.ACCOUNT)
    livesettings.require_live_key(
        ["logo", "accentColor", "supportUrl"], livemode=False, live_facing=livesettings.BRANDING
    )


def test_every_account_field_is_live_facing_but_the_currency() -> None:
    from billing.accounts.accounts import ACCOUNT_FIELDS

    assert set(ACCOUNT_FIELDS) - set(livesettings.ACCOUNT) == {"defaultCurrency"}


def test_every_dunning_and_email_setting_is_live_facing() -> None:
    from billing.accounts.accounts import DUNNING_FIELDS
    from billing.emails.emailsettings import FIELDS as EMAIL_FIELDS

    assert set(livesettings.DUNNING) == set(DUNNING_FIELDS)
    assert set(livesettings.EMAILS) == set(EMAIL_FIELDS)


@pytest.mark.parametrize(
    ("field", "live_facing", "reach"),
    [
        ("taxId", livesettings.ACCOUNT, "live invoices"),
        ("retryDays", livesettings.DUNNING, "live renewals"),
        ("replyTo", livesettings.EMAILS, "emails live customers get"),
    ],
)
def test_the_refusal_says_what_live_customers_meet_of_the_field(
    field: str, live_facing: tuple[str, ...], reach: str
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        livesettings.require_live_key([field], livemode=False, live_facing=live_facing)
    assert caught.value.message.startswith(f"{field} ") and reach in caught.value.message
