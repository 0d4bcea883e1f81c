"""The portal's languages: English and gettext catalogs for German, French and Spanish.

Catalogs are `locales/<lang>/<part>.po`, one file per part of the portal, so each part keeps its
own strings; a language's parts are merged when first used. `_("…", name=value)` translates,
then fills `%(name)s` with escaped values (Jinja2 autoescaping stays whole). Money and dates
are formatted by Babel in the same locale.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape

from billing.kernel import formatting

LOCALES = ("en", "de", "fr", "es")
DEFAULT = "en"
CATALOGS = Path(__file__).parent / "locales"


def negotiate(session_locale: str | None, accept_language: str | None) -> str:
    """The session's locale when it names one we have, else the browser's best, else English."""
    if session_locale and session_locale != "auto":
        language = session_locale.split("-")[0].lower()
        if language in LOCALES:
            return language
    preferred = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.strip().replace("_", "-")))
    preferred.sort(key=lambda pair: -pair[0])
    try:
        found = Locale.negotiate([tag for _, tag in preferred], list(LOCALES), sep="-")
    except (ValueError, UnknownLocaleError):
        found = None
    return str(found.language) if found else DEFAULT


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """The merged catalogs of `locale` (English is the source language: no catalog)."""
    if locale == DEFAULT or locale not in LOCALES:
        return NullTranslations()
    # Babel's catalog tools, imported for the first page in a language other than English.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    merged: Translations | None = None
    for path in sorted((CATALOGS / locale).glob("*.po")):
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(compiled)
        merged = part if merged is None else merged.merge(part)
    return merged or NullTranslations()


def gettext_for(locale: str) -> Callable[..., Markup]:
    catalog = translations(locale)

    def gettext(message: str, **values: Any) -> Markup:
        text = Markup(escape(catalog.gettext(message)))  # noqa: S704 - escaped, then marked safe
        return text % {k: escape(v) for k, v in values.items()} if values else text

    return gettext


@lru_cache(maxsize=len(LOCALES))
def country_names(locale: str) -> dict[str, str]:
    """ISO 3166 country codes and their names in `locale`."""
    return {code: name for code, name in Locale.parse(locale).territories.items() if len(code) == 2 and code.isalpha()}


def template_helpers(locale: str) -> dict[str, Any]:
    """What every page gets: `_`, `money`, `day`, `country` and the locale."""
    return {
        "_": gettext_for(locale),
        "locale": locale,
        "country": lambda code: country_names(locale).get(str(code or "").upper(), code),
        "money": lambda amount, currency: formatting.money(int(amount), currency, locale),
        "day": lambda wire: formatting.day(wire, locale),
    }
