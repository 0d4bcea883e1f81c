"""Portal configurations: normalisation and merging, without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.portal import portalconfigs as pc


def param_of(fields: Any) -> str | None:
    with pytest.raises(InvalidRequest) as raised:
        pc.normalise(fields)
    return raised.value.param


class TestNormaliseProducts:
    def test_ids_and_objects_become_objects(self) -> None:
        assert pc.normalise_products(
            ["prod_a", {"product": "prod_b", "prices": ["price_1", "price_1", "price_2"]}]
        ) == [
            {"product": "prod_a", "prices": []},
            {"product": "prod_b", "prices": ["price_1", "price_2"]},
        ]

    def test_prices_may_be_omitted_or_null(self) -> None:
        assert pc.normalise_products([{"product": "prod_a"}, {"product": "prod_b", "prices": None}]) == [
            {"product": "prod_a", "prices": []},
            {"product": "prod_b", "prices": []},
        ]

    @pytest.mark.parametrize(
        ("products", "param"),
        [
            ("prod_a", "p"),
            ([None], "p.0"),
            (["prod_a", ""], "p.1"),
            (["prod_a", "prod_a"], "p.1"),
            ([{"product": "prod_a", "prices": "price_1"}], "p.0.prices"),
            ([{"product": "prod_a", "prices": ["price_1", 7]}], "p.0.prices.1"),
            ([{"product": 3}], "p.0.product"),
            ([{"prices": []}], "p.0.product"),
            ([{"product": "prod_a", "extra": 1}], "p.0.extra"),
            ([f"prod_{n}" for n in range(pc.MAX_PRODUCTS + 1)], "p"),
        ],
    )
    def test_bad_products_name_their_position(self, products: Any, param: str) -> None:
        with pytest.raises(InvalidRequest) as raised:
            pc.normalise_products(products, "p")
        assert raised.value.param == param


class TestNormalise:
    def test_given_fields_only_with_lists_deduplicated(self) -> None:
        given = pc.normalise(
            {"features": {"customerUpdate": {"allowedUpdates": ["email", "email", "name"]}}, "name": None}
        )
        assert given == {"features": {"customerUpdate": {"allowedUpdates": ["email", "name"]}}, "name": None}

    @pytest.mark.parametrize(
        ("fields", "param"),
        [
            ({"colour": "red"}, "colour"),
            ({"features": {"invoiceHistory": {"enabled": 1}}}, "features.invoiceHistory.enabled"),
            ({"features": {"invoiceHistory": None}}, "features.invoiceHistory"),
            ({"features": {"subscriptionCancel": {"mode": None}}}, "features.subscriptionCancel.mode"),
            (
                {"features": {"subscriptionCancel": {"retention": {"offerCoupon": "rwd_a", "x": 1}}}},
                "features.subscriptionCancel.retention.x",
            ),
            ({"features": {"subscriptionCancel": {"retention": "rwd_a"}}}, "features.subscriptionCancel.retention"),
            ({"features": {"paymentMethodUpdate": {"types": "card"}}}, "features.paymentMethodUpdate.types"),
            ({"businessProfile": {"headline": "h" * 61}}, "businessProfile.headline"),
            ({"businessProfile": {"privacyPolicyUrl": "https://"}}, "businessProfile.privacyPolicyUrl"),
            ({"businessProfile": {"termsOfServiceUrl": 5}}, "businessProfile.termsOfServiceUrl"),
            ({"metadata": {"a": 1}}, "metadata"),
            ([], "body"),
        ],
    )
    def test_bad_fields_name_their_path(self, fields: Any, param: str) -> None:
        assert param_of(fields) == param


class TestMerge:
    def test_objects_merge_field_by_field_and_lists_are_replaced(self) -> None:
        stored = pc.blank_configuration()
        stored["features"]["subscriptionUpdate"]["products"] = [{"product": "prod_a", "prices": []}]
        given = pc.normalise(
            {
                "features": {
                    "subscriptionCancel": {"cancellationReason": {"enabled": False}},
                    "subscriptionUpdate": {"allowedUpdates": ["quantity"]},
                },
                "metadata": {"a": "1"},
            }
        )
        merged = pc.merge(stored, given)
        cancel = merged["features"]["subscriptionCancel"]
        assert cancel["cancellationReason"] == {"enabled": False, "options": list(pc.CANCELLATION_REASONS)}
        assert cancel["mode"] == "at_period_end"
        update = merged["features"]["subscriptionUpdate"]
        assert update["allowedUpdates"] == ["quantity"]
        assert update["products"] == [{"product": "prod_a", "prices": []}]
        assert merged["metadata"] == {"a": "1"}
        # and the stored configuration is left as it was
        assert stored["features"]["subscriptionCancel"]["cancellationReason"]["enabled"] is True

    def test_retention_is_replaced_whole_and_metadata_keys_removed_by_null(self) -> None:
        stored = pc.blank_configuration()
        stored["features"]["subscriptionCancel"]["retention"] = {"offerCoupon": "rwd_a"}
        stored["metadata"] = {"a": "1", "b": "2"}
        merged = pc.merge(
            stored, pc.normalise({"features": {"subscriptionCancel": {"retention": None}}, "metadata": {"a": None}})
        )
        assert merged["features"]["subscriptionCancel"]["retention"] is None
        assert merged["metadata"] == {"b": "2"}

    def test_nothing_given_is_no_change(self) -> None:
        stored = pc.blank_configuration()
        assert pc.merge(stored, pc.normalise({})) == stored


class TestConsistencyAndIds:
    def test_subscription_updates_need_products(self) -> None:
        features = pc.default_features()
        pc.check_consistency(features)
        features["subscriptionUpdate"]["enabled"] = True
        with pytest.raises(InvalidRequest) as raised:
            pc.check_consistency(features)
        assert raised.value.param == "features.subscriptionUpdate.products"

    def test_the_default_id_is_per_scope_alphanumeric_and_stable(self) -> None:
        ids = {pc.default_id(Scope(a, m)) for a in ("acct_1", "acct_2") for m in ("test", "live")}  # type: ignore[arg-type]
        assert len(ids) == 4
        assert all(i.startswith("bpc_") and i[4:].isalnum() and len(i) == 24 for i in ids)
        assert pc.default_id(Scope("acct_1", "test")) in ids

    def test_defaults_are_fresh_copies(self) -> None:
        first = pc.default_features()
        first["customerUpdate"]["allowedUpdates"].clear()
        assert pc.default_features()["customerUpdate"]["allowedUpdates"] == list(pc.CUSTOMER_UPDATES)
