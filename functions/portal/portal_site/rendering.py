"""Jinja2 pages (autoescaped) and what every page knows of the merchant's brand."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from billing import branding
from portal_site.security import page_csp

HERE = Path(__file__).parent
templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True))
DEFAULT_BRAND = branding.portal_snapshot({})


def brand_context(session: Mapping[str, Any] | None) -> dict[str, Any]:
    """The brand a page wears: the session's snapshot, or the plain VINR look without one."""
    if session is None:
        return {"brand": DEFAULT_BRAND, "merchant": None, "profile": {}, "logo_url": None, "return_url": None}
    brand = session.get("branding") or DEFAULT_BRAND
    logo_url = None
    if brand.get("logoHash"):
        logo_url = f"/assets/logo/{session['account']}/{session['mode']}/{brand['logoHash']}"
    return {
        "brand": brand,
        "merchant": session.get("merchantName"),
        "profile": (session.get("configuration") or {}).get("businessProfile") or {},
        "logo_url": logo_url,
        "return_url": session.get("returnUrl"),
    }


def page(
    request: Request,
    name: str,
    session: Mapping[str, Any] | None,
    *,
    status: int = 200,
    script: str | None = None,
    form_redirect_to: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Renders `name`; a page with `script` allows exactly that inline script by its hash,
    and one whose form redirects off the portal names that origin in `form-action`."""
    headers = None
    if script is not None or form_redirect_to is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() if script else None
        headers = {"content-security-policy": page_csp(script_sha256=digest, form_redirect_to=form_redirect_to)}
    return templates.TemplateResponse(
        request,
        name,
        {**brand_context(session), "script": script, **context},
        status_code=status,
        headers=headers,
    )
