"""Portal configurations through the API, like a merchant: the default, others, updates, checks."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from billing.kernel.scope import RequestInfo, Scope
from billing.portal import portalconfigs
from billing.store.repository import Item, Table
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok

PATH = "/v1/billing/portal_configurations"
EIGHT_REASONS = (
    "too_expensive missing_features switched_service unused customer_service too_complex low_quality other".split()
)
DEFAULT_FEATURES = {
    "customerUpdate": {"enabled": True, "allowedUpdates": ["name", "email", "address", "phone", "taxId"]},
    "invoiceHistory": {"enabled": True},
    "paymentMethodUpdate": {"enabled": True, "types": ["card", "sepa_debit"]},
    "subscriptionCancel": {
        "enabled": True,
        "mode": "at_period_end",
        "prorationBehavior": "none",
        "cancellationReason": {"enabled": True, "options": EIGHT_REASONS},
        "retention": None,
    },
    "subscriptionUpdate": {
        "enabled": False,
        "products": [],
        "allowedUpdates": ["price", "quantity"],
        "prorationBehavior": "create_prorations",
        "scheduleAtPeriodEnd": {"conditions": []},
    },
}
NO_PROFILE = {"headline": None, "privacyPolicyUrl": None, "termsOfServiceUrl": None}


def config_events(merchant: ApiClient) -> list[dict[str, Any]]:
    return list(ok(merchant.get("/v1/events", query={"type": "portal_configuration.*", "limit": 100}))["data"])


def seed_catalog(merchant: ApiClient) -> dict[str, str]:
    """prod_basic (monthly, yearly), prod_pro (monthly) and the coupon rwd_save20; answers the price IDs."""
    prices = {}
    for product, intervals in (("prod_basic", ("month", "year")), ("prod_pro", ("month",))):
        ok(merchant.post("/v1/products", {"id": product, "name": product}))
        for interval in intervals:
            price = {"product": product, "unitAmount": 900, "currency": "eur", "recurring": {"interval": interval}}
            prices[f"{product}_{interval}"] = ok(merchant.post("/v1/prices", price))["id"]
    ok(merchant.post("/v1/coupons", {"id": "rwd_save20", "percentOff": 20, "duration": "once"}))
    return prices


class TestTheDefault:
    def test_the_first_get_creates_the_default_with_one_event(self, merchant: ApiClient) -> None:
        # Given a new account that never touched portal configurations
        assert ok(merchant.get(PATH))["data"] == []
        # When it asks for the default
        default = ok(merchant.get(f"{PATH}/default"))
        # Then it gets the defaults, under a bpc_ ID, announced once
        assert default["id"].startswith("bpc_") and default["id"][4:].isalnum()
        assert (default["object"], default["isDefault"], default["livemode"]) == (
            "billing_portal.configuration",
            True,
            False,
        )
        assert default["features"] == DEFAULT_FEATURES
        assert default["businessProfile"] == NO_PROFILE
        assert default["createdAt"] == default["updatedAt"]
        assert ok(merchant.get(f"{PATH}/default")) == default
        assert ok(merchant.get(f"{PATH}/{default['id']}")) == default
        assert ok(merchant.get(PATH))["data"] == [default]
        [event] = config_events(merchant)
        assert event["type"] == "portal_configuration.created" and event["data"]["object"] == default
        assert event["request"]["source"] == "api"

    def test_concurrent_first_uses_make_one_default_and_one_event(self, stack: Stack) -> None:
        account, key = stack.new_account()
        scope = Scope(account, "test")
        barrier = threading.Barrier(8)
        found: list[str] = []
        failures: list[BaseException] = []

        def first_use() -> None:
            try:
                barrier.wait()
                found.append(portalconfigs.resolve(scope, None, RequestInfo(source="api"), table=Table()).id)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(found) == 8 and set(found) == {portalconfigs.default_id(scope)}
        merchant = ApiClient(stack.template, key=key)
        assert len(config_events(merchant)) == 1
        assert len(ok(merchant.get(PATH))["data"]) == 1

    def test_a_request_that_loses_the_race_answers_the_winners_default(self, stack: Stack) -> None:
        account, key = stack.new_account()
        scope = Scope(account, "test")
        winner = portalconfigs.resolve(scope, "default", RequestInfo(source="api"), table=Table())

        class Stale(Table):
            """A table whose first read comes before the winner's write."""

            misses = 1

            def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
                if self.misses:
                    self.misses -= 1
                    return None
                return super().get(pk, sk, consistent=consistent)

        loser = portalconfigs.resolve(scope, None, RequestInfo(source="api"), table=Stale())
        assert loser == winner
        assert len(config_events(ApiClient(stack.template, key=key))) == 1

    def test_test_and_live_defaults_differ(self, stack: Stack) -> None:
        account, _ = stack.new_account()
        test_id = portalconfigs.default_id(Scope(account, "test"))
        assert test_id != portalconfigs.default_id(Scope(account, "live"))
        assert test_id == portalconfigs.default_id(Scope(account, "test"))


