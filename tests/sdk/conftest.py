"""SDK tests: a client over `httpx.MockTransport` for the unit tests, the local stack for the rest."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from vinr import Vinr

from tests.e2e.conftest import Running, running  # noqa: F401 - the local stack, re-exported for tests/sdk

BASE_URL = "https://api.vinr.test"
KEY = "sk_test_" + "k" * 32
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """The requests a mock API received, and the pauses the client took between retries."""

    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content) if self.requests[index].content else None


@pytest.fixture
def live(running: Running) -> Iterator[Vinr]:  # noqa: F811 - the fixture, requested by name
    """The SDK on the local stack (`make dev`), with the demo account's printed test key."""
    with Vinr(running.key, base_url=running.api, timeout=30, max_retries=1) as client:
        yield client


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    found = Recorder()
    monkeypatch.setattr(time, "sleep", found.sleeps.append)
    return found


@pytest.fixture
def mock_client(recorder: Recorder) -> Iterator[Callable[..., Vinr]]:
    """`mock_client(handler, **options)`: a `Vinr` whose HTTP calls `handler` answers."""
    made: list[httpx.Client] = []

    def make(handler: Handler, **options: Any) -> Vinr:
        def record(request: httpx.Request) -> httpx.Response:
            request.read()
            recorder.requests.append(request)
            return handler(request)

        http = httpx.Client(transport=httpx.MockTransport(record))
        made.append(http)
        return Vinr(KEY, base_url=BASE_URL, http_client=http, **options)

    yield make
    for http in made:
        http.close()


def answer(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"id": "obj_1", "object": "thing"} if body is None else body, headers=headers)


def error(
    status: int,
    *,
    code: str,
    message: str = "Nope.",
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The API's error envelope, as billing.kernel.errors renders it."""
    kind = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}.get(status)
    envelope: dict[str, Any] = {"type": kind or ("api_error" if status >= 500 else "invalid_request_error")}
    envelope.update(code=code, message=message)
    if param is not None:
        envelope["param"] = param
    return httpx.Response(status, json={"error": envelope}, headers=headers)
