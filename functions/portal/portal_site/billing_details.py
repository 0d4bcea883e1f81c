"""Billing details: name, email, phone, address and tax IDs, as the configuration allows.

The configuration's `customerUpdate.allowedUpdates` decides which of them the page shows and the
form accepts: a posted field it does not allow is never read. Every check is the billing core's
(`customers.check_details`, the rules the merchant API states; an address entered here is a
complete one or none, `customers.missing_address_parts`; tax IDs by python-stdnum in
`customers.add_tax_id`, the example shown from `taxids.EXAMPLES`); this module only turns its
errors into the page's own messages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from babel import Locale
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from billing.customers import customers, taxids
from billing.customers.records import Customer
from billing.kernel.countries import COUNTRIES
from billing.kernel.errors import InvalidRequest, NotFound
from billing.portal.portalconfigs import CUSTOMER_UPDATES
from portal_site import forms
from portal_site.pages import SignedIn, checked_form, done, signed_in
from portal_site.rendering import N_, locale_of, page

PATH = "/billing-details"
TAX_ID = re.compile(r"^txi_[A-Za-z0-9]{1,40}\Z")
# Every type the core validates, by the name a customer knows it by.
TAX_ID_TYPES: dict[str, str] = {
    "eu_vat": N_("EU VAT number"),
    "gb_vat": N_("UK VAT number"),
    "ch_vat": N_("Swiss VAT number"),
    "no_vat": N_("Norwegian VAT number"),
    "us_ein": N_("US Employer Identification Number (EIN)"),
    "ca_bn": N_("Canadian Business Number (BN)"),
    "au_abn": N_("Australian Business Number (ABN)"),
    "nz_gst": N_("New Zealand GST number"),
    "in_gst": N_("Indian GST number (GSTIN)"),
    "br_cnpj": N_("Brazilian CNPJ number"),
    "mx_rfc": N_("Mexican RFC number"),
}
assert set(TAX_ID_TYPES) == set(taxids.VALIDATORS), "a tax ID type without a readable name"
assert set(taxids.EXAMPLES) == set(taxids.VALIDATORS), "a tax ID type without an example"
EXAMPLE_TYPE = "eu_vat"  # the example shown until the customer has chosen a type

# form field → the core's param
ADDRESS_FIELDS = {
    "address_line1": "line1",
    "address_line2": "line2",
    "address_postal_code": "postalCode",
    "address_city": "city",
    "address_state": "state",
    "address_country": "country",
}
# The fields in the order the page shows them (the error summary follows it).
FIELD_ORDER = ("name", "email", "phone", *ADDRESS_FIELDS, "tax_type", "tax_value")
LIMITS = {
    "name": customers.NAME_MAX_LENGTH,
    "phone": customers.PHONE_MAX_LENGTH,
    **{field: customers.ADDRESS_MAX_LENGTHS.get(param, 2) for field, param in ADDRESS_FIELDS.items()},
}
# What a form that comes back with errors shows of a value: enough to see and correct it, never
# the megabyte a hostile post can hold (the page would grow with it, past Lambda's 6 MB answer).
ECHO_MAX = 1000
NOTICES = {
    "details_saved": N_("Your billing details were saved."),
    "tax_id_added": N_("The tax ID was added."),
    "tax_id_removed": N_("The tax ID was removed."),
}
MESSAGES = {
    "email_invalid": N_("Enter a valid email address, like name@example.com."),
    "email_missing": N_("Enter your email address."),
    "phone_invalid": N_("Enter a phone number using digits, spaces, brackets and dashes, optionally starting with +."),
    "country_invalid": N_("Choose a country from the list."),
    "string_too_long": N_("This is too long: use at most %(count)s characters."),
    "missing": N_("This field was missing from the form. Reload the page and try again."),
    "invalid": N_("Check this value."),
    "tax_type": N_("Choose the type of tax ID."),
    "tax_value_missing": N_("Enter the tax ID."),
    "tax_id_invalid": N_("This is not a valid %(type)s. Check it and try again."),
    "tax_id_exists": N_("You have already added this tax ID."),
    "tax_id_limit": N_("You can have at most %(count)s tax IDs. Remove one first."),
}
# When any part of an address is entered, these are needed (`customers.REQUIRED_ADDRESS_PARTS`).
ADDRESS_MISSING = {
    "address_line1": N_("Enter the first line of the address."),
    "address_postal_code": N_("Enter the postal code."),
    "address_city": N_("Enter the city."),
    "address_country": N_("Choose the country."),
}
assert {ADDRESS_FIELDS[field] for field in ADDRESS_MISSING} == set(customers.REQUIRED_ADDRESS_PARTS)


def _sort_key(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=8)
def country_names(locale: str) -> dict[str, str]:
    """ISO code → the country's name in `locale`, in alphabetical order of the names."""
    territories = Locale.parse(locale).territories
    names = {code: str(territories.get(code, code)) for code in COUNTRIES}
    return dict(sorted(names.items(), key=lambda pair: _sort_key(pair[1])))


