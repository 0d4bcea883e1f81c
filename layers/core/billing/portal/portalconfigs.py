"""Portal configurations: what the hosted portal offers a customer (kept by `billing.portal.store`).

`businessProfile` and `features` are kept in their wire shape, complete and normalised:
every field present, lists without repeats, the subscription-update products as
`{product, prices}` objects (`prices: []` = every active recurring price of the product).

Every scope has a default configuration, made on first use under an ID derived from the scope
(`default_id`): a conditional put, so concurrent first uses make one default and one event.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, get_args
from urllib.parse import urlsplit

import msgspec
import msgspec.structs

from billing.accounts import branding
from billing.catalog import catalog
from billing.events import events
from billing.kernel import clock, config
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.ids import sortable_id
from billing.kernel.metadata import merge_metadata
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import store
from billing.portal.records import PortalConfiguration, default_id
from billing.store.repository import Put, Table, UnitOfWork

DEFAULT = "default"
CustomerUpdateField = Literal["name", "email", "address", "phone", "taxId"]
PaymentMethodType = Literal["card", "sepa_debit"]
CancelMode = Literal["immediately", "at_period_end"]
ProrationBehavior = Literal["create_prorations", "none", "always_invoice"]
CancellationReason = Literal[
    "too_expensive",
    "missing_features",
    "switched_service",
    "unused",
    "customer_service",
    "too_complex",
    "low_quality",
    "other",
]
ScheduleCondition = Literal["decreasing_item_amount", "shortening_interval"]
SubscriptionUpdateField = Literal["price", "quantity"]
CUSTOMER_UPDATES: tuple[str, ...] = get_args(CustomerUpdateField)
PAYMENT_METHOD_TYPES: tuple[str, ...] = get_args(PaymentMethodType)
CANCEL_MODES: tuple[str, ...] = get_args(CancelMode)
PRORATION_BEHAVIORS: tuple[str, ...] = get_args(ProrationBehavior)
CANCELLATION_REASONS: tuple[str, ...] = get_args(CancellationReason)
SCHEDULE_CONDITIONS: tuple[str, ...] = get_args(ScheduleCondition)
SUBSCRIPTION_UPDATES: tuple[str, ...] = get_args(SubscriptionUpdateField)
NAME_MAX = 100
HEADLINE_MAX = 60
URL_MAX = 2000
ID_MAX = 64
MAX_PRODUCTS = 10
MAX_PRICES = 20
PRODUCTS_PARAM = "features.subscriptionUpdate.products"
COUPON_PARAM = "features.subscriptionCancel.retention.offerCoupon"


# ------------------------------------------------------------------ the shape of a configuration
class Rule(msgspec.Struct, frozen=True):
    """One leaf of the configuration: what a given value must be."""

    kind: str  # bool | enum | enums | text | url | retention | products | metadata
    values: tuple[str, ...] = ()
    max_length: int = 0
    nullable: bool = False


Spec: TypeAlias = "Mapping[str, Rule | Spec]"

BOOL = Rule("bool")
FEATURES: Spec = {
    "customerUpdate": {"enabled": BOOL, "allowedUpdates": Rule("enums", CUSTOMER_UPDATES)},
    "invoiceHistory": {"enabled": BOOL},
    "paymentMethodUpdate": {"enabled": BOOL, "types": Rule("enums", PAYMENT_METHOD_TYPES)},
    "subscriptionCancel": {
        "enabled": BOOL,
        "mode": Rule("enum", CANCEL_MODES),
        "prorationBehavior": Rule("enum", PRORATION_BEHAVIORS),
        "cancellationReason": {"enabled": BOOL, "options": Rule("enums", CANCELLATION_REASONS)},
        "retention": Rule("retention", nullable=True),
    },
    "subscriptionUpdate": {
        "enabled": BOOL,
        "products": Rule("products"),
        "allowedUpdates": Rule("enums", SUBSCRIPTION_UPDATES),
        "prorationBehavior": Rule("enum", PRORATION_BEHAVIORS),
        "scheduleAtPeriodEnd": {"conditions": Rule("enums", SCHEDULE_CONDITIONS)},
    },
}
CONFIGURATION: Spec = {
    "name": Rule("text", max_length=NAME_MAX, nullable=True),
    "businessProfile": {
        "headline": Rule("text", max_length=HEADLINE_MAX, nullable=True),
        "privacyPolicyUrl": Rule("url", nullable=True),
        "termsOfServiceUrl": Rule("url", nullable=True),
    },
    "features": FEATURES,
    "metadata": Rule("metadata"),
    "loginPage": {"enabled": BOOL},
}
STORED_FIELDS = tuple(CONFIGURATION)


def default_features() -> dict[str, Any]:
    """What the default configuration offers, and what any omitted part of another one gets."""
    return {
        "customerUpdate": {"enabled": True, "allowedUpdates": list(CUSTOMER_UPDATES)},
        "invoiceHistory": {"enabled": True},
        "paymentMethodUpdate": {"enabled": True, "types": list(PAYMENT_METHOD_TYPES)},
        "subscriptionCancel": {
            "enabled": True,
            "mode": "at_period_end",
            "prorationBehavior": "none",
            "cancellationReason": {"enabled": True, "options": list(CANCELLATION_REASONS)},
            "retention": None,
        },
        "subscriptionUpdate": {
            "enabled": False,
            "products": [],
            "allowedUpdates": list(SUBSCRIPTION_UPDATES),
            "prorationBehavior": "create_prorations",
            "scheduleAtPeriodEnd": {"conditions": []},
        },
    }


def blank_configuration() -> dict[str, Any]:
    """The stored fields of a configuration nobody has said anything about."""
    return {
        "name": None,
        "businessProfile": {"headline": None, "privacyPolicyUrl": None, "termsOfServiceUrl": None},
        "features": default_features(),
        "metadata": {},
        "loginPage": {"enabled": False},
    }


def validate_https_url(value: str, param: str) -> str:
    """An absolute https URL with a host (what the portal links to)."""
    parts = urlsplit(value) if isinstance(value, str) and len(value) <= URL_MAX else None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        raise InvalidRequest(f"{param} must be an https URL.", param=param, code="parameter_invalid")
    return value


# ------------------------------------------------------------------ normalisation (pure)
def _invalid(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid {param}: {message}", param=param, code="parameter_invalid")


def _identifier(value: Any, param: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= ID_MAX:
        raise _invalid(param, f"an ID of 1 to {ID_MAX} characters is expected.")
    return value


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def normalise_products(value: Any, param: str = PRODUCTS_PARAM) -> list[dict[str, Any]]:
    """Product IDs or `{product, prices}` objects → `{product, prices}` objects (`prices` default [])."""
    if not isinstance(value, list):
        raise _invalid(param, "a list of product IDs or {product, prices} objects is expected.")
    if len(value) > MAX_PRODUCTS:
        raise _invalid(param, f"at most {MAX_PRODUCTS} products.")
    products: list[dict[str, Any]] = []
    for n, entry in enumerate(value):
        at = f"{param}.{n}"
        product_param = at if isinstance(entry, str) else f"{at}.product"
        if isinstance(entry, str):
            entry = {"product": entry}
        if not isinstance(entry, Mapping):
            raise _invalid(at, "a product ID or a {product, prices} object is expected.")
        unknown = sorted(set(entry) - {"product", "prices"})
        if unknown:
            raise InvalidRequest(
                f"Received unknown parameter: {at}.{unknown[0]}.", param=f"{at}.{unknown[0]}", code="parameter_unknown"
            )
        product = _identifier(entry.get("product"), product_param)
        if any(p["product"] == product for p in products):
            raise _invalid(at, f"product '{product}' is listed twice.")
        prices = entry.get("prices") or []
        if not isinstance(prices, list) or len(prices) > MAX_PRICES:
            raise _invalid(f"{at}.prices", f"a list of at most {MAX_PRICES} price IDs is expected.")
        ids = [_identifier(price, f"{at}.prices.{m}") for m, price in enumerate(prices)]
        products.append({"product": product, "prices": _unique(ids)})
    return products


def _normalise_value(value: Any, rule: Rule, param: str) -> Any:
    if value is None:
        if rule.nullable:
            return None
        raise _invalid(param, "must not be null.")
    if rule.kind == "bool":
        if not isinstance(value, bool):
            raise _invalid(param, "true or false is expected.")
        return value
    if rule.kind == "enum":
        if value not in rule.values:
            raise _invalid(param, f"one of {', '.join(rule.values)} is expected.")
        return value
    if rule.kind == "enums":
        if not isinstance(value, list):
            raise _invalid(param, "a list is expected.")
        for n, each in enumerate(value):
            if each not in rule.values:
                raise _invalid(f"{param}.{n}", f"one of {', '.join(rule.values)} is expected.")
        return _unique(value)
    if rule.kind == "text":
        if not isinstance(value, str) or len(value) > rule.max_length:
            raise _invalid(param, f"a text of at most {rule.max_length} characters is expected.")
        return value
    if rule.kind == "url":
        return validate_https_url(value, param)
    if rule.kind == "retention":
        if not isinstance(value, Mapping):
            raise _invalid(param, "an object {offerCoupon} or null is expected.")
        extra = sorted(set(value) - {"offerCoupon"})
        if extra:
            name = f"{param}.{extra[0]}"
            raise InvalidRequest(f"Received unknown parameter: {name}.", param=name, code="parameter_unknown")
        return {"offerCoupon": _identifier(value.get("offerCoupon"), f"{param}.offerCoupon")}
    if rule.kind == "products":
        return normalise_products(value, param)
    # metadata: keys and values are text; a null or empty value removes the key (see merge)
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    ):
        raise _invalid(param, "an object of text values is expected.")
    return dict(value)


def normalise(value: Any, spec: Spec = CONFIGURATION, path: str = "") -> dict[str, Any]:
    """The given (partial) fields, checked against `spec` and normalised; unknown ones are a 400."""
    if not isinstance(value, Mapping):
        raise _invalid(path or "body", "an object is expected.")
    given: dict[str, Any] = {}
    for key, each in value.items():
        param = f"{path}.{key}" if path else str(key)
        rule = spec.get(key)
        if rule is None:
            raise InvalidRequest(f"Received unknown parameter: {param}.", param=param, code="parameter_unknown")
        given[key] = normalise(each, rule, param) if isinstance(rule, Mapping) else _normalise_value(each, rule, param)
    return given


def merge(stored: Mapping[str, Any], given: Mapping[str, Any], spec: Spec = CONFIGURATION) -> dict[str, Any]:
    """`given` (normalised) over `stored`, object by object and field by field; lists are replaced."""
    merged = copy.deepcopy(dict(stored))
    for key, value in given.items():
        rule = spec[key]
        if isinstance(rule, Mapping):
            merged[key] = merge(merged.get(key) or {}, value, rule)
        elif rule.kind == "metadata":
            merged[key] = merge_metadata(merged.get(key) or {}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def check_consistency(features: Mapping[str, Any]) -> None:
    """Rules across fields of a complete configuration."""
    update = features["subscriptionUpdate"]
    if update["enabled"] and not update["products"]:
        raise InvalidRequest(
            "Subscription updates need at least one product to switch between.",
            param=PRODUCTS_PARAM,
            code="parameter_missing",
        )


# ------------------------------------------------------------------ checks against the catalog
def _check_catalog(scope: Scope, features: Mapping[str, Any], table: Table) -> None:
    """The coupons, products and prices that `features` (as given) names exist in this scope."""
    retention = (features.get("subscriptionCancel") or {}).get("retention")
    if retention:
        coupon_id = retention["offerCoupon"]
        try:
            coupon = catalog.get_coupon(scope, coupon_id, table=table)
        except NotFound:
            raise InvalidRequest(f"No such coupon: '{coupon_id}'.", param=COUPON_PARAM) from None
        if not coupon.valid:
            raise InvalidRequest(f"The coupon '{coupon_id}' is no longer valid.", param=COUPON_PARAM)
    for n, entry in enumerate((features.get("subscriptionUpdate") or {}).get("products") or []):
        try:
            catalog.get_product(scope, entry["product"], table=table)
        except NotFound:
            raise InvalidRequest(f"No such product: '{entry['product']}'.", param=f"{PRODUCTS_PARAM}.{n}") from None
        for m, price_id in enumerate(entry["prices"]):
            param = f"{PRODUCTS_PARAM}.{n}.prices.{m}"
            try:
                price = catalog.get_price(scope, price_id, table=table)
            except NotFound:
                raise InvalidRequest(f"No such price: '{price_id}'.", param=param) from None
            if price.product != entry["product"]:
                raise InvalidRequest(
                    f"The price '{price_id}' belongs to product '{price.product}', not '{entry['product']}'.",
                    param=param,
                )


def _validated(scope: Scope, fields: Mapping[str, Any], table: Table) -> dict[str, Any]:
    given = normalise(fields)
    _check_catalog(scope, given.get("features") or {}, table)
    return given


# ------------------------------------------------------------------ records and the wire
def login_url(configuration_id: str, portal_domain: str | None) -> str:
    """The public sign-in page of a configuration, on the account's portal domain if it has one."""
    base = f"https://{portal_domain}" if portal_domain else config.settings().portal_base_url
    return f"{base}/login/{configuration_id}"


