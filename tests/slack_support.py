"""Helpers for the Slack app and incident thread tests: the functions loaded as Lambda loads them, Slack's
requests signed and wrapped in the documented Lambda envelopes, and alerts paged the way the router does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from incident_core.adapters.aws import client
from stand_ins.fake_slack import FakeSlack
from stand_ins.local_lambda import LambdaContext
from stand_ins.slack_requests import (
    ALASTAIR,
    CHANNEL,
    FORM,
    FUNCTION_URL_ENVELOPE,
    InProcessSelfInvoker,
    button_body,
    load_function,
    page_alert,
    slack_event,
    slack_headers,
    slash_command_body,
)

__all__ = ["ALASTAIR", "CHANNEL", "WISEN", "SlackApp", "bus_events", "capture_bus", "page_alert"]

SIGNING_SECRET = "test-signing-secret"  # the conftest's Slack secret
WISEN = "U0WISEN"


def clear_parameter_cache() -> None:
    from aws_lambda_powertools.utilities.parameters import clear_caches

    clear_caches()


@dataclass
class SlackApp:
    """The Slack app function, invoked with signed requests; its lazy listeners run in-process."""

    module: ModuleType
    fake_slack: FakeSlack
    runner: InProcessSelfInvoker

    @classmethod
    def start(cls, fake_slack: FakeSlack, defer_lazy: bool = False) -> SlackApp:
        clear_parameter_cache()
        module = load_function("slack_app")
        context = LambdaContext(function_name="incident-suite-slack-app-test")
        runner = InProcessSelfInvoker(module.lambda_handler, context, defer=defer_lazy)
        module.request_handler().app.listener_runner.lazy_listener_runner = runner
        return cls(module, fake_slack, runner)

    @property
    def context(self) -> LambdaContext:
        return self.runner.context

    @property
    def response_url(self) -> str:
        # The fake records any path; the last segment names the "method".
        return f"{self.fake_slack.url}response_url"

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.module.lambda_handler(event, self.context)

    def post(
        self,
        body: str,
        content_type: str = FORM,
        envelope: str = FUNCTION_URL_ENVELOPE,
        base64_body: bool = False,
        **header_options: Any,
    ) -> dict[str, Any]:
        headers = slack_headers(body, SIGNING_SECRET, content_type, **header_options)
        return self.invoke(slack_event(body, headers, envelope, base64_body))

    def command(self, text: str, user: str = ALASTAIR, **options: Any) -> dict[str, Any]:
        trigger_id = f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:16]}"
        body = slash_command_body(text, user, CHANNEL, trigger_id, self.response_url)
        return self.post(body, **options)

    def click(
        self, action_id: str, value: str, message: dict[str, Any], user: str = ALASTAIR
    ) -> dict[str, Any]:
        trigger_id = f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:16]}"
        body = button_body(action_id, value, user, message, CHANNEL, self.response_url, trigger_id=trigger_id)
        return self.post(body)

    def event(self, callback: str, **options: Any) -> dict[str, Any]:
        return self.post(callback, content_type="application/json", **options)

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
