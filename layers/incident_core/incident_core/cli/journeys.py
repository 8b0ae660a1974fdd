"""incidentctl journeys validate|run: write and debug journeys on your machine before deploying them.

Exit status: 0 when the file is good / every journey passed, 1 when a journey failed, 2 for a bad file
(every problem is listed, each with its journey, step and field), 3 when no journey failed but some could
not be checked through a fault of the runner itself (no chromium, a secret unreadable: see faults.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from incident_core.journeys.config import JourneysFile

DEFAULT_FILE = "config/journeys.yaml, from this folder up"
EXIT_OK, EXIT_FAILED, EXIT_BAD_FILE, EXIT_NOT_CHECKED = 0, 1, 2, 3


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("journeys", help="validate and run synthetic journeys from this machine")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    validate = actions.add_parser("validate", help="check a journeys file and list every problem")
    _file_arguments(validate)
    validate.set_defaults(run=validate_command)

    run = actions.add_parser("run", help="run journeys now and print a per-step report")
    _file_arguments(run)
    run.add_argument("--journey", action="append", metavar="NAME", help="run only this journey (repeatable)")
    run.add_argument("--json", action="store_true", help="print the results as JSON")
    run.add_argument("--no-retry", action="store_true", help="do not re-run a failed journey to confirm it")
    run.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="keep screenshots and failed responses here (default: a folder under the system temp dir)",
    )
    run.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="time for the whole run")
    run.set_defaults(run=run_command)


def _file_arguments(parser: argparse.ArgumentParser) -> None:
    from incident_core.cli.project import config_argument

    parser.add_argument("file", nargs="?", help=f"journeys file (default: {DEFAULT_FILE})")
    config_argument(parser)
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a value declared under `vars:` (beats the environment and the file)",
    )


def _overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"--var {pair!r}: write NAME=VALUE")
        overrides[name] = value
    return overrides


def _load(args: argparse.Namespace) -> JourneysFile | None:
    from incident_core.cli.project import ConfigNotFound, config_file
    from incident_core.journeys.loader import JourneyFileError, load_journeys_file

    try:
        args.file = args.file or config_file(args, "journeys.yaml")
        return load_journeys_file(args.file, _overrides(args.var))
    except (JourneyFileError, ConfigNotFound) as error:
        print(str(error), file=sys.stderr)
        return None


def validate_command(args: argparse.Namespace) -> int:
    journeys = _load(args)
    if journeys is None:
        return EXIT_BAD_FILE
    kinds = ", ".join(f"{j.name} ({j.kind}, every {j.every_minutes}m)" for j in journeys.journeys)
    print(f"{args.file}: {len(journeys.journeys)} journey(s) OK" + (f": {kinds}" if kinds else ""))
    return EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    from incident_core.journeys.engine import JourneyRunner, run_journeys
    from incident_core.journeys.evidence import DirectoryEvidence
    from incident_core.journeys.report import render_json, render_text
    from incident_core.journeys.templating import PowertoolsSecrets

    journeys = _load(args)
    if journeys is None:
        return EXIT_BAD_FILE
    chosen = journeys.journeys
    if args.journey:
        known = {j.name for j in journeys.journeys}
        unknown = [name for name in args.journey if name not in known]
        if unknown:
            print(
                f"no journey named {', '.join(unknown)} in {args.file} (it has: {', '.join(sorted(known))})",
                file=sys.stderr,
            )
            return EXIT_BAD_FILE
        chosen = [j for j in journeys.journeys if j.name in args.journey]
    evidence_dir = Path(args.evidence_dir or Path(tempfile.gettempdir()) / "incidentctl-evidence")
    runner = JourneyRunner(secrets=PowertoolsSecrets(), evidence=DirectoryEvidence(evidence_dir))
    results = run_journeys(
        runner, chosen, now=datetime.now(UTC), time_budget_s=args.timeout, confirm=not args.no_retry
    )
    print(render_json(results) if args.json else render_text(results))
    outcomes = {result.outcome for result in results}
    if "failed" in outcomes:
        return EXIT_FAILED
    return EXIT_NOT_CHECKED if "runner-fault" in outcomes else EXIT_OK
