"""Branding: the logo, colour, links and domain the portal and invoice PDFs wear."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.accounts import branding, domains, livesettings
from merchant_api import request
from merchant_api.models import Request, any_case
from merchant_api.responses import ok

router = APIGatewayHttpRouter()
# The shapes the service checks (it names the field and says what is wrong): the schema states
# them, the service checks the rest (the image's bytes, the SVG's content, a URL's host and port).
# An https URL: a host, no user name or password, no spaces.
URL_PATTERN = rf"^{any_case('https')}://[^\s/?#@]+(?:[/?#]\S*)?$"
Url = Annotated[
    str,
    Field(
        examples=["https://example.com/support"],
        description="an https URL",
        json_schema_extra={"maxLength": branding.MAX_URL_CHARS, "pattern": URL_PATTERN},
    ),
]
# a 1×1 PNG
PNG_EXAMPLE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
LOGO_PATTERN = f"^{any_case('data:image/')}(?:{any_case('png')}|{any_case('jpeg')}|{any_case('svg+xml')})[;,]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN_PATTERN = rf"^(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}$"  # a host name, not an IP address


class BrandingUpdate(Request):
    """Each field is optional; null clears it (the accent colour goes back to its default)."""

    logo: (
        Annotated[
            str,
            Field(
                description=(
                    "data URI of a PNG, JPEG or SVG image (base64; an SVG also as text), at most 256 KB; "
                    f"a PNG or JPEG of at most {branding.MAX_LOGO_PIXELS:,} pixels; an SVG that, with its <use> "
                    "references resolved, draws a bounded number of elements at a bounded depth (a 400 names the bound)"
                ),
                examples=[PNG_EXAMPLE],
                json_schema_extra={"maxLength": branding.MAX_LOGO_CHARS, "pattern": LOGO_PATTERN},
            ),
        ]
        | None
    ) = None
    accentColor: (
        Annotated[str, Field(examples=["#635BFF"], json_schema_extra={"pattern": "^#[0-9A-Fa-f]{6}$"})] | None
    ) = None
    supportUrl: Url | None = None
    privacyUrl: Url | None = None
    termsUrl: Url | None = None
    portalDomain: (
        Annotated[
            str,
            Field(
                examples=["billing.example.com"],
                description=(
                    "a host name (no scheme, port, path or IP address); live key only; used once verified "
                    "(POST /v1/branding/portal_domain/verify)"
                ),
                json_schema_extra={"maxLength": branding.MAX_DOMAIN_CHARS, "pattern": DOMAIN_PATTERN},
            ),
        ]
        | None
    ) = None


@router.get("/v1/branding", summary="Retrieve the branding", tags=["Branding"], responses=ok("Branding"))
def get_branding() -> dict[str, Any]:
    scope = request.scope(router)
    return branding.to_wire(branding.get_branding(scope, table=request.table(router)), scope)


@router.post("/v1/branding", summary="Update the branding (partial)", tags=["Branding"], responses=ok("Branding"))
def update_branding(body: Annotated[BrandingUpdate, Body()]) -> dict[str, Any]:
    scope = request.scope(router)
    updated = branding.update_branding(
        scope, body.model_dump(exclude_unset=True, mode="json"), table=request.table(router)
    )
    return branding.to_wire(updated, scope)


@router.post(
    "/v1/branding/portal_domain/verify",
    summary="Verify the portal domain's DNS TXT record",
    tags=["Branding"],
    responses=ok("Branding"),
)
def verify_portal_domain() -> dict[str, Any]:
    """Looks up the TXT record `portalDomainRecord` names; once it holds the value, the portal,
    its links and emails use the domain. A 400 `portal_domain_unverified` says what was found."""
    scope = request.scope(router)
    livesettings.require_live_key(["portalDomain"], livemode=scope.livemode, live_facing=livesettings.BRANDING)
    verified = domains.verify(scope, table=request.table(router))
    return branding.to_wire(verified, scope)
