"""`make cost`: the pricing arithmetic, and one measured visit through the real handlers."""

from __future__ import annotations

import re
from collections import Counter
from types import SimpleNamespace

import pytest

from bench import cost


def test_a_million_of_each_billed_unit_costs_its_published_price() -> None:
    # Given a million HTTP requests, read units, write units, SQS requests, a gigabyte of logs
    usage = cost.Usage(
        http_requests=1_000_000,
        read_units=1_000_000,
        write_units=1_000_000,
        sqs_requests=1_000_000,
        log_bytes=1_000_000_000,
        gb_seconds=1000.0,
        invocations=Counter(api=1_000_000),
    )
    # When priced
    lines = dict(cost.cost_lines(usage))
    # Then each line is its unit price times the units
    assert lines["HTTP API requests"] == pytest.approx(1.00)
    assert lines["DynamoDB reads (RRU)"] == pytest.approx(0.125)
    assert lines["DynamoDB writes (WRU)"] == pytest.approx(0.625)
    assert lines["SQS requests"] == pytest.approx(0.40)
    assert lines["CloudWatch Logs ingestion"] == pytest.approx(0.50)
    assert lines["Lambda requests"] == pytest.approx(0.20)
    assert lines["Lambda compute (GB-s)"] == pytest.approx(1000 * 0.0000133334)
    # And X-Ray is the sampled share of the invocations
    assert lines["X-Ray traces"] == pytest.approx(1_000_000 * cost.MODEL.trace_sampling * 5.00 / 1e6)


@pytest.mark.parametrize(
    ("cpu", "wall", "memory", "expected"),
    [
        (0.010, 0.010, 1769, 0.010),  # a whole vCPU: as measured
        (0.010, 0.010, 3538, 0.010),  # more than a vCPU does not make one thread faster
        (0.010, 0.030, 1769, 0.030),  # waiting is waiting
        (0.010, 0.020, 512, 0.045),  # 10 ms of CPU at 512 MB is 34.55 ms, plus 10 ms waited
        (0.0, 0.0, 512, 0.001),  # Lambda bills at least 1 ms
    ],
)
def test_billed_duration_stretches_cpu_below_one_vcpu(cpu: float, wall: float, memory: int, expected: float) -> None:
    assert cost.billed_seconds(cpu, wall, memory) == pytest.approx(expected, abs=0.0006)


def test_the_capacity_dynamodb_local_reports_as_a_total_is_read_or_write_by_operation() -> None:
    # Given DynamoDB Local's answers, which give CapacityUnits only
    meter = cost._Meter()
    meter.answered({"ConsumedCapacity": {"CapacityUnits": 0.5}}, SimpleNamespace(name="GetItem"))
    meter.answered({"ConsumedCapacity": [{"CapacityUnits": 4.0}]}, SimpleNamespace(name="TransactWriteItems"))
    # And DynamoDB's, which split reads and writes
    meter.answered(
        {"ConsumedCapacity": {"ReadCapacityUnits": 1.0, "WriteCapacityUnits": 2.0}}, SimpleNamespace(name="UpdateItem")
    )
    # Then each counts where it belongs
    assert (meter.usage.read_units, meter.usage.write_units) == (1.5, 6.0)


@pytest.mark.slow
def test_one_measured_visit_prices_every_step_and_the_webhooks_it_caused() -> None:
    # Given one visit through the real handlers on DynamoDB Local, its events drained to a receiver
    steps, per_visit = cost.measure_visits(1)
    named = {step.name: step.usage for step in steps}
    # Then every step of a visit was measured, each one Lambda invocation behind an HTTP request
    for step in ("mint a session (API)", "landing page", "exchange for the cookie", "overview", "one invoice PDF"):
        assert named[step].http_requests == 1 and named[step].invocation_count == 1, step
    # And the writes were counted in capacity units: the mint writes its session, the switch its change
    assert named["mint a session (API)"].write_units >= 1
    assert named["plan switch"].write_units > named["exchange for the cookie"].write_units
    # And the switch's events went through fanout and the queue to deliver, which wrote its record
    events = named["its events: stream, fanout, queue, deliver"]
    assert events.invocations["fanout"] >= 1 and events.invocations["deliver"] >= 1
    assert events.sqs_requests >= 3 and events.write_units >= 1
    # And the report prices a million visits and a million deliveries, each line with its share
    delivered = cost.deliveries_per_visit(steps)
    printed = cost.report(steps, per_visit, delivered, 1)
    totals = re.findall(r"^total\s+([\d.]+)\s+100%", printed, re.MULTILINE)
    assert len(totals) == 2 and all(float(total) > 0 for total in totals), printed
