"""Customers and their tax IDs.

Item: pk `<scope>#CUST#<cust>`, sk `CUSTOMER` (versioned); gsi1 `<scope>#CUST#<cust>#ALL` /
`0CUSTOMER` (the customer's bundle: with its payment methods, subscriptions and invoices);
gsi2 `<scope>#CUSTOMERS` / id (the list). Tax IDs are few and change with the customer, so
they live on the customer item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from billing.customers import taxids
from billing.events import events
from billing.kernel import clock, countries
from billing.kernel.errors import InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.store.listing import page
from billing.store.repository import Item, Operation, Put, Table, UnitOfWork, Update, versioned_set

WIRE_FIELDS = ("email", "name", "phone", "address", "metadata", "testClock", "defaultPaymentMethod", "taxIds")
UPDATABLE = ("email", "name", "phone", "address", "metadata", "defaultPaymentMethod")
MAX_TAX_IDS = 5
# The contact details' rules, stated once: the merchant API's request models use them and
# `check_details` applies them to every update (the portal's billing-details form included).
NAME_MAX_LENGTH = 200
PHONE_MAX_LENGTH = 30
# (A pattern that no text with whitespace around it matches: text is read stripped, and the
# schema must not offer a value that is valid only before stripping, like ")3 ".)
PHONE_PATTERN = r"^(?:\+[0-9 ().-]{2,29}|[0-9().-][0-9 ().-]{1,28})[0-9().-]$"
ADDRESS_MAX_LENGTHS = {"line1": 200, "line2": 200, "city": 200, "postalCode": 20, "state": 200}


def customer_key(scope: Scope, customer_id: str) -> tuple[str, str]:
    return scope.key("CUST", customer_id), "CUSTOMER"


def bundle_partition(scope: Scope, customer_id: str) -> str:
    return scope.key("CUST", customer_id, "ALL")


def to_wire(item: Item, scope: Scope) -> dict[str, Any]:
    wire: dict[str, Any] = {"id": item["id"], "object": "customer"}
    wire.update({field: item.get(field) for field in WIRE_FIELDS})
    wire["taxIds"] = [dict(t, object="tax_id", customer=item["id"]) for t in item.get("taxIds") or []]
    wire["metadata"] = item.get("metadata") or {}
    wire["creditBalance"] = {
        key.removeprefix("credit_"): value for key, value in sorted(item.items()) if key.startswith("credit_") and value
    }
    wire["createdAt"] = item["createdAt"]
    wire["livemode"] = scope.livemode
    return wire


@dataclass(frozen=True)
class Bundle:
    """A customer with its payment methods, subscriptions and invoices (newest first)."""

    customer: Item
    payment_methods: list[Item]
    subscriptions: list[Item]
    invoices: list[Item]


def bundle(scope: Scope, customer_id: str, *, table: Table) -> Bundle:
    """Everything of one customer in one index partition (gsi1), read page after page."""
    items = table.query_all(bundle_partition(scope, customer_id), index="gsi1")
    found = next((i for i in items if i["gsi1sk"] == "0CUSTOMER"), None)
    if found is None:
        raise NotFound(f"No such customer: '{customer_id}'.", param="customer")

    def of(prefix: str) -> list[Item]:
        return sorted((i for i in items if i["gsi1sk"].startswith(prefix)), key=lambda i: i["id"], reverse=True)

    return Bundle(found, of("PM#"), of("SUB#"), of("INV#"))


def merge_metadata(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """Stripe's rule: keys merge; a key set to "" or null is removed."""
    merged = dict(current)
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    if len(merged) > 50:
        raise InvalidRequest("metadata holds at most 50 keys.", param="metadata")
    return merged


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    customer_id = sortable_id("cust")
    pk, sk = customer_key(scope, customer_id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "customer",
        "id": customer_id,
        "email": fields.get("email"),
        "name": fields.get("name"),
        "phone": fields.get("phone"),
        "address": fields.get("address"),
        "metadata": merge_metadata({}, fields.get("metadata") or {}),
        "testClock": fields.get("testClock"),
        "defaultPaymentMethod": None,
        "taxIds": [],
        "createdAt": clock.to_wire(clock.now()),
        "version": 1,
        "gsi1pk": bundle_partition(scope, customer_id),
        "gsi1sk": "0CUSTOMER",
        "gsi2pk": scope.key("CUSTOMERS"),
        "gsi2sk": customer_id,
    }
    if item["testClock"] and scope.livemode:
        raise InvalidRequest("Test clocks exist only in test mode.", param="testClock")
    if item["testClock"] and table.get(scope.key("CLOCK", item["testClock"]), "TESTCLOCK") is None:
        raise InvalidRequest(f"No such test clock: '{item['testClock']}'.", param="testClock")
    event = events.event_item(scope, "customer.created", to_wire(item, scope), request, customer=customer_id)
    UnitOfWork(table, request).add(Put(item, condition="attribute_not_exists(pk)"), events.event_op(event)).commit()
    return item