def allowed_updates(settings: Mapping[str, Any]) -> set[str]:
    allowed = settings.get("allowedUpdates")
    return set(CUSTOMER_UPDATES if allowed is None else allowed)


def _values_of(customer: Customer) -> dict[str, str]:
    address = customer.address or {}
    values = {"name": customer.name or "", "email": customer.email or "", "phone": customer.phone or ""}
    values.update({field: str(address.get(param) or "") for field, param in ADDRESS_FIELDS.items()})
    return values


def _render(
    request: Request,
    who: SignedIn,
    customer: Customer,
    *,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, Markup] | None = None,
    tax_values: Mapping[str, str] | None = None,
    tax_errors: Mapping[str, Markup] | None = None,
) -> Response:
    allowed = allowed_updates(who.require("customerUpdate"))
    notice = NOTICES.get(request.query_params.get("done") or "")
    chosen = (tax_values or {}).get("tax_type", "")
    example_type = chosen if chosen in TAX_ID_TYPES else EXAMPLE_TYPE
    return page(
        request,
        "billing_details_form.html",
        who.session,
        status=status,
        signed_in=True,
        csrf=who.csrf,
        allowed=allowed,
        details_allowed=bool(allowed & {"name", "email", "phone", "address"}),
        customer=customer,
        values=values if values is not None else _values_of(customer),
        errors=errors or {},
        tax_values=tax_values or {},
        tax_errors=tax_errors or {},
        countries=country_names(locale_of(request, who.session)),
        tax_id_types=TAX_ID_TYPES,
        tax_example=taxids.EXAMPLES[example_type],
        tax_example_type=TAX_ID_TYPES[example_type],
        max_tax_ids=customers.MAX_TAX_IDS,
        limits=LIMITS,
        notice=notice,
    )


def _customer(who: SignedIn) -> Customer:
    return customers.get(who.scope, who.customer_id, table=who.table)


async def show(request: Request) -> Response:
    """GET /billing-details: the form, filled in with what the customer has now."""
    who = signed_in(request)
    who.require("customerUpdate")
    return _render(request, who, _customer(who))


def _field(param: str | None) -> str:
    """The form field a core param (`email`, `address.postalCode`) belongs to."""
    if not param:
        return "name"
    if param == "address":
        return "address_line1"
    if param.startswith("address."):
        inner = param.removeprefix("address.")
        return next((field for field, p in ADDRESS_FIELDS.items() if p == inner), "address_line1")
    return param


def _message(gettext: Callable[..., Markup], field: str, error: InvalidRequest) -> Markup:
    """The page's own message for a core error: by its code, else a generic one."""
    if error.code == "string_too_long":
        return gettext(MESSAGES["string_too_long"], count=LIMITS.get(field, 200))
    if error.code == "parameter_missing" and field in ADDRESS_MISSING:
        return gettext(ADDRESS_MISSING[field])
    known = {"email_invalid", "phone_invalid", "country_invalid"}
    return gettext(MESSAGES[error.code if error.code in known else "invalid"])


