"""incidentctl dashboard ... (being built)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    commands.add_parser("dashboard", help="(being built)")
