"""Learning over time by month (pure): the series the report's chart and sparklines draw."""

from incident_core.postmortem.report import ActionRow, IncidentRow, Report
from incident_core.postmortem.trend import monthly, sparkline


def row(declared: str, ack: float | None, resolve: float | None) -> IncidentRow:
    return IncidentRow("INC-1", "t", "resolved", declared, 60.0, ack, resolve)


def test_medians_by_month_with_empty_months_kept():
    report = Report(
        since="2026-01-01T00:00:00+00:00",
        generated_at="2026-04-02T09:00:00+00:00",
        incidents=[
            row("2026-01-05T10:00:00+00:00", 60, 600),
            row("2026-01-20T10:00:00+00:00", 180, 1800),
            row("2026-03-31T23:30:00+00:00", 120, None),  # 00:30 on 1 April in London (BST)
        ],
        open_action_items=[ActionRow("act-1", "x", None, "2026-03-01", True, None, "manual")],
    )
    months = monthly(report)
    assert [(m.month, m.incidents, m.median_acknowledge_s, m.median_resolve_s) for m in months] == [
        ("2026-01", 2, 120.0, 1200.0),
        ("2026-02", 0, None, None),
        ("2026-03", 0, None, None),
        ("2026-04", 1, 120.0, None),
    ]
    assert [(m.open_p0_due, m.open_p0_overdue) for m in months] == [(0, 0), (0, 0), (1, 1), (0, 0)]


def test_sparkline_scales_from_lowest_to_highest_and_leaves_gaps():
    assert sparkline([1, 8, None, 4.5]) == "▁█ ▅"
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([None, None]) == "  "
