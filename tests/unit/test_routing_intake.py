"""Normalising what arrives into one Signal: the documented SNS and EventBridge alarm formats and the
suite's journey events; stable fingerprints; clear rejections."""

import json
from datetime import UTC, datetime

import pytest

from incident_core.alerts.intake import (
    RejectedEvent,
    SignalKind,
    from_eventbridge_alarm,
    from_journey_failed,
    from_journey_recovered,
    from_sns_alarm,
)
from incident_core.events import JourneyFailed, JourneyRecovered
from incident_core.models.alerts import AlertSource
from tests.helpers import documented
from tests.routing_support import INCIDENT_TOPIC, event


def sns_signal(payload: dict, incident_topic: str = INCIDENT_TOPIC):
    sns = payload["Records"][0]["Sns"]
    return from_sns_alarm(sns["MessageId"], sns["TopicArn"], sns["Message"], incident_topic, sns["Subject"])


def eventbridge_signal(payload: dict, prefix: str = "incident-"):
    return from_eventbridge_alarm(
        payload["id"], payload["region"], payload["account"], payload["resources"], payload["detail"], prefix
    )


def test_documented_sns_single_metric_alarm():
    signal = sns_signal(documented("aws_sns_cloudwatch_alarm_single_metric.json"), "arn:aws:sns:EXAMPLE")
    assert signal.kind == SignalKind.RAISE
    assert signal.source == AlertSource.CLOUDWATCH_SNS
    assert signal.incident_alarm is True and signal.marking == "sent to the incident alarm topic"
    assert signal.notification_id == "sns:95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert signal.alarm_name == "EXAMPLE"
    assert signal.title == "Alarm EXAMPLE: EXAMPLE"
    assert signal.occurred_at == datetime(2015, 6, 3, 17, 43, 27, 123000, tzinfo=UTC)
    assert signal.state_reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    assert signal.details["metric"] == "AWS/EC2 NetworkOut (InstanceId=TestInstance)"


def test_documented_sns_metric_math_alarm():
    signal = sns_signal(documented("aws_sns_cloudwatch_alarm_metric_math.json"), "arn:aws:sns:EXAMPLE")
    assert signal.kind == SignalKind.RAISE
    assert signal.details["metric"] == "metric math: m1*1"


def test_sns_alarm_from_another_topic_is_recorded_not_paged():
    signal = sns_signal(documented("aws_sns_cloudwatch_alarm_single_metric.json"))
    assert signal.incident_alarm is False
    assert "not the incident topic" in signal.marking


def test_sns_alarm_links_to_its_console_page_in_the_arns_region():
    signal = sns_signal(event("alert_router_sns_alarm.json"))
    assert signal.links == {
        "alarm": "https://eu-west-2.console.aws.amazon.com/cloudwatch/home?region=eu-west-2"
        "#alarmsV2:alarm/incident-bookshop-5xx"
    }
    assert signal.title == "Alarm incident-bookshop-5xx: Visitors get server errors from the bookshop API"


def test_documented_eventbridge_single_metric_alarm_without_the_prefix_is_recorded_only():
    signal = eventbridge_signal(
        documented("aws_eventbridge_cloudwatch_alarm_state_change_single_metric.json")
    )
    assert signal.kind == SignalKind.RAISE
    assert signal.incident_alarm is False
    assert signal.alarm_name == "ServerCpuTooHigh"
    assert signal.title == "Alarm ServerCpuTooHigh: Goes into alarm when server CPU utilization is too high!"
    assert signal.details["metric"] == "AWS/EC2 CPUUtilization (InstanceId=i-12345678901234567)"
    assert signal.links["alarm"].startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/")
    # With an empty prefix setting nothing is an incident alarm by name.
    assert eventbridge_signal(event("alert_router_eventbridge_alarm.json"), prefix="").incident_alarm is False


def test_eventbridge_alarm_with_the_prefix_is_an_incident_alarm():
    signal = eventbridge_signal(event("alert_router_eventbridge_alarm.json"))
    assert signal.incident_alarm is True
    assert signal.notification_id == "eventbridge:5b3f1a6e-0d43-4a4e-9f0e-7f2f6e8c1a10"


