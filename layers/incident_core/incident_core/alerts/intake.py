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
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from incident_core.events import JourneyFailed, JourneyRecovered, PageDue
from incident_core.models.alerts import AlertSource

_REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bounds on what a Signal carries into the alert item (DynamoDB refuses items over 400 KB): generous for
# what CloudWatch and the journeys really send, and far below the limit together.
TITLE_LIMIT = 300
REASON_LIMIT = 2000
NAME_LIMIT = 255
DETAIL_TEXT_LIMIT = 1000
DETAIL_ITEMS_LIMIT = 20
ID_LIMIT = 200
# A rejection names the offending field with a bounded excerpt of its value, never the whole event.
EXCERPT_LIMIT = 80
REJECTION_LIMIT = 600


class RejectedEvent(ValueError):
    """An event the router cannot use; the message says what is wrong with it (bounded in length)."""

    def __init__(self, reason: str) -> None:
        super().__init__(clip(reason, REJECTION_LIMIT))


def excerpt(value: Any, limit: int = EXCERPT_LIMIT) -> str:
    """A value quoted in a rejection or a log line: its repr (escapes lone surrogates), clipped."""
    return clip(repr(value), limit)


def clean_text(text: str, limit: int) -> str:
    """Text fit to store and send: lone surrogates (from JSON's \\udXXX escapes) replaced, length bounded."""
    return clip(_SURROGATE.sub("\ufffd", text), limit)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(value: Any, depth: int = 0) -> Any:
    """`details` bounded: strings clipped and cleaned, at most DETAIL_ITEMS_LIMIT items, three levels."""
    if isinstance(value, str):
        return clean_text(value, DETAIL_TEXT_LIMIT)
    if depth >= 3 and isinstance(value, dict | list):
        return excerpt(value, DETAIL_TEXT_LIMIT)
    if isinstance(value, dict):
        items = list(value.items())[:DETAIL_ITEMS_LIMIT]
        return {clean_text(str(k), NAME_LIMIT): _bounded(v, depth + 1) for k, v in items}
    if isinstance(value, list):
        return [_bounded(v, depth + 1) for v in value[:DETAIL_ITEMS_LIMIT]]
    return value


def utc(at: datetime) -> datetime:
    """AWS and the suite write UTC; a time without a zone is read as UTC (the router bounds it anyway)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


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

    @model_validator(mode="after")
    def _fit_to_store(self) -> Signal:
        """Whatever the source sent, a Signal is safe to store, log and post: bounded, valid UTF-8, UTC."""
        if len(self.notification_id) > ID_LIMIT:  # still unique per notification, and a sane key
            digest = hashlib.sha256(self.notification_id.encode("utf-8", "surrogatepass")).hexdigest()
            self.notification_id = f"{clean_text(self.notification_id, 100)}#{digest[:32]}"
        self.notification_id = clean_text(self.notification_id, ID_LIMIT + 40)
        self.title = clean_text(self.title, TITLE_LIMIT)
        self.marking = clean_text(self.marking, REASON_LIMIT)
        self.state_reason = clean_text(self.state_reason, REASON_LIMIT)
        self.alarm_name = clean_text(self.alarm_name, NAME_LIMIT) if self.alarm_name is not None else None
        self.journey = clean_text(self.journey, NAME_LIMIT) if self.journey is not None else None
        self.links = {
            clean_text(name, NAME_LIMIT): url
            for name, url in list(self.links.items())[:DETAIL_ITEMS_LIMIT]
            if len(url) <= DETAIL_TEXT_LIMIT and not _SURROGATE.search(url)
        }
        self.details = _bounded(self.details)
        if self.occurred_at.tzinfo is None:
            self.details["time_note"] = "the source's time had no zone: read as UTC"
            self.occurred_at = utc(self.occurred_at)
        return self


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
    Trigger: AlarmTrigger | None = None


class TriggerDimension(BaseModel):
    name: str
    value: str


class TriggerMetric(BaseModel):
    """One query of a metric math alarm's Trigger.Metrics."""

    model_config = ConfigDict(extra="allow")

    Id: str | None = None
    Expression: str | None = None


class AlarmTrigger(BaseModel):
    """The documented Trigger of an SNS alarm notification: one metric, or metric math queries."""

    model_config = ConfigDict(extra="allow")

    MetricName: str | None = None
    Namespace: str | None = None
    Dimensions: list[TriggerDimension] | None = None
    Metrics: list[TriggerMetric] | None = None


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
        raise RejectedEvent(f"SNS message {message_id}: {problems(error)}") from error
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


def _sns_trigger_summary(trigger: AlarmTrigger) -> str:
    if trigger.MetricName is not None:
        dimensions = ", ".join(f"{d.name}={d.value}" for d in trigger.Dimensions or [])
        return f"{trigger.Namespace} {trigger.MetricName} ({dimensions})".replace(" ()", "")
    expressions = [m.Expression for m in trigger.Metrics or [] if m.Expression]
    return f"metric math: {', '.join(expressions)}" if expressions else ""


# ---------------------------------------------------------------------- CloudWatch alarms over EventBridge
class AlarmState(BaseModel):
    value: str
    reason: str = ""
    reasonData: str | None = None
    timestamp: datetime


class MetricRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    namespace: str | None = None
    name: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)


