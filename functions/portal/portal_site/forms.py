"""Reading what a form (or a query) posts and saying what is wrong with it, the same on every page.

A field is read as text or not at all: a missing field, or a file where text is expected, is
None. A field that comes more than once counts by its last value. Messages are translated into
the page's language by the catalogs' gettext, which escapes and returns Markup (so a message is
never escaped twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from markupsafe import Markup
from starlette.requests import Request

from billing.portal.records import PortalSession
from portal_site import i18n
from portal_site.rendering import locale_of

Gettext = Callable[..., Markup]


class Fields(Protocol):
    """A form's or a query's fields (starlette's FormData and QueryParams)."""

    def getlist(self, key: Any) -> list[Any]: ...


def single(fields: Fields, name: str) -> str | None:
    """The field's value when it is text; the last one when it came more than once."""
    raw = fields.getlist(name)
    return raw[-1] if raw and isinstance(raw[-1], str) else None


def text(fields: Fields, name: str) -> str:
    """The field's value as text, '' when it is missing or not text."""
    return single(fields, name) or ""


def checked(fields: Fields, name: str) -> bool:
    """Whether a checkbox was ticked (a ticked box posts its value, an unticked one nothing)."""
    return single(fields, name) is not None


def gettext_for(request: Request, session: PortalSession | None) -> Gettext:
    """The gettext of the page's language (the session's, else the browser's)."""
    return i18n.gettext_for(locale_of(request, session))


def say(gettext: Gettext, message: str, **values: Any) -> Markup:
    """`message` in the page's language, its `%(name)s` filled with escaped `values`."""
    translated: Markup = gettext(message, **values)
    return translated


def translated(gettext: Gettext, messages: Mapping[str, str], errors: Mapping[str, str]) -> dict[str, Markup]:
    """Field → message code, as field → the code's message in the page's language."""
    return {field: say(gettext, messages[code]) for field, code in errors.items()}


def ordered(errors: Mapping[str, Markup], order: Iterable[str]) -> dict[str, Markup]:
    """Errors in the order the fields appear on the page (the summary follows the form); a field
    the order does not name comes last."""
    position = {field: n for n, field in enumerate(order)}
    return {field: errors[field] for field in sorted(errors, key=lambda f: position.get(f, len(position)))}
