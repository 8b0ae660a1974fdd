"""Entry point of `incidentctl`. Each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

# Command groups, in the order an incident flows through the suite, then the deployed stack's checks.
GROUPS = (
    "journeys",
    "policy",
    "traction",
    "silence",
    "incidents",
    "alerts",
    "dashboard",
    "doctor",
    "drill",
    "deploys",
)

DESCRIPTION = """\
Run incident-suite from your machine: check journeys and the support-hours policy before deploying,
set traction moments and silences, read the incident history, and check a deployed stack (doctor)
or send a drill alert through it (drill).

Files are read from the project's config/ folder, found from the current folder upwards (or --config).
Commands that use the deployed stack need AWS credentials; `incidentctl COMMAND --help` for each."""


def build_parser() -> argparse.ArgumentParser:
    from incident_core.cli.project import config_argument

    parser = argparse.ArgumentParser(
        prog="incidentctl", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    config_argument(parser, top_level=True)
    commands = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for group in GROUPS:
        import_module(f"incident_core.cli.{group}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Each subcommand sets `run`, which returns the exit status.
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