def portal_domain(scope: Scope, *, table: Table) -> str | None:
    """The host the scope's portal pages are served on, when it is not the default one."""
    return branding.get_branding(scope, table=table).portal_domain


def to_wire(configuration: PortalConfiguration, scope: Scope, *, domain: str | None = None) -> dict[str, Any]:
    """`domain` is the account's portal domain (`portal_domain`), for the login page's URL."""
    enabled = configuration.login_page_enabled
    return {
        "id": configuration.id,
        "object": "billing_portal.configuration",
        "isDefault": configuration.is_default,
        "name": configuration.name,
        "businessProfile": copy.deepcopy(configuration.business_profile),
        "features": copy.deepcopy(configuration.features),
        "metadata": dict(configuration.metadata),
        "loginPage": {"enabled": enabled, "url": login_url(configuration.id, domain) if enabled else None},
        "createdAt": configuration.created_at,
        "updatedAt": configuration.updated_at,
        "livemode": scope.livemode,
    }


def stored_fields(configuration: PortalConfiguration) -> dict[str, Any]:
    """The fields a merchant sets (`STORED_FIELDS`), in their wire names and shape."""
    return {
        "name": configuration.name,
        "businessProfile": configuration.business_profile,
        "features": configuration.features,
        "metadata": configuration.metadata,
        "loginPage": configuration.login_page,
    }


