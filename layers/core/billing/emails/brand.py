"""An email's brand, from the account's name, its branding for the mode and its reply-to address."""

from __future__ import annotations

from billing.accounts import brandreads
from billing.accounts.records import Account, Branding
from billing.emails.layout import Brand
from billing.emails.records import EmailSettings
from billing.kernel import config
from billing.kernel.scope import Scope


def portal_base(brand: Branding) -> str:
    """Where the account's portal answers: its custom domain, else the platform's portal."""
    return f"https://{brand.portal_domain}" if brand.portal_domain else config.settings().portal_base_url


def logo_url(scope: Scope, brand: Branding) -> str | None:
    """The portal's cacheable logo asset (mail clients do not show data: URIs)."""
    digest = brandreads.logo_hash(brand)
    if digest is None:
        return None
    return f"{portal_base(brand)}/assets/logo/{scope.account_id}/{scope.mode}/{digest}"


def of(scope: Scope, account: Account, brand: Branding, settings: EmailSettings) -> Brand:
    return Brand(
        merchant=account.name,
        accent=brand.accent_color,
        text_on_accent=brandreads.text_color_for(brand.accent_color),
        logo_url=logo_url(scope, brand),
        support_url=brand.support_url,
        support_email=settings.reply_to,
        terms_url=brand.terms_url,
        privacy_url=brand.privacy_url,
    )
