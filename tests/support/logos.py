"""Branding test data: small logos as data URIs, made in memory, and the default wire object."""

from __future__ import annotations

import base64
import io


def data_uri(mime: str, raw: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def png_bytes(width: int = 40, height: int = 20, color: tuple[int, int, int] = (11, 110, 79)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(width: int = 40, height: int = 20) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(out, "JPEG")
    return out.getvalue()


SIMPLE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50" width="200" height="50">'
    b'<rect width="200" height="50" rx="8" fill="#C2185B"/><circle cx="25" cy="25" r="15" fill="#fff"/></svg>'
)

DEFAULT_BRANDING_WIRE = {
    "object": "branding",
    "logo": None,
    "accentColor": "#635BFF",
    "textColor": "#FFFFFF",
    "supportUrl": None,
    "privacyUrl": None,
    "termsUrl": None,
    "portalDomain": None,
    "portalDomainStatus": None,
    "portalDomainRecord": None,
    "livemode": False,
    "updatedAt": None,
}
