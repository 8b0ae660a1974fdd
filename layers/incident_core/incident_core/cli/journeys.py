"""incidentctl journeys ... (being built)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    commands.add_parser("journeys", help="(being built)")
