from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class ActionItem(BaseModel):
    """Post-incident follow-up. Always P0: the policy puts it above product development."""

    action_id: str
    text: str
    owner: str | None = None  # Slack user id
    due: date
    status: ActionStatus = ActionStatus.OPEN
    priority: str = "P0"
    incident_id: str | None = None
    alert_id: str | None = None
    source: str = "manual"  # manual | false-alarm | missing-runbook | post-mortem
    created_at: datetime
    created_by: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    # Its issue in the team's tracker (policy `tracker:`); no issue yet while the tracker is pending.
    tracker_issue: int | None = None
    tracker_url: str | None = None
    tracker_state: str | None = None  # the issue's state when last seen: "open" | "closed"
    tracker_error: str | None = None  # why the last try failed (the item stays pending until it works)
    tracker_retry_at: datetime | None = None  # a rate limit's end: no try before
    tracker_failure_said: bool = False  # a lasting failure was said in the incident's thread

    @property
    def tracker_pending(self) -> bool:
        return self.tracker_issue is None
