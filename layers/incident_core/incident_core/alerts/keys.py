"""DynamoDB keys of the routing area and the one timestamp format they sort by.

ALERT#<alert_id> / ALERT            the alert (gsi1: ALERTS#open or ALERTS#closed, by start time)
ALERT#<alert_id> / PAGE#<page_id>   a page (intent, claim, deliveries)
ALERT#<alert_id> / EVENT#<iso>#<h>  the alert's history, one line each
FP#<fingerprint> / OPEN             the fingerprint's lock: `alert_id` of its one open alert (absent when
                                    none), `resolved_at` of its last one (older ALARM deliveries are ignored)
AWSHEALTH / <iso>#<arn>             an AWS Health event, a fact for the incident checklist
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime


def iso(at: datetime) -> str:
    """Fixed-width UTC ISO-8601 (microseconds, Z): stored times that conditions compare, and sort keys,
    order correctly as text."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alert_pk(alert_id: str) -> str:
    return f"ALERT#{alert_id}"


ALERT_SK = "ALERT"
PAGE_PREFIX = "PAGE#"
EVENT_PREFIX = "EVENT#"
OPEN_ALERTS = "ALERTS#open"
CLOSED_ALERTS = "ALERTS#closed"


def fingerprint_pk(fingerprint: str) -> str:
    return f"FP#{fingerprint}"


def event_sk(at: datetime, what: str) -> str:
    # The same line written twice at the same instant (a retried invocation) lands on the same item.
    return f"{EVENT_PREFIX}{iso(at)}#{hashlib.sha256(what.encode()).hexdigest()[:8]}"
