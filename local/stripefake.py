"""localstripe, the stateful fake of Stripe's API (with its stand-in for Stripe.js at
`/js.stripe.com/v3/`), served on 127.0.0.1 for `make dev` and the tests.

    python -m local.stripefake --port 8420

What this wrapper changes, and why (each is something real Stripe does that the fake lacks;
the adapter is never weakened to fit the fake):
- it keeps its objects in memory only (localstripe pickles its whole store to a fixed file in
  /tmp after every write, which two stacks on one machine would share);
- it honours `Idempotency-Key` on POSTs as Stripe does (the same key and body answer the first
  answer again; the same key with another body is a 400), so "charged once" can be tested;
- `POST /v1/setup_intents/{id}/confirm` takes `mandate_data` (Stripe requires it to confirm a
  SEPA Direct Debit setup server-side); its shape is checked, then it is dropped;
- creating a PaymentIntent or SetupIntent takes `allowed_payment_method_types`, the name the
  pinned client's API version (endive) gives the list (it refuses `payment_method_types` with
  400 `payment_method_types_no_longer_supported`); the fake knows the old name only.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

_SETUP_CONFIRM = re.compile(r"^/v1/setup_intents/\w+/confirm$")
_INTENT_CREATE = re.compile(r"^/v1/(?:payment|setup)_intents$")


def _memory_only() -> None:
    from localstripe import resources

    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None


def _mandate_data_accepted() -> None:
    from localstripe import server
    from localstripe.errors import UserError

    original = server.get_post_data

    async def get_post_data(request: web.Request, remove_auth: bool = True) -> Any:
        data = await original(request, remove_auth=remove_auth)
        if remove_auth and isinstance(data, dict) and _SETUP_CONFIRM.match(request.path):
            mandate = data.pop("mandate_data", None)
            if mandate is not None:
                acceptance = mandate.get("customer_acceptance") if isinstance(mandate, dict) else None
                if not isinstance(acceptance, dict) or acceptance.get("type") not in ("online", "offline"):
                    raise UserError(400, "Bad request: mandate_data[customer_acceptance][type]")
        return data

    server.get_post_data = get_post_data


def _allowed_payment_method_types() -> None:
    from localstripe import server

    original = server.get_post_data

    async def get_post_data(request: web.Request, remove_auth: bool = True) -> Any:
        data = await original(request, remove_auth=remove_auth)
        if isinstance(data, dict) and _INTENT_CREATE.match(request.path) and "allowed_payment_method_types" in data:
            data["payment_method_types"] = data.pop("allowed_payment_method_types")
        return data

    server.get_post_data = get_post_data


def _idempotency() -> Callable[..., Awaitable[web.StreamResponse]]:
    answers: dict[tuple[str, str], tuple[str, int, bytes, str]] = {}

    @web.middleware
    async def idempotent(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        body = await request.read()
        digest = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        scope = (request.headers.get("Authorization", ""), key)
        if scope in answers:
            first_digest, status, text, content_type = answers[scope]
            if first_digest != digest:
                message = (
                    "Keys for idempotent requests can only be used with the same parameters they were first used with."
                )
                return web.json_response({"error": {"type": "idempotency_error", "message": message}}, status=400)
            replayed = {"Idempotent-Replayed": "true"}
            return web.Response(status=status, body=text, content_type=content_type, headers=replayed)
        response = await handler(request)
        if isinstance(response, web.Response) and response.status < 500 and response.body is not None:
            answers[scope] = (digest, response.status, bytes(response.body), response.content_type)  # type: ignore[arg-type]
        return response

    return idempotent


def application() -> web.Application:
    _memory_only()
    _mandate_data_accepted()
    _allowed_payment_method_types()
    from localstripe import server

    server.app.middlewares.insert(0, _idempotency())
    return server.app


def start_process(port: int, *, wait_seconds: float = 60) -> subprocess.Popen[bytes]:
    """localstripe in its own process on 127.0.0.1:`port`, answering once this returns."""
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stripefake", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"localstripe exited: {error.strip()[-500:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"localstripe did not answer on 127.0.0.1:{port} within {wait_seconds:.0f} s")


def send_webhooks_to(base_url: str, name: str, url: str, secret: str) -> None:
    """Every event the fake makes from now on is POSTed, signed with `secret`, to `url` (the fake
    has one account: each named receiver gets every event)."""
    import httpx

    httpx.post(
        f"{base_url}/_config/webhooks/{name}", data={"url": url, "secret": secret}, timeout=10
    ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    web.run_app(application(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
