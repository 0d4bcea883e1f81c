"""Branding: the logo, accent colour, links and portal domain that the portal and invoice PDFs wear.

One per account and mode (stored by `billing.accounts.store`). Until the merchant writes one,
reads answer the defaults, `Branding()` (nothing is written).

The logo is stored inline as a data URI (PNG, JPEG or SVG) of at most 256 KB (262,144
characters). Inline, because it is small and read with the branding in one GetItem; capped
at 256 KB because a DynamoDB item holds at most 400 KB, and a portal session keeps a snapshot
of the branding next to its own fields: 256 KB leaves the rest room to spare. (The session
snapshot itself carries only `logoHash`/`logoType`, never the bytes.)

SVG logos are untrusted markup shown to customers: `billing.accounts.svglogo` parses them with defusedxml (no DTD,
no entities, no external references) and rebuilt from an allowlist of drawing elements,
without scripts, event handlers, foreign objects, style sheets, images, links or animation,
and with only local (`#…`) references. What is stored is that sanitised SVG, re-encoded as
a base64 data URI; an SVG with nothing drawable left is refused.

A logo is also bounded in what it expands to, because every invoice PDF draws it: an SVG in
the elements it draws and the depth it nests once its `<use>` and `url(#…)` references are
resolved (`svglogo.MAX_DRAWN_ELEMENTS`, `MAX_SVG_DEPTH`), a PNG or JPEG in the pixels its header
states (MAX_LOGO_PIXELS, read without decoding). `billing.invoicing.pdflogo` prepares it for PDFs.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from msgspec.structs import replace

from billing.accounts import domains, livesettings
from billing.accounts import store as account_store
from billing.accounts.brandreads import get_branding, is_hex_color, logo_hash, text_color_for
from billing.accounts.records import DEFAULT_ACCENT, Branding
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.store.repository import Table

MAX_LOGO_CHARS = 262_144  # the whole data URI; see the module docstring
# A PNG or JPEG of a few KB can claim a canvas of any size, and decoding it takes 4 bytes a
# pixel: 4 megapixels (2000 × 2000, 16 MB decoded) is far more than a logo is shown at.
MAX_LOGO_PIXELS = 4_000_000
MAX_URL_CHARS = 2048
MAX_DOMAIN_CHARS = 253
URL_FIELDS = ("supportUrl", "privacyUrl", "termsUrl")
# The wire fields a merchant sets, and the record's name for each.
RECORD_FIELDS = {
    "logo": "logo",
    "accentColor": "accent_color",
    "supportUrl": "support_url",
    "privacyUrl": "privacy_url",
    "termsUrl": "terms_url",
    "portalDomain": "domain",
}
FIELDS = tuple(RECORD_FIELDS)
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_DATA_URI = re.compile(r"^data:(?P<mime>[a-z]+/[a-z0-9.+-]+)(?P<params>(?:;[a-z0-9=.-]+)*),(?P<data>.*)\Z", re.S | re.I)
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}


# ------------------------------------------------------------------ service
def update_branding(scope: Scope, fields: Mapping[str, Any], *, table: Table) -> Branding:
    """A partial update (wire names); a field set to null clears it (the accent back to the default)."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidRequest(f"Received unknown parameter: {unknown[0]}.", param=unknown[0])
    changes = {RECORD_FIELDS[name]: validate_field(name, value) for name, value in fields.items()}
    livesettings.require_live_key(fields, livemode=scope.livemode, live_facing=livesettings.BRANDING)
    current = get_branding(scope, table=table)
    # (a domain stored before verification existed has no token: setting it again gives it one)
    changes = {
        k: v
        for k, v in changes.items()
        if getattr(current, k) != v or (k == "domain" and v and not current.domain_token)
    }
    if not changes:
        return current
    after = replace(current, **changes, updated_at=clock.to_wire(clock.now()), version=current.version + 1)
    if "domain" in changes:  # with its claim, in one transaction
        return domains.save_change(table, scope, current, after)
    return account_store.save_branding(
        table, scope, current, after, conflict_message="The branding was changed by another request; retry."
    )


def validate_field(name: str, value: Any) -> Any:
    """The value to store for one wire field, or InvalidRequest naming it."""
    if value is None:
        return DEFAULT_ACCENT if name == "accentColor" else None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string or null.", param=name)
    if name == "logo":
        return validate_logo(value)
    if name == "accentColor":
        return validate_color(value, param=name)
    if name == "portalDomain":
        return validate_domain(value)
    if name in URL_FIELDS:
        return validate_https_url(value, param=name)
    raise InvalidRequest(f"Received unknown parameter: {name}.", param=name)


def _colors_and_links(branding: Branding) -> dict[str, Any]:
    accent = branding.accent_color
    return {
        "accentColor": accent,
        "textColor": text_color_for(accent),
        "supportUrl": branding.support_url,
        "privacyUrl": branding.privacy_url,
        "termsUrl": branding.terms_url,
        "portalDomain": branding.portal_domain,  # only once verified (`billing.accounts.domains`)
    }


def to_wire(branding: Branding, scope: Scope) -> dict[str, Any]:
    return {
        "object": "branding",
        "logo": branding.logo,
        **_colors_and_links(branding),
        **domains.to_wire(branding),
        "livemode": scope.livemode,
        "updatedAt": branding.updated_at,
    }


