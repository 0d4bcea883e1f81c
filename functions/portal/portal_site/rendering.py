"""Jinja2 pages (autoescaped) and what every page knows of the merchant's brand."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from billing.accounts import branding
from billing.accounts.records import Branding
from billing.portal.records import PortalSession
from portal_site import i18n
from portal_site.security import page_csp

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

HERE = Path(__file__).parent
DEFAULT_BRAND = branding.portal_snapshot(Branding())


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The pages' Jinja2 environment, made on the first page rendered (a redirect, an asset or
    the health check never loads Jinja2)."""
    import jinja2
    from starlette.templating import Jinja2Templates

    return Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True))


def brand_context(session: PortalSession | None) -> dict[str, Any]:
    """The brand a page wears: the session's snapshot, or the plain VINR look without one."""
    if session is None:
        return {"brand": DEFAULT_BRAND, "merchant": None, "profile": {}, "logo_url": None, "return_url": None}
    brand = session.branding or DEFAULT_BRAND
    logo_url = None
    if brand.get("logoHash"):
        logo_url = f"/assets/logo/{session.account}/{session.mode}/{brand['logoHash']}"
    return {
        "brand": brand,
        "merchant": session.merchant_name,
        "profile": session.business_profile,
        "logo_url": logo_url,
        "return_url": session.return_url,
    }


def N_(text: str) -> str:
    """Marks a string for the catalogs; the page translates it where it shows it."""
    return text


def navigation(session: PortalSession | None, signed_in: bool) -> list[tuple[str, str]]:
    """(path, label) of the parts of the portal this session's configuration offers."""
    if not signed_in or session is None:
        return []
    features = session.features
    items = [("/", N_("Overview"))]
    for feature, path, label in (
        ("paymentMethodUpdate", "/payment-methods", N_("Payment methods")),
        ("invoiceHistory", "/invoices", N_("Invoices")),
        ("customerUpdate", "/billing-details", N_("Billing details")),
    ):
        if (features.get(feature) or {}).get("enabled"):
            items.append((path, label))
    return items


def page(
    request: Request,
    name: str,
    session: PortalSession | None,
    *,
    status: int = 200,
    script: str | None = None,
    form_redirect_to: str | None = None,
    signed_in: bool = False,
    **context: Any,
) -> HTMLResponse:
    """Renders `name` in the session's language; a page with `script` allows exactly that
    inline script by its hash, and one whose form redirects off the portal (to the merchant)
    names that origin in `form-action`. Signed-in pages get the navigation."""
    headers = None
    if script is not None or form_redirect_to is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() if script else None
        headers = {"content-security-policy": page_csp(script_sha256=digest, form_redirect_to=form_redirect_to)}
    return templates().TemplateResponse(
        request,
        name,
        {
            **brand_context(session),
            **i18n.template_helpers(locale_of(request, session)),
            "nav": navigation(session, signed_in),
            "current_path": request.url.path,
            "script": script,
            **context,
        },
        status_code=status,
        headers=headers,
    )


def locale_of(request: Request, session: PortalSession | None) -> str:
    return i18n.negotiate(session.locale if session else None, request.headers.get("accept-language"))
