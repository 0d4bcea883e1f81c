"""Customers and their tax IDs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from billing.customers import customers
from billing.subscriptions import erasure
from merchant_api import request
from merchant_api.models import Address, EndingBefore, Limit, Metadata, Request, StartingAfter
from merchant_api.responses import ok
from merchant_api.wire import json_response

router = APIGatewayHttpRouter()
Phone = Annotated[str, Field(max_length=customers.PHONE_MAX_LENGTH, pattern=customers.PHONE_PATTERN)]
Name = Annotated[str, Field(max_length=customers.NAME_MAX_LENGTH)]
# The address itself is checked once, by the core (email-validator, as pydantic's EmailStr would):
# EmailStr here would load email-validator's tables, ~20 ms, into every cold start.
Email = Annotated[str, Field(max_length=customers.EMAIL_MAX_LENGTH, json_schema_extra={"format": "email"})]
CustomerId = Annotated[str, Path(alias="customer", pattern=r"^cust_[A-Za-z0-9]{1,40}$")]
PreferredLocale = Annotated[
    Literal["en", "de", "fr", "es"],
    Field(description="the language of the customer's invoices (absent or null: English)"),
]


class CustomerCreate(Request):
    email: Email | None = None
    name: Name | None = None
    phone: Phone | None = None
    address: Address | None = None
    metadata: Metadata | None = None
    testClock: Annotated[str, Field(pattern=r"^clock_[A-Za-z0-9]+$")] | None = None
    preferredLocale: PreferredLocale | None = None


class CustomerUpdate(Request):
    email: Email | None = None
    name: Name | None = None
    phone: Phone | None = None
    address: Address | None = None
    metadata: Metadata | None = None
    preferredLocale: PreferredLocale | None = None


class TaxIdCreate(Request):
    type: Annotated[str, Field(min_length=2, max_length=20, examples=["eu_vat"])]
    value: Annotated[str, Field(min_length=1, max_length=40, examples=["DE136695976"])]


@router.post("/v1/customers", summary="Create a customer", tags=["Customers"], responses=ok("Customer"))
def create_customer(body: Annotated[CustomerCreate, Body()]) -> Any:
    scope = request.scope(router)
    customer = customers.create(
        scope, body.model_dump(exclude_unset=True, mode="json"), request.info(router), table=request.table(router)
    )
    return json_response(customers.to_wire(customer, scope))


@router.get("/v1/customers", summary="List customers, newest first", tags=["Customers"], responses=ok("CustomerList"))
def list_customers(
    limit: Limit = 10,
    startingAfter: StartingAfter = None,
    endingBefore: EndingBefore = None,
    email: Annotated[str | None, Query()] = None,
) -> Any:
    scope = request.scope(router)
    return customers.list_customers(
        scope,
        limit=limit,
        starting_after=startingAfter,
        ending_before=endingBefore,
        email=email,
        table=request.table(router),
    )


@router.get(
    "/v1/customers/<customer>",
    summary="Retrieve a customer",
    description="A deleted customer answers `{id, object: customer, deleted: true}` (`DeletedCustomer`).",
    tags=["Customers"],
    responses=ok("Customer"),
)
def get_customer(customer_id: CustomerId) -> Any:
    return customers.retrieve(request.scope(router), customer_id, table=request.table(router))


@router.delete(
    "/v1/customers/<customer>",
    summary="Delete a customer (its personal data erased, its invoices kept)",
    description=(
        "Refused with 409 `customer_has_subscriptions` while a subscription of the customer has not ended: "
        "cancel them first. Then, at once: the customer's name, email, phone, address, tax IDs, metadata and "
        "credit are erased, its payment methods detached (at the gateway too), `customer.deleted` is sent, "
        "and the customer answers `{id, object, deleted: true}` from then on. Its invoices are kept, each "
        "with the customer's details as they stood when it was issued (invoices must be retained). Deleting "
        "it again answers the same."
    ),
    tags=["Customers"],
    responses=ok("DeletedCustomer"),
)
def delete_customer(customer_id: CustomerId) -> Any:
    return erasure.delete_customer(
        request.scope(router), customer_id, request.info(router), table=request.table(router)
    )


@router.post(
    "/v1/customers/<customer>", summary="Update a customer (partial)", tags=["Customers"], responses=ok("Customer")
)
def update_customer(customer_id: CustomerId, body: Annotated[CustomerUpdate, Body()]) -> Any:
    scope = request.scope(router)
    fields = body.model_dump(exclude_unset=True, mode="json")
    return customers.to_wire(
        customers.update(scope, customer_id, fields, request.info(router), table=request.table(router)), scope
    )


@router.post("/v1/customers/<customer>/tax_ids", summary="Add a tax ID", tags=["Customers"], responses=ok("TaxId"))
def add_tax_id(customer_id: CustomerId, body: Annotated[TaxIdCreate, Body()]) -> Any:
    scope = request.scope(router)
    _, tax_id = customers.add_tax_id(
        scope, customer_id, body.type, body.value, request.info(router), table=request.table(router)
    )
    return json_response(tax_id)


@router.delete(
    "/v1/customers/<customer>/tax_ids/<taxId>",
    summary="Remove a tax ID",
    tags=["Customers"],
    responses=ok("DeletedTaxId"),
)
def delete_tax_id(
    customer_id: CustomerId, tax_id: Annotated[str, Path(alias="taxId", pattern=r"^txi_[A-Za-z0-9]{1,40}$")]
) -> Any:
    scope = request.scope(router)
    return customers.delete_tax_id(scope, customer_id, tax_id, request.info(router), table=request.table(router))
