"""The only module that talks to AWS: DynamoDB (the single table) and Secrets Manager.

Items are plain dicts of Python values; this module converts to and from DynamoDB's typed
JSON. Numbers come back as `int` when whole (money is always whole minor units). AWS errors
become the domain errors of `billing.kernel.errors`: a failed condition is a `Conflict`, throttling
and timeouts are a `ServiceUnavailable`; nothing else leaks boto3 types to the services.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import boto3
import msgspec
from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from billing.kernel import config
from billing.kernel.errors import Conflict, ServiceUnavailable
from billing.kernel.scope import IdempotencyMark, RequestInfo
from billing.store import responses

Item = dict[str, Any]
Already = Callable[[Item], bool]  # whether the stored item already holds this request's change

INDEX_KEYS = {
    "gsi1": ("gsi1pk", "gsi1sk"),
    "gsi2": ("gsi2pk", "gsi2sk"),
    "gsi3": ("gsi3pk", "gsi3sk"),
    "due": ("duePk", "dueSk"),
}

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()
_session: boto3.Session | None = None

_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=2,
    read_timeout=5,
    # The services validate every request themselves (a ValidationException); botocore's own pass
    # over the parameters, before each call, re-checks what this module builds from typed items.
    parameter_validation=False,
)
CONFLICT = "The object was changed by another request; retry."
CHANGE_REF = "changeRef"  # an outbox item's reference to its event, given to its change's other items
BATCH_GET_KEYS = 100  # DynamoDB's most per BatchGetItem
BATCH_GET_ATTEMPTS = 5  # a batch read's requests, with those for its unprocessed keys
BATCH_GET_PAUSE = 0.05  # seconds before the first request for unprocessed keys, doubled each time
_THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "InternalError",
    "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled",
}


def client(service: str) -> Any:
    """One boto3 client per service per warm container (clients are thread-safe)."""
    global _session
    with _clients_lock:
        if service not in _clients:
            if _session is None:  # one session for the container, as boto3's default one
                _session = responses.session()
            _clients[service] = _session.client(service, config=_CLIENT_CONFIG)
        return _clients[service]


def reset_clients() -> None:
    """Drop cached clients and their session (tests switch endpoints and credentials, which a
    session keeps once it has resolved them)."""
    global _session
    with _clients_lock:
        _clients.clear()
        _session = None


# ------------------------------------------------------------------ conversion
def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _dynamo_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _dynamo_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dynamo_value(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_dynamo_value(v)) for k, v in item.items()}


def deserialize(raw: Mapping[str, Any]) -> Item:
    return {k: _plain_value(v) for k, v in raw.items()}


def _plain_value(raw: Mapping[str, Any]) -> Any:
    """One typed value as `_plain(TypeDeserializer().deserialize(raw))` reads it, without the
    Decimal round trip for the kinds items are made of; anything else goes that way."""
    if len(raw) == 1:
        ((kind, value),) = raw.items()
        if kind == "S":
            return value
        if kind == "N":
            number = DYNAMODB_CONTEXT.create_decimal(value)
            return int(number) if number == number.to_integral_value() else float(number)
        if kind == "M":
            return {k: _plain_value(v) for k, v in value.items()}
        if kind == "L":
            return [_plain_value(v) for v in value]
        if kind == "BOOL":
            return value
        if kind == "NULL":
            return None
    return _plain(_deserializer.deserialize(raw))


def _values(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return serialize(values) if values else None


# ------------------------------------------------------------------ errors
def _translate(error: Exception, conflict_message: str) -> Exception:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            return Conflict(conflict_message, code="conflict")
        if code == "TransactionCanceledException":
            cancelled = error.response.get("CancellationReasons", [])
            reasons = [r.get("Code", "None") for r in cancelled]
            if any(r in _THROTTLING or r == "ThrottlingError" for r in reasons):
                return ServiceUnavailable("The service is busy; retry the request.")
            items = [deserialize(r["Item"]) if r.get("Item") else None for r in cancelled]
            return Cancelled(conflict_message, list(zip(reasons, items, strict=True)))
        if code == "TransactionConflictException":
            return Contended(conflict_message)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _THROTTLING or status >= 500:
            # Throttling, and any failure of the service's own (SQS says `InternalError`,
            # `RequestThrottled`), once botocore's retries are spent: the caller may retry.
            return ServiceUnavailable("The service is busy; retry the request.")
        return error
    if isinstance(error, BotoCoreError):
        return ServiceUnavailable("The data store did not answer in time; retry the request.")
    return error


class Contended(Conflict):
    """A single-item write refused because a transaction held the item at that moment: nothing
    was written, and the same write may succeed when tried again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="conflict")


