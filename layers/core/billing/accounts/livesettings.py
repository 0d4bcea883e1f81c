"""Settings that live documents, live sessions and live customers' renewals and emails show need
a live key to change.

The account (its name, legal name, country, address and tax ID on every invoice, its session
length for every portal session, its dunning schedule for every live renewal, its email settings
for every live customer's email) is one record for both modes, and the portal domain is where
live customers go: a test key, which a merchant hands to developers and CI, changes none of
them. What is kept per mode (the test branding, test objects) and what nothing live reads
(`defaultCurrency`) stays writable with a test key.
"""

from __future__ import annotations

from collections.abc import Iterable

from billing.kernel.errors import PermissionDenied

ACCOUNT = ("name", "legalName", "country", "address", "taxId", "defaultSessionMinutes")
BRANDING = ("portalDomain",)
DUNNING = ("retryDays", "afterRetries")
EMAILS = ("receipt", "paymentFailed", "actionRequired", "subscriptionCanceled", "replyTo")

# What live customers meet of each field, for the refusal's message.
_REACH = {
    **dict.fromkeys(ACCOUNT, "shows on live invoices and portal sessions"),
    **dict.fromkeys(BRANDING, "is where live customers open the portal"),
    **dict.fromkeys(DUNNING, "sets how live renewals are retried and end"),
    **dict.fromkeys(EMAILS, "sets the emails live customers get"),
}


def require_live_key(fields: Iterable[str], *, livemode: bool, live_facing: Iterable[str]) -> None:
    """PermissionDenied (403 `live_key_required`) naming the first live-facing field a test key sends."""
    if livemode:
        return
    sent = set(fields)
    named = [field for field in live_facing if field in sent]
    if named:
        raise PermissionDenied(
            f"{named[0]} {_REACH.get(named[0], 'reaches live customers')}: changing it needs a live secret key "
            f"(sk_live_…), not a test key{_others(named[1:])}.",
            param=named[0],
            code="live_key_required",
        )


def _others(fields: list[str]) -> str:
    return f" (as do {', '.join(fields)})" if fields else ""
