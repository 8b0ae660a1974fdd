"""`incidentctl incidents report` and `incidents compile` against moto (and the template's own wiring)."""

import argparse
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from incident_core.actions.store import ActionStore
from incident_core.adapters.aws import client
from incident_core.adapters.dynamo import Table, model_item
from incident_core.alerts.keys import ALERT_SK, CLOSED_ALERTS, alert_pk, iso
from incident_core.cli.incidents import run_report
from incident_core.cli.main import main
from incident_core.incidents.store import IncidentStore
from incident_core.models import Alert, AlertSource, AlertStatus, Incident, IncidentStatus
from incident_core.settings import get_settings
from stand_ins.local_lambda import LocalSuite

T0 = datetime(2026, 1, 13, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def incident(number: int, detect_s: int, ack_s: int, resolve_s: int | None, **extra) -> Incident:
    started = T0 + timedelta(days=number)
    detected = started + timedelta(seconds=detect_s)
    return Incident(
        incident_id=f"INC-{number:04d}",
        title=f"incident {number}",
        status=IncidentStatus.RESOLVED if resolve_s else IncidentStatus.INVESTIGATING,
        declared_by="U0ALASTAIR",
        started_at=started,
        detected_at=detected,
        acknowledged_at=detected + timedelta(seconds=ack_s),
        declared_at=detected + timedelta(seconds=ack_s + 30),
        resolved_at=detected + timedelta(seconds=resolve_s) if resolve_s else None,
        **extra,
    )


def alert(number: int, status: AlertStatus, pages: bool = True) -> Alert:
    at = T0 + timedelta(days=number, hours=1)
    return Alert(
        alert_id=f"alr-{number:04d}",
        fingerprint=f"fp-{number}",
        title=f"alert {number}",
        source=AlertSource.JOURNEY,
        status=status,
        pages=pages,
        started_at=at,
        first_seen=at,
        last_seen=at,
    )


@pytest.fixture
def history(aws):
    table = Table(get_settings().table_name)
    incidents = IncidentStore(table)
    incidents.create(incident(1, detect_s=60, ack_s=120, resolve_s=1800))
    incidents.create(incident(2, detect_s=180, ack_s=600, resolve_s=5400))
    incidents.create(incident(3, detect_s=120, ack_s=60, resolve_s=None))  # still open
    incidents.create(incident(-30, detect_s=1, ack_s=1, resolve_s=1))  # before --since
    for number, status, pages in [
        (1, AlertStatus.RESOLVED, True),
        (2, AlertStatus.FALSE_ALARM, True),
        (3, AlertStatus.ACKNOWLEDGED, True),
        (4, AlertStatus.RESOLVED, True),
        (5, AlertStatus.RESOLVED, False),  # recorded only (silenced): not in the false-alarm rate
    ]:
        item = alert(number, status, pages)
        table.dynamodb.put_item(
            TableName=table.name,
            Item=model_item(
                item,
                pk=alert_pk(item.alert_id),
                sk=ALERT_SK,
                gsi1pk=CLOSED_ALERTS,
                gsi1sk=f"{iso(item.started_at)}#{item.alert_id}",
            ),
        )
    actions = ActionStore(table)
    actions.open(
        "Write the runbook",
        owner="U0WISEN01",
        incident_id="INC-0001",
        alert_id=None,
        source="missing-runbook",
        by=None,
        now=T0,
    )
    actions.open(
        "Fix the alarm",
        owner=None,
        incident_id=None,
        alert_id="alr-0002",
        source="false-alarm",
        by=None,
        now=T0,
        due=date(2026, 3, 1),
    )
    done = actions.open(
        "Announce",
        owner="U0ALASTAIR",
        incident_id="INC-0001",
        alert_id=None,
        source="manual",
        by="U0ALASTAIR",
        now=T0,
    )
    actions.mark_done(done.action_id, "U0ALASTAIR", T0)
    return table


def test_report_as_json(history, capsys):
    assert run_report(argparse.Namespace(since="2026-01-01", json=True), now=NOW) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["incident_id"] for row in report["incidents"]] == ["INC-0001", "INC-0002", "INC-0003"]
    assert (report["alerts"], report["false_alarms"], report["false_alarm_rate"]) == (4, 1, 0.25)
    assert report["median_time_to_detect_s"] == 120.0  # 60, 180, 120
    assert report["median_time_to_acknowledge_s"] == 120.0  # 120, 600, 60
    assert report["median_time_to_resolve_s"] == 3600.0  # 1800, 5400 (the open one has none)
    assert [(a["text"], a["overdue"]) for a in report["open_action_items"]] == [
        ("Write the runbook", True),
        ("Fix the alarm", False),
    ]


