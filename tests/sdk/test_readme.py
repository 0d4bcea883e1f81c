"""The README's Python examples, run as written: the product page's session and configuration
calls against the local stack, and the webhook handler against a real signature."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from billing.webhooks import webhooksigning
from local.template import ROOT
from tests.e2e.conftest import Running


def readme_block(section: str) -> str:
    """The first Python block of a `## section` of the README."""
    text = (ROOT / "README.md").read_text()
    part = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", part, re.S)
    assert found, f"no python block under ## {section}"
    return found.group(1)


@pytest.mark.slow
def test_the_sdk_section_runs_against_the_local_stack(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the demo account's key and one of its customers
    from vinr import Vinr

    monkeypatch.setenv("VINR_SECRET_KEY", running.key)
    monkeypatch.setenv("VINR_API_URL", running.api)
    with Vinr(running.key, base_url=running.api) as setup:
        customer_id = setup.customers.create(name="README reader")["id"]
    # When the README's block runs as written
    scope: dict[str, Any] = {"customer_id": customer_id}
    exec(readme_block("The SDK"), scope)  # noqa: S102 - the README is ours; running it is the test
    # Then it minted a session for that customer and set the default configuration's features
    session = scope["session"]
    assert session["customer"] == customer_id and session["url"].startswith(running.portal + "/session/bps_")
    with Vinr(running.key, base_url=running.api) as check:
        features = check.billing.portal_configurations.retrieve("default")["features"]
    assert features["subscriptionCancel"]["retention"]["offerCoupon"] == "rwd_save20"
    assert [p["product"] for p in features["subscriptionUpdate"]["products"]] == ["prod_basic", "prod_pro"]


class Request:
    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        self.body, self.headers = body, headers


def test_the_webhook_handler_of_the_readme_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the README's handler with an endpoint's secret
    secret = webhooksigning.new_secret()
    monkeypatch.setenv("VINR_SECRET_KEY", "sk_test_" + "x" * 32)
    monkeypatch.setenv("VINR_WEBHOOK_SECRET", secret)
    monkeypatch.setenv("VINR_API_URL", "http://127.0.0.1:3000")  # the client's base_url; no call is made
    scope: dict[str, Any] = {}
    exec(readme_block("Webhooks"), scope)  # noqa: S102 - the README is ours; running it is the test
    body = json.dumps({"id": "evt_1", "type": "subscription.updated"}).encode()
    now = int(time.time())
    signed = {"Vinr-Signature": webhooksigning.vinr_signature([secret], now, body)}
    # Then a delivery signed with it is accepted, and a tampered one refused
    assert scope["webhook"](Request(body, signed)) == 200
    assert scope["webhook"](Request(body.replace(b"evt_1", b"evt_2"), signed)) == 400
    other = {"Vinr-Signature": webhooksigning.vinr_signature([webhooksigning.new_secret()], now, body)}
    assert scope["webhook"](Request(body, other)) == 400
