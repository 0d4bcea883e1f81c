"""Every string the portal shows is translated into German, French and Spanish, correctly shaped."""

from __future__ import annotations

from local import catalogs


def test_every_marked_string_is_translated_in_every_language() -> None:
    # Given every string marked in the portal's templates and modules
    # When each language's catalogs are read
    missing = catalogs.untranslated()
    # Then none is left untranslated
    assert not missing, "\n".join(f"{lang}: {text}" for lang, texts in missing.items() for text in texts)


def test_translations_keep_their_placeholders() -> None:
    assert catalogs.placeholder_mismatches() == []


def test_strings_are_found_in_templates_and_python() -> None:
    # The extraction itself works: it finds known strings in both kinds of source
    found = {text for path in catalogs.sources() for text in catalogs.strings_of(path)}
    assert {"This session has expired", "Overview", "Return to %(merchant)s"} <= found


def test_a_string_reads_the_same_on_every_page() -> None:
    # Catalogs are merged per language: two translations of one string would let one win silently
    assert catalogs.inconsistent() == []


def test_the_invoice_wording_and_pdf_strings_are_checked_too() -> None:
    # The core's invoice catalog is one of the catalogs checked, with the strings of both modules
    parts = {(folder, part): paths for folder, part, paths in catalogs.catalog_parts()}
    core = parts[(catalogs.CORE_CATALOGS, "invoice")]
    found = set(catalogs.strings_of_all(core))
    assert {"Unused time on %(item)s after %(date)s", "%(percent)s off", "Amount due", "BILL TO"} <= found
    assert catalogs.load("de", "invoice", catalogs.CORE_CATALOGS).get("Amount due").string == "Offener Betrag"
