"""Helpers for the Slack app and incident thread tests: the functions loaded as Lambda loads them, Slack's
requests signed and wrapped in the documented Lambda envelopes, and alerts paged the way the router does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from incident_core.adapters.aws import client
from stand_ins.fake_slack import FakeSlack
from stand_ins.slack_requests import ALASTAIR, CHANNEL, SlackAppClient, page_alert

__all__ = ["ALASTAIR", "CHANNEL", "WISEN", "SlackApp", "bus_events", "capture_bus", "page_alert"]

SIGNING_SECRET = "test-signing-secret"  # the conftest's Slack secret
WISEN = "U0WISEN"


@dataclass
class SlackApp(SlackAppClient):
    """The Slack app function as the tests use it: signed with the conftest's Slack secret."""

    fake_slack: FakeSlack | None = None

    @classmethod
    def start(cls, fake_slack: FakeSlack, defer_lazy: bool = False) -> SlackApp:
        started = SlackAppClient.start(fake_slack.url, SIGNING_SECRET, defer_lazy)
        return cls(
            started.module, started.slack_api_url, started.runner, SIGNING_SECRET, fake_slack=fake_slack
        )

    def responses(self) -> list[dict[str, Any]]:
        """What was sent to response_url (ephemeral answers to the person who asked)."""
        return [call.args for call in self.fake_slack.calls("response_url")]


def bus_events(rule_bus: str, queue_url: str) -> list[dict[str, Any]]:
    """Events the bus delivered to a test queue (EventBridge rule -> SQS in moto)."""
    sqs = client("sqs")
    events = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def capture_bus(bus_name: str) -> str:
    """A queue receiving every event put on the suite bus; returns its URL."""
    events, sqs = client("events"), client("sqs")
    queue_url = sqs.create_queue(QueueName=f"capture-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="capture-all", EventBusName=bus_name, EventPattern=json.dumps({"source": [{"prefix": ""}]})
    )
    events.put_targets(Rule="capture-all", EventBusName=bus_name, Targets=[{"Id": "q", "Arn": arn}])
    return queue_url