def _with_fields(configuration: PortalConfiguration, fields: Mapping[str, Any]) -> PortalConfiguration:
    return msgspec.structs.replace(
        configuration,
        name=fields["name"],
        business_profile=fields["businessProfile"],
        features=fields["features"],
        metadata=fields["metadata"],
        login_page=fields["loginPage"],
    )


def _new(configuration_id: str, fields: Mapping[str, Any], *, is_default: bool) -> PortalConfiguration:
    now = clock.to_wire(clock.now())
    return PortalConfiguration(
        id=configuration_id,
        is_default=is_default,
        name=fields["name"],
        business_profile=fields["businessProfile"],
        features=fields["features"],
        metadata=fields["metadata"],
        login_page=fields["loginPage"],
        created_at=now,
        updated_at=now,
        version=1,
    )


def _login_pointer(scope: Scope, configuration: PortalConfiguration) -> list[Put]:
    """The public login page finds its scope by the configuration's ID alone: a pointer item,
    written whenever a configuration is saved with the page enabled (the page checks it still is)."""
    return [store.login_page_pointer(scope, configuration.id)] if configuration.login_page_enabled else []


def _put_new(scope: Scope, configuration: PortalConfiguration, request: RequestInfo, table: Table) -> None:
    wire = to_wire(configuration, scope, domain=portal_domain(scope, table=table))
    event = events.event_item(scope, "portal_configuration.created", wire, request)
    change = UnitOfWork(
        table, request, conflict_message=f"The portal configuration '{configuration.id}' already exists."
    )
    change.add(store.insert_configuration(scope, configuration), events.event_op(event))
    change.add(*_login_pointer(scope, configuration)).commit()


