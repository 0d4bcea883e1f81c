"""The log lines' correlation keys: bound for one scope, kept apart between threads, and put on the
core's standard-library lines through the running function's Powertools logger."""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

from aws_lambda_powertools import Logger

from billing.kernel import correlation


def function_logger(service: str) -> tuple[Logger, io.StringIO]:
    stream = io.StringIO()
    logger = Logger(service=service, logger_handler=logging.StreamHandler(stream))
    correlation.install(logger)
    return logger, stream


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_keys_bound_in_a_scope_are_on_its_lines_and_gone_after_it() -> None:
    logger, stream = function_logger("unit-scope")
    with correlation.invocation(logger, request_id="req_1"):
        logger.info("before the key is known")
        correlation.bind(account="acct_1", mode="test", event=None)  # None is left out
        logger.info("after", extra={"account": "acct_given"})  # a key the line gives itself wins
        with correlation.scope(event="evt_1"):
            logger.info("a record")
        logger.info("after the record")
    logger.info("outside")
    found = [{k: line.get(k) for k in ("message", "request_id", "account", "event")} for line in lines(stream)]
    assert found == [
        {"message": "before the key is known", "request_id": "req_1", "account": None, "event": None},
        {"message": "after", "request_id": "req_1", "account": "acct_given", "event": None},
        {"message": "a record", "request_id": "req_1", "account": "acct_1", "event": "evt_1"},
        {"message": "after the record", "request_id": "req_1", "account": "acct_1", "event": None},
        {"message": "outside", "request_id": None, "account": None, "event": None},
    ]
    assert correlation.current() == {}


def test_the_cores_lines_go_through_the_running_functions_logger_with_its_keys() -> None:
    api, api_stream = function_logger("unit-api")
    deliver, deliver_stream = function_logger("unit-deliver")
    core = logging.getLogger("billing.some.module")
    with correlation.invocation(api, request_id="req_api"):
        core.warning("from the core, in the API")
    with correlation.invocation(deliver, request_id="req_evt", event="evt_9"):
        core.info("from the core, delivering")
    core.debug("below the level: dropped")
    (in_api,) = lines(api_stream)
    assert (in_api["service"], in_api["request_id"], in_api["level"]) == ("unit-api", "req_api", "WARNING")
    (in_deliver,) = lines(deliver_stream)
    assert (in_deliver["service"], in_deliver["request_id"], in_deliver["event"]) == (
        "unit-deliver",
        "req_evt",
        "evt_9",
    )


def test_threads_running_at_once_never_see_each_others_keys() -> None:
    logger, stream = function_logger("unit-threads")
    start = threading.Barrier(8)

    def invoke(number: int) -> None:
        with correlation.invocation(logger, request_id=f"req_{number}"):
            start.wait()
            correlation.bind(account=f"acct_{number}")
            start.wait()
            logger.info("done", extra={"number": number})

    threads = [threading.Thread(target=invoke, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = lines(stream)
    assert len(found) == 8
    for line in found:
        assert (line["request_id"], line["account"]) == (f"req_{line['number']}", f"acct_{line['number']}")