class Cancelled(Conflict):
    """A transaction its items cancelled: `reasons` holds, per operation in order, its code
    ("None" when it was not a cause; "ConditionalCheckFailed", "TransactionConflict", ...) and
    the item as it stood when its condition failed (with `transact(return_old=True)`; None when
    there was none)."""

    def __init__(self, message: str, reasons: list[tuple[str, Item | None]]) -> None:
        super().__init__(message, code="conflict")
        self.reasons = reasons


def _own_earlier_attempt(error: Exception, already: Already | None) -> Item | None:
    """The stored item, when a conditional single-item write failed its condition only because
    an earlier attempt of the same call had committed it.

    botocore retries a write whose answer timed out; when the first attempt had committed, the
    retry finds the item changed and fails its condition: a false conflict for a change that
    happened (transactions are safe from this: their `ClientRequestToken` makes the retry
    DynamoDB's idempotent success; single-item writes have no token). So such a write asks for
    the item as it stands (`ReturnValuesOnConditionCheckFailure`), and when botocore did retry
    the call, the caller's `already` decides from it whether it is this request's own change."""
    if already is None or not isinstance(error, ClientError) or not retried_condition_failure(error):
        return None  # (when the only attempt failed its condition, that was someone else's doing)
    raw = error.response.get("Item")
    if not raw:
        return None
    stored = deserialize(raw)
    return stored if already(stored) else None


def retried_condition_failure(error: BaseException | None) -> bool:
    """Whether `error` is a conditional write's failed condition on a call botocore had retried:
    the condition may have failed on the call's own earlier attempt, committed but answered late."""
    if not isinstance(error, ClientError):
        return False
    if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        return False
    return int(error.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) > 0


def stored_as(item: Mapping[str, Any]) -> Already:
    """`already` for a put: the stored item is exactly the one put (a create's own earlier attempt)."""
    expected = deserialize(serialize(item))
    return lambda stored: stored == expected


def holds(changes: Mapping[str, Any], *, version: int | None = None) -> Already:
    """`already` for an update: the stored item holds `changes` (and, given, is at `version`)."""
    expected = deserialize(serialize(changes))

    def check(stored: Item) -> bool:
        if version is not None and stored.get("version") != version:
            return False
        return all(stored.get(name) == value for name, value in expected.items())

    return check


