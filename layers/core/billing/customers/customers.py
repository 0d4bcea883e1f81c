"""Customers and their tax IDs (the records in `billing.customers.records`, kept by
`billing.customers.store`). Tax IDs are few and change with the customer, so they live on it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec.structs

from billing.customers import store, taxids
from billing.customers.records import Customer, TaxId
from billing.events import events
from billing.kernel import clock, countries
from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.metadata import merge_metadata
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Operation, Table, UnitOfWork

# The fields a merchant may update, by their wire name → the record's field.
UPDATABLE = {
    "email": "email",
    "name": "name",
    "phone": "phone",
    "address": "address",
    "metadata": "metadata",
    "defaultPaymentMethod": "default_payment_method",
    "preferredLocale": "preferred_locale",
}
# The languages a customer's invoices can be written in (absent: English).
PREFERRED_LOCALES = ("en", "de", "fr", "es")
MAX_TAX_IDS = 5
# The contact details' rules, stated once: the merchant API's request models use them and
# `check_details` applies them to every create and update (the portal's billing-details form included).
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254  # RFC 5321's limit, which email-validator applies too
PHONE_MAX_LENGTH = 30
# (A pattern that no text with whitespace around it matches: text is read stripped, and the
# schema must not offer a value that is valid only before stripping, like ")3 ".)
PHONE_PATTERN = r"^(?:\+[0-9 ().-]{2,29}|[0-9().-][0-9 ().-]{1,28})[0-9().-]$"
ADDRESS_MAX_LENGTHS = {"line1": 200, "line2": 200, "city": 200, "postalCode": 20, "state": 200}
# The parts a complete postal address has. The API takes a partial address (a country alone
# decides tax); the portal's form asks for a complete one, or none (`missing_address_parts`).
REQUIRED_ADDRESS_PARTS = ("line1", "postalCode", "city", "country")


def tax_id_to_wire(tax_id: TaxId, customer_id: str) -> dict[str, Any]:
    return {
        "id": tax_id.id,
        "type": tax_id.type,
        "value": tax_id.value,
        "country": tax_id.country,
        "createdAt": tax_id.created_at,
        "object": "tax_id",
        "customer": customer_id,
    }


def to_wire(customer: Customer, scope: Scope) -> dict[str, Any]:
    return {
        "id": customer.id,
        "object": "customer",
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "address": customer.address,
        "metadata": customer.metadata,
        "testClock": customer.test_clock,
        "defaultPaymentMethod": customer.default_payment_method,
        "taxIds": [tax_id_to_wire(t, customer.id) for t in customer.tax_ids],
        "preferredLocale": customer.preferred_locale,
        "creditBalance": customer.credit_balances(),
        "createdAt": customer.created_at,
        "livemode": scope.livemode,
    }


def _check_locale(fields: Mapping[str, Any]) -> None:
    value = fields.get("preferredLocale")
    if value is not None and value not in PREFERRED_LOCALES:
        raise InvalidRequest(f"preferredLocale must be one of {', '.join(PREFERRED_LOCALES)}.", param="preferredLocale")


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Customer:
    checked, problems = check_details(fields)
    if problems:
        raise next(iter(problems.values()))
    _check_locale(fields)
    fields = {**fields, **checked}
    customer = Customer(
        id=sortable_id("cust"),
        email=fields.get("email"),
        name=fields.get("name"),
        phone=fields.get("phone"),
        address=fields.get("address"),
        metadata=merge_metadata({}, fields.get("metadata") or {}),
        test_clock=fields.get("testClock"),
        preferred_locale=fields.get("preferredLocale"),
        created_at=clock.to_wire(clock.now()),
    )
    if customer.test_clock and scope.livemode:
        raise InvalidRequest("Test clocks exist only in test mode.", param="testClock")
    if customer.test_clock and store.get_test_clock(table, scope, customer.test_clock) is None:
        raise InvalidRequest(f"No such test clock: '{customer.test_clock}'.", param="testClock")
    event = events.event_item(scope, "customer.created", to_wire(customer, scope), request, customer=customer.id)
    UnitOfWork(table, request).add(store.insert_customer(scope, customer), events.event_op(event)).commit()
    return customer


def deleted_to_wire(customer_id: str) -> dict[str, Any]:
    """What the API answers for a deleted customer (and `customer.deleted` carries): nothing personal."""
    return {"id": customer_id, "object": "customer", "deleted": True}


def retrieve(scope: Scope, customer_id: str, *, table: Table) -> dict[str, Any]:
    """The customer's wire form, or `deleted_to_wire` once it is deleted; 404 when it never existed."""
    customer = store.get_customer(table, scope, customer_id)
    if customer is not None:
        return to_wire(customer, scope)
    if store.deleted_at(table, scope, customer_id) is not None:
        return deleted_to_wire(customer_id)
    raise NotFound(f"No such customer: '{customer_id}'.", param="customer")