def _default(scope: Scope, request: RequestInfo, table: Table) -> PortalConfiguration:
    """The scope's default configuration, made (with its event) by whichever request comes first."""
    configuration_id = default_id(scope)
    found = store.get_configuration(table, scope, configuration_id)
    if found is not None:
        return found
    fields = blank_configuration()
    fields["name"] = DEFAULT
    configuration = _new(configuration_id, fields, is_default=True)
    try:
        _put_new(scope, configuration, request, table)
        return configuration
    except Conflict:
        # Another request made it first (or is committing it right now): answer theirs.
        for attempt in range(5):
            winner = store.get_configuration(table, scope, configuration_id)
            if winner is not None:
                return winner
            time.sleep(0.02 * (attempt + 1))
        raise


# ------------------------------------------------------------------ the service
def resolve(scope: Scope, configuration_id: str | None, request: RequestInfo, *, table: Table) -> PortalConfiguration:
    """The configuration a portal session uses: None or "default" is the scope's default
    (made on first use); any other ID must be one of this scope's configurations."""
    if configuration_id is None or configuration_id == DEFAULT:
        return _default(scope, request, table)
    found = store.get_configuration(table, scope, configuration_id)
    if found is None:
        raise NotFound(f"No such portal configuration: '{configuration_id}'.", param="configuration")
    return found