class Table:
    """The single DynamoDB table."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or config.settings().table_name
        self._db = client("dynamodb")
        # What a request reads once and asks again (a Table lives for one request or one clock
        # run): the areas key it by what it holds and forget it when they change it.
        self.memo: dict[tuple[str, ...], Any] = {}

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        try:
            answer = self._db.get_item(
                TableName=self.name, Key=serialize({"pk": pk, "sk": sk}), ConsistentRead=consistent
            )
        except (ClientError, BotoCoreError) as error:
            raise _translate(error, "read failed") from error
        raw = answer.get("Item")
        return deserialize(raw) if raw else None

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        conflict_message: str = CONFLICT,
        already: Already | None = None,
    ) -> None:
        """`item` written whole. With a `condition`, `already` tells from the stored item whether
        it is this request's own write (see `_own_earlier_attempt`; `stored_as(item)` for a create)."""
        request: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        if condition:
            request["ConditionExpression"] = condition
            if already is not None:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if values:
            request["ExpressionAttributeValues"] = _values(values)
        try:
            self._db.put_item(**request)
        except (ClientError, BotoCoreError) as error:
            if _own_earlier_attempt(error, already) is not None:
                return
            raise _translate(error, conflict_message) from error

    def update(
        self,
        pk: str,
        sk: str,
        *,
        expression: str,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        conflict_message: str = CONFLICT,
        already: Already | None = None,
    ) -> Item:
        """The item as updated. With a `condition`, `already` tells from the stored item whether
        it holds this request's own update (see `_own_earlier_attempt`), which is then returned."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize({"pk": pk, "sk": sk}),
            "UpdateExpression": expression,
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            request["ConditionExpression"] = condition
            if already is not None:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if values:
            request["ExpressionAttributeValues"] = _values(values)
        try:
            answer = self._db.update_item(**request)
        except (ClientError, BotoCoreError) as error:
            done = _own_earlier_attempt(error, already)
            if done is not None:
                return done
            raise _translate(error, conflict_message) from error
        return deserialize(answer["Attributes"])

    def delete(
        self,
        pk: str,
        sk: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        request: dict[str, Any] = {"TableName": self.name, "Key": serialize({"pk": pk, "sk": sk})}
        if condition:
            request["ConditionExpression"] = condition
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if values:
            request["ExpressionAttributeValues"] = _values(values)
        try:
            self._db.delete_item(**request)
        except (ClientError, BotoCoreError) as error:
            raise _translate(error, CONFLICT) from error

    def query(
        self,
        partition: str,
        *,
        prefix: str | None = None,
        index: str | None = None,
        limit: int | None = None,
        after: Mapping[str, Any] | None = None,
        forward: bool = True,
        consistent: bool = False,
        upto: str | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """Items of one partition (with a sort-key prefix, or sort keys up to `upto`), and the resume key."""
        hash_key, range_key = INDEX_KEYS.get(index or "", ("pk", "sk"))
        names = {"#h": hash_key}
        values: dict[str, Any] = {":h": partition}
        condition = "#h = :h"
        if prefix:
            names["#r"] = range_key
            values[":r"] = prefix
            condition += " AND begins_with(#r, :r)"
        elif upto:
            names["#r"] = range_key
            values[":r"] = upto
            condition += " AND #r <= :r"
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = consistent
        if limit:
            request["Limit"] = limit
        if after:
            request["ExclusiveStartKey"] = serialize(after)
        try:
            answer = self._db.query(**request)
        except (ClientError, BotoCoreError) as error:
            raise _translate(error, "read failed") from error
        last = answer.get("LastEvaluatedKey")
        return [deserialize(i) for i in answer.get("Items", [])], (deserialize(last) if last else None)

    def query_all(self, partition: str, *, index: str | None = None, consistent: bool = False) -> list[Item]:
        """Every item of a partition, page after page (for partitions known to be small)."""
        items: list[Item] = []
        after = None
        while True:
            page, after = self.query(partition, index=index, after=after, consistent=consistent)
            items.extend(page)
            if after is None:
                return items

    def batch_get(self, keys: Iterable[tuple[str, str]], *, consistent: bool = True) -> dict[tuple[str, str], Item]:
        """The items stored under `keys` (pk, sk), by key; a key with no item is left out. One
        BatchGetItem per 100 keys. The keys DynamoDB leaves unprocessed (throttling, its 16 MB
        answer limit) are asked again after a growing pause, a bounded number of times; keys
        still unprocessed then make the read a ServiceUnavailable."""
        wanted = list(dict.fromkeys(keys))  # DynamoDB refuses a request that names a key twice
        found: dict[tuple[str, str], Item] = {}
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            pending = [serialize({"pk": pk, "sk": sk}) for pk, sk in wanted[start : start + BATCH_GET_KEYS]]
            for attempt in range(BATCH_GET_ATTEMPTS):
                if attempt:
                    time.sleep(BATCH_GET_PAUSE * 2 ** (attempt - 1))
                request = {self.name: {"Keys": pending, "ConsistentRead": consistent}}
                try:
                    answer = self._db.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as error:
                    raise _translate(error, "read failed") from error
                for raw in answer.get("Responses", {}).get(self.name, []):
                    item = deserialize(raw)
                    found[(item["pk"], item["sk"])] = item
                pending = answer.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
                if not pending:
                    break
            else:
                raise ServiceUnavailable("The service is busy; retry the request.")
        return found

    def transact(
        self,
        operations: Sequence[Operation],
        *,
        mark: IdempotencyMark | None = None,
        conflict_message: str = CONFLICT,
        token: str | None = None,
        return_old: bool = False,
    ) -> None:
        """All of `operations` or none of them, with `mark` when it has not committed yet. With
        `return_old`, a `Cancelled` carries each failed condition's item as it stood."""
        carried = mark if mark is not None and not mark.committed else None
        if carried is not None:
            operations = [*operations, carried.operation]
        # A token always: botocore's retry of a transaction that committed but answered late is
        # then DynamoDB's idempotent success, not a failed condition (a false 409).
        request: dict[str, Any] = {
            "TransactItems": [_transact_item(self.name, op, return_old) for op in operations],
            "ClientRequestToken": token or uuid.uuid4().hex,
        }
        try:
            self._db.transact_write_items(**request)
        except (ClientError, BotoCoreError) as error:
            raise _translate(error, conflict_message) from error
        if carried is not None:
            carried.committed = True


class UnitOfWork:
    """One change's writes: its items and conditions, its events (the outbox) and, when this is
    the first commit of a request with an `Idempotency-Key`, the key's mark. They commit as one
    `TransactWriteItems`: all of them or none."""

    def __init__(self, table: Table, request: RequestInfo | None, *, conflict_message: str = CONFLICT) -> None:
        self.table = table
        self.request = request
        self.conflict_message = conflict_message
        self.operations: list[Operation] = []

    def add(self, *operations: Operation) -> UnitOfWork:
        self.operations.extend(operations)
        return self

    def commit(self) -> None:
        mark = self.request.idempotency_mark if self.request is not None else None
        self.table.transact(_linked(self.operations), mark=mark, conflict_message=self.conflict_message)