class TestCreateRetrieveList:
    def test_create_with_every_feature_normalises_products(self, merchant: ApiClient) -> None:
        prices = seed_catalog(merchant)
        body = {
            "name": "Dunning",
            "businessProfile": {
                "headline": "Acme bills",
                "privacyPolicyUrl": "https://acme.example/privacy",
                "termsOfServiceUrl": "https://acme.example/terms",
            },
            "features": {
                "customerUpdate": {"enabled": True, "allowedUpdates": ["email", "address"]},
                "invoiceHistory": {"enabled": False},
                "paymentMethodUpdate": {"enabled": True, "types": ["card"]},
                "subscriptionCancel": {
                    "enabled": True,
                    "mode": "immediately",
                    "prorationBehavior": "create_prorations",
                    "cancellationReason": {"enabled": True, "options": ["too_expensive", "other"]},
                    "retention": {"offerCoupon": "rwd_save20"},
                },
                "subscriptionUpdate": {
                    "enabled": True,
                    "products": ["prod_pro", {"product": "prod_basic", "prices": [prices["prod_basic_year"]]}],
                    "allowedUpdates": ["price"],
                    "prorationBehavior": "always_invoice",
                    "scheduleAtPeriodEnd": {"conditions": ["decreasing_item_amount", "shortening_interval"]},
                },
            },
            "metadata": {"team": "billing"},
        }
        made = ok(merchant.post(PATH, body))
        assert made["id"].startswith("bpc_") and made["isDefault"] is False and made["name"] == "Dunning"
        assert made["businessProfile"] == body["businessProfile"]
        assert made["features"]["subscriptionUpdate"]["products"] == [
            {"product": "prod_pro", "prices": []},
            {"product": "prod_basic", "prices": [prices["prod_basic_year"]]},
        ]
        assert made["features"]["subscriptionCancel"] == body["features"]["subscriptionCancel"]
        assert made["metadata"] == {"team": "billing"}
        assert ok(merchant.get(f"{PATH}/{made['id']}")) == made
        [event] = config_events(merchant)
        assert event["type"] == "portal_configuration.created" and event["data"]["object"] == made

    def test_omitted_parts_get_the_defaults(self, merchant: ApiClient) -> None:
        made = ok(merchant.post(PATH, {"features": {"subscriptionCancel": {"mode": "immediately"}}}))
        expected = {**DEFAULT_FEATURES, "subscriptionCancel": {**DEFAULT_FEATURES["subscriptionCancel"]}}
        expected["subscriptionCancel"]["mode"] = "immediately"
        assert made["features"] == expected
        assert (made["name"], made["businessProfile"], made["metadata"]) == (None, NO_PROFILE, {})
        assert ok(merchant.post(PATH, {}))["features"] == DEFAULT_FEATURES

    def test_list_pages_newest_first_then_the_default(self, merchant: ApiClient) -> None:
        # Given one configuration made before the default's first use, and two after
        made = [ok(merchant.post(PATH, {"name": "c0"}))["id"]]
        default = ok(merchant.get(f"{PATH}/default"))["id"]
        made += [ok(merchant.post(PATH, {"name": f"c{n}"}))["id"] for n in (1, 2)]
        # Then the list is newest first, and the default comes last
        newest_first = [*made[::-1], default]
        first = ok(merchant.get(PATH, query={"limit": 2}))
        assert [c["id"] for c in first["data"]] == newest_first[:2] and first["hasMore"] is True
        rest = ok(merchant.get(PATH, query={"startingAfter": first["data"][-1]["id"]}))
        assert [c["id"] for c in rest["data"]] == newest_first[2:] and rest["hasMore"] is False
        after_default = ok(merchant.get(PATH, query={"startingAfter": default}))
        assert after_default["data"] == [] and after_default["hasMore"] is False

    @pytest.mark.parametrize("bad_id", ["bpc_doesnotexist", "bpc_0000000000000000000000"])
    def test_an_unknown_id_is_404(self, merchant: ApiClient, bad_id: str) -> None:
        response = merchant.get(f"{PATH}/{bad_id}")
        assert response.status == 404 and response.json()["error"]["code"] == "resource_missing"
        assert merchant.post(f"{PATH}/{bad_id}", {"name": "x"}).status == 404

    @pytest.mark.parametrize("bad_id", ["cust_123", "bpc_!!", "DEFAULT"])
    def test_a_malformed_id_is_refused(self, merchant: ApiClient, bad_id: str) -> None:
        assert merchant.get(f"{PATH}/{bad_id}").status in (400, 404)


