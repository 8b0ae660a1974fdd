"""Normalise what arrives (CloudWatch alarms via SNS or EventBridge, the suite's journey events) into
one `Signal`: raise, resolve or note an alert with a stable fingerprint, a human title and links.

Pure functions over already-parsed payloads; whatever does not fit raises `RejectedEvent` naming what is
wrong, before anything is written.

Which alarms are incident alarms (top priority, the only ones that page):
- SNS: the alarm notified the suite's incident topic (IncidentAlarmTopic) - its ARN is the marker;
- EventBridge: the alarm's name starts with the incident prefix (IncidentAlarmPrefix, "incident-");
- journeys: always - a failing synthetic journey is an incident by the team's definition.
Everything else is recorded, never paged. INSUFFICIENT_DATA never pages; OK resolves.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from incident_core.events import JourneyFailed, JourneyRecovered
from incident_core.models.alerts import AlertSource

_REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class RejectedEvent(ValueError):
    """An event the router cannot use; the message says what is wrong with it."""


class SignalKind(StrEnum):
    RAISE = "raise"
    RESOLVE = "resolve"
    NOTE = "note"  # worth a line in an open alert's history, never a page (INSUFFICIENT_DATA)


class Signal(BaseModel):
    """One notification about one problem, whatever it came through."""

    notification_id: str  # idempotency key: the same delivery twice is the same notification
    kind: SignalKind
    fingerprint: str
    title: str
    source: AlertSource
    incident_alarm: bool
    marking: str  # why it is, or is not, an incident alarm
    occurred_at: datetime
    state_reason: str = ""
    alarm_name: str | None = None
    journey: str | None = None
    links: dict[str, str] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------------- CloudWatch alarms over SNS
class CloudWatchAlarmMessage(BaseModel):
    """The JSON in an SNS alarm notification's Message (the documented CloudWatch alarm format)."""

    model_config = ConfigDict(extra="allow")

    AlarmName: str = Field(min_length=1)
    AlarmDescription: str | None = None
    AWSAccountId: str | None = None
    NewStateValue: str
    NewStateReason: str = ""
    StateChangeTime: datetime
    Region: str | None = None
    AlarmArn: str | None = None
    OldStateValue: str | None = None
    Trigger: dict[str, Any] | None = None


def from_sns_alarm(
    message_id: str, topic_arn: str, message: str, incident_topic_arn: str, subject: str | None = None
) -> Signal:
    """An SNS record whose Message is a CloudWatch alarm notification."""
    try:
        data = json.loads(message)
    except json.JSONDecodeError as error:
        raise RejectedEvent(f"SNS message {message_id}: Message is not JSON ({error.msg})") from error
    if not isinstance(data, dict) or "AlarmName" not in data:
        raise RejectedEvent(f"SNS message {message_id}: Message is not a CloudWatch alarm notification")
    try:
        alarm = CloudWatchAlarmMessage.model_validate(data)
    except ValidationError as error:
        raise RejectedEvent(f"SNS message {message_id}: {_problems(error)}") from error
    incident = bool(incident_topic_arn) and topic_arn == incident_topic_arn
    marking = (
        "sent to the incident alarm topic" if incident else f"sent to {topic_arn}, not the incident topic"
    )
    region = _region_from_arn(alarm.AlarmArn) or alarm.Region or ""
    identity = alarm.AlarmArn or f"{alarm.AWSAccountId}:{region}:{alarm.AlarmName}"
    details: dict[str, Any] = {"identity": identity, "old_state": alarm.OldStateValue, "subject": subject}
    if alarm.Trigger:
        details["metric"] = _sns_trigger_summary(alarm.Trigger)
    return _alarm_signal(
        notification_id=f"sns:{message_id}",
        state=alarm.NewStateValue,
        name=alarm.AlarmName,
        description=alarm.AlarmDescription,
        reason=alarm.NewStateReason,
        occurred_at=alarm.StateChangeTime,
        identity=identity,
        region=region,
        source=AlertSource.CLOUDWATCH_SNS,
        incident=incident,
        marking=marking,
        details=details,
    )


def _sns_trigger_summary(trigger: dict[str, Any]) -> str:
    if "MetricName" in trigger:
        dimensions = ", ".join(f"{d.get('name')}={d.get('value')}" for d in trigger.get("Dimensions") or [])
        return f"{trigger.get('Namespace')} {trigger['MetricName']} ({dimensions})".replace(" ()", "")
    expressions = [m.get("Expression") for m in trigger.get("Metrics") or [] if m.get("Expression")]
    return f"metric math: {', '.join(expressions)}" if expressions else ""


# ---------------------------------------------------------------------- CloudWatch alarms over EventBridge
class AlarmState(BaseModel):
    value: str
    reason: str = ""
    reasonData: str | None = None
    timestamp: datetime


class AlarmStateChange(BaseModel):
    """`detail` of a `CloudWatch Alarm State Change` event (single metric, metric math or composite)."""

    model_config = ConfigDict(extra="allow")

    alarmName: str = Field(min_length=1)
    state: AlarmState
    previousState: AlarmState | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)


