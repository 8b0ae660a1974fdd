"""Learning over time, by month: median time to acknowledge and to resolve, and the open P0 action items
(pure: the report's rows in, the series out). `incidentctl incidents report` draws them as a PNG and
prints them as terminal sparklines."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime

from incident_core.postmortem.compile import LONDON
from incident_core.postmortem.report import Report

SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Month:
    month: str  # 2026-01, London time
    incidents: int
    median_acknowledge_s: float | None
    median_resolve_s: float | None
    open_p0_due: int  # open P0 action items due in this month
    open_p0_overdue: int  # of those, overdue now


def months_between(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly(report: Report) -> list[Month]:
    """Every month from the report's start to now (a month without incidents is shown empty, not left out:
    a quiet month is news too), incidents by the month they were declared in London."""
    since = datetime.fromisoformat(report.since).astimezone(LONDON).date()
    now = datetime.fromisoformat(report.generated_at).astimezone(LONDON).date()
    dues = [date.fromisoformat(action.due) for action in report.open_action_items]
    last = max([now, *dues])
    by_month: dict[str, list] = {month: [] for month in months_between(since, last)}
    for row in report.incidents:
        declared = datetime.fromisoformat(row.declared_at).astimezone(LONDON)
        by_month.setdefault(f"{declared:%Y-%m}", []).append(row)
    months = []
    for month, rows in by_month.items():
        due = [a for a in report.open_action_items if a.due[:7] == month]
        months.append(
            Month(
                month=month,
                incidents=len(rows),
                median_acknowledge_s=_median(row.time_to_acknowledge_s for row in rows),
                median_resolve_s=_median(row.time_to_resolve_s for row in rows),
                open_p0_due=len(due),
                open_p0_overdue=sum(1 for a in due if a.overdue),
            )
        )
    return months


def _median(values) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def sparkline(values: list[float | None]) -> str:
    """One character a value, ▁ lowest to █ highest; a month without a value is a space."""
    present = [value for value in values if value is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    steps = len(SPARKS) - 1
    return "".join(
        " " if value is None else SPARKS[round((value - low) / (high - low) * steps) if high > low else 0]
        for value in values
    )


def render_sparklines(months: list[Month]) -> str:
    def latest(values: list[tuple[str, float | None]]) -> str:
        known = [(month, value) for month, value in values if value is not None]
        return f"latest {known[-1][1] / 60:.0f} min in {known[-1][0]}" if known else "no incident"

    first_month, last_month = (months[0].month, months[-1].month) if months else ("-", "-")
    lines = [f"By month, {first_month} to {last_month} (medians; a blank is a month without any):"]
    for label, values in (
        ("time to acknowledge", [(m.month, m.median_acknowledge_s) for m in months]),
        ("time to resolve    ", [(m.month, m.median_resolve_s) for m in months]),
    ):
        lines.append(f"  {label} {sparkline([value for _, value in values])}  ({latest(values)})")
    lines.append(
        f"  open P0 items due   {sparkline([float(m.open_p0_due) for m in months])}  "
        f"({sum(m.open_p0_due for m in months)} open, {sum(m.open_p0_overdue for m in months)} overdue)"
    )
    return "\n".join(lines) + "\n"
