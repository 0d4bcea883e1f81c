"""Webhook endpoints through the API, like a merchant: the secret shown once, lists, updates,
disabling, deleting, rolling secrets, the URL rules of each mode, other accounts."""

from __future__ import annotations

import base64
import json
import re
import socket
from typing import Any

import pytest
from msgspec.structs import replace

from billing.accounts import accounts
from billing.kernel import clock
from billing.kernel.errors import Conflict
from billing.kernel.scope import RequestInfo, Scope
from billing.store.repository import Item, Table
from billing.webhooks import egress, store, webhookendpoints
from billing.webhooks.records import WebhookEndpoint
from tests.conftest import Stack
from tests.support.apiclient import ApiClient, ok

PATH = "/v1/webhook_endpoints"
PUBLIC_IP = "93.184.216.34"
API = RequestInfo(source="api")


def error_of(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def create(merchant: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"url": "https://hooks.example.com/vinr", "enabledEvents": ["*"], **fields}
    return ok(merchant.post(PATH, body))


def new_merchant(stack: Stack, mode: str = "test") -> tuple[ApiClient, Scope]:
    account, key = stack.new_account()
    if mode == "live":
        key = accounts.add_key(account, "live", table=Table()).secret
        assert key.startswith("sk_live_")
    return ApiClient(stack.template, key=key), Scope(account, mode)  # type: ignore[arg-type]


def stored(scope: Scope, endpoint_id: str) -> WebhookEndpoint:
    return webhookendpoints.get(scope, endpoint_id, table=Table())


def stored_item(scope: Scope, endpoint_id: str) -> Item:
    """The endpoint's item as it is in the table."""
    item = Table().get(*store.endpoint_key(scope, endpoint_id))
    assert item is not None
    return item


class TestCreate:
    def test_the_secret_is_shown_at_creation_and_never_again(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        # When a merchant creates an endpoint
        created = create(
            merchant,
            url="https://hooks.example.com/vinr?source=billing",
            enabledEvents=["invoice.paid", "customer.updated", "invoice.paid"],
            description="Billing sync",
            metadata={"team": "finance"},
        )
        # Then the answer is the whole endpoint with its secret
        secret = created.pop("secret")
        assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
        assert created["id"].startswith("we_")
        assert created == {
            "id": created["id"],
            "object": "webhook_endpoint",
            "url": "https://hooks.example.com/vinr?source=billing",
            "enabledEvents": ["invoice.paid", "customer.updated"],
            "description": "Billing sync",
            "disabled": False,
            "status": "enabled",
            "disabledReason": None,
            "metadata": {"team": "finance"},
            "createdAt": created["createdAt"],
            "updatedAt": created["createdAt"],
            "livemode": False,
            "secretExpiresAt": None,
        }
        # And the endpoint read back or listed is the same, without the secret
        assert ok(merchant.get(f"{PATH}/{created['id']}")) == created
        assert ok(merchant.get(PATH))["data"] == [created]
        assert secret not in merchant.get(f"{PATH}/{created['id']}").text + merchant.get(PATH).text
        # And the stored secret is the one shown, the only one signing
        assert stored(scope, created["id"]).live_secrets(clock.to_epoch(clock.now())) == [secret]

    def test_each_endpoint_has_its_own_secret(self, merchant: ApiClient) -> None:
        secrets = {create(merchant)["secret"] for _ in range(3)}
        assert len(secrets) == 3

    def test_http_to_localhost_is_fine_in_test_mode_and_disabled_may_be_given(self, merchant: ApiClient) -> None:
        created = create(merchant, url="http://localhost:4242/webhooks", disabled=True)
        assert (created["url"], created["status"], created["disabled"]) == (
            "http://localhost:4242/webhooks",
            "disabled",
            True,
        )

    def test_creating_records_no_event(self, merchant: ApiClient) -> None:
        create(merchant)
        assert ok(merchant.get("/v1/events"))["data"] == []

    @pytest.mark.parametrize(
        ("body", "param", "code"),
        [
            ({"enabledEvents": ["*"]}, "url", "parameter_missing"),
            ({"url": "https://hooks.example.com"}, "enabledEvents", "parameter_missing"),
            ({"url": "http://hooks.example.com", "enabledEvents": ["*"]}, "url", "url_invalid"),
            ({"url": "https://u:p@hooks.example.com", "enabledEvents": ["*"]}, "url", "url_invalid"),
            ({"url": "https://hooks.example.com/#x", "enabledEvents": ["*"]}, "url", "url_invalid"),
            ({"url": "https://hooks.example.com/a b", "enabledEvents": ["*"]}, "url", "url_invalid"),
            ({"url": "https://x.example/" + "a" * 2048, "enabledEvents": ["*"]}, "url", "parameter_invalid"),
            ({"url": "https://hooks.example.com", "enabledEvents": []}, "enabledEvents", "parameter_invalid"),
            (
                {"url": "https://hooks.example.com", "enabledEvents": ["invoice.paid", "invoice.exploded"]},
                "enabledEvents.1",
                "parameter_invalid",
            ),
            (
                {"url": "https://hooks.example.com", "enabledEvents": ["*", "invoice.paid"]},
                "enabledEvents",
                "parameter_invalid",
            ),
            (
                {"url": "https://hooks.example.com", "enabledEvents": ["invoice.paid"] * 51},
                "enabledEvents",
                "parameter_invalid",
            ),
            (
                {"url": "https://hooks.example.com", "enabledEvents": ["*"], "description": "d" * 501},
                "description",
                "parameter_invalid",
            ),
            ({"url": "https://hooks.example.com", "enabledEvents": ["*"], "secret": "whsec_x"}, "secret", None),
            ({"url": "https://hooks.example.com", "enabledEvents": ["*"], "metadata": {"k": 1}}, "metadata.k", None),
        ],
    )
    def test_invalid_fields_are_400s_naming_the_field(
        self, merchant: ApiClient, body: dict[str, Any], param: str, code: str | None
    ) -> None:
        error = error_of(merchant.post(PATH, body))
        assert error["param"] == param, error
        assert error["type"] == "invalid_request_error"
        if code:
            assert error["code"] == code, error
        assert ok(merchant.get(PATH))["data"] == []

    def test_a_scope_holds_at_most_16_endpoints(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        ids = [create(merchant)["id"] for _ in range(webhookendpoints.MAX_ENDPOINTS)]
        # When a 17th is created
        error = error_of(merchant.post(PATH, {"url": "https://hooks.example.com", "enabledEvents": ["*"]}))
        # Then it is refused, saying why
        assert error["code"] == "webhook_endpoint_limit" and "16" in error["message"]
        listed = ok(merchant.get(PATH, query={"limit": 100}))["data"]
        assert len(listed) == 16
        # And the live mode of the same account has its own 16
        live = ApiClient(stack.template, key=accounts.add_key(scope.account_id, "live", table=Table()).secret)
        assert create(live, url=f"https://{PUBLIC_IP}/hooks")["livemode"] is True
        # And deleting one makes room for one
        ok(merchant.delete(f"{PATH}/{ids[3]}"))
        create(merchant)
        assert merchant.post(PATH, {"url": "https://hooks.example.com", "enabledEvents": ["*"]}).status == 400


class TestList:
    def test_pages_newest_first(self, merchant: ApiClient) -> None:
        ids = [create(merchant, description=f"n{n}")["id"] for n in range(5)]
        first = ok(merchant.get(PATH, query={"limit": 2}))
        assert [e["id"] for e in first["data"]] == [ids[4], ids[3]] and first["hasMore"] is True
        second = ok(merchant.get(PATH, query={"limit": 2, "startingAfter": ids[3]}))
        assert [e["id"] for e in second["data"]] == [ids[2], ids[1]] and second["hasMore"] is True
        last = ok(merchant.get(PATH, query={"limit": 2, "startingAfter": ids[1]}))
        assert [e["id"] for e in last["data"]] == [ids[0]] and last["hasMore"] is False
        assert all("secret" not in e for e in first["data"] + second["data"] + last["data"])

    def test_the_default_page_is_10(self, merchant: ApiClient) -> None:
        for _ in range(11):
            create(merchant)
        page = ok(merchant.get(PATH))
        assert (len(page["data"]), page["hasMore"]) == (10, True)

    def test_bad_limits_are_400(self, merchant: ApiClient) -> None:
        assert error_of(merchant.get(PATH, query={"limit": 0}))["param"] == "limit"
        assert error_of(merchant.get(PATH, query={"limit": 101}))["param"] == "limit"


class TestUpdate:
    def test_only_the_fields_sent_change(self, merchant: ApiClient) -> None:
        created = create(merchant, description="Old", metadata={"a": "1", "b": "2"})
        created.pop("secret")
        # When the merchant changes the URL, the events and one metadata key
        updated = ok(
            merchant.post(
                f"{PATH}/{created['id']}",
                {
                    "url": "https://other.example.com/hook",
                    "enabledEvents": ["subscription.deleted", "invoice.voided"],
                    "metadata": {"a": None, "c": "3"},
                },
            )
        )
        # Then those change, the rest stays, and the secret is not shown
        assert updated == {
            **created,
            "url": "https://other.example.com/hook",
            "enabledEvents": ["subscription.deleted", "invoice.voided"],
            "metadata": {"b": "2", "c": "3"},
            "updatedAt": updated["updatedAt"],
        }
        assert ok(merchant.get(f"{PATH}/{created['id']}")) == updated
        # And a description can be cleared
        cleared = ok(merchant.post(f"{PATH}/{created['id']}", {"description": None}))
        assert cleared["description"] is None and cleared["url"] == "https://other.example.com/hook"

    def test_an_empty_update_changes_nothing(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        before = stored(scope, created["id"])
        assert ok(merchant.post(f"{PATH}/{created['id']}", {})) == ok(merchant.get(f"{PATH}/{created['id']}"))
        assert (
            ok(merchant.post(f"{PATH}/{created['id']}", {"url": created["url"]}))["updatedAt"] == (created["updatedAt"])
        )
        assert stored(scope, created["id"]).version == before.version

    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"url": None}, "url"),
            ({"enabledEvents": None}, "enabledEvents"),
            ({"disabled": None}, "disabled"),
            ({"url": "ftp://hooks.example.com"}, "url"),
            ({"enabledEvents": ["*", "customer.created"]}, "enabledEvents"),
            ({"enabledEvents": ["customer.exploded"]}, "enabledEvents.0"),
            ({"secret": "whsec_mine"}, "secret"),
        ],
    )
    def test_invalid_updates_are_400s_and_change_nothing(
        self, merchant: ApiClient, body: dict[str, Any], param: str
    ) -> None:
        created = create(merchant)
        created.pop("secret")
        assert error_of(merchant.post(f"{PATH}/{created['id']}", body))["param"] == param
        assert ok(merchant.get(f"{PATH}/{created['id']}")) == created

    def test_a_stale_update_is_refused_not_lost(self, stack: Stack) -> None:
        # Given an endpoint read by one request before another changed it
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        stale = stored_item(scope, created["id"])
        ok(merchant.post(f"{PATH}/{created['id']}", {"description": "first writer"}))

        class Stale(Table):
            def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
                return dict(stale)

        # When the first request writes what it read
        with pytest.raises(Conflict):
            webhookendpoints.update(scope, created["id"], {"url": "https://late.example.com"}, API, table=Stale())
        # Then the other change stands and the late one was not written
        after = ok(merchant.get(f"{PATH}/{created['id']}"))
        assert (after["description"], after["url"]) == ("first writer", created["url"])