def from_eventbridge_alarm(
    event_id: str, region: str, account: str, resources: list[str], detail: Any, prefix: str
) -> Signal:
    try:
        change = AlarmStateChange.model_validate(detail)
    except ValidationError as error:
        raise RejectedEvent(f"CloudWatch Alarm State Change {event_id}: {_problems(error)}") from error
    incident = bool(prefix) and change.alarmName.startswith(prefix)
    marking = (
        f"its name starts with the incident prefix '{prefix}'"
        if incident
        else f"its name does not start with the incident prefix '{prefix}'"
    )
    identity = next((r for r in resources if ":alarm:" in r), f"{account}:{region}:{change.alarmName}")
    configuration = change.configuration
    details: dict[str, Any] = {
        "identity": identity,
        "old_state": change.previousState.value if change.previousState else None,
    }
    if configuration.get("alarmRule"):
        details["alarm_rule"] = configuration["alarmRule"]
        details["triggering_alarms"] = _triggering_alarms(change.state.reasonData)
    elif configuration.get("metrics"):
        details["metric"] = _eventbridge_metrics_summary(configuration["metrics"])
    return _alarm_signal(
        notification_id=f"eventbridge:{event_id}",
        state=change.state.value,
        name=change.alarmName,
        description=configuration.get("description"),
        reason=change.state.reason,
        occurred_at=change.state.timestamp,
        identity=identity,
        region=_region_from_arn(identity) or region,
        source=AlertSource.CLOUDWATCH_EVENTBRIDGE,
        incident=incident,
        marking=marking,
        details=details,
        composite_rule=configuration.get("alarmRule"),
    )


def _eventbridge_metrics_summary(metrics: list[dict[str, Any]]) -> str:
    expressions = [m["expression"] for m in metrics if m.get("expression")]
    if expressions:
        return f"metric math: {', '.join(expressions)}"
    parts = []
    for metric in metrics:
        stat = (metric.get("metricStat") or {}).get("metric") or {}
        dimensions = ", ".join(f"{k}={v}" for k, v in (stat.get("dimensions") or {}).items())
        parts.append(f"{stat.get('namespace')} {stat.get('name')} ({dimensions})".replace(" ()", ""))
    return "; ".join(parts)


def _triggering_alarms(reason_data: str | None) -> list[str]:
    try:
        data = json.loads(reason_data or "{}")
    except json.JSONDecodeError:
        return []
    return [t["arn"].rsplit(":alarm:", 1)[-1] for t in data.get("triggeringAlarms", []) if "arn" in t]


# ---------------------------------------------------------------------- both alarm paths
def _alarm_signal(
    *,
    notification_id: str,
    state: str,
    name: str,
    description: str | None,
    reason: str,
    occurred_at: datetime,
    identity: str,
    region: str,
    source: AlertSource,
    incident: bool,
    marking: str,
    details: dict[str, Any],
    composite_rule: str | None = None,
) -> Signal:
    kinds = {"ALARM": SignalKind.RAISE, "OK": SignalKind.RESOLVE, "INSUFFICIENT_DATA": SignalKind.NOTE}
    if state not in kinds:
        raise RejectedEvent(
            f"alarm {name}: unknown state {state!r} (expected ALARM, OK or INSUFFICIENT_DATA)"
        )
    what = description or (f"composite rule {composite_rule}" if composite_rule else "")
    title = f"Alarm {name}: {what}" if what else f"Alarm {name} is in ALARM"
    if occurred_at.tzinfo is None:
        raise RejectedEvent(f"alarm {name}: state change time {occurred_at} has no time zone")
    return Signal(
        notification_id=notification_id,
        kind=kinds[state],
        fingerprint=_fingerprint("alarm", identity),
        title=title,
        source=source,
        incident_alarm=incident,
        marking=marking,
        occurred_at=occurred_at,
        state_reason=reason,
        alarm_name=name,
        links={"alarm": alarm_console_url(region, name)} if region else {},
        details={**details, "state": state},
    )


def alarm_console_url(region: str, name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(name, safe='')}"
    )


def _region_from_arn(arn: str | None) -> str | None:
    """The region code in an ARN (SNS alarm messages carry a display name like "EU (London)" instead)."""
    parts = (arn or "").split(":")
    if len(parts) > 3 and _REGION_CODE.fullmatch(parts[3]):
        return parts[3]
    return None


# ---------------------------------------------------------------------- the suite's journeys
def from_journey_failed(event: JourneyFailed) -> Signal:
    links = {}
    if event.evidence.url:
        links["journey page"] = event.evidence.url
    if event.evidence.screenshot_uri:
        links["screenshot"] = event.evidence.screenshot_uri
    return Signal(
        notification_id=f"journey-failed:{event.journey}:{event.run_id}",
        kind=SignalKind.RAISE,
        fingerprint=_fingerprint("journey", event.journey),
        title=f"Journey '{event.journey}' is failing at step '{event.step}'",
        source=AlertSource.JOURNEY,
        incident_alarm=True,
        marking="a failing synthetic journey is an incident",
        occurred_at=event.failed_at,
        state_reason=event.reason,
        journey=event.journey,
        links=links,
        details={"identity": f"journey:{event.journey}", "step": event.step, "run_id": event.run_id},
    )


def from_journey_recovered(event: JourneyRecovered) -> Signal:
    return Signal(
        notification_id=f"journey-recovered:{event.journey}:{event.run_id}",
        kind=SignalKind.RESOLVE,
        fingerprint=_fingerprint("journey", event.journey),
        title=f"Journey '{event.journey}' recovered",
        source=AlertSource.JOURNEY,
        incident_alarm=True,
        marking="a synthetic journey",
        occurred_at=event.recovered_at,
        state_reason="the journey passes again",
        journey=event.journey,
        details={"identity": f"journey:{event.journey}", "run_id": event.run_id},
    )


def _fingerprint(kind: str, identity: str) -> str:
    return f"{kind}-{hashlib.sha256(identity.encode()).hexdigest()[:20]}"


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in error.errors()
    )
