"""Redriving the alert router's dead-letter queue: a notification that failed every attempt (DynamoDB
down before the alert's first write) waits there; `incidentctl alerts redrive` hands each message back
to the router and deletes it only once the router took it. Against SQS and DynamoDB in moto, the real
router handler and the fake Slack."""

from __future__ import annotations

import json

import pytest

from incident_core.adapters.aws import client
from incident_core.alerts.redrive import redrive
from tests import routing_support
from tests.routing_support import ALASTAIR, event

router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@pytest.fixture
def dead_letters(aws) -> str:
    return client("sqs").create_queue(QueueName="alert-router-dlq-test")["QueueUrl"]


def dead_letter(queue_url: str, body: str) -> None:
    """What Lambda does with an async event after its last attempt: the event itself as the body."""
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)


def waiting(queue_url: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_a_dead_lettered_alarm_is_redriven_and_pages_once(router, dead_letters):
    alarm = json.dumps(event("alert_router_sns_alarm.json"))
    dead_letter(dead_letters, alarm)
    dead_letter(dead_letters, alarm)  # the same notification dead-lettered twice (SNS delivered it twice)

    result = redrive(client("sqs"), dead_letters, router.invoke)

    assert (result.redriven, result.kept) == (2, [])
    assert waiting(dead_letters) == 0
    assert len(router.dms(ALASTAIR)) == 1  # paged, once


def test_a_message_the_router_cannot_take_stays_in_the_queue_and_is_named(router, dead_letters):
    dead_letter(dead_letters, "not json")
    dead_letter(dead_letters, json.dumps(event("alert_router_sns_alarm.json")))

    result = redrive(client("sqs"), dead_letters, router.invoke)

    assert result.redriven == 1
    [(message_id, reason)] = result.kept
    assert message_id and "not a JSON object" in reason
    assert waiting(dead_letters) == 1  # kept for a person to read
    assert len(router.dms(ALASTAIR)) == 1


def test_a_router_still_failing_keeps_the_message(router, dead_letters, monkeypatch):
    dead_letter(dead_letters, json.dumps(event("alert_router_sns_alarm.json")))

    def failing(payload):
        raise ConnectionError("DynamoDB still unreachable")

    result = redrive(client("sqs"), dead_letters, failing)

    assert result.redriven == 0 and "DynamoDB still unreachable" in result.kept[0][1]
    assert waiting(dead_letters) == 1
    assert router.dms(ALASTAIR) == []
