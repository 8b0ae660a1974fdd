"""The support-hours decision: at this instant, for this alert, who is paged, how, or until when it waits.

Pure: the clock (`now`), the policy, the traction windows and the silences are all passed in.

- Business as usual (the default), business hours: page the always-alerted (Alastair) on Slack.
- Business as usual, outside business hours: nobody is woken. The alert is posted in the incidents
  channel without a mention and the page is held until the next business period starts (or a traction
  window starts, if that comes first).
- Traction moment (inside a stored window), business hours: as business as usual; a re-page escalates to
  everyone standing by.
- Traction moment, outside business hours: page the always-alerted and everyone standing by (Alastair and
  Wisen) at once, each by their escalation plan (by default Slack and a text at once, then phone calls),
  because a Slack notification may not wake anyone.
- Not an incident alarm: recorded only, never paged.
- Silenced (a maintenance window matching the journey or alarm): recorded, not paged; if the alert is
  still open when the silence ends, the policy is applied then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from incident_core.models.alerts import Alert
from incident_core.models.windows import Silence, TractionWindow
from incident_core.policy.model import Policy


class Mode(StrEnum):
    BUSINESS_AS_USUAL = "business-as-usual"
    TRACTION = "traction"


class Channel(StrEnum):
    SLACK = "slack"
    SMS = "sms"
    EMAIL = "email"
    CALL = "call"


BUSINESS_HOURS_PLAN = "business_hours"
TRACTION_OFF_HOURS_PLAN = "traction_off_hours"


class PageDecision(BaseModel):
    mode: Mode
    business_hours: bool
    page: list[str]  # person keys from the policy file, paged now
    hold_until: datetime | None  # nobody is paged now; apply the policy again at this instant
    channels: list[Channel]  # the first step of the policy's plan (each person's own may differ)
    reason: str
    plan: str | None = None  # which escalation plan the people paged follow (policy.plan)
    post_without_mention: bool = False  # off hours: tell the channel, wake nobody
    traction_window: str | None = None  # the window's label, in a traction moment
    silenced_by: str | None = None


def decide(
    now: datetime,
    policy: Policy,
    traction_windows: Iterable[TractionWindow],
    silences: Iterable[Silence],
    alert: Alert | None = None,
) -> PageDecision:
    """What the policy says at `now`. Without an alert: for a hypothetical incident alarm."""
    calendar = policy.calendar
    local = calendar.local(now)  # raises on a naive datetime
    windows = list(traction_windows)
    business_hours = calendar.is_business_hours(now)
    window = next((w for w in windows if w.covers(now)), None)
    mode = Mode.TRACTION if window else Mode.BUSINESS_AS_USUAL
    common = {
        "mode": mode,
        "business_hours": business_hours,
        "traction_window": window.label if window else None,
    }
    when = f"{local:%a %d %b %Y %H:%M} {local.tzname()}"

    if alert is not None and not alert.incident_alarm:
        return PageDecision(
            **common,
            page=[],
            hold_until=None,
            channels=[],
            reason=f"not an incident alarm ({alert.reason or 'not marked as one'}): recorded, never paged",
        )
    if alert is not None:
        matching = _matching_silences(alert, silences, now)
        if matching:
            last = max(matching, key=lambda s: s.end)
            return PageDecision(
                **common,
                page=[],
                hold_until=last.end,
                channels=[],
                reason=f"silenced until {_local(last.end, policy)} ({last.reason or last.match}): recorded, "
                "not paged; the policy applies again when the silence ends if the alert is still open",
                silenced_by=last.silence_id,
            )

    if business_hours:
        return PageDecision(
            **common,
            page=list(policy.always_alerted),
            hold_until=None,
            channels=_first_step(policy, BUSINESS_HOURS_PLAN),
            plan=BUSINESS_HOURS_PLAN,
            reason=f"business hours ({when}): paging the always-alerted",
        )
    if window is not None:
        return PageDecision(
            **common,
            page=_unique([*policy.always_alerted, *policy.traction_standby]),
            hold_until=None,
            channels=_first_step(policy, TRACTION_OFF_HOURS_PLAN),
            plan=TRACTION_OFF_HOURS_PLAN,
            reason=f"traction moment '{window.label}' outside business hours ({when}): "
            "paging everyone standing by, each by their plan (Slack, text, calls)",
        )
    hold_until = _next_paging_instant(now, policy, windows)
    return PageDecision(
        **common,
        page=[],
        hold_until=hold_until,
        channels=[],
        reason=f"outside business hours ({when}) in business as usual: nobody is woken; "
        f"the page is held until {_local(hold_until, policy)}",
        post_without_mention=True,
    )


def repage_audience(policy: Policy, decision: PageDecision, already_paged: Sequence[str]) -> list[str]:
    """Who a re-page goes to: the same people again, and in a traction moment everyone standing by."""
    people = [*decision.page, *already_paged]
    if decision.mode == Mode.TRACTION:
        people += [*policy.always_alerted, *policy.traction_standby]
    return _unique(people)


def _first_step(policy: Policy, plan: str) -> list[Channel]:
    return [Channel(channel) for channel in policy.escalation.plan(plan)[0].channels]


def _next_paging_instant(now: datetime, policy: Policy, windows: Sequence[TractionWindow]) -> datetime:
    """When the policy next pages somebody: the next business period, or an earlier traction window."""
    next_business = policy.calendar.next_business_start(now)
    upcoming = [w.start for w in windows if now < w.start < next_business]
    return min([next_business, *upcoming])


def _matching_silences(alert: Alert, silences: Iterable[Silence], now: datetime) -> list[Silence]:
    names = [name for name in (alert.journey, alert.alarm_name) if name]
    return [s for s in silences if s.covers(now) and any(s.matches(name) for name in names)]


def _local(at: datetime, policy: Policy) -> str:
    local = policy.calendar.local(at)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def _unique(people: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(people))
