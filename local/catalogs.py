"""The translation catalogs: the portal's, one `.po` file per template (or Python module) and
language, and the billing core's invoice catalog (`layers/core/billing/invoicing/locales/<lang>/
invoice.po`: the strings of the invoice's wording and its PDF).

python -m local.catalogs update   adds every new string to each language's catalogs (kept
                                  translations stay; new ones are empty until translated)
python -m local.catalogs check    lists strings a language does not translate (exit 1 if any)

Strings are found where they are marked: `_("…")` in templates and `_("…")` or `N_("…")` in Python.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from local.template import ROOT

SITE = ROOT / "functions" / "portal" / "portal_site"
CATALOGS = SITE / "locales"
LANGUAGES = ("de", "fr", "es")
KEYWORDS = {"_": None, "N_": None}
INVOICING = ROOT / "layers" / "core" / "billing" / "invoicing"
CORE_CATALOGS = INVOICING / "locales"
CORE_PART = "invoice"


def sources() -> list[Path]:
    """The portal's marked sources."""
    return sorted(SITE.glob("templates/*.html")) + sorted(p for p in SITE.glob("*.py"))


def core_sources() -> list[Path]:
    """The billing core's marked sources: they share one catalog, `invoice.po`."""
    return [INVOICING / "wording.py", INVOICING / "pdf.py"]


def catalog_parts() -> Iterator[tuple[Path, str, list[Path]]]:
    """Each catalog (its folder and part name) with the sources whose strings it holds."""
    for path in sources():
        yield CATALOGS, part_name(path), [path]
    yield CORE_CATALOGS, CORE_PART, core_sources()


def strings_of_all(paths: Sequence[Path]) -> list[str]:
    found: list[str] = []
    for path in paths:
        found += [text for text in strings_of(path) if text not in found]
    return found


def strings_of(path: Path) -> list[str]:
    """The marked strings of one template or module, in order, once each."""
    method = "jinja2.ext:babel_extract" if path.suffix == ".html" else "python"
    found: list[str] = []
    options = {"extensions": "jinja2.ext.do"} if path.suffix == ".html" else {}
    for _, message, _, _ in extract_from_file(method, str(path), keywords=KEYWORDS, options=options):
        text = message if isinstance(message, str) else message[0]
        if text and text not in found:
            found.append(text)
    return found


def part_name(path: Path) -> str:
    """`home` for templates/home.html, `payment_methods_py` for payment_methods.py: a template
    and a module of one name keep separate catalogs."""
    stem = path.stem.lstrip("_")
    return f"{stem}_py" if path.suffix == ".py" else stem


def load(language: str, part: str, folder: Path = CATALOGS) -> Catalog:
    path = folder / language / f"{part}.po"
    if not path.exists():
        return Catalog(locale=language, project="vinr-portal")
    with path.open("rb") as source:
        return read_po(source, locale=language)


def update() -> None:
    for language in LANGUAGES:
        for folder, part, paths in catalog_parts():
            strings = strings_of_all(paths)
            if not strings:
                continue
            (folder / language).mkdir(parents=True, exist_ok=True)
            existing = load(language, part, folder)
            catalog = Catalog(locale=language, project="vinr-portal")
            for text in strings:
                kept = existing.get(text)
                catalog.add(text, kept.string if kept is not None else "")
            with (folder / language / f"{part}.po").open("wb") as target:
                write_po(target, catalog, width=120, omit_header=True)


def untranslated() -> dict[str, list[str]]:
    """For each language, the marked strings its catalogs leave untranslated."""
    missing: dict[str, list[str]] = {}
    for language in LANGUAGES:
        for folder, part, paths in catalog_parts():
            catalog = load(language, part, folder)
            for path in paths:
                for text in strings_of(path):
                    entry = catalog.get(text)
                    if entry is None or not entry.string:
                        missing.setdefault(language, []).append(f"{path.name}: {text}")
    return missing


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def placeholder_mismatches() -> list[str]:
    """Translations whose `%(name)s` placeholders differ from their English string's (they
    would fail, or show the wrong value, when the page fills them)."""
    wrong = []
    for language in LANGUAGES:
        for path in sorted((CATALOGS / language).glob("*.po")) + sorted((CORE_CATALOGS / language).glob("*.po")):
            with path.open("rb") as source:
                catalog = read_po(source, locale=language)
            for message in catalog:
                text = message.id if isinstance(message.id, str) else message.id[0]
                string = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
                if text and string and set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(string)):
                    wrong.append(f"{language}/{path.name}: {text!r} → {string!r}")
    return wrong


def inconsistent() -> list[str]:
    """Strings one language translates differently in two parts: merged, one would silently
    win on every page."""
    found = []
    for language in LANGUAGES:
        seen: dict[str, tuple[str, str]] = {}
        for path in sorted((CATALOGS / language).glob("*.po")):  # (the core's catalog is read on its own)
            with path.open("rb") as source:
                for message in read_po(source, locale=language):
                    if not message.id or not message.string:
                        continue
                    text, string = str(message.id), str(message.string)
                    if text in seen and seen[text][0] != string:
                        earlier, where = seen[text]
                        found.append(f"{language}: {text!r} is {earlier!r} in {where}, {string!r} in {path.name}")
                    seen.setdefault(text, (string, path.name))
    return found


def main(argv: Sequence[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        return 0
    if command == "check":
        missing = untranslated()
        for language, texts in missing.items():
            for text in texts:
                print(f"{language}: {text}")
        mismatched = placeholder_mismatches()
        for line in mismatched:
            print(f"placeholders differ: {line}")
        differing = inconsistent()
        for line in differing:
            print(f"translated differently: {line}")
        return 1 if missing or mismatched or differing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