def erase(
    scope: Scope, customer: Customer, request: RequestInfo, *, extra_ops: Sequence[Operation] = (), table: Table
) -> dict[str, Any]:
    """The customer deleted, with `extra_ops` (its payment methods gone) and `customer.deleted`, in
    one transaction over the version read: its name, email, phone, address, tax IDs, metadata and
    credit go with its item; what is left says only that it was deleted (`deleted_to_wire`)."""
    wire = deleted_to_wire(customer.id)
    event = events.event_item(scope, "customer.deleted", wire, request, customer=customer.id)
    change = UnitOfWork(table, request, conflict_message="The customer was changed by another request; retry.")
    change.add(*store.erase_customer(scope, customer, clock.to_wire(clock.now())), *extra_ops, events.event_op(event))
    change.commit()
    return wire


def get(scope: Scope, customer_id: str, *, table: Table) -> Customer:
    customer = store.get_customer(table, scope, customer_id)
    if customer is None:
        raise NotFound(f"No such customer: '{customer_id}'.", param="customer")
    return customer


def versioned_change(
    scope: Scope,
    current: Customer,
    changes: Mapping[str, Any],
    event_type: str,
    request: RequestInfo,
    *,
    extra_ops: Sequence[Operation] = (),
    event_object: dict[str, Any] | None = None,
    table: Table,
) -> Customer:
    """Write `changes` (record fields) to the customer if nobody else did meanwhile, with its event.

    The event's object is the customer, or `event_object` (a tax ID's own events).
    """
    after = msgspec.structs.replace(current, **changes, version=current.version + 1)
    before_wire, after_wire = to_wire(current, scope), to_wire(after, scope)
    event = events.event_item(
        scope,
        event_type,
        event_object or after_wire,
        request,
        previous=None if event_object else events.previous_attributes(before_wire, after_wire),
        customer=current.id,
    )
    change = UnitOfWork(table, request, conflict_message="The customer was changed by another request; retry.")
    change.add(store.update_customer(scope, current, after), events.event_op(event), *extra_ops).commit()
    return after


def _text_problem(param: str, value: Any, max_length: int) -> InvalidRequest | None:
    if not isinstance(value, str):
        return InvalidRequest(f"{param} must be a string.", param=param, code="parameter_invalid_type")
    if len(value.strip()) > max_length:
        return InvalidRequest(f"{param} is longer than {max_length} characters.", param=param, code="string_too_long")
    return None


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # the library pydantic's EmailStr uses

    try:
        normalized = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidRequest(f"Invalid email address: {error}", param="email", code="email_invalid") from None
    return str(normalized)


def check_details(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, InvalidRequest]]:
    """`name`, `email`, `phone` and `address` of `fields` by the rules above (strings trimmed,
    null clears): the normalized fields, and one error per bad field keyed by its param
    (`email`, `address.country`). Other fields pass through unchecked."""
    normalized: dict[str, Any] = {}
    problems: dict[str, InvalidRequest] = {}
    for field, limit in (("name", NAME_MAX_LENGTH), ("email", EMAIL_MAX_LENGTH), ("phone", PHONE_MAX_LENGTH)):
        if field not in fields or fields[field] is None:
            continue
        problem = _text_problem(field, fields[field], limit)
        if problem is None:
            value = fields[field].strip()
            try:
                if field == "email":
                    value = _email(value)
                elif field == "phone" and not re.fullmatch(PHONE_PATTERN, value):
                    raise InvalidRequest("Invalid phone number.", param="phone", code="phone_invalid")
            except InvalidRequest as refused:
                problem = refused
            normalized[field] = value
        if problem is not None:
            problems[field] = problem
    address = fields.get("address")
    if address is not None:
        if not isinstance(address, Mapping):
            problems["address"] = InvalidRequest(
                "address must be an object.", param="address", code="parameter_invalid_type"
            )
        else:
            clean: dict[str, Any] = {}
            for key, value in address.items():
                param = f"address.{key}"
                if key not in ADDRESS_MAX_LENGTHS and key != "country":
                    problems[param] = InvalidRequest(f"Received unknown parameter: {param}.", param=param)
                    continue
                if value is None:
                    clean[key] = None
                    continue
                problem = _text_problem(param, value, ADDRESS_MAX_LENGTHS.get(key, 2048))
                if problem is None and key == "country":
                    try:
                        value = countries.validate_country(value)
                    except ValueError:
                        problem = InvalidRequest(
                            "Not an ISO 3166-1 alpha-2 country code.", param=param, code="country_invalid"
                        )
                if problem is not None:
                    problems[param] = problem
                else:
                    clean[key] = value.strip()
            normalized["address"] = clean
    return normalized, problems


