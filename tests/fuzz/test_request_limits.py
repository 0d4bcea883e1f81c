"""Requests at and over the limits API Gateway (HTTP API) enforces: a 10 MB payload, and 10240
bytes for the request line and the header values together.

In front of Lambda, API Gateway refuses what is over its limits itself; the local gateway
(`local/gateway.py`) has to do the same, or the local stack accepts what production refuses.
Bodies just under the limit reach the handlers, which must answer them with a clean 400.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from local import template as template_module
from local.template import ROOT
from tests.conftest import Stack
from tests.fuzz.test_portal_forms import SignedIn, sign_in
from tests.support.apiclient import ApiClient
from tests.support.gateways import served

ECHO_TEMPLATE = ROOT / "tests" / "fixtures" / "gateway" / "template.yaml"
MAX_PAYLOAD = 10 * 1024 * 1024
MAX_REQUEST_LINE_AND_HEADERS = 10240


@pytest.fixture
def echo_api() -> Iterator[tuple[str, int]]:
    """The local gateway in front of a function that echoes the body (tests/fixtures/gateway)."""
    with served(template_module.load(ECHO_TEMPLATE).functions(), "FilesApi") as server:
        yield server.url, int(server.server.server_address[1])


def exchange(port: int, raw: bytes, *, timeout: float = 2) -> list[bytes]:
    """Sends `raw` on one connection and returns every response read until the server closes
    it (or stays silent for `timeout` seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        with contextlib.suppress(OSError):  # the server may close before reading it all: its answer counts
            conn.sendall(raw)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    responses = [b"HTTP/1.1 " + part for part in received.split(b"HTTP/1.1 ") if part]
    return responses


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def head(path: str, *headers: str) -> bytes:
    return ("\r\n".join([f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers]) + "\r\n\r\n").encode()


# ------------------------------------------------------------------ the payload
def test_a_body_of_exactly_10_mb_reaches_the_function(echo_api: tuple[str, int]) -> None:
    url, _ = echo_api
    payload = b"\x00\xff" * (MAX_PAYLOAD // 2)
    answer = httpx.post(f"{url}/echo/big", content=payload, headers={"content-type": "application/pdf"}, timeout=60)
    assert answer.status_code == 201 and answer.content == payload


def test_a_body_over_10_mb_is_a_413_before_it_is_read(echo_api: tuple[str, int]) -> None:
    _, port = echo_api
    # only the head is sent: the gateway refuses on Content-Length, as API Gateway does
    [answer] = exchange(port, head("/echo/big", f"Content-Length: {MAX_PAYLOAD + 1}"))
    assert status_of(answer) == 413
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"message": "Request Entity Too Large"}


def test_the_unread_body_of_a_413_is_never_taken_for_another_request(echo_api: tuple[str, int]) -> None:
    """After refusing a body it did not read, the gateway closes the connection; else the body's
    bytes are parsed as the next request on it (request smuggling)."""
    _, port = echo_api
    smuggled = b"GET /boom HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    body = smuggled + b"x" * (MAX_PAYLOAD + 1 - len(smuggled))
    answers = exchange(port, head("/echo/big", f"Content-Length: {len(body)}") + body[:4096])
    assert [status_of(a) for a in answers] == [413]
    assert b"connection: close" in answers[0].lower()


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "5, 5"])
def test_a_malformed_content_length_is_a_400(echo_api: tuple[str, int], length: str) -> None:
    _, port = echo_api
    answers = exchange(port, head("/echo/x", f"Content-Length: {length}") + b"hello", timeout=2)
    assert [status_of(a) for a in answers] == [400]


# ------------------------------------------------------------------ the headers
def test_headers_within_10240_bytes_pass(echo_api: tuple[str, int]) -> None:
    url, _ = echo_api
    answer = httpx.post(f"{url}/echo/x", content=b"ok", headers={"x-pad": "a" * 9000}, timeout=10)
    assert answer.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        [f"X-Pad: {'a' * (MAX_REQUEST_LINE_AND_HEADERS + 1)}"],  # one long header
        [f"X-Pad-{n}: {'b' * 200}" for n in range(60)],  # many short ones (12 000 bytes)
        [f"Cookie: {'c=' + 'd' * 11_000}"],
    ],
    ids=["one-long-header", "many-headers", "big-cookie"],
)
def test_headers_over_10240_bytes_are_a_431(echo_api: tuple[str, int], headers: list[str]) -> None:
    _, port = echo_api
    answers = exchange(port, head("/echo/x", "Content-Length: 2", *headers) + b"ok")
    assert [status_of(a) for a in answers] == [431]
    assert b"connection: close" in answers[0].lower()


# ------------------------------------------------------------------ just under the limit, in the handlers
def test_a_body_just_under_10_mb_is_a_clean_400_from_the_api(merchant: ApiClient) -> None:
    name = "A" * (MAX_PAYLOAD - 100)
    for path, body in (
        ("/v1/customers", {"name": name}),
        ("/v1/products", {"name": "x", "description": name}),
        ("/v1/webhook_endpoints", {"url": "https://example.com/" + name, "enabledEvents": ["*"]}),
    ):
        answer = merchant.post(path, body)
        assert answer.status == 400, (path, answer.status, answer.body[:500])
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error" and error["param"], error
        assert len(answer.body) < 4096  # the value is not echoed back
    garbage = merchant.request(
        "POST", "/v1/customers", body="[" * (MAX_PAYLOAD - 100), headers={"content-type": "application/json"}
    )
    assert garbage.status == 400 and garbage.json()["error"]["code"] == "body_invalid", garbage.body[:500]


def test_a_form_just_under_10_mb_is_a_clean_400_from_the_portal(stack: Stack, merchant: ApiClient) -> None:
    portal: SignedIn = sign_in(stack, merchant)
    for body in (
        f"csrf={portal.csrf}&name=" + "A" * (MAX_PAYLOAD - 200),  # one field over Starlette's 1 MB
        f"csrf={portal.csrf}&" + "&".join(f"f{n}=v" for n in range(2000)),  # over its 1000 fields
        f"csrf={portal.csrf}&" + "&".join("name=" + "B" * 1_000_000 for _ in range(9)),  # nine 1 MB values
    ):
        answer = portal.raw("POST", "/billing-details", body[:MAX_PAYLOAD])
        assert answer.status == 400, answer.body[:500]
        assert len(answer.body) < 256 * 1024
