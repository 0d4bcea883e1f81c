"""`client.customers`, with `client.customers.tax_ids` and `client.customers.payment_methods`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vinr._http import Transport
from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of, query_of, segment
from vinr.types import Customer, DeletedCustomer, DeletedPaymentMethod, DeletedTaxId, Locale, Page, PaymentMethod, TaxId


class CustomerTaxIds(Resource):
    def create(self, customer: str, *, type: str, value: str, idempotency_key: str | None = None) -> TaxId:
        """`POST /v1/customers/{id}/tax_ids`: `type` such as `eu_vat`, `gb_vat`, `us_ein`; validated by type."""
        body = body_of(type=type, value=value)
        return self._post(TaxId, f"/v1/customers/{segment(customer, 'customer')}/tax_ids", body, idempotency_key)

    def delete(self, customer: str, tax_id: str, *, idempotency_key: str | None = None) -> DeletedTaxId:
        """`DELETE /v1/customers/{id}/tax_ids/{taxId}`."""
        path = f"/v1/customers/{segment(customer, 'customer')}/tax_ids/{segment(tax_id, 'tax_id')}"
        return self._delete(DeletedTaxId, path, idempotency_key)


class CustomerPaymentMethods(Resource):
    def create(
        self,
        customer: str,
        *,
        token: str,
        set_default: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> PaymentMethod:
        """`POST /v1/customers/{id}/payment_methods` from a token (test mode: `tok_visa`, `tok_sepa_de`, …)."""
        body = body_of(token=token, set_default=set_default)
        path = f"/v1/customers/{segment(customer, 'customer')}/payment_methods"
        return self._post(PaymentMethod, path, body, idempotency_key)

    def list(
        self,
        customer: str,
        *,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[PaymentMethod]:
        """`GET /v1/customers/{id}/payment_methods`: one page, newest first (10 unless `limit`)."""
        params = query_of(limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[PaymentMethod], f"/v1/customers/{segment(customer, 'customer')}/payment_methods", params)

    def delete(self, customer: str, payment_method: str, *, idempotency_key: str | None = None) -> DeletedPaymentMethod:
        """`DELETE /v1/customers/{id}/payment_methods/{pm}`: detach it."""
        path = (
            f"/v1/customers/{segment(customer, 'customer')}/payment_methods/{segment(payment_method, 'payment_method')}"
        )
        return self._delete(DeletedPaymentMethod, path, idempotency_key)

    def set_default(self, customer: str, payment_method: str, *, idempotency_key: str | None = None) -> PaymentMethod:
        """`POST /v1/customers/{id}/payment_methods/{pm}/default`: make it the one renewals charge."""
        path = (
            f"/v1/customers/{segment(customer, 'customer')}"
            f"/payment_methods/{segment(payment_method, 'payment_method')}/default"
        )
        return self._post(PaymentMethod, path, None, idempotency_key)


class Customers(Resource):
    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self.tax_ids = CustomerTaxIds(transport)
        self.payment_methods = CustomerPaymentMethods(transport)

    def create(
        self,
        *,
        email: str | NotGiven = NOT_GIVEN,
        name: str | NotGiven = NOT_GIVEN,
        phone: str | NotGiven = NOT_GIVEN,
        address: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        test_clock: str | NotGiven = NOT_GIVEN,
        preferred_locale: Locale | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Customer:
        """`POST /v1/customers`; `address` keys may be snake_case (`postal_code`) or camelCase;
        `preferred_locale` (en, de, fr, es) is the language of the customer's invoices."""
        body = body_of(
            email=email,
            name=name,
            phone=phone,
            address=address,
            metadata=metadata,
            test_clock=test_clock,
            preferred_locale=preferred_locale,
        )
        return self._post(Customer, "/v1/customers", body, idempotency_key)

    def retrieve(self, customer: str) -> Customer:
        """`GET /v1/customers/{id}`."""
        return self._get(Customer, f"/v1/customers/{segment(customer, 'customer')}")

    def delete(self, customer: str, *, idempotency_key: str | None = None) -> DeletedCustomer:
        """`DELETE /v1/customers/{id}`: its personal data erased, its payment methods detached, its
        invoices kept; refused (409 `customer_has_subscriptions`) while a subscription has not ended."""
        return self._delete(DeletedCustomer, f"/v1/customers/{segment(customer, 'customer')}", idempotency_key)

    def update(
        self,
        customer: str,
        *,
        email: str | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        phone: str | NotGiven | None = NOT_GIVEN,
        address: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven | None = NOT_GIVEN,
        preferred_locale: Locale | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Customer:
        """`POST /v1/customers/{id}`: only the given fields change."""
        body = body_of(
            email=email, name=name, phone=phone, address=address, metadata=metadata, preferred_locale=preferred_locale
        )
        return self._post(Customer, f"/v1/customers/{segment(customer, 'customer')}", body, idempotency_key)

    def list(
        self,
        *,
        email: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[Customer]:
        """`GET /v1/customers`: one page, newest first (`ending_before`: the newer page)."""
        params = query_of(email=email, limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[Customer], "/v1/customers", params)

    def auto_paging_iter(
        self, *, email: str | NotGiven = NOT_GIVEN, limit: int | NotGiven = NOT_GIVEN
    ) -> Iterator[Customer]:
        """Every customer, newest first, page after page."""
        return self._iterate(Customer, "/v1/customers", query_of(email=email, limit=limit))
