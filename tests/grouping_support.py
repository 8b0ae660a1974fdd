"""Test support for alert grouping (issue 22): the storm's signals in the documented formats, stamped
with the test clock's time, and the counts a person would see (DMs, #incidents posts)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from tests.routing_support import ALASTAIR, RouterHarness, event

STORM_ALARMS = [
    "incident-db-connections",
    "incident-db-cpu",
    "incident-api-5xx",
    "incident-api-latency",
    "incident-api-4xx",
    "incident-queue-depth",
    "incident-cache-misses",
    "incident-lambda-errors",
]
STORM_JOURNEYS = ["checkout", "login", "search", "book-viewing"]


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def alarm(name: str, at: datetime, state: str = "ALARM", message_id: str | None = None) -> dict[str, Any]:
    """An SNS alarm notification (the documented one) for alarm `name`, changing to `state` at `at`."""
    notification = event("alert_router_sns_alarm.json")
    sns = notification["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message |= {
        "AlarmName": name,
        "AlarmDescription": f"{name} is failing",
        "AlarmArn": f"arn:aws:cloudwatch:eu-west-2:123456789012:alarm:{name}",
        "NewStateValue": state,
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "StateChangeTime": _stamp(at),
    }
    sns |= {
        "Message": json.dumps(message),
        "MessageId": message_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{state}/{at.isoformat()}")),
        "Subject": f'{state}: "{name}" in EU (London)',
        "Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    return notification


def journey_failed(name: str, at: datetime) -> dict[str, Any]:
    failed = event("alert_router_journey_failed.json")
    failed["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"journey/{name}/{at.isoformat()}"))
    failed["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    failed["detail"] |= {
        "journey": name,
        "failed_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": f"run-{name}-{at:%H%M%S}",
        "reason": f"{name} failed",
    }
    return failed


def journey_recovered(name: str, at: datetime) -> dict[str, Any]:
    recovered = event("alert_router_journey_recovered.json")
    recovered["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"journey-ok/{name}/{at.isoformat()}"))
    recovered["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    recovered["detail"] |= {"journey": name, "recovered_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    recovered["detail"]["run_id"] = f"run-ok-{name}-{at:%H%M%S}"
    return recovered


def top_level_posts(router: RouterHarness) -> list[dict[str, Any]]:
    """#incidents posts that interrupt (not replies in a thread)."""
    return [m for m in router.posts() if m.get("thread_ts") in (None, m["ts"])]


def counts(router: RouterHarness) -> dict[str, int]:
    return {
        "dms": len(router.dms(ALASTAIR)),
        "posts": len(top_level_posts(router)),
        "edits": len(router.slack.calls("chat.update")),
    }
