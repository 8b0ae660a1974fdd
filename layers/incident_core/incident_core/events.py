"""Events the suite's functions exchange on its own EventBridge bus.

Each model is the `detail` of one `detail-type`. Producers call `EventBus.put(model)`; consumers parse
`detail` with the matching model (Powertools parser + EventBridgeEnvelope).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class SuiteEvent(BaseModel):
    # Each validator is built on the model's first use: a function uses one or two of these (issue 13).
    model_config = ConfigDict(defer_build=True)

    detail_type: ClassVar[str]


class StepTiming(BaseModel):
    step: str
    ok: bool
    ms: float
    status: int | None = None


class Evidence(BaseModel):
    excerpt: str = ""
    screenshot_uri: str | None = None
    url: str | None = None
    body_uri: str | None = None  # the failing HTTP step's whole response, in the evidence bucket


class JourneyFailed(SuiteEvent):
    detail_type: ClassVar[str] = "JourneyFailed"
    journey: str
    step: str
    reason: str
    failed_at: datetime
    run_id: str
    timings: list[StepTiming] = Field(default_factory=list)
    evidence: Evidence = Field(default_factory=Evidence)


class JourneyRecovered(SuiteEvent):
    detail_type: ClassVar[str] = "JourneyRecovered"
    journey: str
    recovered_at: datetime
    failing_since: datetime | None = None
    run_id: str
    timings: list[StepTiming] = Field(default_factory=list)


class PageDue(SuiteEvent):
    """Put on the bus by a one-time EventBridge Scheduler schedule: a held page, a re-page, or another try
    at a page that could not be sent."""

    detail_type: ClassVar[str] = "PageDue"
    alert_id: str
    page_id: str
    reason: Literal["held", "repage", "retry"]
    due_at: datetime


class DrillRequested(SuiteEvent):
    """A drill of the paging path (`incidentctl drill` or the weekly schedule): the router applies the
    policy and posts a message marked DRILL in the incidents channel; it pages nobody, except the person
    who asked to be paged (`page_me`, a Slack user id), by Slack only."""

    detail_type: ClassVar[str] = "DrillRequested"
    drill_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,100}$")  # a block id part (Slack: 255)
    requested_by: str = Field(min_length=1, max_length=100)
    requested_at: datetime
    page_me: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")


class AlertRaised(SuiteEvent):
    detail_type: ClassVar[str] = "AlertRaised"
    alert_id: str
    fingerprint: str
    title: str
    source: str
    raised_at: datetime
    # Set when a declared incident absorbed the alert (alerts/grouping.py): the incident-thread function
    # posts it in that incident's thread and adds it to its Affected list; nobody is paged for it.
    incident_id: str | None = None
    journey: str | None = None
    alarm_name: str | None = None


class AlertResolved(SuiteEvent):
    detail_type: ClassVar[str] = "AlertResolved"
    alert_id: str
    fingerprint: str
    resolved_at: datetime


class IncidentDeclared(SuiteEvent):
    detail_type: ClassVar[str] = "IncidentDeclared"
    incident_id: str
    title: str
    declared_at: datetime
    declared_by: str
    alert_id: str | None = None


class IncidentChanged(SuiteEvent):
    """Anything that changes what the thread's root message shows (status, update, lead, ...)."""

    detail_type: ClassVar[str] = "IncidentChanged"
    incident_id: str
    changed_at: datetime
    what: str
    # The timeline entry recording the change; the thread function posts it in the thread once.
    entry_key: str | None = None


class IncidentResolved(SuiteEvent):
    detail_type: ClassVar[str] = "IncidentResolved"
    incident_id: str
    resolved_at: datetime
    resolved_by: str


class PostmortemRequested(SuiteEvent):
    """Compile an incident's document again (new replies since it was resolved): a new version."""

    detail_type: ClassVar[str] = "PostmortemRequested"
    incident_id: str
    requested_at: datetime
    requested_by: str


class ActionItemOpened(SuiteEvent):
    detail_type: ClassVar[str] = "ActionItemOpened"
    action_id: str
    text: str
    owner: str | None = None
    incident_id: str | None = None


ALL_EVENTS: tuple[type[SuiteEvent], ...] = (
    JourneyFailed,
    JourneyRecovered,
    PageDue,
    DrillRequested,
    AlertRaised,
    AlertResolved,
    IncidentDeclared,
    IncidentChanged,
    IncidentResolved,
    PostmortemRequested,
    ActionItemOpened,
)