class TestUpdate:
    def test_an_update_merges_feature_by_feature_and_records_previous_attributes(self, merchant: ApiClient) -> None:
        seed_catalog(merchant)
        before = ok(merchant.get(f"{PATH}/default"))
        # When the merchant sets what the spec's example sets
        updated = ok(
            merchant.post(
                f"{PATH}/default",
                {
                    "features": {
                        "paymentMethodUpdate": {"enabled": True},
                        "invoiceHistory": {"enabled": True},
                        "subscriptionCancel": {
                            "enabled": True,
                            "mode": "immediately",
                            "retention": {"offerCoupon": "rwd_save20"},
                        },
                        "subscriptionUpdate": {
                            "enabled": True,
                            "products": ["prod_basic", "prod_pro"],
                            "prorationBehavior": "create_prorations",
                        },
                    },
                    "metadata": {"a": "1"},
                },
            )
        )
        # Then only what was given changed, field by field
        features = updated["features"]
        assert features["subscriptionCancel"] == {
            **DEFAULT_FEATURES["subscriptionCancel"],
            "mode": "immediately",
            "retention": {"offerCoupon": "rwd_save20"},
        }
        assert features["subscriptionUpdate"] == {
            **DEFAULT_FEATURES["subscriptionUpdate"],
            "enabled": True,
            "products": [{"product": "prod_basic", "prices": []}, {"product": "prod_pro", "prices": []}],
        }
        assert features["customerUpdate"] == DEFAULT_FEATURES["customerUpdate"]
        assert (updated["id"], updated["createdAt"]) == (before["id"], before["createdAt"])
        assert updated["metadata"] == {"a": "1"}
        assert ok(merchant.get(f"{PATH}/default")) == updated
        # And the event says what it was before
        updated_event, created_event = config_events(merchant)
        assert created_event["type"] == "portal_configuration.created"
        assert updated_event["type"] == "portal_configuration.updated"
        assert updated_event["data"]["object"] == updated
        assert updated_event["data"]["previousAttributes"] == {"features": before["features"], "metadata": {}}
        # And a later update of one field keeps the products
        later = ok(
            merchant.post(f"{PATH}/default", {"features": {"subscriptionUpdate": {"prorationBehavior": "none"}}})
        )
        assert later["features"]["subscriptionUpdate"]["products"] == features["subscriptionUpdate"]["products"]
        assert later["features"]["subscriptionUpdate"]["prorationBehavior"] == "none"

    def test_retention_null_removes_the_offer_and_a_headline_null_clears_it(self, merchant: ApiClient) -> None:
        seed_catalog(merchant)
        made = ok(
            merchant.post(
                PATH,
                {
                    "businessProfile": {"headline": "Hi"},
                    "features": {"subscriptionCancel": {"retention": {"offerCoupon": "rwd_save20"}}},
                },
            )
        )
        cleared = ok(
            merchant.post(
                f"{PATH}/{made['id']}",
                {"businessProfile": {"headline": None}, "features": {"subscriptionCancel": {"retention": None}}},
            )
        )
        assert cleared["features"]["subscriptionCancel"]["retention"] is None
        assert cleared["businessProfile"] == NO_PROFILE

    def test_an_update_that_changes_nothing_writes_and_emits_nothing(self, merchant: ApiClient) -> None:
        made = ok(merchant.post(PATH, {"name": "Same"}))
        again = ok(
            merchant.post(
                f"{PATH}/{made['id']}",
                {"name": "Same", "features": {"invoiceHistory": {"enabled": True}}, "metadata": {"gone": None}},
            )
        )
        assert again == made
        assert [e["type"] for e in config_events(merchant)] == ["portal_configuration.created"]

    def test_enabling_subscription_updates_without_products_is_400(self, merchant: ApiClient) -> None:
        response = merchant.post(f"{PATH}/default", {"features": {"subscriptionUpdate": {"enabled": True}}})
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == "features.subscriptionUpdate.products"
        assert ok(merchant.get(f"{PATH}/default"))["features"] == DEFAULT_FEATURES