class TestDisable:
    def test_disabling_and_enabling_through_the_api(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant, enabledEvents=["invoice.paid"])
        disabled = ok(merchant.post(f"{PATH}/{created['id']}", {"disabled": True}))
        assert (disabled["status"], disabled["disabled"], disabled["disabledReason"]) == ("disabled", True, None)
        assert webhookendpoints.subscribed(scope, "invoice.paid", table=Table()) == []
        enabled = ok(merchant.post(f"{PATH}/{created['id']}", {"disabled": False}))
        assert (enabled["status"], enabled["disabled"]) == ("enabled", False)
        assert [e.id for e in webhookendpoints.subscribed(scope, "invoice.paid", table=Table())] == [created["id"]]

    def test_a_receiver_that_is_gone_disables_its_endpoint_with_the_reason(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        before = stored(scope, created["id"])
        # When the deliverer is told 410 Gone
        webhookendpoints.disable(scope, created["id"], "The receiver answered 410 Gone.", table=Table())
        # Then the merchant sees it disabled, and why
        shown = ok(merchant.get(f"{PATH}/{created['id']}"))
        assert (shown["status"], shown["disabledReason"]) == ("disabled", "The receiver answered 410 Gone.")
        assert stored(scope, created["id"]).version == before.version + 1
        # And a change read before it cannot undo it unseen
        with pytest.raises(Conflict):
            store.save_endpoint(Table(), scope, before, replace(before, description="late", version=before.version + 1))
        # And enabling it again clears the reason
        enabled = ok(merchant.post(f"{PATH}/{created['id']}", {"disabled": False}))
        assert (enabled["status"], enabled["disabledReason"]) == ("enabled", None)

    def test_disabling_a_deleted_endpoint_does_nothing(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        ok(merchant.delete(f"{PATH}/{created['id']}"))
        webhookendpoints.disable(scope, created["id"], "gone", table=Table())
        assert store.get_endpoint(Table(), scope, created["id"]) is None


class TestSubscribed:
    def test_the_enabled_endpoints_wanting_the_type_or_everything(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        everything = create(merchant, enabledEvents=["*"])["id"]
        invoices = create(merchant, enabledEvents=["invoice.paid", "invoice.voided"])["id"]
        customers = create(merchant, enabledEvents=["customer.created"])["id"]
        create(merchant, enabledEvents=["invoice.paid"], disabled=True)
        other, other_scope = new_merchant(stack)
        create(other, enabledEvents=["*"])

        def ids(event_type: str) -> set[str]:
            return {e.id for e in webhookendpoints.subscribed(scope, event_type, table=Table())}

        assert ids("invoice.paid") == {everything, invoices}
        assert ids("customer.created") == {everything, customers}
        assert ids("subscription.created") == {everything}
        assert len(webhookendpoints.subscribed(other_scope, "invoice.paid", table=Table())) == 1
        assert webhookendpoints.subscribed(Scope(scope.account_id, "live"), "invoice.paid", table=Table()) == []


class TestDelete:
    def test_a_deleted_endpoint_is_gone(self, merchant: ApiClient) -> None:
        keep = create(merchant)["id"]
        gone = create(merchant)["id"]
        answer = ok(merchant.delete(f"{PATH}/{gone}"))
        assert answer == {"id": gone, "object": "webhook_endpoint", "deleted": True}
        assert error_of(merchant.get(f"{PATH}/{gone}"), 404)["param"] == "endpoint"
        assert error_of(merchant.delete(f"{PATH}/{gone}"), 404)["code"] == "resource_missing"
        assert merchant.post(f"{PATH}/{gone}", {"description": "x"}).status == 404
        assert merchant.post(f"{PATH}/{gone}/roll_secret", {}).status == 404
        assert [e["id"] for e in ok(merchant.get(PATH))["data"]] == [keep]


class TestRollSecret:
    def test_both_secrets_sign_until_the_old_one_expires(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        old = created["secret"]
        # When the merchant rolls the secret, keeping the old one for an hour
        before = clock.to_epoch(clock.now())
        rolled = ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 3600}))
        after = clock.to_epoch(clock.now())
        # Then the answer shows the new secret once, and when the old one stops
        new = rolled.pop("secret")
        assert new.startswith("whsec_") and new != old
        ends = clock.to_epoch(clock.from_wire(rolled["secretExpiresAt"]))
        assert before + 3600 <= ends <= after + 3600
        assert ok(merchant.get(f"{PATH}/{created['id']}")) == rolled
        # And both sign until then, the new one first; then only the new one
        item = stored(scope, created["id"])
        assert item.live_secrets(ends - 1) == [new, old]
        assert item.live_secrets(ends) == [new]

    def test_without_a_body_the_old_secret_signs_for_a_day(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        response = merchant.request("POST", f"{PATH}/{created['id']}/roll_secret")
        rolled = ok(response)
        now = clock.to_epoch(clock.now())
        ends = clock.to_epoch(clock.from_wire(rolled["secretExpiresAt"]))
        assert now + 86400 - 5 <= ends <= now + 86400
        assert stored(scope, created["id"]).live_secrets(now) == [rolled["secret"], created["secret"]]

    def test_zero_stops_the_old_secret_at_once(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        rolled = ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 0}))
        assert rolled["secretExpiresAt"] is None
        assert stored(scope, created["id"]).live_secrets(clock.to_epoch(clock.now()) - 10) == [rolled["secret"]]
        assert created["secret"] not in json.dumps(stored_item(scope, created["id"]))

    def test_zero_ends_the_secrets_an_earlier_roll_kept_too(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        # Given a roll that keeps the first secret signing for a day
        second = ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 86400}))["secret"]
        assert stored(scope, created["id"]).live_secrets(clock.to_epoch(clock.now())) == [second, created["secret"]]
        # When the secret is rolled again with 0 (the first one leaked, say)
        third = ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 0}))
        # Then only the new secret signs: neither the one just replaced nor the one kept earlier
        assert third["secretExpiresAt"] is None
        assert stored(scope, created["id"]).live_secrets(clock.to_epoch(clock.now()) - 10) == [third["secret"]]
        kept = json.dumps(stored_item(scope, created["id"]))
        assert created["secret"] not in kept and second not in kept

    def test_expired_rolled_secrets_are_dropped_at_the_next_roll(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        created = create(merchant)
        second = ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 3600}))["secret"]
        # Given the first secret's grace ended (as if an hour passed)
        item = stored_item(scope, created["id"])
        past = clock.to_epoch(clock.now()) - 1
        item["secrets"][1]["expiresAt"] = past
        Table().put(item)
        # When the secret is rolled again
        third = ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 60}))["secret"]
        # Then the stored secrets are the new one and the one it replaced, not the expired one
        secrets = stored(scope, created["id"]).secrets
        assert [s.secret for s in secrets] == [third, second]
        assert secrets[0].expires_at is None

    def test_rolling_again_keeps_earlier_grace_periods(self, stack: Stack) -> None:
        merchant, scope = new_merchant(stack)
        first = create(merchant)
        second = ok(merchant.post(f"{PATH}/{first['id']}/roll_secret", {"expiresInSeconds": 7200}))["secret"]
        third = ok(merchant.post(f"{PATH}/{first['id']}/roll_secret", {"expiresInSeconds": 60}))["secret"]
        now = clock.to_epoch(clock.now())
        item = stored(scope, first["id"])
        assert item.live_secrets(now) == [third, first["secret"], second]
        assert item.live_secrets(now + 3600) == [third, first["secret"]]
        assert item.live_secrets(now + 7200) == [third]

    @pytest.mark.parametrize("expires", [-1, 604801, "soon", 1.5])
    def test_bad_grace_periods_are_400(self, merchant: ApiClient, expires: Any) -> None:
        created = create(merchant)
        error = error_of(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": expires}))
        assert error["param"] == "expiresInSeconds"

    def test_the_longest_grace_period_is_a_week(self, merchant: ApiClient) -> None:
        created = create(merchant)
        assert ok(merchant.post(f"{PATH}/{created['id']}/roll_secret", {"expiresInSeconds": 604800}))["secret"]


class TestLiveMode:
    def test_live_endpoints_are_live_and_apart_from_test_ones(self, stack: Stack) -> None:
        account, test_key = stack.new_account()
        test = ApiClient(stack.template, key=test_key)
        live = ApiClient(stack.template, key=accounts.add_key(account, "live", table=Table()).secret)
        live_endpoint = create(live, url=f"https://{PUBLIC_IP}/hooks")
        test_endpoint = create(test)
        assert (live_endpoint["livemode"], test_endpoint["livemode"]) == (True, False)
        assert [e["id"] for e in ok(live.get(PATH))["data"]] == [live_endpoint["id"]]
        assert [e["id"] for e in ok(test.get(PATH))["data"]] == [test_endpoint["id"]]
        assert test.get(f"{PATH}/{live_endpoint['id']}").status == 404
        assert ok(live.post(f"{PATH}/{live_endpoint['id']}", {"description": "x"}))["livemode"] is True

    @pytest.mark.parametrize(
        "url",
        [
            "http://hooks.example.com/x",
            "http://localhost:4242/x",
            "https://10.0.0.8/x",
            "https://127.0.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[fd00::1]/x",
        ],
    )
    def test_live_mode_refuses_http_and_private_addresses(self, stack: Stack, url: str) -> None:
        live, _ = new_merchant(stack, "live")
        error = error_of(live.post(PATH, {"url": url, "enabledEvents": ["*"]}))
        assert (error["param"], error["code"]) == ("url", "url_invalid")
        # And an update cannot point an endpoint there either
        created = create(live, url=f"https://{PUBLIC_IP}/hooks")
        assert error_of(live.post(f"{PATH}/{created['id']}", {"url": url}))["param"] == "url"
        assert ok(live.get(f"{PATH}/{created['id']}"))["url"] == f"https://{PUBLIC_IP}/hooks"

    def test_live_mode_resolves_names_and_refuses_private_answers(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        live, _ = new_merchant(stack, "live")
        answers = {"public.example.com": PUBLIC_IP, "sneaky.example.com": "192.168.0.10"}

        def fake_getaddrinfo(host: str, port: int, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
        assert create(live, url="https://public.example.com/hooks")["livemode"] is True
        private = error_of(live.post(PATH, {"url": "https://sneaky.example.com/hooks", "enabledEvents": ["*"]}))
        assert private["param"] == "url" and "private" in private["message"]
        unknown = error_of(live.post(PATH, {"url": "https://nowhere.example.com/hooks", "enabledEvents": ["*"]}))
        assert unknown["param"] == "url" and "does not resolve" in unknown["message"]

    @pytest.mark.parametrize(
        "url",
        [
            "https://10.1.2.3/hooks",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://sneaky.example.com/hooks",
        ],
    )
    def test_test_mode_refuses_private_addresses_as_live_mode_does(
        self, merchant: ApiClient, monkeypatch: pytest.MonkeyPatch, url: str
    ) -> None:
        # Given a name that resolves to a private address
        def fake_getaddrinfo(host: str, port: int, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.0.10", port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
        # Then a test key cannot point an endpoint at any private address either
        error = error_of(merchant.post(PATH, {"url": url, "enabledEvents": ["*"]}))
        assert (error["param"], error["code"]) == ("url", "url_invalid")

    @pytest.mark.parametrize("url", ["http://localhost:9001/x", "http://127.0.0.1:9001/x", "https://[::1]/x"])
    def test_a_deployed_stack_refuses_loopback_in_test_mode_too(
        self, merchant: ApiClient, monkeypatch: pytest.MonkeyPatch, url: str
    ) -> None:
        # Given the stack as deployed: loopback URLs not enabled (127.0.0.1:9001 is Lambda's runtime API)
        monkeypatch.delenv(egress.LOOPBACK_SETTING)
        # Then a test-mode endpoint cannot point to this machine
        error = error_of(merchant.post(PATH, {"url": url, "enabledEvents": ["*"]}))
        assert (error["param"], error["code"]) == ("url", "url_invalid")
        # While the local stack (the setting) allows the same URL in test mode
        monkeypatch.setenv(egress.LOOPBACK_SETTING, "1")
        assert create(merchant, url=url)["url"] == url


class TestIsolation:
    def test_another_accounts_endpoint_is_a_404_like_a_missing_one(self, stack: Stack) -> None:
        a, _ = new_merchant(stack)
        b, _ = new_merchant(stack)
        theirs = create(a)
        theirs.pop("secret")
        missing = "we_0000000000000000000000"
        for method, suffix, body in [
            ("GET", "", None),
            ("POST", "", {"description": "mine now"}),
            ("DELETE", "", None),
            ("POST", "/roll_secret", {}),
        ]:
            foreign = b.request(method, f"{PATH}/{theirs['id']}{suffix}", json_body=body)
            absent = b.request(method, f"{PATH}/{missing}{suffix}", json_body=body)
            assert foreign.status == absent.status == 404
            assert foreign.text.replace(theirs["id"], "X") == absent.text.replace(missing, "X")
        assert ok(b.get(PATH))["data"] == []
        assert ok(a.get(f"{PATH}/{theirs['id']}")) == theirs

    @pytest.mark.parametrize("bad_id", ["cust_123", "we_", "we_abc-def", "we_" + "a" * 41])
    def test_malformed_ids_are_refused(self, merchant: ApiClient, bad_id: str) -> None:
        response = merchant.get(f"{PATH}/{bad_id}")
        assert response.status in (400, 404)
        assert response.json()["error"]["type"] == "invalid_request_error"

    def test_a_key_is_required(self, stack: Stack) -> None:
        anonymous = ApiClient(stack.template)
        assert anonymous.get(PATH).status == 401
        assert anonymous.post(PATH, {"url": "https://x.example", "enabledEvents": ["*"]}).status == 401


def test_the_openapi_document_describes_the_routes(stack: Stack) -> None:
    document = ok(ApiClient(stack.template).get("/v1/openapi.json"))
    paths = document["paths"]
    assert {"get", "post"} <= set(paths[PATH])
    assert {"get", "post", "delete"} <= set(paths[f"{PATH}/{{endpoint}}"])
    assert "post" in paths[f"{PATH}/{{endpoint}}/roll_secret"]
    schema = document["components"]["schemas"]["WebhookEndpointCreate"]
    assert set(schema["required"]) == {"url", "enabledEvents"}
    # "*" alone, or known types (the service refuses "*" beside others, naming enabledEvents)
    types, everything = schema["properties"]["enabledEvents"]["anyOf"]
    assert "invoice.paid" in types["items"]["enum"] and "*" not in types["items"]["enum"]
    assert everything["items"]["const"] == "*"


def test_the_update_schema_offers_null_only_where_it_has_a_meaning(stack: Stack) -> None:
    # Given the update's schema
    properties = ok(ApiClient(stack.template).get("/v1/openapi.json"))["components"]["schemas"][
        "WebhookEndpointUpdate"
    ]["properties"]
    offered = {name for name, field in properties.items() if {"type": "null"} in field.get("anyOf", [])}
    # Then null is offered where it clears (the description) or changes nothing (metadata; a key set
    # to null is removed), not where the service refuses it (url, enabledEvents, disabled: 400s above)
    assert offered == {"description", "metadata"}


@pytest.mark.parametrize(
    ("url", "taken"),
    [
        ("https://hooks.example.com/vinr?x=1", True),
        ("HTTP://localhost:8080/hook", True),
        ("https://[::1]/hook", True),
        ("https://hooks.example.com/vinr#frag", False),
        ("https://user@hooks.example.com/vinr", False),
        ("https://hooks.example.com/a b", False),
        ("ftp://hooks.example.com/vinr", False),
        ("hooks.example.com/vinr", False),
    ],
)
def test_the_url_pattern_takes_no_url_the_service_refuses_for_its_form(
    merchant: ApiClient, url: str, taken: bool
) -> None:
    # Given the schema's pattern for `url`
    schema = ok(merchant.get("/v1/openapi.json"))["components"]["schemas"]["WebhookEndpointCreate"]
    pattern = re.compile(schema["properties"]["url"]["pattern"])
    # When a merchant sends the URL / Then the pattern and the service agree on it
    response = merchant.post(PATH, {"url": url, "enabledEvents": ["*"]})
    assert bool(pattern.search(url)) is taken
    assert (response.status == 200) is taken, response.text
    if not taken:
        assert error_of(response)["param"] == "url"
