"""incidentctl traction: the stored traction windows (extended support hours, set case by case).

incidentctl traction add --start 2026-12-01T18:00:00Z --end 2026-12-03T09:00:00Z --label "launch ads"
incidentctl traction list [--all] [--json]
incidentctl traction end WINDOW_ID
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from incident_core.cli.policy import current_user, fail, iso_z, parse_instant, policy_store


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("traction", help="traction windows: extended support hours (DynamoDB)")
    sub = parser.add_subparsers(dest="traction_command", required=True, metavar="SUBCOMMAND")

    add = sub.add_parser(
        "add", help="add a window; off business hours inside it, Alastair and Wisen are paged"
    )
    add.add_argument("--start", required=True, help="ISO-8601 with a time zone, e.g. 2026-12-01T18:00:00Z")
    add.add_argument("--end", required=True, help="ISO-8601 with a time zone")
    add.add_argument("--label", required=True, help="what the traction is, e.g. 'Christmas ads campaign'")
    add.add_argument("--by", default=current_user(), help="who sets it (default: your user name)")
    add.set_defaults(run=run_add)

    listing = sub.add_parser("list", help="current and future windows")
    listing.add_argument("--all", action="store_true", help="include windows that have ended")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_list)

    end = sub.add_parser("end", help="end a window now (one not started yet is cancelled)")
    end.add_argument("window_id")
    end.set_defaults(run=run_end)


def run_add(args: argparse.Namespace, now: datetime | None = None) -> int:
    from incident_core.policy.store import PolicyError

    try:
        start, end = parse_instant(args.start, "--start"), parse_instant(args.end, "--end")
        window = policy_store().add_traction(start, end, args.label, args.by, now or datetime.now(UTC))
    except (ValueError, PolicyError) as error:
        return fail("traction add", str(error))
    print(f"{window.window_id}: {window.label}, {iso_z(window.start)} to {iso_z(window.end)}")
    return 0


def run_list(args: argparse.Namespace, now: datetime | None = None) -> int:
    windows = policy_store().list_traction(now or datetime.now(UTC), include_past=args.all)
    if args.json:
        print(json.dumps([w.model_dump(mode="json") for w in windows], indent=2))
        return 0
    if not windows:
        print("no traction windows" + ("" if args.all else " now or ahead"))
    for window in windows:
        print(f"{window.window_id}  {iso_z(window.start)} -> {iso_z(window.end)}  {window.label}")
    return 0


def run_end(args: argparse.Namespace, now: datetime | None = None) -> int:
    from incident_core.policy.store import PolicyError

    try:
        window = policy_store().end_traction(args.window_id, now or datetime.now(UTC))
    except PolicyError as error:
        return fail("traction end", str(error))
    print(f"{window.window_id}: ended ({window.label})")
    return 0
