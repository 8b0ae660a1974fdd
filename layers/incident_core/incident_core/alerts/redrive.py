"""Handing the alert router's dead letters back to it once the cause is fixed (`incidentctl alerts
redrive`).

Each message's body is the event as the router was given it (Lambda's and EventBridge's dead letters
both carry the event itself). A message is deleted only after the router took it; the router's own
idempotency (notification ids, page claims, the history check in Slack) makes a replay of something
already handled do nothing. A message that is not an event, or that the router still fails on, is left
in the queue (hidden for `VISIBILITY_SECONDS`, so one run sees it once) and named in the result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

VISIBILITY_SECONDS = 300
MAX_REASON = 300  # characters of a failure's text in the result: a reason, not a dump


@dataclass
class RedriveResult:
    redriven: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # (message id, why it stayed)


def redrive(sqs: Any, queue_url: str, deliver: Callable[[dict[str, Any]], Any]) -> RedriveResult:
    result = RedriveResult()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return result
        for message in messages:
            reason = _deliver(message["Body"], deliver)
            if reason is None:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                result.redriven += 1
            else:
                result.kept.append((message["MessageId"], reason[:MAX_REASON]))


def _deliver(body: str, deliver: Callable[[dict[str, Any]], Any]) -> str | None:
    """None once the router took the event; otherwise why the message stays."""
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return "the body is not a JSON object: not an event the router was given"
    try:
        deliver(event)
    except Exception as error:  # still failing: kept for the next redrive, after the cause is fixed
        return f"the router failed again: {type(error).__name__}: {error}"
    return None