def test_documented_eventbridge_metric_math_and_composite_alarms():
    math = eventbridge_signal(documented("aws_eventbridge_cloudwatch_alarm_state_change_metric_math.json"))
    assert math.details["metric"] == "metric math: SUM(METRICS())"
    composite = eventbridge_signal(documented("aws_eventbridge_cloudwatch_alarm_state_change_composite.json"))
    assert composite.title == (
        "Alarm ServiceAggregatedAlarm: composite rule "
        "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)"
    )
    assert composite.details["triggering_alarms"] == ["ServerCpuTooHigh"]


def test_ok_resolves_and_insufficient_data_only_notes():
    ok = eventbridge_signal(event("alert_router_eventbridge_alarm_ok.json"))
    assert ok.kind == SignalKind.RESOLVE
    payload = event("alert_router_eventbridge_alarm.json")
    payload["detail"]["state"]["value"] = "INSUFFICIENT_DATA"
    assert eventbridge_signal(payload).kind == SignalKind.NOTE


def test_the_same_alarm_has_one_fingerprint_over_sns_and_eventbridge():
    sns = event("alert_router_sns_alarm.json")
    bridge = event("alert_router_eventbridge_alarm.json")
    bridge["detail"]["alarmName"] = "incident-bookshop-5xx"
    bridge["resources"] = ["arn:aws:cloudwatch:eu-west-2:123456789012:alarm:incident-bookshop-5xx"]
    assert sns_signal(sns).fingerprint == eventbridge_signal(bridge).fingerprint
    other = eventbridge_signal(event("alert_router_eventbridge_alarm.json"))
    assert other.fingerprint != sns_signal(sns).fingerprint
    # ... and it is stable: the same alarm tomorrow has the same fingerprint.
    assert sns_signal(event("alert_router_sns_alarm_ok.json")).fingerprint == sns_signal(sns).fingerprint


def test_journey_events_raise_and_resolve_the_same_fingerprint():
    failed = JourneyFailed.model_validate(event("alert_router_journey_failed.json")["detail"])
    recovered = JourneyRecovered.model_validate(event("alert_router_journey_recovered.json")["detail"])
    raised, resolved = from_journey_failed(failed), from_journey_recovered(recovered)
    assert raised.kind == SignalKind.RAISE and resolved.kind == SignalKind.RESOLVE
    assert raised.fingerprint == resolved.fingerprint
    assert raised.incident_alarm is True
    assert raised.title == "Journey 'book-viewing' is failing at step 'click Book viewing'"
    assert raised.links["journey page"] == "https://bookshop.example.com/listings/3"
    assert raised.notification_id == "journey-failed:book-viewing:run-0195e5a1c9f0a1b2c3"


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("not json", "Message is not JSON"),
        (json.dumps({"hello": "world"}), "not a CloudWatch alarm notification"),
        (json.dumps({"AlarmName": "x", "NewStateValue": "ALARM"}), "StateChangeTime: Field required"),
        (
            json.dumps(
                {"AlarmName": "x", "NewStateValue": "PANIC", "StateChangeTime": "2026-01-01T00:00:00Z"}
            ),
            "unknown state 'PANIC'",
        ),
    ],
)
def test_malformed_alarm_notifications_are_rejected_with_the_reason(message, problem):
    with pytest.raises(RejectedEvent, match=problem):
        from_sns_alarm("m-1", INCIDENT_TOPIC, message, INCIDENT_TOPIC)


def test_an_eventbridge_alarm_without_a_state_is_rejected():
    payload = event("alert_router_eventbridge_alarm.json")
    del payload["detail"]["state"]
    with pytest.raises(RejectedEvent, match="state: Field required"):
        eventbridge_signal(payload)


def test_a_journey_alert_links_all_its_evidence_so_the_post_mortem_can_keep_it():
    detail = event("alert_router_journey_failed.json")["detail"]
    detail["evidence"] = {
        **detail.get("evidence", {}),
        "screenshot_uri": "s3://incident-evidence/screenshots/book-viewing/run-1/click.png",
        "body_uri": "s3://incident-evidence/responses/book-viewing/run-1/open.html",
    }
    raised = from_journey_failed(JourneyFailed.model_validate(detail))
    assert raised.links["screenshot"] == "s3://incident-evidence/screenshots/book-viewing/run-1/click.png"
    assert raised.links["response"] == "s3://incident-evidence/responses/book-viewing/run-1/open.html"
