"""The local gateway over real HTTP: routes, binary bodies both ways, cookies, faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local import gateway
from local import template as template_module
from local.template import ROOT
from tests.support.motoserver import free_port

FIXTURE = ROOT / "tests" / "fixtures" / "gateway" / "template.yaml"


@pytest.fixture
def files_api() -> Iterator[str]:
    functions = template_module.load(FIXTURE).functions()
    server = gateway.Gateway("FilesApi", gateway.routes_for("FilesApi", functions), free_port())
    server.start()
    yield server.url
    server.stop()


def test_a_binary_body_goes_in_and_comes_back_byte_for_byte(files_api: str) -> None:
    payload = bytes(range(256)) * 4
    response = httpx.post(
        f"{files_api}/echo/report.pdf", content=payload, headers={"content-type": "application/pdf"}, timeout=10
    )
    assert response.status_code == 201
    assert response.content == payload
    assert response.headers["x-name"] == "report.pdf"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_unknown_routes_and_methods_are_404_like_api_gateway(files_api: str) -> None:
    assert httpx.get(f"{files_api}/echo/x", timeout=10).status_code == 404
    missing = httpx.post(f"{files_api}/nowhere", timeout=10)
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})


def test_a_handler_that_raises_is_a_502_without_the_traceback(files_api: str) -> None:
    response = httpx.get(f"{files_api}/boom", timeout=10)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal Server Error"}
    assert "handler failure" not in response.text
