"""Products, prices, coupons and tax rates through the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Stack
from tests.support.apiclient import ApiClient


def product(merchant: ApiClient, **fields: Any) -> dict[str, Any]:
    response = merchant.post("/v1/products", {"name": "Pro", **fields})
    assert response.status == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestProductsAndPrices:
    def test_a_merchant_id_product_with_monthly_and_yearly_prices(self, merchant: ApiClient) -> None:
        made = product(merchant, id="prod_pro", description="For teams")
        assert (made["id"], made["active"]) == ("prod_pro", True)
        monthly = merchant.post(
            "/v1/prices",
            {"product": "prod_pro", "unitAmount": 2900, "currency": "EUR", "recurring": {"interval": "month"}},
        )
        yearly = merchant.post(
            "/v1/prices",
            {"product": "prod_pro", "unitAmount": 29000, "currency": "eur", "recurring": {"interval": "year"}},
        )
        assert monthly.status == yearly.status == 200, monthly.text + yearly.text
        assert monthly.json()["currency"] == "eur"
        assert monthly.json()["recurring"] == {"interval": "month", "intervalCount": 1}
        listed = merchant.get("/v1/prices", query={"product": "prod_pro"}).json()["data"]
        assert [p["id"] for p in listed] == [yearly.json()["id"], monthly.json()["id"]]
        assert merchant.get(f"/v1/prices/{monthly.json()['id']}").json() == monthly.json()

    def test_the_same_product_id_twice_is_409(self, merchant: ApiClient) -> None:
        product(merchant, id="prod_dup")
        again = merchant.post("/v1/products", {"id": "prod_dup", "name": "Again"})
        assert again.status == 409 and "prod_dup" in again.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("payload", "param"),
        [
            (
                {"product": "prod_none", "unitAmount": 100, "currency": "usd", "recurring": {"interval": "month"}},
                "product",
            ),
            (
                {"product": "prod_x", "unitAmount": -1, "currency": "usd", "recurring": {"interval": "month"}},
                "unitAmount",
            ),
            (
                {"product": "prod_x", "unitAmount": 1.5, "currency": "usd", "recurring": {"interval": "month"}},
                "unitAmount",
            ),
            (
                {"product": "prod_x", "unitAmount": 100, "currency": "xyz", "recurring": {"interval": "month"}},
                "currency",
            ),
            (
                {"product": "prod_x", "unitAmount": 100, "currency": "usd", "recurring": {"interval": "decade"}},
                "recurring.interval",
            ),
            (
                {
                    "product": "prod_x",
                    "unitAmount": 100,
                    "currency": "usd",
                    "recurring": {"interval": "month", "intervalCount": 13},
                },
                "recurring.intervalCount",
            ),
        ],
    )
    def test_bad_prices_are_400_naming_the_field(
        self, merchant: ApiClient, payload: dict[str, Any], param: str
    ) -> None:
        product(merchant, id="prod_x")
        response = merchant.post("/v1/prices", payload)
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param

    def test_products_list_newest_first_with_custom_ids_and_paging(self, merchant: ApiClient) -> None:
        ids = [product(merchant, id=f"prod_p{n}")["id"] for n in range(3)]
        first = merchant.get("/v1/products", query={"limit": 2}).json()
        assert [p["id"] for p in first["data"]] == ids[::-1][:2] and first["hasMore"]
        rest = merchant.get("/v1/products", query={"startingAfter": first["data"][-1]["id"]}).json()
        assert [p["id"] for p in rest["data"]] == [ids[0]]
        assert merchant.get("/v1/products", query={"startingAfter": "prod_unknown"}).status == 400

    def test_other_accounts_products_are_invisible(self, stack: Stack, merchant: ApiClient) -> None:
        product(merchant, id="prod_secret")
        _, key = stack.new_account()
        other = ApiClient(stack.template, key=key)
        assert other.get("/v1/products/prod_secret").status == 404
        assert (
            other.post(
                "/v1/prices",
                {"product": "prod_secret", "unitAmount": 1, "currency": "usd", "recurring": {"interval": "month"}},
            ).json()["error"]["param"]
            == "product"
        )
        # and the same custom ID is free for them
        assert other.post("/v1/products", {"id": "prod_secret", "name": "Theirs"}).status == 200


class TestCoupons:
    def test_percent_and_amount_coupons(self, merchant: ApiClient) -> None:
        save = merchant.post(
            "/v1/coupons", {"id": "rwd_save20", "percentOff": 20, "duration": "repeating", "durationInMonths": 3}
        )
        assert save.status == 200, save.text
        assert (save.json()["percentOff"], save.json()["durationInMonths"]) == (20, 3)
        five = merchant.post("/v1/coupons", {"amountOff": 500, "currency": "eur", "duration": "once"})
        assert five.status == 200 and five.json()["id"].startswith("rwd_")
        assert merchant.get("/v1/coupons/rwd_save20").json() == save.json()

    @pytest.mark.parametrize(
        ("payload", "param"),
        [
            ({"percentOff": 20, "amountOff": 100, "currency": "eur", "duration": "once"}, "percentOff"),
            ({"duration": "once"}, "percentOff"),
            ({"amountOff": 100, "duration": "once"}, "currency"),
            ({"percentOff": 120, "duration": "once"}, "percentOff"),
            ({"percentOff": 10, "duration": "repeating"}, "durationInMonths"),
            ({"percentOff": 10, "duration": "forever", "durationInMonths": 2}, "durationInMonths"),
            ({"percentOff": 10, "duration": "sometimes"}, "duration"),
        ],
    )
    def test_bad_coupons_are_400_naming_the_field(
        self, merchant: ApiClient, payload: dict[str, Any], param: str
    ) -> None:
        response = merchant.post("/v1/coupons", payload)
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param


class TestTaxRates:
    def test_rates_with_decimal_percentages(self, merchant: ApiClient) -> None:
        vat = merchant.post("/v1/tax_rates", {"country": "de", "percentage": 19, "displayName": "USt."})
        ny = merchant.post(
            "/v1/tax_rates", {"country": "US", "state": "NY", "percentage": "8.875", "displayName": "Sales tax"}
        )
        assert vat.status == ny.status == 200, vat.text + ny.text
        assert (vat.json()["country"], vat.json()["percentage"], vat.json()["inclusive"]) == ("DE", 19, False)
        assert ny.json()["percentage"] == 8.875
        listed = merchant.get("/v1/tax_rates").json()["data"]
        assert [r["id"] for r in listed] == [ny.json()["id"], vat.json()["id"]]

    @pytest.mark.parametrize(
        ("payload", "param"),
        [
            ({"country": "DE", "percentage": 101, "displayName": "x"}, "percentage"),
            ({"country": "DE", "percentage": "1.00001", "displayName": "x"}, "percentage"),
            ({"country": "Germany", "percentage": 19, "displayName": "x"}, "country"),
            ({"country": "DE", "percentage": 19}, "displayName"),
        ],
    )
    def test_bad_rates_are_400_naming_the_field(self, merchant: ApiClient, payload: dict[str, Any], param: str) -> None:
        response = merchant.post("/v1/tax_rates", payload)
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param
