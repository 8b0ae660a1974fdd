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
    reason: Literal["held", "repage", "retry", "step"]
    due_at: datetime


class DrillRequested(SuiteEvent):
    """A drill of the paging path (`incidentctl drill` or the weekly schedule): the router applies the
    policy and posts a message marked DRILL in the incidents channel; it pages nobody, except the person
    who asked to be paged (`page_me`, a Slack user id): every step of their plan, marked DRILL."""

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


class ActionItemChanged(SuiteEvent):
    """An action item was opened, done, reopened or edited in the suite: the tracker sync brings its issue
    in step (functions/tracker_sync)."""

    detail_type: ClassVar[str] = "ActionItemChanged"
    action_id: str = Field(pattern=r"^act-[A-Za-z0-9-]{1,60}$")
    change: Literal["opened", "done", "reopened", "edited"]
    changed_at: datetime
    by: str | None = Field(default=None, max_length=100)


class DeployFinished(SuiteEvent):
    """A deploy marker from the team's CI (or `incidentctl deploys record`): what was deployed, by whom.
    `revert_hook` (https) is called with a signed request when a responder reverts it (docs/revert.md)."""

    detail_type: ClassVar[str] = "DeployFinished"
    service: str = Field(pattern=r"^[A-Za-z0-9._/-]{1,100}$")
    version: str = Field(min_length=1, max_length=100)
    previous_version: str | None = Field(default=None, min_length=1, max_length=100)
    commit: str = Field(pattern=r"^[0-9a-f]{7,40}$")
    author: str = Field(min_length=1, max_length=100)
    finished_at: datetime
    revert_hook: str | None = Field(default=None, pattern=r"^https://[^\s]{1,1990}$")


class RevertRequested(SuiteEvent):
    """A responder confirmed a Revert in an incident's thread; the revert function performs it."""

    detail_type: ClassVar[str] = "RevertRequested"
    incident_id: str
    revert_id: str
    requested_by: str
    requested_at: datetime


class RevertFinished(SuiteEvent):
    """A revert was done (`ok`) or could not be (`reason`); the journeys are checked again at once."""

    detail_type: ClassVar[str] = "RevertFinished"
    incident_id: str
    revert_id: str
    ok: bool
    what: str  # what changed, from what to what
    reason: str = ""
    requested_by: str
    finished_at: datetime
    journeys: list[str] = Field(default_factory=list)


class JourneyRechecked(SuiteEvent):
    """The failing journeys run again straight after a revert: whether they pass now."""

    detail_type: ClassVar[str] = "JourneyRechecked"
    incident_id: str
    revert_id: str
    checked_at: datetime
    passed: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)  # journey -> why it still fails


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
    ActionItemChanged,
    DeployFinished,
    RevertRequested,
    RevertFinished,
    JourneyRechecked,
)
