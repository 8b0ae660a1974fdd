"""Short, time-sortable identifiers (millisecond timestamp + randomness), readable in Slack."""

from __future__ import annotations

import secrets
from datetime import datetime


def new_id(prefix: str, now: datetime) -> str:
    return f"{prefix}-{int(now.timestamp() * 1000):012x}{secrets.token_hex(3)}"
