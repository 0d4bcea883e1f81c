"""The deployed stack tells its operator when something goes wrong: every queue, API and function
of `template.yaml` has its alarms, each notifies the alarm topic, and each has its runbook line in
docs/operations.md."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local import template as template_module
from local.template import ROOT, Template


@pytest.fixture(scope="module")
def template() -> Template:
    return template_module.load()


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {name: resource["Properties"] for name, resource in template.of_type("AWS::CloudWatch::Alarm").items()}


def _watched(alarm: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(namespace, metric, dimension value) of each metric an alarm reads, math included."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"][0]["Value"])]
    found = []
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            found.append((metric["Namespace"], metric["MetricName"], metric["Dimensions"][0]["Value"]))
    return found


def _watches(template: Template, namespace: str, metric: str, value: Any) -> list[str]:
    return [name for name, alarm in _alarms(template).items() if (namespace, metric, value) in _watched(alarm)]


def test_every_function_has_an_errors_and_a_throttles_alarm(template: Template) -> None:
    functions = template.of_type("AWS::Serverless::Function")
    assert len(functions) >= 8
    for function in functions:
        for metric in ("Errors", "Throttles"):
            assert _watches(template, "AWS/Lambda", metric, {"Ref": function}), f"{function} has no {metric} alarm"


def test_every_dead_letter_queue_alarms_on_its_first_message_and_every_work_queue_on_its_age(
    template: Template,
) -> None:
    queues = template.of_type("AWS::SQS::Queue")
    dead_letter = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in q.get("Properties", {})
    }
    work = [name for name, q in queues.items() if "RedrivePolicy" in q.get("Properties", {})]
    assert dead_letter and work
    for queue in dead_letter:
        names = _watches(
            template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": [queue, "QueueName"]}
        )
        assert names, f"{queue} has no alarm on its messages"
        assert all(_alarms(template)[n]["Threshold"] == 0 for n in names), "a dead letter alarms at the first"
    for queue in work:
        assert _watches(template, "AWS/SQS", "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": [queue, "QueueName"]}), (
            f"{queue} has no age alarm"
        )


def test_each_work_queue_age_alarm_is_past_its_whole_retry_schedule() -> None:
    # An age alarm earlier than the retries' own schedule would ring for every endpoint that is down
    from billing.emails import sending
    from billing.webhooks import deliveries

    alarms = _alarms(template_module.load())
    assert alarms["DeliveryQueueAgeAlarm"]["Threshold"] > sum(deliveries.RETRY_DELAYS)
    assert alarms["EmailQueueAgeAlarm"]["Threshold"] > sum(sending.RETRY_DELAYS)


def test_both_http_apis_alarm_on_their_5xx_rate(template: Template) -> None:
    apis = template.of_type("AWS::Serverless::HttpApi")
    assert len(apis) == 2
    for api in apis:
        names = _watches(template, "AWS/ApiGateway", "5xx", {"Ref": api})
        assert names, f"{api} has no 5xx alarm"
        alarm = _alarms(template)[names[0]]
        # a rate: 5xx over the requests of the same period, not a count
        assert _watches(template, "AWS/ApiGateway", "Count", {"Ref": api}) == names
        assert any("errors / requests" in q.get("Expression", "") for q in alarm["Metrics"])


def test_failed_renewals_and_the_stream_consumers_lag_alarm(template: Template) -> None:
    assert _watches(template, "VinrPortal", "RenewalFailures", "clock")
    consumers = [name for name, f in template.of_type("AWS::Serverless::Function").items() if _stream_source(f)]
    assert consumers
    for consumer in consumers:
        assert _watches(template, "AWS/Lambda", "IteratorAge", {"Ref": consumer})


def _stream_source(function: dict[str, Any]) -> bool:
    events = function.get("Properties", {}).get("Events", {}) or {}
    return any(event.get("Type") == "DynamoDB" for event in events.values())


def test_the_clock_emits_the_metric_its_alarm_watches() -> None:
    # The alarm reads namespace VinrPortal, metric RenewalFailures, dimension service=clock
    source = (ROOT / "functions" / "clock" / "app.py").read_text()
    assert 'name="RenewalFailures"' in source
    variables = template_module.load().raw["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "VinrPortal"
    clock = template_module.load().of_type("AWS::Serverless::Function")["ClockFunction"]
    assert clock["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "clock"


def test_every_alarm_notifies_the_topic_and_has_a_runbook_line(template: Template) -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text()
    expected_action = {"Fn::If": ["CreatesAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    for name, alarm in _alarms(template).items():
        assert alarm["AlarmActions"] == [expected_action], name
        # the per-function alarms share one runbook line each (FunctionErrorsAlarm, FunctionThrottlesAlarm)
        line = re.sub(r"^(Api|Clock|Fanout|Deliver|Mailer|EmailFeedback|InvoicePdf|Portal)(Errors|Throttles)Alarm$",
                      r"Function\2Alarm", name)  # fmt: skip
        assert f"`{line}`" in runbook, f"docs/operations.md has no runbook line for {line}"
        assert line in alarm["AlarmDescription"]


def test_the_dashboard_shows_every_function_api_and_queue(template: Template) -> None:
    dashboard = template.of_type("AWS::CloudWatch::Dashboard")["Dashboard"]["Properties"]["DashboardBody"]
    body = json.loads(dashboard["Fn::Sub"])
    shown = json.dumps(body)
    for kind in ("AWS::Serverless::Function", "AWS::Serverless::HttpApi"):
        for name in template.of_type(kind):
            assert "${" + name + "}" in shown, f"the dashboard does not show {name}"
    for name in template.of_type("AWS::SQS::Queue"):
        assert "${" + name + ".QueueName}" in shown, f"the dashboard does not show {name}"
    titles = [w["properties"]["title"] for w in body["widgets"]]
    for needed in ("latency", "deliveries", "DynamoDB consumed capacity", "DynamoDB throttles", "Queue depth"):
        assert any(needed.lower() in t.lower() for t in titles), needed
