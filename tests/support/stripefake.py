"""localstripe (through `local.stripefake`) in its own process on a free loopback port, for the
gateway adapter's tests and the browser tests that use its Stripe.js stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local import stripefake
from tests.support.motoserver import free_port


class StripeFake:
    def __init__(self, url: str) -> None:
        self.url = url  # the API base, e.g. http://127.0.0.1:24242
        self.script_url = f"{url}/js.stripe.com/v3/"

    def send_webhooks_to(self, name: str, url: str, secret: str) -> None:
        """Every event the fake makes from now on is POSTed, signed with `secret`, to `url`."""
        stripefake.send_webhooks_to(self.url, name, url, secret)


@pytest.fixture(scope="session")
def stripe_fake() -> Iterator[StripeFake]:
    port = free_port()
    process = stripefake.start_process(port)
    try:
        yield StripeFake(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(10)