def get(scope: Scope, configuration_id: str, request: RequestInfo, *, table: Table) -> PortalConfiguration:
    return resolve(scope, configuration_id, request, table=table)


def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> PortalConfiguration:
    given = _validated(scope, fields, table)
    merged = merge(blank_configuration(), given)
    check_consistency(merged["features"])
    configuration = _new(sortable_id("bpc"), merged, is_default=False)
    _put_new(scope, configuration, request, table)
    return configuration


def update(
    scope: Scope, configuration_id: str, fields: Mapping[str, Any], request: RequestInfo, *, table: Table
) -> PortalConfiguration:
    """A partial update: each object given is merged field by field over the stored one."""
    given = normalise(fields)
    current = resolve(scope, configuration_id, request, table=table)
    _check_catalog(scope, given.get("features") or {}, table)
    stored = stored_fields(current)
    merged = merge(stored, given)
    check_consistency(merged["features"])
    if all(merged[field] == stored[field] for field in STORED_FIELDS):
        return current
    after = msgspec.structs.replace(
        _with_fields(current, merged), updated_at=clock.to_wire(clock.now()), version=current.version + 1
    )
    domain = portal_domain(scope, table=table)
    before_wire, after_wire = to_wire(current, scope, domain=domain), to_wire(after, scope, domain=domain)
    event = events.event_item(
        scope,
        "portal_configuration.updated",
        after_wire,
        request,
        previous=events.previous_attributes(before_wire, after_wire),
    )
    change = UnitOfWork(
        table, request, conflict_message="The portal configuration was changed by another request; retry."
    )
    change.add(store.update_configuration(scope, current, after), events.event_op(event))
    change.add(*_login_pointer(scope, after)).commit()
    return after


def list_configurations(
    scope: Scope, *, limit: int, starting_after: str | None, ending_before: str | None = None, table: Table
) -> dict[str, Any]:
    """Newest first, then the default once it exists (its first use makes it)."""
    domain = portal_domain(scope, table=table)
    return store.configuration_page(
        table,
        scope,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        to_wire=lambda configuration: to_wire(configuration, scope, domain=domain),
    )
