"""Portal sessions and configurations as records and stored items (no I/O): items as the
services write them read back and write again attribute for attribute, the writes the store
builds, and the figures derived from the records."""

from __future__ import annotations

import copy
from typing import Any

import msgspec.structs
import pytest

from billing.customers.records import Customer
from billing.kernel.errors import Conflict
from billing.kernel.scope import Scope
from billing.payments.records import Card, PaymentMethod
from billing.portal import store
from billing.portal.records import CustomerView, Flow, PortalConfiguration, PortalSession, default_id
from billing.store.repository import Put, Update

SCOPE = Scope("acct_1", "test")
SESSION_ID = "bps_01JABCDEFGHJKMNPQRSTVWXYZ0"
CONFIG_ID = "bpc_01JABCDEFGHJKMNPQRSTVWXYZ0"
FEATURES: dict[str, Any] = {
    "customerUpdate": {"enabled": True, "allowedUpdates": ["name", "email", "address", "phone", "taxId"]},
    "invoiceHistory": {"enabled": True},
    "paymentMethodUpdate": {"enabled": True, "types": ["card", "sepa_debit"]},
    "subscriptionCancel": {
        "enabled": True,
        "mode": "at_period_end",
        "prorationBehavior": "none",
        "cancellationReason": {"enabled": True, "options": ["too_expensive", "other"]},
        "retention": {"offerCoupon": "SAVE20"},
    },
    "subscriptionUpdate": {
        "enabled": True,
        "products": [{"product": "prod_1", "prices": []}],
        "allowedUpdates": ["price", "quantity"],
        "prorationBehavior": "create_prorations",
        "scheduleAtPeriodEnd": {"conditions": ["shortening_interval"]},
    },
}
PROFILE = {"headline": "Acme billing", "privacyPolicyUrl": "https://acme.test/privacy", "termsOfServiceUrl": None}


def configuration_item(**overrides: Any) -> dict[str, Any]:
    """A configuration as `portalconfigs.create` writes it."""
    item = {
        "pk": f"ACCT#acct_1#test#PCONF#{CONFIG_ID}",
        "sk": "PORTAL_CONFIGURATION",
        "type": "portal_configuration",
        "id": CONFIG_ID,
        "isDefault": False,
        "name": "Pro customers",
        "businessProfile": copy.deepcopy(PROFILE),
        "features": copy.deepcopy(FEATURES),
        "metadata": {"team": "billing"},
        "loginPage": {"enabled": False},
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-01T10:00:00Z",
        "version": 1,
        "gsi2pk": "ACCT#acct_1#test#PCONFS",
        "gsi2sk": CONFIG_ID,
    }
    return {**item, **overrides}


def default_configuration_item() -> dict[str, Any]:
    """The scope's default configuration, as its first use writes it (sorted last: `bpc_`)."""
    configuration_id = default_id(SCOPE)
    return configuration_item(
        pk=f"ACCT#acct_1#test#PCONF#{configuration_id}",
        id=configuration_id,
        isDefault=True,
        name="default",
        businessProfile={"headline": None, "privacyPolicyUrl": None, "termsOfServiceUrl": None},
        metadata={},
        gsi2sk="bpc_",
    )


def configuration_wire() -> dict[str, Any]:
    return {
        "id": CONFIG_ID,
        "object": "billing_portal.configuration",
        "isDefault": False,
        "name": "Pro customers",
        "businessProfile": copy.deepcopy(PROFILE),
        "features": copy.deepcopy(FEATURES),
        "metadata": {"team": "billing"},
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-01T10:00:00Z",
        "livemode": False,
    }


BRAND = {
    "accentColor": "#0A7A5C",
    "textColor": "#FFFFFF",
    "supportUrl": "https://acme.test/help",
    "privacyUrl": None,
    "termsUrl": None,
    "portalDomain": "billing.acme.test",
    "logoHash": "0123456789abcdef",
    "logoType": "image/png",
}


