"""One HTTP call to the API: authentication, Idempotency-Key, retries with backoff, typed errors."""

from __future__ import annotations

import email.utils
import platform
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
from typing import Any

import httpx

from vinr._version import __version__
from vinr._wire import encode_json
from vinr.errors import APIConnectionError, APIError, APITimeoutError, VinrError, error_from_response, request_id_of

__all__ = ["Transport"]

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRIED_STATUSES = frozenset({429}) | frozenset(range(500, 600))
# A 409 with this code: the same Idempotency-Key is still being worked on (a first attempt the
# client gave up on, or a concurrent one); retried with the same key, it gets that attempt's answer.
RETRIED_CONFLICT_CODE = "idempotency_in_progress"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
USER_AGENT = f"vinr-python/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds (a number or an HTTP date), capped; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff(attempt: int, retry_after: str | None = None) -> float:
    """The pause before retry number `attempt + 1`: the server's Retry-After, else exponential with jitter."""
    told = retry_after_seconds(retry_after)
    if told is not None:
        return told
    delay = min(INITIAL_DELAY * (2.0**attempt), MAX_DELAY)
    return delay * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not cryptography


class Transport:
    """Sends requests for one secret key; shared by every resource of a client."""

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str,
        timeout: float,
        max_retries: int,
        http_client: httpx.Client | None,
    ) -> None:
        if not isinstance(secret_key, str) or not secret_key.strip():
            raise ValueError("secret_key is required: a secret key such as sk_test_… or sk_live_….")
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative.")
        self._secret_key = secret_key.strip()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self._owns_client = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=timeout)
        self.sleep: Callable[[float], None] = time.sleep

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def _headers(self, method: str, *, has_body: bool, accept: str, idempotency_key: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._secret_key}",
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if method in MUTATING:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        return headers

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        accept: str = "application/json",
    ) -> httpx.Response:
        """The successful response, after up to `max_retries` retries; a typed `VinrError` otherwise.

        The body is encoded once and the Idempotency-Key chosen once, so every retry is the same
        request and the API answers a retried POST with the first attempt's result.
        """
        method = method.upper()
        content = None if body is None else encode_json(body)
        headers = self._headers(method, has_body=content is not None, accept=accept, idempotency_key=idempotency_key)
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method, url, params=dict(params or {}), content=content, headers=headers, timeout=self.timeout
                )
            except httpx.UnsupportedProtocol as error:
                raise APIConnectionError(f"Cannot call {url}: {error}") from error
            except httpx.TransportError as error:  # timeouts included
                if attempt < self.max_retries:
                    self.sleep(backoff(attempt))
                    attempt += 1
                    continue
                tries = f"after {attempt + 1} attempt(s)"
                if isinstance(error, httpx.TimeoutException):
                    raise APITimeoutError(f"The request to {method} {path} timed out {tries}.") from error
                raise APIConnectionError(
                    f"Could not reach the VINR API for {method} {path} {tries}: {error}"
                ) from error
            if response.is_success:
                return response
            if attempt < self.max_retries and _retried(response):
                delay = backoff(attempt, response.headers.get("retry-after"))
                response.close()
                self.sleep(delay)
                attempt += 1
                continue
            raise _error(response)

    def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        response = self.send(method, path, params=params, body=body, idempotency_key=idempotency_key)
        try:
            decoded = response.json()
        except ValueError as error:
            raise _unreadable(response, "is not JSON") from error
        if not isinstance(decoded, dict):
            raise _unreadable(response, "is not a JSON object")
        return decoded

    def pages(self, path: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every object of a list, page after page, following `startingAfter` while `hasMore`: the
        answer's `nextStartingAfter` when it has one (a filtered page the server's read bound cut
        short, perhaps empty), else the last ID."""
        query = dict(params)
        while True:
            page = self.json("GET", path, params=query)
            data = page.get("data")
            items = data if isinstance(data, list) else []
            yield from items
            if not page.get("hasMore"):
                return
            if isinstance(page.get("nextStartingAfter"), str):
                query["startingAfter"] = page["nextStartingAfter"]
            elif items and isinstance(items[-1], dict) and "id" in items[-1]:
                query["startingAfter"] = str(items[-1]["id"])
            else:
                return


def _retried(response: httpx.Response) -> bool:
    """Whether a failed answer is worth the same request again: 429, 5xx, and a 409 naming an
    Idempotency-Key still in progress (other 409s are about the object's state: never retried)."""
    if response.status_code in RETRIED_STATUSES:
        return True
    if response.status_code != 409:
        return False
    response.read()
    try:
        body: Any = response.json()
    except ValueError:
        return False
    envelope = body.get("error") if isinstance(body, dict) else None
    return isinstance(envelope, dict) and envelope.get("code") == RETRIED_CONFLICT_CODE


def _error(response: httpx.Response) -> VinrError:
    response.read()
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return error_from_response(response.status_code, body, response.headers)


def _unreadable(response: httpx.Response, why: str) -> APIError:
    return APIError(
        f"The API's answer to {response.request.method} {response.request.url.path} {why}.",
        status=response.status_code,
        request_id=request_id_of(response.headers),
        body=response.text,
        headers=response.headers,
    )
