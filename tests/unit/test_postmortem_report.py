"""The history report's pure parts: --since, medians, the false-alarm rate, the text layout."""

from datetime import UTC, date, datetime, timedelta

import pytest

from incident_core.models import ActionItem, Alert, AlertSource, AlertStatus, Incident
from incident_core.postmortem.report import build_report, parse_since, render_text

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def test_since_as_a_date_is_midnight_in_london_summer_time():
    assert parse_since("2026-06-01", NOW) == datetime(2026, 5, 31, 23, 0, tzinfo=UTC)


def test_since_as_a_naive_datetime_is_utc():
    assert parse_since("2026-06-01T09:00:00", NOW) == datetime(2026, 6, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(("value", "message"), [("June", "not an ISO date"), ("2026-07-02", "in the future")])
def test_bad_since(value, message):
    with pytest.raises(ValueError, match=message):
        parse_since(value, NOW)


def test_report_figures_and_text():
    start = datetime(2026, 6, 10, 10, tzinfo=UTC)
    incident = Incident(
        incident_id="INC-1",
        title="Book viewing button missing",
        declared_by="U0ALASTAIR",
        started_at=start,
        detected_at=start + timedelta(minutes=1),
        acknowledged_at=start + timedelta(minutes=4),
        declared_at=start + timedelta(minutes=5),
        resolved_at=start + timedelta(minutes=31),
    )
    alerts = [
        Alert(
            alert_id=f"alr-{n}",
            fingerprint=f"fp-{n}",
            title="t",
            source=AlertSource.JOURNEY,
            status=status,
            started_at=start,
            first_seen=start,
            last_seen=start,
        )
        for n, status in enumerate([AlertStatus.FALSE_ALARM, AlertStatus.RESOLVED, AlertStatus.RESOLVED])
    ]
    action = ActionItem(
        action_id="act-1",
        text="Write the runbook",
        owner="U0WISEN01",
        due=date(2026, 6, 12),
        created_at=start,
    )
    report = build_report([incident], alerts, [action], since=start - timedelta(days=30), now=NOW)
    assert (report.alerts, report.false_alarms, report.false_alarm_rate) == (3, 1, 0.3333)
    assert (
        report.median_time_to_detect_s,
        report.median_time_to_acknowledge_s,
        report.median_time_to_resolve_s,
    ) == (
        60.0,
        180.0,
        1800.0,
    )
    assert report.open_action_items[0].overdue is True
    text = render_text(report)
    assert "INC-1" in text and "1 min 00 s" in text and "30 min 00 s" in text
    assert "False-alarm rate: 33% (1 of 3 paging alerts)" in text
    assert (
        "  OVERDUE due 2026-06-12  U0WISEN01    Write the runbook  (act-1, 21 days old, issue: no issue yet)"
        in text
    )


def test_open_items_overdue_first_with_their_number_age_and_issue():
    def item(action_id, due, opened, **tracker):
        return ActionItem(action_id=action_id, text=action_id, due=due, created_at=opened, **tracker)

    items = [
        item("act-later", date(2026, 7, 8), NOW - timedelta(days=1)),
        item(
            "act-late",
            date(2026, 6, 30),
            NOW - timedelta(days=9),
            tracker_issue=7,
            tracker_url="https://github.com/example-org/product/issues/7",
            tracker_state="open",
        ),
        item("act-latest", date(2026, 6, 20), NOW - timedelta(days=15), tracker_error="HTTP 503"),
    ]
    report = build_report([], [], items, since=NOW - timedelta(days=30), now=NOW)
    assert [row.action_id for row in report.open_action_items] == ["act-latest", "act-late", "act-later"]
    assert (report.open_action_count, report.overdue_action_count, report.oldest_open_action_days) == (
        3,
        2,
        15,
    )
    assert report.open_action_items[1].tracker == "#7 open https://github.com/example-org/product/issues/7"
    assert report.open_action_items[0].tracker == "no issue yet (HTTP 503)"
    text = render_text(report)
    assert "Open action items (P0, before product work): 3, 2 overdue, the oldest opened 15 days ago" in text
