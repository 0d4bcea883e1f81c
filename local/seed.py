"""The demo data `make dev` starts with: a seller, a catalog, and a subscribed customer."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from billing.accounts import accounts, branding
from billing.catalog import catalog, taxrates
from billing.customers import customers
from billing.kernel.clock import now
from billing.kernel.scope import RequestInfo
from billing.payments import connections, paymentmethods
from billing.portal import portalconfigs, portalsessions
from billing.store.repository import Table
from billing.subscriptions import subscriptions
from billing.webhooks import webhookendpoints
from local import stripefake

SEED = RequestInfo(source="api", request_id="seed")


@dataclass(frozen=True)
class GatewayLink:
    """Where the demo account's payment gateway (localstripe) is, and the API its webhooks go to."""

    stripe_url: str
    api_url: str


@dataclass(frozen=True)
class Seeded:
    account_id: str
    secret_key: str
    customer_id: str
    subscription_id: str
    portal_url: str
    webhook_endpoint_id: str = ""
    webhook_secret: str = ""
    gateway_note: str = "test mode's simulator (test tokens and test card numbers)"
    login_url: str = ""  # the default configuration's sign-in page (email and a one-time code)


def seed(
    webhook_url: str | None = None,
    on_webhook_secret: Callable[[str], None] = lambda _: None,
    gateway: GatewayLink | None = None,
) -> Seeded:
    """The demo account; with `webhook_url`, first an endpoint there for every event (its secret
    handed to `on_webhook_secret` at once, so the seed's own events verify); with `gateway`, its
    test mode connected to localstripe (cards then go through the gateway's own fields)."""
    table = Table()
    account, key = accounts.create_account("Demo Co", country="DE", table=table)
    accounts.update_account(
        account.id,
        {
            "legalName": "Demo Co GmbH",
            "address": {"line1": "Friedrichstraße 1", "city": "Berlin", "postalCode": "10117", "country": "DE"},
            "taxId": "DE136695976",
            "defaultCurrency": "eur",
        },
        table=table,
    )
    scope = accounts.Caller(account.id, "test", key.key_id).scope
    endpoint_id, webhook_secret = "", ""
    if webhook_url:
        endpoint, webhook_secret = webhookendpoints.create(
            scope,
            {"url": webhook_url, "enabledEvents": ["*"], "description": "make dev's local receiver"},
            SEED,
            table=table,
        )
        endpoint_id = endpoint.id
    on_webhook_secret(webhook_secret)
    taxrates.create(scope, {"country": "DE", "percentage": 19, "displayName": "USt."}, SEED, table=table)
    prices: dict[str, str] = {}
    for product_id, name, monthly in (("prod_basic", "Basic", 900), ("prod_pro", "Pro", 2900)):
        catalog.create_product(scope, {"id": product_id, "name": name}, SEED, table=table)
        price = catalog.create_price(
            scope,
            {"product": product_id, "unitAmount": monthly, "currency": "eur", "recurring": {"interval": "month"}},
            SEED,
            table=table,
        )
        prices[product_id] = price.id
    catalog.create_coupon(
        scope,
        {"id": "rwd_save20", "name": "Save 20%", "percentOff": 20, "duration": "repeating", "durationInMonths": 3},
        SEED,
        table=table,
    )
    customer = customers.create(
        scope,
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "address": {"line1": "Unter den Linden 5", "city": "Berlin", "postalCode": "10117", "country": "DE"},
        },
        SEED,
        table=table,
    )
    note = Seeded.gateway_note
    if gateway is not None:
        note = connect_gateway(scope, gateway, table)
    token = "pm_card_visa" if gateway is not None else "tok_visa"
    details, behavior = paymentmethods.details_from_token(scope, token, now(), customer_id=customer.id, table=table)
    paymentmethods.attach(scope, customer.id, details, behavior, SEED, table=table)
    sub = subscriptions.create(
        scope, {"customer": customer.id, "items": [{"price": prices["prod_basic"]}]}, SEED, table=table
    )
    branding.update_branding(
        scope, {"accentColor": "#0E7C66", "supportUrl": "https://demo.example/support"}, table=table
    )
    configuration = portalconfigs.update(
        scope,
        "default",
        {
            "loginPage": {"enabled": True},
            "businessProfile": {"headline": "Demo Co billing"},
            "features": {
                "subscriptionUpdate": {"enabled": True, "products": ["prod_basic", "prod_pro"]},
                "subscriptionCancel": {"retention": {"offerCoupon": "rwd_save20"}},
            },
        },
        SEED,
        table=table,
    )
    return Seeded(
        account.id,
        key.secret,
        customer.id,
        sub.id,
        portal_link(scope, customer.id),
        endpoint_id,
        webhook_secret,
        note,
        portalconfigs.login_url(configuration.id, portalconfigs.portal_domain(scope, table=table)),
    )


def connect_gateway(scope: accounts.Scope, gateway: GatewayLink, table: Table) -> str:
    """The demo account's test mode connected to localstripe (which takes any test key), and
    localstripe's events sent to the account's gateway webhook route, signed with its secret."""
    webhook_secret = "whsec_" + secrets.token_urlsafe(24)
    connections.connect(
        scope,
        type="stripe",
        secret_key="sk_test_localdemo" + secrets.token_hex(8),
        publishable_key="pk_test_localdemo" + secrets.token_hex(8),
        webhook_secret=webhook_secret,
        table=table,
    )
    hook = f"{gateway.api_url}/v1/gateway_webhooks/{scope.account_id}/stripe"
    stripefake.send_webhooks_to(gateway.stripe_url, scope.account_id, hook, webhook_secret)
    return f"Stripe (localstripe) connected; its webhooks go to {hook}"


def portal_link(scope: accounts.Scope, customer_id: str) -> str:
    """A fresh portal session for the demo customer (each link signs in once)."""
    table = Table()
    _, url = portalsessions.create(
        scope, {"customer": customer_id, "returnUrl": "http://localhost:8000/account"}, SEED, table=table
    )
    return url