def test_report_as_text_through_incidentctl(history, capsys, tmp_path):
    chart = tmp_path / "report.png"
    assert main(["incidents", "report", "--since", "2026-01-01T00:00:00Z", "--chart", str(chart)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Incidents since Thu 01 Jan 2026 00:00:00 GMT: 3\n")
    assert "INC-0002" in text and "incident 2" in text
    assert "False-alarm rate: 25% (1 of 4 paging alerts)" in text
    assert "Median time to resolve:     1 h 00 min" in text
    assert "Open action items (P0, before product work): 2" in text


def test_report_default_window_and_empty_table(aws, capsys):
    assert main(["incidents", "report", "--no-chart"]) == 0
    text = capsys.readouterr().out
    assert ": 0\n" in text.splitlines()[0] + "\n"
    assert "False-alarm rate: no alerts (0 of 0 paging alerts)" in text


@pytest.mark.parametrize(
    ("since", "error"), [("last tuesday", "not an ISO date"), ("2999-01-01", "in the future")]
)
def test_bad_since_is_a_clear_error(aws, capsys, since, error):
    assert main(["incidents", "report", "--since", since]) == 2
    assert error in capsys.readouterr().err


def test_compile_puts_postmortem_requested_on_the_bus_for_the_compiler(history, capsys):
    # The template's own rule for the compiler, wired to a queue in moto (as the deployed bus is).
    suite = LocalSuite(get_settings().bus_name).wire()
    assert main(["incidents", "compile", "INC-0001", "--by", "U0ALASTAIR"]) == 0
    queue = suite._queues["PostmortemCompilerFunction"]
    (message,) = client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert (event["detail-type"], event["source"]) == ("PostmortemRequested", "incident-suite")
    assert event["detail"]["incident_id"] == "INC-0001"
    assert event["detail"]["requested_by"] == "U0ALASTAIR"


def test_compile_of_an_unknown_incident_says_so(aws, capsys):
    assert main(["incidents", "compile", "INC-nope"]) == 2
    assert "there is no incident 'INC-nope'" in capsys.readouterr().err


def test_the_chart_is_drawn_from_the_recorded_incidents(history, capsys, tmp_path):
    """incidentctl draws medians by month from the incidents in the table, and sparklines of them."""
    from incident_core.actions.store import ActionStore
    from incident_core.alerts.store import AlertStore
    from incident_core.cli.report_chart import draw_report_chart
    from incident_core.postmortem.report import build_report
    from incident_core.postmortem.trend import monthly

    chart = tmp_path / "report.png"
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert run_report(argparse.Namespace(since="2026-01-01", json=False, chart=str(chart)), now=NOW) == 0
    text = capsys.readouterr().out
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert f"Chart: {chart}" in text
    assert "By month, 2026-01 to 2026-03" in text  # one action item is due in March
    # January's medians only (2 min, 60 min); February and March had no incident: blanks, not zeros.
    assert "  time to acknowledge ▁    (latest 2 min in 2026-01)" in text
    assert "  time to resolve     ▁    (latest 60 min in 2026-01)" in text
    assert "  open P0 items due   █▁█  (2 open, 1 overdue)" in text

    table = history
    report = build_report(
        IncidentStore(table).list_since(since),
        AlertStore(table).list_since(since),
        ActionStore(table).list_open(),
        since=since,
        now=NOW,
    )
    months = monthly(report)
    assert [(m.month, m.incidents) for m in months] == [("2026-01", 3), ("2026-02", 0), ("2026-03", 0)]
    figure = draw_report_chart(months, tmp_path / "again.png")
    times, items = figure.axes
    lines = {line.get_label(): [str(y) for y in line.get_ydata()] for line in times.get_lines()}
    # Minutes, January only; February and March had no incident: gaps in the lines, not zeros.
    assert lines["median time to acknowledge"] == ["2.0", "nan", "nan"]
    assert lines["median time to resolve"] == ["60.0", "nan", "nan"]  # 1800 s and 5400 s; INC-0003 is open
    bars = [patch.get_height() for patch in items.patches]
    # Open P0 items by month due: the runbook (January, overdue), the alarm fix (March).
    assert bars == [0, 0, 1, 1, 0, 0]  # not yet due: Jan, Feb, Mar; then overdue: Jan, Feb, Mar


def test_without_matplotlib_the_report_says_how_to_install_it(history, capsys, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    code = run_report(
        argparse.Namespace(since="2026-01-01", json=False, chart=str(tmp_path / "r.png")), now=NOW
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "Open action items (P0, before product work): 2" in out  # the text report is still there
    assert "pip install 'matplotlib>=3.9'" in err and "--no-chart" in err
    assert not (tmp_path / "r.png").exists()
