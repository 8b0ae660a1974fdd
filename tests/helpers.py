"""Helpers tests import (`from tests.helpers import documented`)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENTED = FIXTURES / "documented"


def documented(name: str) -> dict:
    """A payload exactly as AWS, Slack or Zoom document it (see fixtures/documented/SOURCES.md)."""
    return json.loads((DOCUMENTED / name).read_text())


def documented_text(name: str) -> str:
    return (DOCUMENTED / name).read_text()
