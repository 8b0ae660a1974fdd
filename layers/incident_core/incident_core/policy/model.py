"""The policy file (config/policy.yaml, mounted at /opt/policy.yaml): who is paged, when.

Documented in docs/policy.md. Loading validates everything, so a typo in a person's key or a time fails
with the file name and the field, not with a page that silently goes nowhere.
"""

from __future__ import annotations

from datetime import date, time
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from incident_core.policy.calendar import WEEKDAYS, BusinessCalendar
from incident_core.policy.tracker import TrackerPolicy

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class PolicyFileError(ValueError):
    """The policy file is missing or invalid; the message names the file and what is wrong."""


# How a plan's step reaches a person: `slack` is a DM and a mention in the incidents channel.
PlanChannel = Literal["slack", "sms", "email", "call"]


class PlanStep(BaseModel):
    """One step of an escalation plan: these channels, this long after the page, if still unacknowledged."""

    model_config = ConfigDict(extra="forbid")

    after_minutes: Annotated[int, Field(ge=0, le=1440)]
    channels: Annotated[list[PlanChannel], Field(min_length=1)]

    @field_validator("channels")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        doubled = sorted({c for c in value if value.count(c) > 1})
        if doubled:
            raise ValueError(f"{doubled} named more than once in one step")
        return value


def _ordered_plan(steps: list[PlanStep]) -> list[PlanStep]:
    if not steps:
        raise ValueError("a plan needs at least one step")
    if steps[0].after_minutes != 0:
        raise ValueError(f"the first step is the page itself: after_minutes 0, not {steps[0].after_minutes}")
    for before, after in pairwise(steps):
        if after.after_minutes <= before.after_minutes:
            raise ValueError(
                f"steps must come in order: after_minutes {after.after_minutes} "
                f"follows {before.after_minutes}"
            )
    return steps


Plan = Annotated[list[PlanStep], AfterValidator(_ordered_plan)]


class EscalationPlans(BaseModel):
    """A person's plans: in business hours, and outside them in a traction moment (the only other time the
    policy pages). Each step runs only while the alert is unacknowledged (docs/policy.md)."""

    model_config = ConfigDict(extra="forbid")

    business_hours: Plan = Field(
        default_factory=lambda: [
            PlanStep(after_minutes=0, channels=["slack"]),
            PlanStep(after_minutes=5, channels=["sms", "email"]),
        ]
    )
    traction_off_hours: Plan = Field(
        default_factory=lambda: [
            PlanStep(after_minutes=0, channels=["slack", "sms"]),
            PlanStep(after_minutes=3, channels=["call"]),
            PlanStep(after_minutes=10, channels=["call"]),
        ]
    )

    def plan(self, name: str) -> list[PlanStep]:
        return self.traction_off_hours if name == "traction_off_hours" else self.business_hours


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    slack: Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]  # Slack user id, e.g. U0ALASTAIR
    phone: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None  # E.164, for SMS
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    escalation: EscalationPlans | None = None  # this person's own plans; default: the policy's

    @model_validator(mode="after")
    def _reachable_by_own_plan(self) -> Person:
        """A plan written for this person may only use channels they have an address for."""
        for name in ("business_hours", "traction_off_hours"):
            for index, step in enumerate(getattr(self.escalation, name, None) or []):
                for channel in step.channels:
                    missing = {"sms": "phone", "call": "phone", "email": "email"}.get(channel)
                    if missing and getattr(self, missing) is None:
                        raise ValueError(
                            f"escalation.{name}[{index}].channels names {channel}, "
                            f"but {self.name} has no {missing}"
                        )
        return self

    github: Annotated[str, Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")] | None = None  # login


class BusinessHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: time = time(9, 0)
    end: time = time(17, 30)

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"business_hours.end {self.end} is not after business_hours.start {self.start}")
        if not self.days:
            raise ValueError("business_hours.days is empty: the team needs at least one working day")
        return self