def sub_update(**fields: Any) -> dict[str, Any]:
    return {"features": {"subscriptionUpdate": {"enabled": True, "products": ["prod_basic"], **fields}}}


def sub_cancel(**fields: Any) -> dict[str, Any]:
    return {"features": {"subscriptionCancel": fields}}


SU = "features.subscriptionUpdate"
SC = "features.subscriptionCancel"
INVALID = [
    (sub_update(products=["prod_basic", "prod_nope"]), f"{SU}.products.1"),
    (sub_update(products=[{"product": "prod_nope", "prices": []}]), f"{SU}.products.0"),
    (
        sub_update(products=[{"product": "prod_basic", "prices": ["<month>", "<year>", "price_nope"]}]),
        f"{SU}.products.0.prices.2",
    ),
    (sub_update(products=["prod_basic", {"product": "prod_pro", "prices": ["<month>"]}]), f"{SU}.products.1.prices.0"),
    (sub_update(products=["prod_basic", "prod_basic"]), f"{SU}.products.1"),
    (sub_update(products=[{"product": "prod_basic", "colour": "red"}]), f"{SU}.products.0.colour"),
    (sub_update(products=[{"prices": []}]), f"{SU}.products.0.product"),
    (sub_update(products=[42]), f"{SU}.products.0"),
    (sub_update(products="prod_basic"), f"{SU}.products"),
    (sub_update(products=[f"prod_{n}" for n in range(11)]), f"{SU}.products"),
    (sub_update(products=[]), f"{SU}.products"),
    (sub_update(allowedUpdates=["price", "promotion_code"]), f"{SU}.allowedUpdates.1"),
    (sub_update(prorationBehavior="sometimes"), f"{SU}.prorationBehavior"),
    (
        sub_update(scheduleAtPeriodEnd={"conditions": ["shortening_interval", "always"]}),
        f"{SU}.scheduleAtPeriodEnd.conditions.1",
    ),
    (sub_cancel(retention={"offerCoupon": "rwd_nope"}), f"{SC}.retention.offerCoupon"),
    (sub_cancel(retention={}), f"{SC}.retention.offerCoupon"),
    (sub_cancel(mode="later"), f"{SC}.mode"),
    (sub_cancel(prorationBehavior="never"), f"{SC}.prorationBehavior"),
    (sub_cancel(cancellationReason={"options": ["too_expensive", "bored"]}), f"{SC}.cancellationReason.options.1"),
    (sub_cancel(enabled=None), f"{SC}.enabled"),
    ({"features": {"customerUpdate": {"allowedUpdates": ["shipping"]}}}, "features.customerUpdate.allowedUpdates.0"),
    ({"features": {"paymentMethodUpdate": {"types": ["card", "paypal"]}}}, "features.paymentMethodUpdate.types.1"),
    ({"features": {"invoiceHistory": {"enabled": "maybe"}}}, "features.invoiceHistory.enabled"),
    ({"features": {"loyalty": {"enabled": True}}}, "features.loyalty"),
    ({"features": None}, "features"),
    ({"businessProfile": {"headline": "h" * 61}}, "businessProfile.headline"),
    ({"businessProfile": {"privacyPolicyUrl": "http://acme.example/privacy"}}, "businessProfile.privacyPolicyUrl"),
    ({"businessProfile": {"termsOfServiceUrl": "javascript:alert(1)"}}, "businessProfile.termsOfServiceUrl"),
    ({"name": "n" * 101}, "name"),
    ({"isDefault": True}, "isDefault"),
]


class TestValidation:
    @pytest.mark.parametrize("target", ["", "/default"])
    @pytest.mark.parametrize(("payload", "param"), INVALID)
    def test_bad_configurations_are_400_naming_the_param(
        self, merchant: ApiClient, target: str, payload: dict[str, Any], param: str
    ) -> None:
        prices = seed_catalog(merchant)
        body = _with_prices(payload, prices)
        response = merchant.post(f"{PATH}{target}", body)
        assert response.status == 400, response.text
        assert response.json()["error"]["param"] == param
        assert not [e for e in config_events(merchant) if e["type"] == "portal_configuration.updated"]

    def test_a_headline_of_sixty_characters_and_https_links_are_fine(self, merchant: ApiClient) -> None:
        profile = {
            "headline": "h" * 60,
            "privacyPolicyUrl": "https://acme.example/privacy",
            "termsOfServiceUrl": "https://acme.example/terms?lang=en",
        }
        assert ok(merchant.post(PATH, {"businessProfile": profile}))["businessProfile"] == profile


