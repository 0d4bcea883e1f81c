"""Metadata, the merchant's own key-value pairs on an object, changed by Stripe's rule."""

from __future__ import annotations

from collections.abc import Mapping

from billing.kernel.errors import InvalidRequest

MAX_KEYS = 50


def merge_metadata(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """Stripe's rule: keys merge; a key set to "" or null is removed."""
    merged = dict(current)
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    if len(merged) > MAX_KEYS:
        raise InvalidRequest(f"metadata holds at most {MAX_KEYS} keys.", param="metadata")
    return merged
