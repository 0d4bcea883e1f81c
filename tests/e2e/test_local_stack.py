"""`make dev` as a developer meets it: start, call with the printed key, Ctrl-C."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Running, start
from tests.support.motoserver import free_port, free_ports

pytestmark = pytest.mark.slow


def test_the_printed_key_reads_the_demo_account_and_a_wrong_key_is_refused(running: Running) -> None:
    # Then the printed curl example names the API URL
    assert f"curl -s {running.api}/v1/account" in "".join(running.output)
    # When the printed key calls the API over HTTP
    ok = httpx.get(f"{running.api}/v1/account", headers={"Authorization": f"Bearer {running.key}"}, timeout=10)
    # Then it answers the demo account
    assert ok.status_code == 200
    assert ok.json()["name"] == "Demo Co"
    # And a wrong key gets the 401 envelope
    bad = httpx.get(f"{running.api}/v1/account", headers={"Authorization": "Bearer sk_test_" + "x" * 32}, timeout=10)
    assert bad.status_code == 401
    assert bad.json()["error"]["type"] == "authentication_error"
    # And the portal answers with its security headers
    health = httpx.get(f"{running.portal}/health", timeout=10)
    assert health.status_code == 200 and health.headers["x-frame-options"] == "DENY"
    # And an unknown route is the 404 envelope (the API function's `$default` route), key or not
    nope = httpx.get(f"{running.api}/nope", timeout=10)
    assert (nope.status_code, nope.json()["error"]["code"]) == (404, "route_not_found")


def test_ctrl_c_stops_cleanly(running: Running, tmp_path: Path) -> None:
    # When the developer presses Ctrl-C
    running.process.send_signal(signal.SIGINT)
    stdout, stderr = running.finish(timeout=30)
    # Then it says so and exits 0 with no traceback, and the stack file is gone
    assert running.process.returncode == 0, stderr
    assert "stopped" in stdout
    assert "Traceback" not in stderr
    assert not (tmp_path / "stack.json").exists()


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    # Given the API port is taken
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # When the stack starts
        moto_port, portal_port, dynamodb_port = free_ports(3)
        process = start(
            tmp_path,
            *("--api-port", str(port), "--moto-port", str(moto_port)),
            *("--portal-port", str(portal_port), "--dynamodb-port", str(dynamodb_port)),
        )
        stdout, stderr = process.communicate(timeout=60)
    # Then it exits 2 with one line naming the port and the flag
    assert process.returncode == 2
    assert f"port {port}" in stderr and "--api-port" in stderr
    assert "Traceback" not in stderr + stdout


def test_a_broken_template_is_one_clear_line(tmp_path: Path) -> None:
    # Given a template that is not valid YAML
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources: [unclosed\n")
    # When the stack starts on it
    process = start(tmp_path, "--template", str(broken), "--moto-port", str(free_port()))
    stdout, stderr = process.communicate(timeout=60)
    # Then it exits 2 naming the template, with no traceback
    assert process.returncode == 2
    assert "template.yaml" in stderr and "not valid YAML" in stderr
    assert "Traceback" not in stderr + stdout


def test_a_merchant_runs_the_billing_flow_over_http(running: Running) -> None:
    # Given the demo account's key on the running stack
    api = httpx.Client(base_url=running.api, headers={"Authorization": f"Bearer {running.key}"}, timeout=30)
    # When a merchant builds a catalog, a customer and a yen subscription over HTTP
    assert api.post("/v1/products", json={"id": "prod_e2e", "name": "E2E"}).status_code == 200
    price = api.post(
        "/v1/prices",
        json={"product": "prod_e2e", "unitAmount": 1200, "currency": "jpy", "recurring": {"interval": "month"}},
    ).json()
    customer = api.post("/v1/customers", json={"name": "Yamada", "address": {"country": "JP"}}).json()
    assert api.post(f"/v1/customers/{customer['id']}/payment_methods", json={"token": "tok_jcb"}).status_code == 200
    created = api.post(
        "/v1/subscriptions",
        json={"customer": customer["id"], "items": [{"price": price["id"]}]},
        headers={"Idempotency-Key": "e2e-sub-1"},
    )
    assert created.status_code == 200, created.text
    replay = api.post(
        "/v1/subscriptions",
        json={"customer": customer["id"], "items": [{"price": price["id"]}]},
        headers={"Idempotency-Key": "e2e-sub-1"},
    )
    # Then it is invoiced and charged once, in whole yen, and the PDF comes back as binary
    assert replay.json()["id"] == created.json()["id"]
    invoice = api.get(f"/v1/invoices/{created.json()['latestInvoice']}").json()
    assert (invoice["currency"], invoice["total"], invoice["status"]) == ("jpy", 1200, "paid")
    document = api.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert document.headers["content-type"] == "application/pdf"
    types = [e["type"] for e in api.get("/v1/events", params={"customer": customer["id"], "limit": 20}).json()["data"]]
    assert types.count("subscription.created") == 1 and "invoice.paid" in types
    # And the seeded demo customer is there with its subscription
    assert api.get("/v1/subscriptions", params={"status": "active"}).json()["data"]
