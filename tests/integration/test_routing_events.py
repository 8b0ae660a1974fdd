"""Every router event in events/ (documented formats) through the handler, and bad input: a malformed or
unknown event is logged with its reason and counted, never crashes the batch and leaves no partial state;
a transient failure is raised so Lambda retries it (twice) and then dead-letters it."""

import json
import logging
from pathlib import Path

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.settings import get_settings
from tests import routing_support
from tests.helpers import documented
from tests.routing_support import EVENTS, Collect, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

EXPECTED_ACTION = {
    "alert_router_sns_alarm.json": "opened",
    "alert_router_sns_alarm_ok.json": "ignored",  # resolves nothing when nothing is open
    "alert_router_sns_metric_math.json": "opened",  # recorded only: not from the incident topic
    "alert_router_eventbridge_alarm.json": "opened",
    "alert_router_eventbridge_alarm_ok.json": "ignored",
    "alert_router_eventbridge_metric_math.json": "opened",
    "alert_router_eventbridge_composite.json": "opened",
    "alert_router_journey_failed.json": "opened",
    "alert_router_journey_recovered.json": "ignored",
    "alert_router_page_due.json": "ignored",
    "alert_router_health_event.json": "recorded-health",
    "alert_router_unknown_event.json": "rejected",
}


def test_every_router_event_file_is_listed_here():
    assert sorted(p.name for p in Path(EVENTS).glob("alert_router_*.json")) == sorted(EXPECTED_ACTION)


@pytest.mark.parametrize("name", sorted(EXPECTED_ACTION))
def test_each_event_file_goes_through_the_handler(router, name):
    result = router.invoke(event(name))
    assert [r["action"] for r in result["results"]] == [EXPECTED_ACTION[name]]


def metric_lines(output: str, name: str) -> list[dict]:
    records = [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]
    return [
        r for r in records if any(m["Name"] == name for m in r["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    ]


def test_a_malformed_record_is_rejected_counted_and_the_rest_of_the_batch_goes_on(router, capsys):
    collect = Collect()
    service_logger = logging.getLogger(router.module.logger.name)  # Powertools logs under the service name
    service_logger.addHandler(collect)
    good = event("alert_router_sns_alarm.json")
    broken = json.loads(json.dumps(good["Records"][0]))
    broken["Sns"]["Message"] = '{"AlarmName": "incident-x", "NewStateValue": "ALARM"}'  # no StateChangeTime
    batch = {"Records": [broken, good["Records"][0], {"EventSource": "aws:sqs"}]}

    try:
        result = router.invoke(batch)
    finally:
        service_logger.removeHandler(collect)

    actions = [r["action"] for r in result["results"]]
    assert actions == ["rejected", "opened", "rejected"]
    assert "StateChangeTime: Field required" in result["results"][0]["detail"]
    assert "not an SNS record" in result["results"][2]["detail"]
    assert len(AlertStore.from_settings().list_open()) == 1  # only the good one left any state
    [metrics] = metric_lines(capsys.readouterr().out, "RejectedEvents")
    assert metrics["RejectedEvents"] == [1.0, 1.0]
    rejected = [r for r in collect.records if r.getMessage() == "rejected event"]
    assert [r.input for r in rejected] == ["record 0", "record 2"]
    assert "StateChangeTime: Field required" in rejected[0].reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"hello": "world"}, "neither SNS records nor an EventBridge event"),
        (documented("aws_eventbridge_scheduled_event.json"), "unknown event: source 'aws.events'"),
        (
            {**event("alert_router_journey_failed.json"), "detail": {"journey": "book-viewing"}},
            "JourneyFailed 7f6e1a3c-2b1d-4c5e-8f9a-0b1c2d3e4f50: step: Field required",
        ),
        ({**event("alert_router_eventbridge_alarm.json"), "time": "yesterday"}, "not an EventBridge event"),
        ({**event("alert_router_health_event.json"), "detail": {"service": "EC2"}}, "detail has no eventArn"),
    ],
)
def test_unusable_events_are_rejected_with_the_reason(router, payload, reason):
    [result] = router.invoke(payload)["results"]
    assert result["action"] == "rejected"
    assert reason in result["detail"]
    assert AlertStore.from_settings().list_open() == []


def test_a_transient_failure_is_raised_for_lambda_to_retry_and_leaves_no_half_state(router, monkeypatch):
    table = get_settings().table_name
    monkeypatch.setenv("TABLE_NAME", "a-table-that-is-not-there")
    get_settings.cache_clear()
    router.module.Runtime.__init__(router.runtime, clock=router.clock)  # rebuilt on the missing table

    with pytest.raises(Exception, match="ResourceNotFoundException"):
        router.invoke(event("alert_router_sns_alarm.json"))

    monkeypatch.setenv("TABLE_NAME", table)
    get_settings.cache_clear()
    router.module.Runtime.__init__(router.runtime, clock=router.clock)
    # Lambda's retry succeeds: the failed attempt left no idempotency record and no alert behind.
    assert router.invoke(event("alert_router_sns_alarm.json"))["results"][0]["action"] == "opened"
    assert len(AlertStore.from_settings().list_open()) == 1
