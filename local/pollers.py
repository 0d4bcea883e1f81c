"""Stand-ins for the template's event source mappings and schedules.

- a table stream → the function, in batches, resuming at the first failed record when the
  function reports partial batch failures (`ReportBatchItemFailures`);
- an SQS queue → the function, deleting the records that succeeded (all, unless the
  function reports failures or raises); failed ones come back after their visibility timeout;
- a `rate(...)` schedule → the function, at that rate (or a shorter one for development).

A mapping's `MaximumBatchingWindowInSeconds` paces a running poller as Lambda's does: after a
batch smaller than the batch size, it waits the window before it polls again, so that the next
invocation carries what arrived meanwhile (`poll_once`, which the tests step, never waits).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
import uuid
from typing import Any

from local import invoke
from local.template import Function, rate_seconds


def _logical_id(reference: Any) -> str:
    """`!GetAtt DeliveryQueue.Arn` → `DeliveryQueue`; `!Ref X` → `X`."""
    if isinstance(reference, dict):
        if "Fn::GetAtt" in reference:
            return str(reference["Fn::GetAtt"][0])
        if "Ref" in reference:
            return str(reference["Ref"])
    raise ValueError(f"event source {reference!r} is not a reference to a template resource")


def matches(pattern: Any, value: Any) -> bool:
    """An event source mapping's filter pattern (the literal-list subset of its syntax)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


def _filters(source: dict[str, Any]) -> list[Any]:
    """The parsed patterns of a source's `FilterCriteria` (none: every record passes)."""
    return [json.loads(f["Pattern"]) for f in source.get("FilterCriteria", {}).get("Filters", [])]


def _window(source: dict[str, Any]) -> float:
    return float(source.get("MaximumBatchingWindowInSeconds", 0))


def _failed_ids(answer: Any) -> set[str] | None:
    """The failed item identifiers a function reported, or None when it reported none."""
    if isinstance(answer, dict) and isinstance(answer.get("batchItemFailures"), list):
        return {str(f["itemIdentifier"]) for f in answer["batchItemFailures"]}
    return None


def typed(value: dict[str, Any]) -> dict[str, Any]:
    """A stream image's value as DynamoDB Streams sends it: DynamoDB Local (3.3.0) writes an empty
    map nested in an item as `{}`, where the service writes `{"M": {}}`."""
    if not value:
        return {"M": {}}
    if "M" in value:
        return {"M": {name: typed(inner) for name, inner in value["M"].items()}}
    if "L" in value:
        return {"L": [typed(inner) for inner in value["L"]]}
    return value


class Poller(threading.Thread):
    def __init__(self, function: Function, interval: float, window: float = 0) -> None:
        super().__init__(name=f"poller-{function.name}", daemon=True)
        self.function = function
        self.interval = interval
        self.window = window  # the mapping's batching window, seconds
        self.filled = False  # whether the last poll read a whole batch (more may be waiting)
        self.stopping = threading.Event()

    def invoke(self, event: dict[str, Any]) -> Any:
        handler = invoke.load_handler(self.function)
        return handler(event, invoke.LambdaContext(self.function.name))

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.poll_once()
            except Exception:
                traceback.print_exc(file=sys.stderr)
                busy = False
            if not busy:
                self.stopping.wait(self.interval)
            elif not self.filled and self.window:
                self.stopping.wait(self.window)

    def poll_once(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


class QueuePoller(Poller):
    def __init__(self, function: Function, source: dict[str, Any], sqs: Any, queue_url: str, queue_arn: str) -> None:
        super().__init__(function, interval=0.2, window=_window(source))
        self.sqs, self.queue_url, self.queue_arn = sqs, queue_url, queue_arn
        self.batch_size = min(int(source.get("BatchSize", 10)), 10)
        self.partial = "ReportBatchItemFailures" in source.get("FunctionResponseTypes", [])

    def poll_once(self) -> bool:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        self.filled = len(messages) >= self.batch_size
        if not messages:
            return False
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": self.queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
        try:
            answer = self.invoke({"Records": records})
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return True  # nothing deleted: the whole batch comes back after its visibility timeout
        failed = _failed_ids(answer) if self.partial else None
        done = [r for r in records if failed is None or r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": r["receiptHandle"]} for n, r in enumerate(done[start : start + 10])
                ],
            )
        return True


