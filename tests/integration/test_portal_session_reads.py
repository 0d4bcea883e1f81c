"""What minting a portal session reads: all of it in one BatchGetItem (the customer, the
configuration, the account, its branding, a flow's subscription), the same records the single
reads answer, its checks still in their order with their errors, on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.harness import counting_calls
from billing.accounts import accounts, branding
from billing.accounts import store as account_store
from billing.customers import store as customer_store
from billing.kernel import config
from billing.kernel.scope import Scope
from billing.portal import portalsessions, store
from billing.portal.records import default_id
from billing.store.repository import Table
from billing.subscriptions import store as subscription_store
from tests.conftest import Stack
from tests.integration.test_portal_sessions_api import mint, new_customer, subscribed_customer
from tests.support.apiclient import ApiClient

MINT = {"BatchGetItem": 1, "TransactWriteItems": 1}


@pytest.fixture(autouse=True)
def warm_key_cache(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The key cache on, as deployed (the tests' stack turns it off): a merchant's key is read
    at its first request only, so what is counted is the mint's own calls."""
    monkeypatch.setenv("KEY_CACHE_SECONDS", "60")
    config.reset()
    yield
    accounts.clear_key_cache()


def merchant_of(stack: Stack, name: str = "Reads Ltd") -> tuple[Scope, ApiClient]:
    account_id, key = stack.new_account(name)
    return Scope(account_id, "test"), ApiClient(stack.template, key=key)


def counted_mint(merchant: ApiClient, customer: str, **fields: Any) -> tuple[Any, dict[str, int]]:
    with counting_calls() as counter:
        response = mint(merchant, customer, **fields)
    return response, dict(counter.calls)


def test_the_batch_answers_what_each_single_read_answers_and_nothing_of_another_scope(stack: Stack) -> None:
    # Given a merchant with a customer, a subscription, a configuration and a brand
    scope, merchant = merchant_of(stack)
    customer, sub = subscribed_customer(merchant)
    configuration = merchant.post("/v1/billing/portal_configurations", {"name": "dunning"}).json()["id"]
    assert merchant.post("/v1/branding", {"accentColor": "#112233"}).status == 200
    table = Table()
    # When the mint's reads are made in one batch
    with counting_calls() as counter:
        reads = store.mint_reads(
            table, scope, customer_id=customer, configuration_id=configuration, subscription_id=sub
        )
    # Then it is one call, answering the records the single reads answer
    assert dict(counter.calls) == {"BatchGetItem": 1}
    assert reads.customer == customer_store.get_customer(table, scope, customer)
    assert reads.configuration == store.get_configuration(table, scope, configuration)
    assert reads.account == account_store.get_account(table, scope.account_id)
    assert reads.branding == account_store.get_branding(table, scope)
    assert reads.subscription == subscription_store.get_subscription(table, scope, sub)
    assert reads.customer is not None and reads.subscription is not None and reads.branding is not None
    # And another merchant naming the same IDs finds none of them (its own account only)
    other, _ = merchant_of(stack, "Other Ltd")
    foreign = store.mint_reads(table, other, customer_id=customer, configuration_id=configuration, subscription_id=sub)
    assert (foreign.customer, foreign.configuration, foreign.branding, foreign.subscription) == (None,) * 4
    assert foreign.account is not None and foreign.account.id == other.account_id


def test_a_session_with_a_flow_a_named_configuration_and_a_brand_costs_one_batch_and_the_transaction(
    stack: Stack,
) -> None:
    scope, merchant = merchant_of(stack)
    customer, sub = subscribed_customer(merchant)
    named = merchant.post("/v1/billing/portal_configurations", {"name": "dunning"}).json()["id"]
    assert merchant.post("/v1/branding", {"accentColor": "#112233"}).status == 200
    # When a session is minted for a subscription's cancellation under a named configuration
    flow = {"type": "subscription_cancel", "subscription": sub}
    response, calls = counted_mint(merchant, customer, configuration=named, flow=flow)
    # Then it reads everything in one batch and writes once
    assert response.status == 200, response.text
    assert calls == MINT
    assert response.json()["flow"] == flow and response.json()["configuration"] == named
    # And the session keeps the brand and the merchant's name as they were read
    session = portalsessions.load(response.json()["id"], table=Table())
    assert session is not None
    assert session.merchant_name == "Reads Ltd"
    assert session.branding == branding.portal_snapshot(branding.get_branding(scope, table=Table()))
    assert session.branding["accentColor"] == "#112233"


def test_a_merchant_without_a_brand_mints_with_the_default_one_in_the_same_two_calls(stack: Stack) -> None:
    scope, merchant = merchant_of(stack)
    customer = new_customer(merchant)
    mint(merchant, customer)  # the default configuration, made on first use
    response, calls = counted_mint(merchant, customer)
    assert response.status == 200 and calls == MINT
    session = portalsessions.load(response.json()["id"], table=Table())
    assert session is not None
    assert session.branding == branding.portal_snapshot(branding.get_branding(scope, table=Table()))
    assert session.merchant_name == accounts.get_account(scope.account_id, table=Table()).name


def test_the_default_configuration_missing_from_the_batch_is_made_on_first_use(stack: Stack) -> None:
    # Given a merchant that never used its default configuration
    scope, merchant = merchant_of(stack)
    customer = new_customer(merchant)
    assert store.get_configuration(Table(), scope, default_id(scope)) is None
    # When its first session is minted
    response, calls = counted_mint(merchant, customer)
    # Then the default is made by its service (its own reads and transaction, as before), and used
    assert response.status == 200, response.text
    assert response.json()["configuration"] == default_id(scope)
    assert calls["BatchGetItem"] == 1 and calls["TransactWriteItems"] == 2, calls
    assert merchant.get("/v1/billing/portal_configurations/default").json()["id"] == default_id(scope)
    # And the next session finds it in the batch
    assert counted_mint(merchant, customer)[1] == MINT


def test_the_checks_keep_their_order_and_errors_and_a_refused_mint_writes_nothing(stack: Stack) -> None:
    _, merchant = merchant_of(stack)
    customer = new_customer(merchant)
    mint(merchant, customer)  # the default configuration exists
    # A missing customer is the 404 before anything else is checked (the request's shape aside)
    plain_http = "http://app.example.com/account"  # the route takes it, the service refuses it
    response, calls = counted_mint(
        merchant, "cust_doesnotexist000000000", returnUrl=plain_http, configuration="bpc_nope"
    )
    assert response.status == 404 and response.json()["error"]["param"] == "customer"
    assert "TransactWriteItems" not in calls
    # The return URL is checked before the configuration
    response, calls = counted_mint(merchant, customer, returnUrl=plain_http, configuration="bpc_nope")
    assert response.status == 400 and response.json()["error"]["param"] == "returnUrl"
    assert calls == {"BatchGetItem": 1}
    # A configuration not in this scope is the 404 naming it
    response, calls = counted_mint(merchant, customer, configuration="bpc_nope")
    assert response.status == 404 and response.json()["error"]["param"] == "configuration"
    assert "TransactWriteItems" not in calls
    # A flow's subscription that is not stored is the 400 naming it, read in the same batch
    flow = {"type": "subscription_cancel", "subscription": "sub_nope"}
    response, calls = counted_mint(merchant, customer, flow=flow)
    assert response.status == 400 and response.json()["error"]["param"] == "flow.subscription"
    assert calls == {"BatchGetItem": 1}