def get(scope: Scope, customer_id: str, *, table: Table) -> Item:
    pk, sk = customer_key(scope, customer_id)
    item = table.get(pk, sk)
    if item is None:
        raise NotFound(f"No such customer: '{customer_id}'.", param="customer")
    return item


def versioned_change(
    scope: Scope,
    current: Item,
    changes: Mapping[str, Any],
    event_type: str,
    request: RequestInfo,
    *,
    extra_ops: Sequence[Operation] = (),
    event_object: dict[str, Any] | None = None,
    table: Table,
) -> Item:
    """Write `changes` to the customer if nobody else did meanwhile, with its event.

    The event's object is the customer, or `event_object` (a tax ID's own events).
    """
    after = {**current, **changes, "version": current["version"] + 1}
    guarded = versioned_set(changes, current["version"])
    before_wire, after_wire = to_wire(current, scope), to_wire(after, scope)
    event = events.event_item(
        scope,
        event_type,
        event_object or after_wire,
        request,
        previous=None if event_object else events.previous_attributes(before_wire, after_wire),
        customer=current["id"],
    )
    change = UnitOfWork(table, request, conflict_message="The customer was changed by another request; retry.")
    change.add(Update(current["pk"], current["sk"], **guarded), events.event_op(event), *extra_ops).commit()
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
    for field, limit in (("name", NAME_MAX_LENGTH), ("email", 2048), ("phone", PHONE_MAX_LENGTH)):
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


def update(scope: Scope, customer_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> Item:
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidRequest(f"Received unknown parameter: {name}.", param=name)
    checked, problems = check_details(fields)
    if problems:
        raise next(iter(problems.values()))
    current = get(scope, customer_id, table=table)
    changes = {**fields, **checked}
    if "metadata" in changes:
        changes["metadata"] = merge_metadata(current.get("metadata") or {}, changes["metadata"] or {})
    changes = {k: v for k, v in changes.items() if current.get(k) != v}
    if not changes:
        return current
    return versioned_change(scope, current, changes, "customer.updated", request, table=table)


def list_customers(
    scope: Scope, *, limit: int, starting_after: str | None, email: str | None = None, table: Table
) -> dict[str, Any]:
    return page(
        table,
        index="gsi2",
        partition=scope.key("CUSTOMERS"),
        limit=limit,
        starting_after=starting_after,
        primary_key=lambda cid: customer_key(scope, cid),
        to_wire=lambda item: to_wire(item, scope),
        keep=(lambda item: item.get("email") == email) if email else (lambda _: True),
    )


# ------------------------------------------------------------------ tax IDs
def add_tax_id(
    scope: Scope, customer_id: str, type_: str, value: str, request: RequestInfo, *, table: Table
) -> tuple[Item, dict[str, Any]]:
    """Validates and attaches a tax ID; answers the customer and the new tax ID."""
    normalized, country = taxids.validate_tax_id(type_, value)
    current = get(scope, customer_id, table=table)
    existing = list(current.get("taxIds") or [])
    if any(t["type"] == type_ and t["value"] == normalized for t in existing):
        raise InvalidRequest("The customer already has this tax ID.", param="value", code="tax_id_exists")
    if len(existing) >= MAX_TAX_IDS:
        raise InvalidRequest(f"A customer holds at most {MAX_TAX_IDS} tax IDs.", param="value")
    tax_id = {
        "id": sortable_id("txi"),
        "type": type_,
        "value": normalized,
        "country": country,
        "createdAt": clock.to_wire(clock.now()),
    }
    wire = {**tax_id, "object": "tax_id", "customer": customer_id}
    after = versioned_change(
        scope,
        current,
        {"taxIds": [*existing, tax_id]},
        "customer.tax_id.created",
        request,
        event_object=wire,
        table=table,
    )
    return after, wire


def delete_tax_id(scope: Scope, customer_id: str, tax_id: str, request: RequestInfo, *, table: Table) -> dict[str, Any]:
    current = get(scope, customer_id, table=table)
    existing = list(current.get("taxIds") or [])
    match = next((t for t in existing if t["id"] == tax_id), None)
    if match is None:
        raise NotFound(f"No such tax ID: '{tax_id}'.", param="taxId")
    remaining = [t for t in existing if t["id"] != tax_id]
    wire = {**match, "object": "tax_id", "customer": customer_id, "deleted": True}
    versioned_change(
        scope, current, {"taxIds": remaining}, "customer.tax_id.deleted", request, event_object=wire, table=table
    )
    return wire
