"""Partial batch responses: the failed records alone are reported, by the id their source retries."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from billing.kernel import batches


def _sqs(*ids: str) -> list[dict[str, Any]]:
    return [{"messageId": i, "body": i} for i in ids]


def test_only_the_failed_messages_are_reported_and_later_ones_still_run(caplog: pytest.LogCaptureFixture) -> None:
    # Given a batch whose second message is retried and whose third breaks
    handled: list[str] = []

    def handle(record: Mapping[str, Any]) -> None:
        handled.append(record["body"])
        if record["body"] == "m2":
            raise batches.Retry("later")
        if record["body"] == "m3":
            raise KeyError("broken")

    # When the batch is handled
    with caplog.at_level(logging.ERROR):
        answer = batches.handle_each(
            _sqs("m1", "m2", "m3", "m4"), handle, batches.sqs_message_id, logging.getLogger("t")
        )
    # Then every message ran, the two failed ones are reported, and only the unexpected one is logged
    assert handled == ["m1", "m2", "m3", "m4"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert [r.itemIdentifier for r in caplog.records] == ["m3"]  # type: ignore[attr-defined]
    assert caplog.records[0].exc_info is not None


def test_a_stream_record_is_reported_by_its_sequence_number() -> None:
    records = [{"dynamodb": {"SequenceNumber": "100"}}, {"dynamodb": {"SequenceNumber": "200"}}]

    def handle(record: Mapping[str, Any]) -> None:
        if record["dynamodb"]["SequenceNumber"] == "200":
            raise batches.Retry()

    answer = batches.handle_each(records, handle, batches.stream_sequence_number, logging.getLogger("t"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "200"}]}


def test_an_empty_batch_reports_nothing() -> None:
    assert batches.handle_each([], lambda r: None, batches.sqs_message_id, logging.getLogger("t")) == {
        "batchItemFailures": []
    }
