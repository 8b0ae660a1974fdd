from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Incident(BaseModel):
    """The Live Incident State Document's facts; the thread's root message renders them."""

    incident_id: str
    title: str
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    impact: str = ""
    lead: str | None = None  # Slack user id
    declared_by: str
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None = None
    declared_at: datetime
    resolved_at: datetime | None = None
    alert_id: str | None = None
    journeys: list[str] = Field(default_factory=list)
    alarms: list[str] = Field(default_factory=list)
    latest_update: str = ""
    channel: str | None = None
    thread_ts: str | None = None
    war_room_url: str | None = None
    checklist: dict = Field(default_factory=dict)
    responders: list[str] = Field(default_factory=list)
    # Optimistic locking: IncidentStore.update writes only over the version it read.
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


class TimelineKind(StrEnum):
    SYSTEM = "system"  # written by the suite: alert raised, paged, declared, ...
    MESSAGE = "message"  # a reply in the thread


class TimelineEntry(BaseModel):
    incident_id: str
    at: datetime
    kind: TimelineKind
    text: str
    author: str | None = None
    # For replies: Slack's message ts, which makes Slack's retried deliveries land on the same entry.
    slack_ts: str | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    key: str  # unique within the incident; the entry's identity
