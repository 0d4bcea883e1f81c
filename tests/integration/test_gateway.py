"""The local gateway over real HTTP: routes, binary bodies both ways, cookies, faults."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local import template as template_module
from local.template import ROOT
from tests.support.gateways import served

FIXTURE = ROOT / "tests" / "fixtures" / "gateway" / "template.yaml"


def serve(api: str) -> Iterator[str]:
    with served(template_module.load(FIXTURE).functions(), api) as server:
        yield server.url


@pytest.fixture
def files_api() -> Iterator[str]:
    yield from serve("FilesApi")


@pytest.fixture
def catch_all_api() -> Iterator[str]:
    yield from serve("CatchAllApi")


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


def test_a_default_route_takes_what_no_other_route_does(catch_all_api: str) -> None:
    # Given an API whose routes are POST /echo/{name} and `$default`
    # When a request fits the explicit route / Then that route takes it
    echoed = httpx.post(f"{catch_all_api}/echo/a.txt", content=b"hi", timeout=10)
    assert (echoed.status_code, echoed.content) == (201, b"hi")
    # When a path fits no route, or the method does not / Then `$default` takes it, without parameters
    for method, path in (("GET", "/nowhere/at/all"), ("GET", "/echo/a.txt"), ("DELETE", "/")):
        answer = httpx.request(method, f"{catch_all_api}{path}", timeout=10)
        assert answer.status_code == 404
        assert answer.json() == {"routeKey": "$default", "path": path, "method": method, "pathParameters": None}


def test_a_handler_that_raises_is_a_502_without_the_traceback(files_api: str) -> None:
    response = httpx.get(f"{files_api}/boom", timeout=10)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal Server Error"}
    assert "handler failure" not in response.text


def test_with_workers_each_function_runs_in_processes_of_its_own_taking_turns() -> None:
    # Given the API with its function in 2 worker processes, as Lambda's containers
    with served(template_module.load(FIXTURE).functions(), "FilesApi", workers=2) as server:
        url = server.url
        payload = bytes(range(256))
        answers = [httpx.post(f"{url}/echo/a.bin", content=payload, timeout=60) for _ in range(4)]
        # Then bodies cross byte for byte, answered by processes other than this one, both in turn
        assert all(a.status_code == 201 and a.content == payload for a in answers)
        pids = [int(a.headers["x-pid"]) for a in answers]
        assert os.getpid() not in pids and len(set(pids)) == 2 and pids[0] != pids[1], pids
        # And a handler that raises is a 502, as API Gateway answers, and its worker serves on
        assert httpx.get(f"{url}/boom", timeout=60).status_code == 502
        assert httpx.post(f"{url}/echo/b.bin", content=b"x", timeout=60).status_code == 201
    # (the block's end stopped the gateway and its workers)
    for pid in set(pids):
        assert not _alive(pid), f"worker {pid} outlived its gateway"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
