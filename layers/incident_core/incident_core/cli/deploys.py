"""incidentctl deploys record: a deploy marker (DeployFinished) on the stack's bus, from CI or by hand."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def register(commands: argparse._SubParsersAction) -> None:
    from incident_core.cli.stack import stack_argument

    parser = commands.add_parser(
        "deploys",
        help="record a deploy marker (what was deployed, by whom) for the incident checklist",
        description="Deploy markers tell the incident checklist what changed, beside CloudFormation and "
        "CloudTrail. With --revert-hook, a responder's Revert in an incident thread POSTs a signed request "
        "there (docs/revert.md).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    record = actions.add_parser("record", help="put a DeployFinished event on the stack's bus")
    stack_argument(record)
    record.add_argument(
        "--service", required=True, help="what was deployed (as journeys' `services` name it)"
    )
    record.add_argument("--version", required=True, help="the version deployed")
    record.add_argument("--previous-version", help="the version it replaced (what a revert goes back to)")
    record.add_argument("--commit", required=True, help="the commit deployed (hex, 7-40 characters)")
    record.add_argument("--author", required=True, help="who deployed it")
    record.add_argument("--revert-hook", help="https URL that deploys --previous-version when called")
    record.set_defaults(run=run_record)


def run_record(args: argparse.Namespace, now: datetime | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError
    from pydantic import ValidationError

    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.cli.stack import Stack
    from incident_core.events import DeployFinished
    from incident_core.settings import get_settings

    try:
        marker = DeployFinished(
            service=args.service,
            version=args.version,
            previous_version=args.previous_version,
            commit=args.commit.lower(),
            author=args.author,
            finished_at=now or datetime.now(UTC),
            revert_hook=args.revert_hook,
        )
    except ValidationError as error:
        wrong = "; ".join(
            f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}" for e in error.errors()
        )
        print(f"deploys record: {wrong}", file=sys.stderr)
        return 2
    try:
        stack = Stack.read(args.stack)
        EventBridgeBus(stack.outputs["EventBusName"], get_settings().event_source).put(marker)
    except (ClientError, BotoCoreError, KeyError) as error:
        print(f"deploys record: could not put the marker on the stack's bus ({error})", file=sys.stderr)
        return 1
    moved = f"{marker.previous_version or '?'} -> {marker.version}"
    print(f"recorded: {marker.service} {moved} ({marker.commit[:7]})")
    return 0