def _linked(operations: Sequence[Operation]) -> list[Operation]:
    """The change's outbox items each told of them all: every item with a `changeRef` (its
    event's ID and type) gets `change`, the refs of the change's events, so that deliveries can
    keep the events of one change in order (`billing.events.types.causal_order`)."""
    refs = [op.item[CHANGE_REF] for op in operations if isinstance(op, Put) and CHANGE_REF in op.item]
    if len(refs) < 2:
        return list(operations)
    return [
        msgspec.structs.replace(op, item={**op.item, "change": refs})
        if isinstance(op, Put) and CHANGE_REF in op.item
        else op
        for op in operations
    ]


# ------------------------------------------------------------------ transaction operations
class Put(msgspec.Struct, frozen=True):
    """An item written whole (a transaction's `Put`)."""

    item: Mapping[str, Any]
    condition: str | None = None
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None


class Update(msgspec.Struct, frozen=True):
    """An item's attributes changed by an update expression (a transaction's `Update`)."""

    pk: str
    sk: str
    expression: str
    condition: str | None = None
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None


class Delete(msgspec.Struct, frozen=True):
    pk: str
    sk: str
    condition: str | None = None
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None


class Check(msgspec.Struct, frozen=True):
    """A condition on an item the transaction does not change (a `ConditionCheck`)."""

    pk: str
    sk: str
    condition: str
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None


Operation = Put | Update | Delete | Check


def _transact_item(table_name: str, op: Operation, return_old: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"TableName": table_name}
    if isinstance(op, Put):
        kind = "Put"
        body["Item"] = serialize(op.item)
    else:
        kind = {Update: "Update", Delete: "Delete", Check: "ConditionCheck"}[type(op)]
        body["Key"] = serialize({"pk": op.pk, "sk": op.sk})
    if isinstance(op, Update):
        body["UpdateExpression"] = op.expression
    if op.condition:
        body["ConditionExpression"] = op.condition
        if return_old:
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if op.names:
        body["ExpressionAttributeNames"] = dict(op.names)
    if op.values:
        body["ExpressionAttributeValues"] = serialize(op.values)
    return {kind: body}


def versioned_put_op(after: Mapping[str, Any], expected_version: int) -> Put:
    """`after` written whole, only over the version it was read at (no lost updates)."""
    return Put(after, "#v = :expected", {"#v": "version"}, {":expected": expected_version})


def versioned_set(changes: Mapping[str, Any], expected_version: int) -> dict[str, Any]:
    """`SET` of `changes` and the next version, conditional on `expected_version`: the
    expression, condition, names and values of an `update` or `update_op`."""
    fields = [*changes, "version"]
    expression, names = set_expression(fields)
    values = {f":f{n}": changes[f] for n, f in enumerate(changes)}
    values[f":f{len(changes)}"] = expected_version + 1
    names["#v"] = "version"
    values[":expected"] = expected_version
    return {"expression": expression, "condition": "#v = :expected", "names": names, "values": values}


def set_expression(fields: Iterable[str]) -> tuple[str, dict[str, str]]:
    """`SET #f0 = :f0, #f1 = :f1` for `fields`, with the attribute-name map."""
    names: dict[str, str] = {}
    parts = []
    for n, field in enumerate(fields):
        names[f"#f{n}"] = field
        parts.append(f"#f{n} = :f{n}")
    return "SET " + ", ".join(parts), names


def secret_string(secret_id: str) -> str:
    try:
        answer = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except (ClientError, BotoCoreError) as error:
        raise _translate(error, "secret unavailable") from error
    return str(answer["SecretString"])


SQS_BATCH_BYTES = 256 * 1024  # SendMessageBatch's limit on its messages' total size (one message's too)


def _send_batches(bodies: Sequence[str]) -> Iterator[list[str]]:
    """`bodies` in order, in batches SendMessageBatch takes: ten messages and `SQS_BATCH_BYTES` at most."""
    batch: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if batch and (len(batch) == 10 or size + length > SQS_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(body)
        size += length
    if batch:
        yield batch


class Queue:
    """The delivery queue (SQS): webhook messages out, retry timing of the ones in flight."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or config.settings().delivery_queue_url
        self._sqs = client("sqs")

    def send(self, bodies: Sequence[str]) -> None:
        """Every body, at most ten and `SQS_BATCH_BYTES` to a request; raises if any one was not accepted."""
        for batch in _send_batches(bodies):
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(batch)]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                raise _translate(error, "queue unavailable") from error
            if answer.get("Failed"):
                raise ServiceUnavailable("The delivery queue refused a message; retry the request.")

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """Make a received message visible again after `seconds` (≤ 12 hours)."""
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(seconds, 43200))
            )
        except (ClientError, BotoCoreError) as error:
            raise _translate(error, "queue unavailable") from error
