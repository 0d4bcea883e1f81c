"""Fault injection for the repository's boto3 clients: the Nth call of an operation fails.

A `before-send` hook registered first on `billing.store.repository.client(service)`'s clients sees
every HTTP attempt (botocore's retries included) before moto answers it. A due fault either
raises what the HTTP layer would (`ReadTimeoutError`, `ConnectTimeoutError`: botocore retries
those) or answers an AWS error response that moto never saw (throttling: retried by the
standard retry mode; `TransactionCanceledException`: not retried). `times` is how many
consecutive attempts fail: 1 is a transient fault the retries absorb, `ATTEMPTS` (the
repository's `max_attempts`) a persistent one that reaches the code.

`late` is a write that committed but whose answer came too late: moto really runs the
request, then the attempt raises `ReadTimeoutError` anyway, so botocore sends it again (`times`
1: the first attempt committed, the retry gets the real answer, e.g. a failed condition).

`SendMessageBatch` can also answer `partial`: the first entry is taken out of the request
before moto sees it and comes back under `Failed`, the others are really sent.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.httpsession import URLLib3Session
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from billing.store import repository

SERVICES = ("dynamodb", "sqs", "secretsmanager")
ATTEMPTS = 4  # billing.store.repository: `retries={"max_attempts": 3}` is botocore's count of retries: 4 attempts
KINDS = (
    "throttle",  # ProvisionedThroughputExceededException (DynamoDB) / a 500 InternalError (SQS)
    "throttling",  # ThrottlingException
    "read-timeout",
    "connect-timeout",
    "txn-conflict",  # TransactionCanceledException, a ConditionalCheckFailed reason
    "txn-throttle",  # TransactionCanceledException, a ThrottlingError reason
    "partial",  # SendMessageBatch: the first entry under `Failed`
    "server-error",  # a 500 InternalError (any service)
    "late",  # moto runs the request, then the attempt times out reading the answer
)


@dataclass
class Fault:
    operation: str  # "TransactWriteItems", "SendMessageBatch", …
    nth: int  # which call of the operation (1-based) fails
    kind: str
    times: int = 1  # consecutive failing attempts of that call
    fired: int = 0


@dataclass
class Injector:
    """Counts the calls of each operation and fails the ones its faults name."""

    faults: list[Fault] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)  # API calls (before retries)
    sequence: list[str] = field(default_factory=list)  # every API call, in order
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _answered: set[int] = field(default_factory=set)  # requests answered here (moto must not run them)

    def arm(self, operation: str, nth: int, kind: str, times: int = 1) -> Fault:
        assert kind in KINDS, kind
        fault = Fault(operation, nth, kind, times)
        self.faults.append(fault)
        return fault

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.calls.clear()
            self.sequence.clear()

    @property
    def fired(self) -> int:
        return sum(f.fired for f in self.faults)

    # -- botocore hooks
    def before_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1
            self.sequence.append(model.name)

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            nth = self.calls[operation]
            due = next(
                (f for f in self.faults if f.operation == operation and f.nth == nth and f.fired < f.times), None
            )
            if due is None:
                return None
            due.fired += 1
        return self._fail(due, request, event_name)

    def _fail(self, fault: Fault, request: Any, event_name: str) -> AWSResponse | None:
        if fault.kind == "late":
            self._late(request, event_name)
        if fault.kind == "read-timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if fault.kind == "connect-timeout":
            raise ConnectTimeoutError(endpoint_url=request.url)
        if fault.kind == "partial":
            return self._partial(request)
        status, code, extra = {
            "throttle": (400, "ProvisionedThroughputExceededException", {}),
            "throttling": (400, "ThrottlingException", {}),
            "server-error": (500, "InternalServerError", {}),
            "txn-conflict": (400, "TransactionCanceledException", {"CancellationReasons": "ConditionalCheckFailed"}),
            "txn-throttle": (400, "TransactionCanceledException", {"CancellationReasons": "ThrottlingError"}),
        }[fault.kind]
        body: dict[str, Any] = {"message": f"injected {fault.kind}"}
        if "sqs" in request.url or "queue" in request.url:
            code = {"InternalServerError": "InternalError"}.get(code, code)
            if fault.kind.startswith("throttl"):
                status, code = 500, "InternalError"  # SQS's transient failure
            body["__type"] = f"com.amazonaws.sqs#{code}"
        else:
            body["__type"] = f"com.amazonaws.dynamodb.v20120810#{code}"
        if "CancellationReasons" in extra:
            operations = json.loads(request.body or b"{}").get("TransactItems", [{}])
            reasons = [{"Code": "None"} for _ in operations]
            reasons[-1] = {"Code": extra["CancellationReasons"], "Message": "injected"}
            body["CancellationReasons"] = reasons
            body["Message"] = "Transaction cancelled, please refer cancellation reasons for specific reasons"
        headers = {"x-amzn-ErrorType": code, "content-type": "application/x-amz-json-1.0"}
        return self._answer(request, status, headers, json.dumps(body))

    def _late(self, request: Any, event_name: str) -> None:
        """The request runs (it commits), and its answer is lost to a read timeout."""
        answered = _original_stubber(stubber_module_instance(), event_name, request)
        if answered is None:  # not moto's: DynamoDB Local runs it over HTTP
            answered = _http.send(request)
        assert answered.status_code < 500, f"{event_name} did not run: {answered.status_code}"
        raise ReadTimeoutError(endpoint_url=request.url)

    def _partial(self, request: Any) -> AWSResponse | None:
        sent = json.loads(request.body)
        dropped, kept = sent["Entries"][0], sent["Entries"][1:]
        failed = [{"Id": dropped["Id"], "SenderFault": False, "Code": "InternalError", "Message": "injected"}]
        if not kept:
            return self._answer(request, 200, {}, json.dumps({"Successful": [], "Failed": failed}))
        request.body = json.dumps({**sent, "Entries": kept}).encode()
        answered = _original_stubber(stubber_module_instance(), "before-send.sqs.SendMessageBatch", request)
        assert answered is not None
        got = json.loads(answered.content)
        got["Failed"] = got.get("Failed", []) + failed
        return self._answer(request, 200, dict(answered.headers), json.dumps(got))

    def _answer(self, request: Any, status: int, headers: dict[str, str], body: str) -> AWSResponse:
        with self._lock:
            self._answered.add(id(request))
        return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]

    def answered_here(self, request: Any) -> bool:
        with self._lock:
            if id(request) in self._answered:
                self._answered.discard(id(request))
                return True
            return False


_original_stubber = BotocoreStubber.__call__
_http = URLLib3Session()


def stubber_module_instance() -> BotocoreStubber:
    from moto.core.models import botocore_stubber

    return botocore_stubber


_active: list[Injector] = []


def _stubber_call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
    """moto's handler, skipping the requests a fault already answered."""
    if any(injector.answered_here(request) for injector in _active):
        return None
    return _original_stubber(self, event_name, request, **kwargs)


@contextmanager
def installed() -> Iterator[Injector]:
    """An injector on the repository's clients, with botocore's retry backoff set to zero."""
    import pytest
    from botocore.retries import standard

    injector = Injector()
    clients = [repository.client(service) for service in SERVICES]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BotocoreStubber, "__call__", _stubber_call)
        patch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
        # Many injected retries in one test must not drain the client's retry quota.
        patch.setattr(standard.RetryQuotaChecker, "acquire_retry_quota", lambda self, context: True)
        _active.append(injector)
        for client in clients:
            client.meta.events.register("before-call.*.*", injector.before_call)
            client.meta.events.register_first("before-send.*.*", injector.before_send)
        try:
            yield injector
        finally:
            for client in clients:
                client.meta.events.unregister("before-call.*.*", injector.before_call)
                client.meta.events.unregister("before-send.*.*", injector.before_send)
            _active.remove(injector)


__all__ = ["ATTEMPTS", "KINDS", "Fault", "Injector", "installed"]
