"""Tax IDs validated by type with python-stdnum: `validate_tax_id("eu_vat", "DE 136 695 976")`."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from billing.kernel.errors import InvalidRequest

# type → (stdnum module, country or None when the number carries it)
VALIDATORS: dict[str, tuple[str, str | None]] = {
    "eu_vat": ("stdnum.eu.vat", None),
    "gb_vat": ("stdnum.gb.vat", "GB"),
    "us_ein": ("stdnum.us.ein", "US"),
    "au_abn": ("stdnum.au.abn", "AU"),
    "ch_vat": ("stdnum.ch.vat", "CH"),
    "no_vat": ("stdnum.no.mva", "NO"),
    "in_gst": ("stdnum.in_.gstin", "IN"),
    "ca_bn": ("stdnum.ca.bn", "CA"),
    "nz_gst": ("stdnum.nz.ird", "NZ"),
    "br_cnpj": ("stdnum.br.cnpj", "BR"),
    "mx_rfc": ("stdnum.mx.rfc", "MX"),
}
# type → a number that validates, as a customer would type it (python-stdnum's documented
# examples): what the portal shows as an example is one of these, so it is never refused.
EXAMPLES: dict[str, str] = {
    "eu_vat": "DE136695976",
    "gb_vat": "GB980780684",
    "us_ein": "04-2103594",
    "au_abn": "83 914 571 673",
    "ch_vat": "CHE-107.787.577 MWST",
    "no_vat": "NO995525828MVA",
    "in_gst": "27AAPFU0939F1ZV",
    "ca_bn": "123026635",
    "nz_gst": "49-091-850",
    "br_cnpj": "16.727.230/0001-97",
    "mx_rfc": "GODE561231GR8",
}
# VAT numbers use EL for Greece where ISO 3166 has GR.
VAT_PREFIX_TO_COUNTRY = {"EL": "GR", "XI": "GB"}


def validate_tax_id(type_: str, value: str) -> tuple[str, str]:
    """The normalized value and the country it belongs to, or a 400 naming `type` or `value`."""
    if type_ not in VALIDATORS:
        raise InvalidRequest(
            f"Unsupported tax ID type {type_!r}; supported: {', '.join(sorted(VALIDATORS))}.",
            param="type",
            code="tax_id_type_invalid",
        )
    module_name, country = VALIDATORS[type_]
    module: Any = import_module(module_name)
    try:
        normalized = str(module.validate(value))
    except Exception:  # stdnum raises its ValidationError family for every kind of bad input
        raise InvalidRequest(
            f"{value!r} is not a valid {type_} number.", param="value", code="tax_id_invalid"
        ) from None
    if type_ == "eu_vat":
        prefix = normalized[:2]
        country = VAT_PREFIX_TO_COUNTRY.get(prefix, prefix)
    return normalized, str(country)