class MetricStat(BaseModel):
    model_config = ConfigDict(extra="allow")

    metric: MetricRef = Field(default_factory=MetricRef)


class MetricQuery(BaseModel):
    """One entry of `configuration.metrics`: a metric, or a metric math expression."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    expression: str | None = None
    metricStat: MetricStat | None = None


class AlarmConfiguration(BaseModel):
    model_config = ConfigDict(extra="allow")

    description: str | None = None
    alarmRule: str | None = None  # composite alarms
    metrics: list[MetricQuery] = Field(default_factory=list)


class AlarmStateChange(BaseModel):
    """`detail` of a `CloudWatch Alarm State Change` event (single metric, metric math or composite)."""

    model_config = ConfigDict(extra="allow")

    alarmName: str = Field(min_length=1)
    state: AlarmState
    previousState: AlarmState | None = None
    configuration: AlarmConfiguration = Field(default_factory=AlarmConfiguration)


def from_eventbridge_alarm(
    event_id: str, region: str, account: str, resources: list[str], detail: Any, prefix: str
) -> Signal:
    try:
        change = AlarmStateChange.model_validate(detail)
    except ValidationError as error:
        raise RejectedEvent(f"CloudWatch Alarm State Change {event_id}: {problems(error)}") from error
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
    if configuration.alarmRule:
        details["alarm_rule"] = configuration.alarmRule
        details["triggering_alarms"] = _triggering_alarms(change.state.reasonData)
    elif configuration.metrics:
        details["metric"] = _eventbridge_metrics_summary(configuration.metrics)
    return _alarm_signal(
        notification_id=f"eventbridge:{event_id}",
        state=change.state.value,
        name=change.alarmName,
        description=configuration.description,
        reason=change.state.reason,
        occurred_at=change.state.timestamp,
        identity=identity,
        region=_region_from_arn(identity) or region,
        source=AlertSource.CLOUDWATCH_EVENTBRIDGE,
        incident=incident,
        marking=marking,
        details=details,
        composite_rule=configuration.alarmRule,
    )


def _eventbridge_metrics_summary(metrics: list[MetricQuery]) -> str:
    expressions = [m.expression for m in metrics if m.expression]
    if expressions:
        return f"metric math: {', '.join(expressions)}"
    parts = []
    for metric in metrics:
        stat = metric.metricStat.metric if metric.metricStat else MetricRef()
        dimensions = ", ".join(f"{k}={v}" for k, v in stat.dimensions.items())
        parts.append(f"{stat.namespace} {stat.name} ({dimensions})".replace(" ()", ""))
    return "; ".join(parts)


class _TriggeringAlarm(BaseModel):
    arn: str


class _CompositeReasonData(BaseModel):
    triggeringAlarms: list[_TriggeringAlarm] = Field(default_factory=list)


def _triggering_alarms(reason_data: str | None) -> list[str]:
    """The alarms a composite alarm names as its trigger; [] when reasonData says nothing usable (it is
    informative only, never a reason to drop the alarm)."""
    try:
        data = _CompositeReasonData.model_validate_json(reason_data or "{}")
    except ValidationError:
        return []
    return [t.arn.rsplit(":alarm:", 1)[-1] for t in data.triggeringAlarms]


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
            f"alarm {excerpt(name)}: unknown state {excerpt(state)} (expected ALARM, OK or INSUFFICIENT_DATA)"
        )
    what = description or (f"composite rule {composite_rule}" if composite_rule else "")
    title = f"Alarm {name}: {what}" if what else f"Alarm {name} is in ALARM"
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
    if event.evidence.body_uri:  # linked so the post-mortem keeps it past the bucket's 30 days
        links["response"] = event.evidence.body_uri
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


def problems(error: ValidationError, limit: int = 3) -> str:
    """What is wrong, field by field (the first few), each field named and its value excerpted."""
    found = [
        f"{clip('.'.join(str(p) for p in e['loc']), 120) or '(top level)'}: {clip(e['msg'], 200)}"
        + (f" (got {excerpt(e['input'])})" if "input" in e and not isinstance(e["input"], dict) else "")
        for e in error.errors()[:limit]
    ]
    more = error.error_count() - limit
    return "; ".join(found) + (f"; and {more} more" if more > 0 else "")


# ---------------------------------------------------------------------- PageDue (the router's own schedules)
PERSON_KEY = r"[A-Za-z0-9_]{1,40}"  # the policy file's people keys (policy/model.py)


class PageDueIn(PageDue):
    """PageDue as the router reads it back: ids it made itself (sane DynamoDB keys), a time with a zone."""

    alert_id: str = Field(pattern=r"^al-[0-9a-f]{1,40}$")
    page_id: str = Field(max_length=100)

    @field_validator("due_at")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return utc(value)

    @model_validator(mode="after")
    def _page_of_its_alert(self) -> PageDueIn:
        # A page (-p<seq>), or a step of a person's plan that follows it (-p<seq>-<person key>-s<step>).
        page = rf"{re.escape(self.alert_id)}-p\d{{1,6}}(-{PERSON_KEY}-s\d{{1,3}})?"
        if not re.fullmatch(page, self.page_id):
            raise ValueError(f"page_id {excerpt(self.page_id)} is not a page of alert {self.alert_id}")
        return self
