"""The policy file (config/policy.yaml, mounted at /opt/policy.yaml): who is paged, when.

Documented in docs/policy.md. Loading validates everything, so a typo in a person's key or a time fails
with the file name and the field, not with a page that silently goes nowhere.
"""

from __future__ import annotations

from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from incident_core.policy.calendar import WEEKDAYS, BusinessCalendar
from incident_core.policy.tracker import TrackerPolicy

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class PolicyFileError(ValueError):
    """The policy file is missing or invalid; the message names the file and what is wrong."""


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    slack: Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]  # Slack user id, e.g. U0ALASTAIR
    phone: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None  # E.164, for SMS
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
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
    people: dict[str, Person]
    always_alerted: list[str]
    traction_standby: list[str] = Field(default_factory=list)
    ack_timeout_minutes: Annotated[int, Field(ge=1, le=120)] = 5
    # Re-pages stop after this many; the alert stays open in the channel with its buttons.
    max_repages: Annotated[int, Field(ge=0, le=100)] = 12
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