def missing_address_parts(address: Mapping[str, Any] | None) -> dict[str, InvalidRequest]:
    """One 400 per blank required part of an address that has any part, keyed by its param
    (`address.city`); none for no address at all."""
    if not address or not any(isinstance(v, str) and v.strip() for v in address.values()):
        return {}
    return {
        f"address.{part}": InvalidRequest(
            f"address.{part} is required in a complete address.", param=f"address.{part}", code="parameter_missing"
        )
        for part in REQUIRED_ADDRESS_PARTS
        if not (isinstance(address.get(part), str) and address[part].strip())
    }


def update(
    scope: Scope, customer_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table
) -> Customer:
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidRequest(f"Received unknown parameter: {name}.", param=name)
    checked, problems = check_details(fields)
    if problems:
        raise next(iter(problems.values()))
    _check_locale(fields)
    current = get(scope, customer_id, table=table)
    changes = {UPDATABLE[k]: v for k, v in {**fields, **checked}.items()}
    if "metadata" in changes:
        changes["metadata"] = merge_metadata(current.metadata, changes["metadata"] or {})
    changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
    if not changes:
        return current
    return versioned_change(scope, current, changes, "customer.updated", request, table=table)


def list_customers(
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    ending_before: str | None = None,
    email: str | None = None,
    table: Table,
) -> dict[str, Any]:
    return store.customer_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        to_wire=lambda customer: to_wire(customer, scope),
        keep=(lambda customer: customer.email == email) if email else (lambda _: True),
        email=email,
    )


# ------------------------------------------------------------------ tax IDs
def add_tax_id(
    scope: Scope, customer_id: str, type_: str, value: str, request: RequestInfo, *, table: Table
) -> tuple[Customer, dict[str, Any]]:
    """Validates and attaches a tax ID; answers the customer and the new tax ID."""
    normalized, country = taxids.validate_tax_id(type_, value)
    current = get(scope, customer_id, table=table)
    if current.holds_tax_id(type_, normalized):
        raise InvalidRequest("The customer already has this tax ID.", param="value", code="tax_id_exists")
    if len(current.tax_ids) >= MAX_TAX_IDS:
        raise InvalidRequest(f"A customer holds at most {MAX_TAX_IDS} tax IDs.", param="value")
    tax_id = TaxId(
        id=sortable_id("txi"), type=type_, value=normalized, country=country, created_at=clock.to_wire(clock.now())
    )
    wire = tax_id_to_wire(tax_id, customer_id)
    after = versioned_change(
        scope,
        current,
        {"tax_ids": (*current.tax_ids, tax_id)},
        "customer.tax_id.created",
        request,
        event_object=wire,
        table=table,
    )
    return after, wire


def delete_tax_id(scope: Scope, customer_id: str, tax_id: str, request: RequestInfo, *, table: Table) -> dict[str, Any]:
    current = get(scope, customer_id, table=table)
    match = current.tax_id(tax_id)
    if match is None:
        raise NotFound(f"No such tax ID: '{tax_id}'.", param="taxId")
    remaining = tuple(t for t in current.tax_ids if t.id != tax_id)
    wire = {**tax_id_to_wire(match, customer_id), "deleted": True}
    versioned_change(
        scope, current, {"tax_ids": remaining}, "customer.tax_id.deleted", request, event_object=wire, table=table
    )
    return wire
