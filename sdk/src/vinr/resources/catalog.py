"""`client.products`, `client.prices`, `client.coupons`, `client.tax_rates`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from vinr.resources._base import NOT_GIVEN, NotGiven, Resource, body_of, query_of, segment
from vinr.types import Coupon, CouponDuration, Page, Price, Product, TaxRate

Number = int | float | Decimal | str


class Products(Resource):
    def create(
        self,
        *,
        name: str,
        id: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven = NOT_GIVEN,
        active: bool | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Product:
        """`POST /v1/products`; `id` (e.g. `prod_pro`) is generated when omitted."""
        body = body_of(id=id, name=name, description=description, active=active, metadata=metadata)
        return self._post(Product, "/v1/products", body, idempotency_key)

    def retrieve(self, product: str) -> Product:
        """`GET /v1/products/{id}`."""
        return self._get(Product, f"/v1/products/{segment(product)}")

    def update(
        self,
        product: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        active: bool | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Product:
        """`POST /v1/products/{id}`: only the given fields change; `active=False` archives it (no new
        subscription or plan switch takes it; the subscriptions that have it keep it)."""
        body = body_of(name=name, description=description, active=active, metadata=metadata)
        return self._post(Product, f"/v1/products/{segment(product)}", body, idempotency_key)

    def list(
        self,
        *,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[Product]:
        """`GET /v1/products`: one page, `{"data": [...], "hasMore": bool}`."""
        params = query_of(limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[Product], "/v1/products", params)

    def auto_paging_iter(self, *, limit: int | NotGiven = NOT_GIVEN) -> Iterator[Product]:
        """Every product, fetching the next page as the iteration reaches it."""
        return self._iterate(Product, "/v1/products", query_of(limit=limit))


class Prices(Resource):
    def create(
        self,
        *,
        product: str,
        unit_amount: int,
        currency: str,
        recurring: Mapping[str, Any],
        nickname: str | NotGiven = NOT_GIVEN,
        active: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Price:
        """`POST /v1/prices`: `unit_amount` in the currency's minor unit, `recurring={"interval": "month"}`."""
        body = body_of(
            product=product,
            unit_amount=unit_amount,
            currency=currency,
            recurring=recurring,
            nickname=nickname,
            active=active,
        )
        return self._post(Price, "/v1/prices", body, idempotency_key)

    def retrieve(self, price: str) -> Price:
        """`GET /v1/prices/{id}`."""
        return self._get(Price, f"/v1/prices/{segment(price)}")

    def update(
        self,
        price: str,
        *,
        nickname: str | NotGiven | None = NOT_GIVEN,
        active: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Price:
        """`POST /v1/prices/{id}`: the nickname, or `active=False` to archive it; what it charges never changes."""
        body = body_of(nickname=nickname, active=active)
        return self._post(Price, f"/v1/prices/{segment(price)}", body, idempotency_key)

    def list(
        self,
        *,
        product: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[Price]:
        """`GET /v1/prices?product=`: one page."""
        params = query_of(product=product, limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[Price], "/v1/prices", params)

    def auto_paging_iter(
        self, *, product: str | NotGiven = NOT_GIVEN, limit: int | NotGiven = NOT_GIVEN
    ) -> Iterator[Price]:
        """Every price (of one product when given), page after page."""
        return self._iterate(Price, "/v1/prices", query_of(product=product, limit=limit))


class Coupons(Resource):
    def create(
        self,
        *,
        duration: CouponDuration,
        id: str | NotGiven = NOT_GIVEN,
        name: str | NotGiven = NOT_GIVEN,
        percent_off: Number | NotGiven = NOT_GIVEN,
        amount_off: int | NotGiven = NOT_GIVEN,
        currency: str | NotGiven = NOT_GIVEN,
        duration_in_months: int | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Coupon:
        """`POST /v1/coupons`: `percent_off`, or `amount_off` with `currency`; `duration` once|repeating|forever."""
        body = body_of(
            id=id,
            name=name,
            percent_off=percent_off,
            amount_off=amount_off,
            currency=currency,
            duration=duration,
            duration_in_months=duration_in_months,
        )
        return self._post(Coupon, "/v1/coupons", body, idempotency_key)

    def retrieve(self, coupon: str) -> Coupon:
        """`GET /v1/coupons/{id}`."""
        return self._get(Coupon, f"/v1/coupons/{segment(coupon)}")


class TaxRates(Resource):
    def create(
        self,
        *,
        country: str,
        percentage: Number,
        display_name: str,
        state: str | NotGiven = NOT_GIVEN,
        inclusive: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> TaxRate:
        """`POST /v1/tax_rates`: applied to customers billed in `country` (and `state`)."""
        body = body_of(
            country=country, state=state, percentage=percentage, display_name=display_name, inclusive=inclusive
        )
        return self._post(TaxRate, "/v1/tax_rates", body, idempotency_key)

    def list(
        self,
        *,
        limit: int | NotGiven = NOT_GIVEN,
        starting_after: str | NotGiven = NOT_GIVEN,
        ending_before: str | NotGiven = NOT_GIVEN,
    ) -> Page[TaxRate]:
        """`GET /v1/tax_rates`: one page."""
        params = query_of(limit=limit, starting_after=starting_after, ending_before=ending_before)
        return self._get(Page[TaxRate], "/v1/tax_rates", params)

    def auto_paging_iter(self, *, limit: int | NotGiven = NOT_GIVEN) -> Iterator[TaxRate]:
        """Every tax rate, page after page."""
        return self._iterate(TaxRate, "/v1/tax_rates", query_of(limit=limit))
