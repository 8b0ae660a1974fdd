"""incidentctl incidents: the history (report) and re-compiling an incident's document (compile)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

DEFAULT_REPORT_DAYS = 90
DEFAULT_CHART = "incidents-report.png"


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "incidents", help="incident history, false alarms, action items; post-mortems"
    )
    sub = parser.add_subparsers(dest="incidents_command", required=True, metavar="SUBCOMMAND")

    report = sub.add_parser(
        "report",
        help="incidents, false-alarm rate, median time to detect/acknowledge/resolve, open action items",
    )
    report.add_argument(
        "--since",
        help=f"ISO date (midnight London) or datetime; default {DEFAULT_REPORT_DAYS} days ago",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument(
        "--chart",
        help=f"where to draw the chart by month (PNG; needs matplotlib); default {DEFAULT_CHART}, "
        "none with --json unless named",
    )
    report.add_argument("--no-chart", action="store_true", help="no chart, the text (and sparklines) only")
    report.set_defaults(run=run_report)

    compile_ = sub.add_parser(
        "compile", help="compile an incident's document again (new replies since): a new version"
    )
    compile_.add_argument("incident_id", help="e.g. INC-019bb7a0d5b07e41aa")
    compile_.add_argument("--by", default="incidentctl", help="who asks (shown in the logs)")
    compile_.set_defaults(run=run_compile)


def run_report(args: argparse.Namespace, now: datetime | None = None) -> int:
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.dynamo import Table
    from incident_core.alerts.store import AlertStore
    from incident_core.incidents.store import IncidentStore
    from incident_core.postmortem.report import build_report, parse_since, render_text
    from incident_core.settings import get_settings

    now = now or datetime.now(UTC)
    try:
        since = parse_since(args.since, now) if args.since else now - timedelta(days=DEFAULT_REPORT_DAYS)
    except ValueError as error:
        print(f"incidentctl incidents report: {error}", file=sys.stderr)
        return 2
    table = Table(get_settings().table_name)
    report = build_report(
        IncidentStore(table).list_since(since),
        AlertStore(table).list_since(since),
        ActionStore(table).list_open(),
        since=since,
        now=now,
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(render_text(report), end="")
    return _chart(args, report)


def _chart(args: argparse.Namespace, report: object) -> int:
    """The chart by month (a PNG) and, with the text, its sparklines."""
    from pathlib import Path

    from incident_core.postmortem.trend import monthly, render_sparklines

    months = monthly(report)  # type: ignore[arg-type]
    if not getattr(args, "json", False):
        print("\n" + render_sparklines(months), end="")
    named = getattr(args, "chart", None)
    if getattr(args, "no_chart", False) or (getattr(args, "json", False) and not named):
        return 0
    from incident_core.cli.report_chart import ChartUnavailable, draw_report_chart

    path = Path(named or DEFAULT_CHART)
    try:
        draw_report_chart(months, path)
    except ChartUnavailable as error:
        print(f"incidentctl incidents report: {error}", file=sys.stderr)
        return 1
    if not getattr(args, "json", False):
        print(f"Chart: {path}")
    return 0


def run_compile(args: argparse.Namespace) -> int:
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.events import PostmortemRequested
    from incident_core.incidents.store import IncidentStore
    from incident_core.settings import get_settings

    settings = get_settings()
    incident_id = args.incident_id.strip()
    if IncidentStore.from_settings(settings).get(incident_id) is None:
        print(f"incidentctl incidents compile: there is no incident {incident_id!r}", file=sys.stderr)
        return 2
    EventBridgeBus(settings.bus_name, settings.event_source).put(
        PostmortemRequested(incident_id=incident_id, requested_at=datetime.now(UTC), requested_by=args.by)
    )
    print(f"Asked for a new compilation of {incident_id}; its link in the thread shows the new version.")
    return 0
