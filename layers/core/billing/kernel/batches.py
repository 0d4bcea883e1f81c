"""Partial batch responses for the queue and stream functions: each record is handled alone and
only the failed ones are reported, so the source retries just those.

Powertools' BatchProcessor does the same, but importing it loads asyncio and every event data
class (about 40 ms of each cold start); this is the part of it these functions use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from billing.kernel import correlation


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


class Retry(Exception):
    """The record failed in an expected way, already logged; report it and go on."""


def sqs_message_id(record: Mapping[str, Any]) -> str:
    return str(record["messageId"])


def stream_sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def handle_each(
    records: Iterable[Mapping[str, Any]],
    handle: Callable[[Mapping[str, Any]], None],
    identifier: Callable[[Mapping[str, Any]], str],
    logger: logging.Logger | Any,
) -> PartialBatchResponse:
    """Calls `handle` on every record and reports those that raised; a later record still runs
    after an earlier one failed (handling is idempotent, and a stream resumes from the first).
    What `handle` binds to the log lines (`correlation.bind`) ends with its record."""
    failures: list[ItemFailure] = []
    for record in records:
        with correlation.scope():
            try:
                handle(record)
            except Retry:
                failures.append({"itemIdentifier": identifier(record)})
            except Exception:
                logger.exception("record failed", extra={"itemIdentifier": identifier(record)})
                failures.append({"itemIdentifier": identifier(record)})
    return {"batchItemFailures": failures}
