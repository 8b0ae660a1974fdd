"""incidentctl silence: maintenance windows. Matching alerts are recorded, not paged, until the end.

incidentctl silence add --match book-viewing --for 2h --reason "database upgrade"
incidentctl silence add --match "incident-bookshop-*" --end 2026-12-01T22:00:00Z --reason "..."
incidentctl silence list [--json]
incidentctl silence end SILENCE_ID
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from incident_core.cli.policy import current_user, fail, iso_z, parse_duration, parse_instant, policy_store


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("silence", help="maintenance windows: record, do not page, matching alerts")
    sub = parser.add_subparsers(dest="silence_command", required=True, metavar="SUBCOMMAND")

    add = sub.add_parser("add", help="silence a journey or alarm (name, or prefix ending in *) until a time")
    add.add_argument("--match", required=True, help="journey or alarm name; 'prefix*' matches a prefix")
    until = add.add_mutually_exclusive_group(required=True)
    until.add_argument("--end", help="ISO-8601 with a time zone")
    until.add_argument("--for", dest="duration", help="how long from now: 90m, 2h, 1d, 1h30m")
    add.add_argument("--reason", required=True, help="the planned change, e.g. 'database upgrade'")
    add.add_argument("--by", default=current_user(), help="who sets it (default: your user name)")
    add.set_defaults(run=run_add)

    listing = sub.add_parser("list", help="silences that have not ended")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_list)

    end = sub.add_parser("end", help="end a silence now")
    end.add_argument("silence_id")
    end.set_defaults(run=run_end)


def run_add(args: argparse.Namespace, now: datetime | None = None) -> int:
    from incident_core.policy.store import PolicyError

    now = now or datetime.now(UTC)
    try:
        end = parse_instant(args.end, "--end") if args.end else now + parse_duration(args.duration)
        silence = policy_store().add_silence(args.match, end, args.reason, args.by, now)
    except (ValueError, PolicyError) as error:
        return fail("silence add", str(error))
    print(f"{silence.silence_id}: '{silence.match}' silenced until {iso_z(silence.end)} ({silence.reason})")
    return 0


def run_list(args: argparse.Namespace, now: datetime | None = None) -> int:
    silences = policy_store().list_silences(now or datetime.now(UTC))
    if args.json:
        print(json.dumps([s.model_dump(mode="json") for s in silences], indent=2))
        return 0
    if not silences:
        print("no silences")
    for silence in silences:
        print(f"{silence.silence_id}  {silence.match}  until {iso_z(silence.end)}  {silence.reason}")
    return 0


def run_end(args: argparse.Namespace, now: datetime | None = None) -> int:
    from incident_core.policy.store import PolicyError

    try:
        silence = policy_store().end_silence(args.silence_id, now or datetime.now(UTC))
    except PolicyError as error:
        return fail("silence end", str(error))
    print(f"{silence.silence_id}: ended ('{silence.match}')")
    return 0
