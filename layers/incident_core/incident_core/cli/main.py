"""Entry point of `incidentctl`. Each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

# Command groups, in the order an incident flows through the suite.
GROUPS = ("journeys", "policy", "traction", "silence", "incidents", "dashboard")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidentctl", description=__doc__)
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
