"""The local gateway serves plain http, as API Gateway serves https: it tells the function the
client's scheme (`X-Forwarded-Proto`, over whatever the client sent), so the redirects the portal
builds itself stay on the local port instead of sending the browser to an https URL no one serves."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local import invoke
from tests.conftest import Stack
from tests.support.gateways import served


@pytest.fixture
def local_portal(stack: Stack) -> Iterator[str]:
    """The template's portal behind the local gateway, over plain HTTP (the functions on moto)."""
    with served(stack.template.functions(), "PortalHttpApi") as server:
        yield server.url


@pytest.mark.parametrize("path", ["/invoices/", "/payment-methods/", "/billing-details/"])
def test_a_trailing_slash_redirects_to_the_same_local_http_origin(local_portal: str, path: str) -> None:
    # When a browser opens a portal URL with a trailing slash on the local stack, even claiming https
    answer = httpx.get(local_portal + path, headers={"x-forwarded-proto": "https"}, timeout=30)
    # Then it is sent to the same page without the slash, on the local http origin it is on
    assert answer.status_code in (301, 302, 307, 308), answer.text
    assert answer.headers["location"] == local_portal + path.rstrip("/")
    # And following it reaches a page of the portal (the sign-in page: no session here), not an error
    followed = httpx.get(answer.headers["location"], timeout=30, follow_redirects=True)
    assert followed.status_code < 500 and str(followed.url).startswith(local_portal)


def test_the_scheme_the_gateway_gives_overrides_the_clients_and_is_https_by_default() -> None:
    # As API Gateway: the client cannot choose the scheme the function sees
    claimed = invoke.http_event("GET", "/", headers={"X-Forwarded-Proto": "https"}, scheme="http")
    assert claimed["headers"]["x-forwarded-proto"] == "http"
    # And in-process events (the tests' clients) leave it to the client, as before
    assert "x-forwarded-proto" not in invoke.http_event("GET", "/")["headers"]