def _with_prices(payload: Any, prices: dict[str, str]) -> Any:
    """`<month>`/`<year>` in a payload → the seeded prod_basic price IDs."""
    if isinstance(payload, dict):
        return {k: _with_prices(v, prices) for k, v in payload.items()}
    if isinstance(payload, list):
        return [_with_prices(v, prices) for v in payload]
    if payload in ("<month>", "<year>"):
        return prices[f"prod_basic_{payload[1:-1]}"]
    return payload


class TestOtherAccounts:
    def test_another_accounts_configuration_is_404_like_a_missing_one(self, stack: Stack, merchant: ApiClient) -> None:
        mine = ok(merchant.post(PATH, {"name": "Mine"}))
        my_default = ok(merchant.get(f"{PATH}/default"))
        _, key = stack.new_account()
        other = ApiClient(stack.template, key=key)
        for config_id in (mine["id"], my_default["id"]):
            theirs = other.get(f"{PATH}/{config_id}")
            assert theirs.status == 404 and theirs.json()["error"]["code"] == "resource_missing"
            assert other.post(f"{PATH}/{config_id}", {"name": "Stolen"}).status == 404
        assert ok(other.get(f"{PATH}/default"))["id"] != my_default["id"]
        assert ok(merchant.get(f"{PATH}/{mine['id']}"))["name"] == "Mine"

    def test_another_accounts_catalog_is_unknown(self, stack: Stack, merchant: ApiClient) -> None:
        prices = seed_catalog(merchant)
        _, key = stack.new_account()
        other = ApiClient(stack.template, key=key)
        ok(other.post("/v1/products", {"id": "prod_own", "name": "Own"}))
        cases = [
            (sub_update(products=["prod_basic"]), f"{SU}.products.0"),
            (
                sub_update(products=[{"product": "prod_own", "prices": [prices["prod_basic_month"]]}]),
                f"{SU}.products.0.prices.0",
            ),
            (sub_cancel(retention={"offerCoupon": "rwd_save20"}), f"{SC}.retention.offerCoupon"),
        ]
        for payload, param in cases:
            response = other.post(PATH, payload)
            assert response.status == 400, response.text
            assert response.json()["error"]["param"] == param


