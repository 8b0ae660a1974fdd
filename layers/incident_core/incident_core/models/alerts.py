from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class AlertSource(StrEnum):
    JOURNEY = "journey"
    CLOUDWATCH_SNS = "cloudwatch-sns"
    CLOUDWATCH_EVENTBRIDGE = "cloudwatch-eventbridge"
    MANUAL = "manual"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FALSE_ALARM = "false-alarm"


class AlertEvent(BaseModel):
    """One line of an alert's history, e.g. "raised", "paged <@U123>", "acknowledged by <@U1>"."""

    at: datetime
    what: str


class GroupMember(BaseModel):
    """One alert of a group, as its group's page lists it (the member's own item has its full state)."""

    title: str
    started_at: datetime
    recovered_at: datetime | None = None


class Alert(BaseModel):
    """One problem, however many times it is notified: repeats raise `count` and `last_seen`."""

    alert_id: str
    fingerprint: str
    title: str
    source: AlertSource
    status: AlertStatus = AlertStatus.OPEN
    pages: bool = True  # False: recorded only (not an incident alarm, silenced, ...)
    reason: str = ""  # why the policy paged, held or only recorded it
    # Marked as top priority (sent to the incident topic, or named with the incident prefix)?
    incident_alarm: bool = True
    state_reason: str = ""  # what the source said (the alarm's NewStateReason, the journey's failure)
    links: dict[str, str] = Field(default_factory=dict)
    journey: str | None = None
    alarm_name: str | None = None
    started_at: datetime
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None = None
    count: int = 1
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    false_alarm_by: str | None = None
    false_alarm_at: datetime | None = None
    incident_id: str | None = None
    # The alert's post in the incidents channel (the resolution is replied in its thread).
    slack_channel: str | None = None
    slack_ts: str | None = None
    details: dict = Field(default_factory=dict)
    # Alert grouping (alerts/grouping.py): the alert whose page speaks for this one (its own id when it
    # leads a group; None when grouping is off or it pages nobody). The leader lists its group's members.
    group_id: str | None = None
    members: dict[str, GroupMember] = Field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