def session_item(**overrides: Any) -> dict[str, Any]:
    """A session as `portalsessions.create` writes it (no usedAt, cookieHash, revokedAt)."""
    item = {
        "pk": f"PSESS#{SESSION_ID}",
        "sk": "PORTAL_SESSION",
        "type": "portal_session",
        "id": SESSION_ID,
        "account": "acct_1",
        "mode": "test",
        "customer": "cust_1",
        "configuration": configuration_wire(),
        "branding": copy.deepcopy(BRAND),
        "merchantName": "Acme",
        "returnUrl": "https://acme.test/account",
        "locale": "auto",
        "flow": {"type": "subscription_cancel", "subscription": "sub_1"},
        "secretHash": "a" * 64,
        "createdAt": "2026-03-01T10:00:00Z",
        "expiresAt": 1772360400,
    }
    return {**item, **overrides}


def decoded_and_encoded(item: dict[str, Any]) -> dict[str, Any]:
    return store.session_to_item(store.session_from_item(copy.deepcopy(item)))


class TestSessionItems:
    def test_a_new_session_reads_back_and_writes_again_attribute_for_attribute(self) -> None:
        assert decoded_and_encoded(session_item()) == session_item()

    def test_a_session_without_flow_or_merchant_name_keeps_them_as_none(self) -> None:
        item = session_item(flow=None, merchantName=None)
        assert decoded_and_encoded(item) == item
        session = store.session_from_item(item)
        assert session.flow is None and session.merchant_name is None

    def test_the_flow_is_read_field_by_field(self) -> None:
        session = store.session_from_item(session_item())
        assert session.flow == Flow(type="subscription_cancel", subscription="sub_1")
        item = session_item(flow={"type": "payment_method_update", "subscription": None})
        assert store.session_from_item(item).flow == Flow(type="payment_method_update")
        assert decoded_and_encoded(item) == item

    def test_an_exchanged_and_revoked_session_keeps_its_later_attributes(self) -> None:
        item = session_item(usedAt="2026-03-01T10:01:00Z", cookieHash="b" * 64, revokedAt="2026-03-01T10:05:00Z")
        assert decoded_and_encoded(item) == item
        session = store.session_from_item(item)
        assert (session.used_at, session.cookie_hash, session.revoked_at) == (
            "2026-03-01T10:01:00Z",
            "b" * 64,
            "2026-03-01T10:05:00Z",
        )

    def test_unset_later_attributes_are_absent_not_null(self) -> None:
        # The exchange's condition is `attribute_not_exists(usedAt)`: a stored null would exist.
        item = store.session_to_item(store.session_from_item(session_item()))
        assert not {"usedAt", "cookieHash", "revokedAt"} & set(item)

    def test_record_round_trip(self) -> None:
        session = store.session_from_item(session_item(usedAt="2026-03-01T10:01:00Z", cookieHash="c" * 64))
        assert store.session_from_item(store.session_to_item(session)) == session

    def test_insert_is_a_put_only_of_a_new_session(self) -> None:
        session = store.session_from_item(session_item())
        assert store.insert_session(session) == Put(session_item(), condition="attribute_not_exists(pk)")

    def test_the_key_is_the_id_alone(self) -> None:
        assert store.session_key(SESSION_ID) == (f"PSESS#{SESSION_ID}", "PORTAL_SESSION")


