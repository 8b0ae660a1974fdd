"""Learning over time: the incident history, false-alarm rate, median times and open action items.

`build_report` is pure (records and `now` in); `incidentctl incidents report` reads the records and prints
it as text or JSON.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

from incident_core.actions.store import london_today
from incident_core.models import ActionItem, Alert, AlertStatus, Incident
from incident_core.postmortem.compile import LONDON, duration, instant, key_durations


@dataclass(frozen=True)
class IncidentRow:
    incident_id: str
    title: str
    status: str
    declared_at: str
    time_to_detect_s: float | None
    time_to_acknowledge_s: float | None
    time_to_resolve_s: float | None


@dataclass(frozen=True)
class ActionRow:
    action_id: str
    text: str
    owner: str | None
    due: str
    overdue: bool
    incident_id: str | None
    source: str
    age_days: int = 0  # days since it was opened
    tracker: str = "no issue yet"  # its issue and state ("#12 open <url>"), or why not yet


@dataclass
class Report:
    since: str
    generated_at: str
    incidents: list[IncidentRow] = field(default_factory=list)
    alerts: int = 0
    false_alarms: int = 0
    false_alarm_rate: float | None = None
    median_time_to_detect_s: float | None = None
    median_time_to_acknowledge_s: float | None = None
    median_time_to_resolve_s: float | None = None
    open_action_items: list[ActionRow] = field(default_factory=list)
    open_action_count: int = 0
    overdue_action_count: int = 0
    oldest_open_action_days: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _seconds(span: timedelta | None) -> float | None:
    return span.total_seconds() if span is not None else None


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def build_report(
    incidents: Iterable[Incident],
    alerts: Iterable[Alert],
    open_actions: Iterable[ActionItem],
    since: datetime,
    now: datetime,
) -> Report:
    """Incidents declared and alerts started since `since`; action items open now (whenever opened)."""
    rows = []
    for incident in sorted(incidents, key=lambda i: (i.declared_at, i.incident_id)):
        durations = key_durations(incident)
        rows.append(
            IncidentRow(
                incident_id=incident.incident_id,
                title=incident.title,
                status=incident.status.value,
                declared_at=incident.declared_at.isoformat(),
                time_to_detect_s=_seconds(durations.to_detect),
                time_to_acknowledge_s=_seconds(durations.to_acknowledge),
                time_to_resolve_s=_seconds(durations.to_resolve),
            )
        )
    # Only alerts that paged someone were judged real or false; recorded-only ones are not in the rate.
    paging = [alert for alert in alerts if alert.pages]
    false_alarms = sum(1 for alert in paging if alert.status == AlertStatus.FALSE_ALARM)
    today = london_today(now)
    actions = [
        ActionRow(
            action_id=item.action_id,
            text=item.text,
            owner=item.owner,
            due=item.due.isoformat(),
            overdue=item.due < today,
            incident_id=item.incident_id,
            source=item.source,
            age_days=(today - london_today(item.created_at)).days,
            tracker=tracker_phrase(item),
        )
        # Overdue first (the longest overdue first), then by due date.
        for item in sorted(open_actions, key=lambda a: (a.due >= today, a.due, a.created_at))
    ]
    return Report(
        since=since.isoformat(),
        generated_at=now.isoformat(),
        incidents=rows,
        alerts=len(paging),
        false_alarms=false_alarms,
        false_alarm_rate=round(false_alarms / len(paging), 4) if paging else None,
        median_time_to_detect_s=_median(row.time_to_detect_s for row in rows),
        median_time_to_acknowledge_s=_median(row.time_to_acknowledge_s for row in rows),
        median_time_to_resolve_s=_median(row.time_to_resolve_s for row in rows),
        open_action_items=actions,
        open_action_count=len(actions),
        overdue_action_count=sum(1 for row in actions if row.overdue),
        oldest_open_action_days=max((row.age_days for row in actions), default=None),
    )


def tracker_phrase(item: ActionItem) -> str:
    """An item's issue in the tracker and its state, as text."""
    if item.tracker_issue is not None:
        return f"#{item.tracker_issue} {item.tracker_state or 'open'} {item.tracker_url or ''}".rstrip()
    if item.tracker_error:
        return f"no issue yet ({item.tracker_error})"
    return "no issue yet"


def _span(seconds: float | None) -> str:
    return duration(timedelta(seconds=seconds)) if seconds is not None else "-"


def render_text(report: Report) -> str:
    since = instant(datetime.fromisoformat(report.since))
    lines = [f"Incidents since {since}: {len(report.incidents)}", ""]
    if report.incidents:
        lines.append(
            f"{'incident':<26} {'status':<13} {'declared (London)':<21} "
            f"{'TTD':>12} {'TTA':>12} {'TTR':>14}  title"
        )
        for row in report.incidents:
            declared = datetime.fromisoformat(row.declared_at)
            lines.append(
                f"{row.incident_id:<26} {row.status:<13} {instant(declared)[4:21]:<21} "
                f"{_span(row.time_to_detect_s):>12} {_span(row.time_to_acknowledge_s):>12} "
                f"{_span(row.time_to_resolve_s):>14}  {row.title}"
            )
        lines.append("")
    rate = f"{report.false_alarm_rate:.0%}" if report.false_alarm_rate is not None else "no alerts"
    lines += [
        f"False-alarm rate: {rate} ({report.false_alarms} of {report.alerts} paging alerts)",
        f"Median time to detect:      {_span(report.median_time_to_detect_s)}",
        f"Median time to acknowledge: {_span(report.median_time_to_acknowledge_s)}",
        f"Median time to resolve:     {_span(report.median_time_to_resolve_s)}",
        "",
        f"Open action items (P0, before product work): {report.open_action_count}"
        + (
            f", {report.overdue_action_count} overdue, the oldest opened {report.oldest_open_action_days} "
            "days ago"
            if report.open_action_items
            else ""
        ),
    ]
    for action in report.open_action_items:
        flag = "OVERDUE " if action.overdue else ""
        owner = action.owner or "no owner"
        incident = f" [{action.incident_id}]" if action.incident_id else ""
        lines.append(
            f"  {flag}due {action.due}  {owner:<12} {action.text}{incident}  ({action.action_id}, "
            f"{action.age_days} days old, issue: {action.tracker})"
        )
    return "\n".join(lines) + "\n"


def parse_since(value: str, now: datetime) -> datetime:
    """`--since`: an ISO date (midnight London) or datetime (UTC if no zone); a clear error otherwise."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime(day.year, day.month, day.day, tzinfo=LONDON)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"--since {value!r} is not an ISO date or datetime (e.g. 2026-01-01 or 2026-01-01T09:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed > now:
        raise ValueError(f"--since {value!r} is in the future")
    return parsed
