"""Branding: the logo, colour, links and domain the portal and invoice PDFs wear."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing import branding
from merchant_api import request
from merchant_api.models import Request

router = APIGatewayHttpRouter()
Url = Annotated[str, Field(examples=["https://example.com/support"])]


class BrandingUpdate(Request):
    """Each field is optional; null clears it (the accent colour goes back to its default)."""

    logo: Annotated[str, Field(description="data URI of a PNG, JPEG or SVG image, at most 256 KB")] | None = None
    accentColor: Annotated[str, Field(examples=["#635BFF"])] | None = None
    supportUrl: Url | None = None
    privacyUrl: Url | None = None
    termsUrl: Url | None = None
    portalDomain: Annotated[str, Field(examples=["billing.example.com"])] | None = None


@router.get("/v1/branding", summary="Retrieve the branding", tags=["Branding"])
def get_branding() -> dict[str, Any]:
    scope = request.scope(router)
    return branding.to_wire(branding.get_branding(scope), scope)


@router.post("/v1/branding", summary="Update the branding (partial)", tags=["Branding"])
def update_branding(body: Annotated[BrandingUpdate, Body()]) -> dict[str, Any]:
    scope = request.scope(router)
    item = branding.update_branding(scope, body.model_dump(exclude_unset=True, mode="json"))
    return branding.to_wire(item, scope)