class RecordingTable:
    """Answers `update` with the stored item as updated, or a Conflict; records the call."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def update(self, pk: str, sk: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"pk": pk, "sk": sk, **kwargs})
        if self.answer is None:
            raise Conflict("condition failed")
        return self.answer


class TestSessionWrites:
    def test_spending_the_link_is_one_conditional_update(self) -> None:
        spent = session_item(usedAt="2026-03-01T10:01:00Z", cookieHash="d" * 64)
        table = RecordingTable(spent)
        session = store.spend_link(
            table,  # type: ignore[arg-type]
            SESSION_ID,
            secret_hash="a" * 64,
            cookie_hash="d" * 64,
            used_at="2026-03-01T10:01:00Z",
            now=1772359260,
            domain=None,
        )
        assert session == store.session_from_item(spent)
        (call,) = table.calls
        assert (call["pk"], call["sk"]) == store.session_key(SESSION_ID)
        assert call["expression"] == "SET usedAt = :now, cookieHash = :cookie"
        assert call["condition"] == (
            "attribute_exists(pk) AND secretHash = :secret AND attribute_not_exists(usedAt)"
            " AND attribute_not_exists(revokedAt) AND expiresAt > :epoch"
        )
        assert call["names"] is None
        assert call["values"] == {
            ":now": "2026-03-01T10:01:00Z",
            ":cookie": "d" * 64,
            ":secret": "a" * 64,
            ":epoch": 1772359260,
        }
        assert call["already"](spent) and not call["already"](session_item(cookieHash="e" * 64))

    def test_off_the_default_host_the_brand_must_be_served_on_it(self) -> None:
        table = RecordingTable(session_item(usedAt="2026-03-01T10:01:00Z", cookieHash="d" * 64))
        store.spend_link(
            table,  # type: ignore[arg-type]
            SESSION_ID,
            secret_hash="a" * 64,
            cookie_hash="d" * 64,
            used_at="2026-03-01T10:01:00Z",
            now=1772359260,
            domain="billing.acme.test",
        )
        (call,) = table.calls
        assert call["condition"].endswith(" AND expiresAt > :epoch AND #branding.#domain = :host")
        assert call["names"] == {"#branding": "branding", "#domain": "portalDomain"}
        assert call["values"][":host"] == "billing.acme.test"

    def test_a_failed_exchange_is_a_conflict(self) -> None:
        with pytest.raises(Conflict):
            store.spend_link(
                RecordingTable(None),  # type: ignore[arg-type]
                SESSION_ID,
                secret_hash="a" * 64,
                cookie_hash="d" * 64,
                used_at="2026-03-01T10:01:00Z",
                now=1772359260,
                domain=None,
            )

    def test_revoking_sets_revoked_at_once(self) -> None:
        revoked = session_item(revokedAt="2026-03-01T10:05:00Z")
        table = RecordingTable(revoked)
        session = store.revoke_session(
            table,  # type: ignore[arg-type]
            SESSION_ID,
            revoked_at="2026-03-01T10:05:00Z",
            conflict_message="revoked by another request",
        )
        assert session.revoked_at == "2026-03-01T10:05:00Z"
        (call,) = table.calls
        assert call["expression"] == "SET revokedAt = :now"
        assert call["condition"] == "attribute_not_exists(revokedAt)"
        assert call["values"] == {":now": "2026-03-01T10:05:00Z"}
        assert call["conflict_message"] == "revoked by another request"
        assert call["already"](revoked) and not call["already"](session_item())


class TestSessionFigures:
    def session(self, **overrides: Any) -> PortalSession:
        return store.session_from_item(session_item(**overrides))

    def test_scope_and_what_the_configuration_snapshot_says(self) -> None:
        session = self.session()
        assert session.scope == SCOPE
        assert session.configuration_id == CONFIG_ID
        assert session.features == FEATURES
        assert session.business_profile == PROFILE
        assert session.portal_domain == "billing.acme.test"

    def test_features_are_a_copy(self) -> None:
        session = self.session()
        session.features["invoiceHistory"] = {"enabled": False}
        assert session.features["invoiceHistory"] == {"enabled": True}

    def test_no_custom_domain(self) -> None:
        assert self.session(branding={**BRAND, "portalDomain": None}).portal_domain is None
        assert self.session(branding={}).portal_domain is None

    def test_status_at_a_moment(self) -> None:
        expires = 1772360400
        assert self.session().status(expires - 1) == "open"
        assert self.session().status(expires) == "expired"
        assert self.session(usedAt="2026-03-01T10:01:00Z").status(expires - 1) == "used"
        assert self.session(usedAt="2026-03-01T10:01:00Z").status(expires) == "expired"
        assert self.session(revokedAt="2026-03-01T10:05:00Z").status(expires + 10) == "revoked"

    def test_expired_at_and_after_expires_at(self) -> None:
        session = self.session()
        assert not session.expired(1772360399)
        assert session.expired(1772360400) and session.expired(1772360401)


class TestConfigurationItems:
    def test_a_configuration_reads_back_and_writes_again_attribute_for_attribute(self) -> None:
        item = configuration_item()
        configuration = store.configuration_from_item(copy.deepcopy(item))
        assert store.configuration_to_item(SCOPE, configuration) == item

    def test_the_default_reads_back_with_its_list_sort_key(self) -> None:
        item = default_configuration_item()
        configuration = store.configuration_from_item(copy.deepcopy(item))
        assert configuration.is_default and configuration.name == "default"
        assert store.configuration_to_item(SCOPE, configuration) == item

    def test_record_round_trip(self) -> None:
        configuration = PortalConfiguration(
            id=CONFIG_ID,
            is_default=False,
            name=None,
            business_profile=copy.deepcopy(PROFILE),
            features=copy.deepcopy(FEATURES),
            metadata={},
            created_at="2026-03-01T10:00:00Z",
            updated_at="2026-03-04T10:00:00Z",
            version=4,
        )
        assert store.configuration_from_item(store.configuration_to_item(SCOPE, configuration)) == configuration

    def test_insert_is_a_put_only_of_a_new_configuration(self) -> None:
        configuration = store.configuration_from_item(configuration_item())
        assert store.insert_configuration(SCOPE, configuration) == Put(
            configuration_item(), condition="attribute_not_exists(pk)"
        )

    def test_update_sets_what_changed_and_the_next_version_over_the_version_read(self) -> None:
        before = store.configuration_from_item(configuration_item(version=3))
        features = copy.deepcopy(FEATURES)
        features["invoiceHistory"]["enabled"] = False
        after = msgspec.structs.replace(
            before, name="Renamed", features=features, updated_at="2026-03-02T09:00:00Z", version=4
        )
        update = store.update_configuration(SCOPE, before, after)
        assert isinstance(update, Update)
        assert (update.pk, update.sk) == store.configuration_key(SCOPE, CONFIG_ID)
        assert update.condition == "#v = :expected"
        assert update.expression == "SET #f0 = :f0, #f1 = :f1, #f2 = :f2, #f3 = :f3"
        assert update.names == {"#f0": "name", "#f1": "features", "#f2": "updatedAt", "#f3": "version", "#v": "version"}
        assert update.values == {
            ":f0": "Renamed",
            ":f1": features,
            ":f2": "2026-03-02T09:00:00Z",
            ":f3": 4,
            ":expected": 3,
        }

    def test_update_does_not_change_the_id(self) -> None:
        before = store.configuration_from_item(configuration_item())
        with pytest.raises(ValueError):
            store.update_configuration(SCOPE, before, msgspec.structs.replace(before, id="bpc_other"))


class TestConfigurationKeys:
    def test_default_id_is_stable_per_scope_and_differs_across_scopes(self) -> None:
        assert default_id(SCOPE) == default_id(Scope("acct_1", "test"))
        assert default_id(SCOPE) != default_id(Scope("acct_1", "live"))
        assert default_id(SCOPE) != default_id(Scope("acct_2", "test"))
        assert default_id(SCOPE).startswith("bpc_") and len(default_id(SCOPE)) == 24

    def test_list_sort_key_puts_the_default_last(self) -> None:
        assert store.list_sort_key(SCOPE, default_id(SCOPE)) == "bpc_"
        assert store.list_sort_key(SCOPE, CONFIG_ID) == CONFIG_ID
        assert store.list_sort_key(Scope("acct_1", "live"), default_id(SCOPE)) == default_id(SCOPE)

    def test_key(self) -> None:
        assert store.configuration_key(SCOPE, CONFIG_ID) == (
            f"ACCT#acct_1#test#PCONF#{CONFIG_ID}",
            "PORTAL_CONFIGURATION",
        )


def card(pm_id: str) -> PaymentMethod:
    return PaymentMethod(
        id=pm_id,
        customer="cust_1",
        card=Card(brand="visa", last4="4242", exp_month=12, exp_year=2030),
        fingerprint=f"fp_{pm_id}",
        created_at="2026-03-01T10:00:00Z",
    )


class TestCustomerView:
    def view(self, default: str | None) -> CustomerView:
        customer = Customer(id="cust_1", default_payment_method=default, created_at="2026-03-01T10:00:00Z")
        return CustomerView(
            customer=customer, payment_methods=(card("pm_2"), card("pm_1")), subscriptions=(), invoices=()
        )

    def test_the_default_payment_method_is_the_customers_own(self) -> None:
        assert self.view("pm_1").default_payment_method == card("pm_1")

    def test_none_without_one_or_with_one_not_among_theirs(self) -> None:
        assert self.view(None).default_payment_method is None
        assert self.view("pm_gone").default_payment_method is None