class TestNulls:
    """`name`, the business profile's fields and `retention` take null (none); the objects,
    `metadata` and every other feature field do not: API.md gives null no meaning there, so the
    service refuses it, naming the field, and the schema does not offer it."""

    @pytest.mark.parametrize(
        "payload",
        [
            {"businessProfile": None},
            {"features": None},
            {"metadata": None},
            {"features": {"customerUpdate": None}},
            {"features": {"subscriptionCancel": {"cancellationReason": None}}},
            {"features": {"subscriptionUpdate": {"scheduleAtPeriodEnd": None}}},
            {"features": {"invoiceHistory": {"enabled": None}}},
            {"features": {"paymentMethodUpdate": {"types": None}}},
            {"features": {"subscriptionCancel": {"mode": None}}},
            {"features": {"subscriptionUpdate": {"products": None}}},
            {"features": {"subscriptionUpdate": {"scheduleAtPeriodEnd": {"conditions": None}}}},
        ],
    )
    def test_a_null_without_a_meaning_is_a_400_naming_the_field(
        self, merchant: ApiClient, payload: dict[str, Any]
    ) -> None:
        def dotted(value: Any, at: str = "") -> str:
            key, inner = next(iter(value.items()))
            name = f"{at}.{key}" if at else key
            return dotted(inner, name) if isinstance(inner, dict) else name

        mine = ok(merchant.post(PATH, {"name": "Mine"}))
        for path in (PATH, f"{PATH}/{mine['id']}", f"{PATH}/default"):
            response = merchant.post(path, payload)
            assert response.status == 400, (path, response.text)
            assert response.json()["error"]["param"] == dotted(payload), response.text
        assert ok(merchant.get(f"{PATH}/{mine['id']}")) == mine

    def test_a_null_with_a_meaning_clears(self, merchant: ApiClient) -> None:
        prices = seed_catalog(merchant)
        made = ok(
            merchant.post(
                PATH,
                _with_prices(
                    {
                        "name": "Mine",
                        "businessProfile": {"headline": "Hi", "privacyPolicyUrl": "https://example.com/privacy"},
                        "features": sub_cancel(retention={"offerCoupon": "rwd_save20"})["features"],
                    },
                    prices,
                ),
            )
        )
        cleared = ok(
            merchant.post(
                f"{PATH}/{made['id']}",
                {"name": None, "businessProfile": NO_PROFILE, "features": sub_cancel(retention=None)["features"]},
            )
        )
        assert cleared["name"] is None and cleared["businessProfile"] == NO_PROFILE
        assert cleared["features"]["subscriptionCancel"]["retention"] is None

    def test_the_schema_offers_null_exactly_where_the_service_takes_it(self, merchant: ApiClient) -> None:
        # Given the request schemas, and the service's own rules (each leaf says if it takes null)
        document = ok(merchant.get("/v1/openapi.json"))
        schemas = document["components"]["schemas"]

        def resolve(schema: dict[str, Any]) -> dict[str, Any]:
            while "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            return schema

        def offers_null(schema: dict[str, Any]) -> bool:
            return {"type": "null"} in schema.get("anyOf", [])

        def without_null(schema: dict[str, Any]) -> dict[str, Any]:
            branches = [b for b in schema.get("anyOf", [schema]) if b != {"type": "null"}]
            return resolve(branches[0])

        def walk(model: dict[str, Any], spec: Any, at: str) -> list[str]:
            wrong = []
            properties = resolve(model)["properties"]
            assert set(properties) == set(spec), at
            for key, rule in spec.items():
                field = properties[key]
                nullable = False if isinstance(rule, dict) else rule.nullable
                if offers_null(field) != nullable:
                    wrong.append(f"{at}{key}")
                if isinstance(rule, dict):
                    wrong += walk(without_null(field), rule, f"{at}{key}.")
            return wrong

        # Then the schema offers null for a field exactly when the service takes it
        for name in ("PortalConfigurationCreate", "PortalConfigurationUpdate"):
            assert walk(schemas[name], portalconfigs.CONFIGURATION, "") == [], name
        # And what no null is offered for is still optional
        for name in ("PortalConfigurationCreate", "PortalFeatures", "PortalSubscriptionCancel"):
            assert "required" not in schemas[name], name


class TestOpenApi:
    def test_the_schema_lists_the_enums_under_unambiguous_names(self, merchant: ApiClient) -> None:
        schemas = ok(merchant.get("/v1/openapi.json"))["components"]["schemas"]
        assert not [name for name in schemas if "portal_configurations" in name]
        mode = schemas["PortalSubscriptionCancel"]["properties"]["mode"]
        assert mode["enum"] == ["immediately", "at_period_end"]
        options = schemas["PortalCancellationReason"]["properties"]["options"]["items"]
        assert options["enum"] == EIGHT_REASONS
        products = schemas["PortalSubscriptionUpdate"]["properties"]["products"]["items"]["anyOf"]
        assert [p["type"] for p in products] == ["string", "object"]
        assert products[0]["maxLength"] == products[1]["properties"]["product"]["maxLength"] == portalconfigs.ID_MAX

    def test_the_links_pattern_is_what_the_service_takes(self, merchant: ApiClient) -> None:
        # Given the schema's pattern for the business profile's links
        schemas = ok(merchant.get("/v1/openapi.json"))["components"]["schemas"]
        link = schemas["PortalBusinessProfile"]["properties"]["privacyPolicyUrl"]["anyOf"][0]
        pattern = re.compile(link["pattern"])
        assert link["maxLength"] == portalconfigs.URL_MAX
        cases = [
            "https://example.com",
            "HTTPS://example.com/privacy?x=1#top",
            "https://example.com:8443/a",
            "http://example.com/privacy",
            "https://user@example.com/privacy",
            "https://example.com/a b",
            "https://[::1]/privacy",
            "https://[/privacy",
            "https://bücher.example/privacy",
            "https://:443/privacy",
            "https://",
            "ftp://example.com",
            "example.com",
        ]
        for url in cases:
            # When a merchant sends each / Then the service takes exactly the ones the pattern takes,
            # and refuses the others with the message it always gave, naming the field
            response = merchant.post(PATH, {"businessProfile": {"privacyPolicyUrl": url}})
            if pattern.search(url):
                assert ok(response)["businessProfile"]["privacyPolicyUrl"] == url
            else:
                error = response.json()["error"]
                assert (response.status, error["param"]) == (400, "businessProfile.privacyPolicyUrl"), url
                assert error["message"] == "Invalid businessProfile.privacyPolicyUrl: an https URL is expected."