def portal_snapshot(branding: Branding) -> dict[str, Any]:
    """What a portal session keeps at mint time: everything but the logo's bytes."""
    content = logo_content(branding)
    return {**_colors_and_links(branding), "logoHash": logo_hash(branding), "logoType": content[0] if content else None}


def logo_content(branding: Branding) -> tuple[str, bytes] | None:
    """The stored logo's MIME type and bytes (None without a logo, or one that cannot be read)."""
    logo = branding.logo
    if not logo:
        return None
    match = _DATA_URI.match(logo)
    if not match or match["mime"] not in LOGO_TYPES or ";base64" not in match["params"]:
        return None
    try:
        return match["mime"], base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        return None


# ------------------------------------------------------------------ colours
def validate_color(value: str, *, param: str) -> str:
    if not is_hex_color(value):
        raise InvalidRequest(f"{param} must be a colour written #RRGGBB, like {DEFAULT_ACCENT}.", param=param)
    return value.upper()


# ------------------------------------------------------------------ URLs and domains
def validate_https_url(value: str, *, param: str) -> str:
    if len(value) > MAX_URL_CHARS:
        raise InvalidRequest(f"{param} is longer than {MAX_URL_CHARS} characters.", param=param)
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise InvalidRequest(f"{param} must not contain spaces or control characters.", param=param)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise InvalidRequest(f"{param} is not a valid URL.", param=param) from None
    if parts.scheme.lower() != "https":
        raise InvalidRequest(f"{param} must be an https:// URL.", param=param)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidRequest(f"{param} must not contain a user name or password.", param=param)
    if not parts.hostname:
        raise InvalidRequest(f"{param} needs a host name.", param=param)
    return value


def validate_domain(value: str) -> str:
    """A DNS host name such as `billing.example.com`: no scheme, port, path or IP address."""
    host = value.lower()
    problem = None
    if len(host) > MAX_DOMAIN_CHARS:
        problem = f"is longer than {MAX_DOMAIN_CHARS} characters"
    elif any(ch in host for ch in "/:@?#[] \t"):
        problem = "must be a bare host name, without scheme, port or path"
    else:
        labels = host.split(".")
        if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
            problem = "must be a host name like billing.example.com"
        elif labels[-1].isdigit():
            problem = "must be a host name, not an IP address"
    if problem:
        raise InvalidRequest(f"portalDomain {problem}.", param="portalDomain")
    return host


# ------------------------------------------------------------------ logos
def _logo_error(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="logo")


def validate_logo(value: str) -> str:
    """The data URI to store: a checked PNG or JPEG as given, or an SVG sanitised and re-encoded."""
    if len(value) > MAX_LOGO_CHARS:
        raise _logo_error(f"logo is larger than 256 KB ({MAX_LOGO_CHARS} characters as a data URI).")
    match = _DATA_URI.match(value)
    if not match:
        raise _logo_error("logo must be a data URI of a PNG, JPEG or SVG image (data:image/png;base64,…).")
    mime, params, data = match["mime"].lower(), match["params"].lower().split(";")[1:], match["data"]
    if mime not in LOGO_TYPES:
        raise _logo_error("logo must be a data URI of a PNG, JPEG or SVG image (data:image/png;base64,…).")
    if "base64" in params:
        raw = _strict_base64(data)
    elif mime == "image/svg+xml" and set(params) <= {"utf8", "charset=utf-8", "charset=utf8"}:
        raw = unquote_to_bytes(data)
    else:
        raise _logo_error("logo must be base64-encoded (data:image/png;base64,…).")
    if not raw:
        raise _logo_error("logo is empty.")
    if mime == "image/svg+xml":
        from billing.accounts import svglogo  # xml.etree and defusedxml load only for an SVG logo

        uri = "data:image/svg+xml;base64," + base64.b64encode(svglogo.sanitize_svg(raw)).decode()
        if len(uri) > MAX_LOGO_CHARS:
            raise _logo_error("logo is larger than 256 KB once base64-encoded.")
        return uri
    if not raw.startswith(_MAGIC[mime]):
        raise _logo_error(f"logo's bytes are not a {mime.split('/')[1].upper()} image.")
    _check_pixels(raw, mime)
    return f"data:{mime};base64,{data}"


def raster_pixels(raw: bytes) -> int:
    """Width × height as a PNG, JPEG or WebP states it in its header: Pillow opens an image
    lazily (it reads the header, not the pixels). ValueError when the header cannot be read."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                return int(image.width) * int(image.height)
        except Image.DecompressionBombError:
            return 2 * (Image.MAX_IMAGE_PIXELS or 0) + 1  # Pillow's own refusal: more than it will open
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise ValueError("unreadable image header") from error


def _check_pixels(raw: bytes, mime: str) -> None:
    try:
        pixels = raster_pixels(raw)
    except ValueError:
        raise _logo_error(f"logo's bytes are not a readable {mime.split('/')[1].upper()} image.") from None
    if pixels > MAX_LOGO_PIXELS:
        raise _logo_error(f"logo has {pixels:,} pixels; at most {MAX_LOGO_PIXELS:,} (such as 2000 × 2000) are taken.")


def _strict_base64(data: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _logo_error("logo's base64 data is not valid.") from None
    if base64.b64encode(raw).decode() != data:
        raise _logo_error("logo's base64 data is not valid (not canonical).")
    return raw