class Holidays(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str = "GB"
    subdiv: str | None = "ENG"  # England (and Wales share England's bank holidays)
    closed_days: list[date] = Field(default_factory=list)  # the company's own days off


class CalendarRules(BaseModel):
    """The policy's calendar part (time zone, business hours, holidays) and the one home of its defaults."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str = "Europe/London"
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: Holidays = Field(default_factory=Holidays)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/London)") from error
        return value

    @cached_property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone,
            days=self.business_hours.days,
            start=self.business_hours.start,
            end=self.business_hours.end,
            country=self.holidays.country,
            subdiv=self.holidays.subdiv,
            closed_days=self.holidays.closed_days,
        )


SLACK_TEAM = r"^[TE][A-Z0-9]{2,}$"  # a Slack workspace (T…) or Enterprise Grid organisation (E…)


class Permissions(BaseModel):
    """Who may do what from Slack (docs/policy.md#who-may-do-what). The defaults need no editing: the
    policy's people are the responders, anyone in the workspace may report and talk."""

    model_config = ConfigDict(extra="forbid")

    responders: list[str] | None = None  # people keys; None: every person under people
    # A Slack user group (S…) whose members count as responders too, e.g. the team's on-call group.
    responder_group: Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")] | None = None
    admins: list[str] = Field(default_factory=list)  # if any: only they change silences and traction
    # Workspaces / organisations besides the one the app is installed in whose people may use it.
    other_workspaces: list[Annotated[str, Field(pattern=SLACK_TEAM)]] = Field(default_factory=list)


class SilenceLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_active: Annotated[int, Field(ge=1, le=100)] = 5
    # Characters before a trailing '*': 'b*' would silence nearly everything.
    min_prefix: Annotated[int, Field(ge=1, le=100)] = 4
    max_days: Annotated[int, Field(ge=1, le=30)] = 7  # one silence
    # Total silenced time of one journey or alarm in any rolling 30 days: a silence is not renewable for ever.
    max_days_per_30_days: Annotated[int, Field(ge=1, le=30)] = 7


class TractionLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_days: Annotated[int, Field(ge=1, le=90)] = 14  # one traction moment
    horizon_days: Annotated[int, Field(ge=0, le=365)] = 30  # how far ahead one may start


class Grouping(BaseModel):
    """Alert grouping (docs/policy.md#alert-grouping): one outage, one page. The defaults need no editing."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # An alert joins an open, unacknowledged group whose first alert started within this many minutes.
    window_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    # A group holds at most this many alerts; the next one starts a new group (and pages).
    max_size: Annotated[int, Field(ge=2, le=100)] = 25
    # What must match to share a group: anything (`everything`), the alarm name's first `prefix_parts`
    # dash-separated parts (`alarm_prefix`), or the service named under `services` (`service`).
    by: Literal["everything", "alarm_prefix", "service"] = "everything"
    prefix_parts: Annotated[int, Field(ge=1, le=10)] = 3
    # Service name -> alarm names and journey names (a trailing `*` matches a prefix).
    services: dict[str, list[Annotated[str, Field(min_length=1, max_length=255)]]] = Field(
        default_factory=dict
    )
    # While an incident declared from a group is open, it absorbs later alerts with the group's key (into
    # its thread, paging nobody); true: any later alert.
    incident_absorbs_all: bool = False

    @model_validator(mode="after")
    def _services_named(self) -> Grouping:
        if self.by == "service" and not self.services:
            raise ValueError("grouping.by is service but grouping.services names none")
        return self


class Policy(CalendarRules):
    # Keys name people in page ids and the alert history: letters, digits and _ (alerts/intake.py).
    people: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,40}$")], Person]
    always_alerted: list[str]
    traction_standby: list[str] = Field(default_factory=list)
    ack_timeout_minutes: Annotated[int, Field(ge=1, le=120)] = 5
    # Re-pages stop after this many; the alert stays open in the channel with its buttons.
    max_repages: Annotated[int, Field(ge=0, le=100)] = 12
    # Everyone's escalation plans, unless a person has their own (people.<key>.escalation).
    escalation: EscalationPlans = Field(default_factory=EscalationPlans)
    permissions: Permissions = Field(default_factory=Permissions)
    silences: SilenceLimits = Field(default_factory=SilenceLimits)
    traction: TractionLimits = Field(default_factory=TractionLimits)
    tracker: TrackerPolicy | None = None  # where action items are planned (policy/tracker.py)
    grouping: Grouping = Field(default_factory=Grouping)

    @model_validator(mode="after")
    def _known_people(self) -> Policy:
        named = {
            "always_alerted": self.always_alerted,
            "traction_standby": self.traction_standby,
            "permissions.responders": self.permissions.responders or [],
            "permissions.admins": self.permissions.admins,
        }
        for field, keys in named.items():
            unknown = [key for key in keys if key not in self.people]
            if unknown:
                raise ValueError(f"{field} names {unknown}, who are not under people: {sorted(self.people)}")
        if not self.always_alerted:
            raise ValueError("always_alerted is empty: somebody must receive alerts")
        return self

    def slack_id(self, person: str) -> str:
        return self.people[person].slack

    def plan(self, person: str, name: str) -> list[PlanStep]:
        """The person's plan `business_hours` or `traction_off_hours`: their own, else the policy's."""
        return (self.people[person].escalation or self.escalation).plan(name)

    @cached_property
    def responder_ids(self) -> frozenset[str]:
        keys = self.people if self.permissions.responders is None else self.permissions.responders
        return frozenset(self.people[key].slack for key in keys)

    @cached_property
    def admin_ids(self) -> frozenset[str]:
        """Who may change silences and traction windows: the admins if named, else the responders."""
        if not self.permissions.admins:
            return self.responder_ids
        return frozenset(self.people[key].slack for key in self.permissions.admins)


def parse_policy(text: str, source: str = "policy file") -> Policy:
    from incident_core.yaml_safe import YamlInputError, load_yaml

    try:
        data = load_yaml(text, source)
    except YamlInputError as error:
        raise PolicyFileError(str(error)) from None
    if not isinstance(data, dict):
        raise PolicyFileError(f"{source} must be a mapping (time_zone, business_hours, people, ...)")
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in error.errors()
        )
        raise PolicyFileError(f"{source} is invalid: {problems}") from error


def load_policy(path: str | Path) -> Policy:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise PolicyFileError(f"cannot read the policy file {path}: {error.strerror}") from error
    return parse_policy(text, str(path))
