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