class StreamPoller(Poller):
    def __init__(self, function: Function, source: dict[str, Any], streams: Any, stream_arn: str) -> None:
        super().__init__(function, interval=0.2, window=_window(source))
        self.streams, self.stream_arn = streams, stream_arn
        self.batch_size = int(source.get("BatchSize", 100))
        self.partial = "ReportBatchItemFailures" in source.get("FunctionResponseTypes", [])
        self.filters = _filters(source)
        # shard → where to read next: after the last record handed over, or at the one to retry.
        # A fresh iterator each poll, never the last answer's `NextShardIterator`: moto rolls a
        # failed transaction back by putting a copy of the table in place, with a copy of its
        # stream shard; an iterator held from before reads the discarded shard for good (the
        # failed transaction's records in it, no later one).
        self.positions: dict[str, tuple[str, str]] = {}

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _iterator(self, shard: str) -> str:
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if shard in self.positions:
            kind, sequence_number = self.positions[shard]
            position = {"ShardIteratorType": kind, "SequenceNumber": sequence_number}
        return str(
            self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard, **position)["ShardIterator"]
        )

    def poll_once(self) -> bool:
        busy = self.filled = False
        for shard in self._shards():
            answer = self.streams.get_records(ShardIterator=self._iterator(shard), Limit=self.batch_size)
            records = answer.get("Records", [])
            if not records:
                continue
            busy = True
            self.filled = self.filled or len(records) >= self.batch_size
            self.positions[shard] = ("AFTER_SEQUENCE_NUMBER", str(records[-1]["dynamodb"]["SequenceNumber"]))
            for record in records:
                record["eventSourceARN"] = self.stream_arn
                dynamodb = record.get("dynamodb", {})
                if "ApproximateCreationDateTime" in dynamodb and not isinstance(
                    dynamodb["ApproximateCreationDateTime"], (int, float)
                ):
                    dynamodb["ApproximateCreationDateTime"] = dynamodb["ApproximateCreationDateTime"].timestamp()
                for image in ("Keys", "NewImage", "OldImage"):
                    if image in dynamodb:
                        dynamodb[image] = {name: typed(value) for name, value in dynamodb[image].items()}
            if self.filters:  # as Lambda does, records no filter matches are dropped unseen
                records = [r for r in records if any(matches(p, r) for p in self.filters)]
                if not records:
                    continue
            retry_from = self._deliver(records)
            if retry_from is not None:
                self.positions[shard] = ("AT_SEQUENCE_NUMBER", retry_from)
                self.stopping.wait(self.interval)
        return busy

    def _deliver(self, records: list[dict[str, Any]]) -> str | None:
        """The sequence number to resume at when the batch must be retried, else None."""
        first = str(records[0]["dynamodb"]["SequenceNumber"])
        try:
            answer = self.invoke({"Records": records})
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return first
        failed = _failed_ids(answer) if self.partial else None
        if not failed:
            return None
        return min(failed, key=int)


class SchedulePoller(Poller):
    def __init__(self, function: Function, schedule: dict[str, Any], interval: float | None = None) -> None:
        super().__init__(function, interval=interval or rate_seconds(str(schedule["Schedule"])))
        self.input = schedule.get("Input")

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                traceback.print_exc(file=sys.stderr)

    def poll_once(self) -> bool:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{self.function.name}"],
            "detail": {},
        }
        self.invoke(event)
        return True


def pollers_for(
    functions: list[Function],
    *,
    session: Any,
    queue_urls: dict[str, str],
    queue_arns: dict[str, str],
    stream_arn: str,
    schedule_interval: float | None = None,
) -> list[Poller]:
    """One poller per event source and schedule of the template's functions."""
    made: list[Poller] = []
    for function in functions:
        for source in function.queue_sources:
            queue = _logical_id(source["Queue"])
            made.append(QueuePoller(function, source, session.client("sqs"), queue_urls[queue], queue_arns[queue]))
        for source in function.stream_sources:
            made.append(StreamPoller(function, source, session.client("dynamodbstreams"), stream_arn))
        for schedule in function.schedules:
            made.append(SchedulePoller(function, schedule, schedule_interval))
    return made