async def save(request: Request) -> Response:
    """POST /billing-details: the allowed fields through `customers.update`, or the form again
    with each field's own message (400)."""
    who = signed_in(request)
    allowed = allowed_updates(who.require("customerUpdate"))
    form = await checked_form(request, who)
    gettext = forms.gettext_for(request, who.session)
    customer = _customer(who)
    values = _values_of(customer)
    errors: dict[str, Markup] = {}
    fields: dict[str, Any] = {}

    def text(field: str) -> str | None:
        value = forms.single(form, field)
        if value is None:
            errors[field] = gettext(MESSAGES["missing"])
            return None
        values[field] = value[:ECHO_MAX]
        return value.strip()

    for key in ("name", "email", "phone"):
        if key in allowed:
            value = text(key)
            if value is not None:
                fields[key] = value or None
    if "email" in fields and fields["email"] is None and customer.email:
        errors["email"] = gettext(MESSAGES["email_missing"])
    if "address" in allowed:
        parts = {param: text(field) for field, param in ADDRESS_FIELDS.items()}
        if all(value is not None for value in parts.values()):
            given = {param: value for param, value in parts.items() if value}
            fields["address"] = given or None
    _, problems = customers.check_details(fields)
    # Blank required parts of an entered address; a part that is already wrong keeps its own message.
    for param, problem in customers.missing_address_parts(fields.get("address")).items():
        problems.setdefault(param, problem)
    for param, problem in problems.items():
        field = _field(param)
        errors.setdefault(field, _message(gettext, field, problem))
    if not errors:
        try:
            customers.update(who.scope, who.customer_id, fields, who.request_info(request), table=who.table)
        except InvalidRequest as refused:
            field = _field(refused.param)
            errors[field] = _message(gettext, field, refused)
    if errors:
        return _render(request, who, customer, status=400, values=values, errors=forms.ordered(errors, FIELD_ORDER))
    return done(who, PATH, "details_saved")


def _require_tax_ids(who: SignedIn) -> None:
    if "taxId" not in allowed_updates(who.require("customerUpdate")):
        raise HTTPException(404)


async def add_tax_id(request: Request) -> Response:
    """POST /billing-details/tax-ids: validated by type (python-stdnum) in the core."""
    who = signed_in(request)
    _require_tax_ids(who)
    form = await checked_form(request, who)
    gettext = forms.gettext_for(request, who.session)
    customer = _customer(who)
    type_ = forms.single(form, "tax_type")
    value = forms.single(form, "tax_value")
    tax_values = {"tax_type": (type_ or "")[:ECHO_MAX], "tax_value": (value or "")[:ECHO_MAX]}
    errors: dict[str, Markup] = {}
    if type_ not in TAX_ID_TYPES:
        errors["tax_type"] = gettext(MESSAGES["tax_type"])
    if value is None or not value.strip():
        errors["tax_value"] = gettext(MESSAGES["tax_value_missing"])
    elif len(customer.tax_ids) >= customers.MAX_TAX_IDS:
        errors["tax_value"] = gettext(MESSAGES["tax_id_limit"], count=customers.MAX_TAX_IDS)
    if not errors and type_ is not None and value is not None:
        try:
            customers.add_tax_id(
                who.scope, who.customer_id, type_, value.strip(), who.request_info(request), table=who.table
            )
        except InvalidRequest as refused:
            if refused.code == "tax_id_exists":
                errors["tax_value"] = gettext(MESSAGES["tax_id_exists"])
            elif refused.param == "type":
                errors["tax_type"] = gettext(MESSAGES["tax_type"])
            else:
                kind = gettext(TAX_ID_TYPES.get(type_, type_))
                errors["tax_value"] = gettext(MESSAGES["tax_id_invalid"], type=kind)
    if errors:
        return _render(
            request, who, customer, status=400, tax_values=tax_values, tax_errors=forms.ordered(errors, FIELD_ORDER)
        )
    return done(who, PATH, "tax_id_added")


async def remove_tax_id(request: Request) -> Response:
    """POST /billing-details/tax-ids/{txi}/remove: only one of this customer's tax IDs."""
    who = signed_in(request)
    _require_tax_ids(who)
    await checked_form(request, who)
    tax_id = request.path_params["tax_id"]
    if not TAX_ID.match(tax_id):
        raise HTTPException(404)
    try:
        customers.delete_tax_id(who.scope, who.customer_id, tax_id, who.request_info(request), table=who.table)
    except NotFound:
        raise HTTPException(404) from None
    return done(who, PATH, "tax_id_removed")


ROUTES: list[BaseRoute] = [
    Route(PATH, show, methods=["GET"]),
    Route(PATH, save, methods=["POST"]),
    Route(f"{PATH}/tax-ids", add_tax_id, methods=["POST"]),
    Route(f"{PATH}/tax-ids/{{tax_id}}/remove", remove_tax_id, methods=["POST"]),
]
