"""Reading a branding, without what writing one checks (logos, URLs, domains: `branding`): the
stored branding or the defaults, its logo's asset name, and the text colour its accent takes.

The mailer and the hosted invoice link import this module alone: every email wears the brand,
none changes it, and `branding`'s validation (with `domains`) is more code than every email's
reads together.
"""

from __future__ import annotations

import hashlib
import re

from billing.accounts import store as account_store
from billing.accounts.records import Branding
from billing.kernel.scope import Scope
from billing.store.repository import Table

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}\Z")


def get_branding(scope: Scope, *, table: Table) -> Branding:
    """The stored branding, or the defaults (not written) when the merchant has none."""
    return account_store.get_branding(table, scope) or Branding()


def logo_hash(branding: Branding) -> str | None:
    """16 hex characters of the logo data URI's SHA-256: a cache-busting asset name."""
    logo = branding.logo
    return hashlib.sha256(logo.encode()).hexdigest()[:16] if logo else None


# ------------------------------------------------------------------ colours (WCAG 2.x)
def is_hex_color(value: str) -> bool:
    """Whether `value` is a colour written `#RRGGBB`."""
    return _HEX.match(value) is not None


def _rgb(color: str) -> tuple[int, int, int]:
    if not is_hex_color(color):
        raise ValueError(f"not a #RRGGBB colour: {color!r}")
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def relative_luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two `#RRGGBB` colours: 1 (none) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def text_color_for(accent: str) -> str:
    """White or black, whichever reads better on `accent` (white on a tie)."""
    white, black = contrast_ratio(accent, "#FFFFFF"), contrast_ratio(accent, "#000000")
    return "#FFFFFF" if white >= black else "#000000"
