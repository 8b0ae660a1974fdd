"""Action items into the team's tracker (policy `tracker:`; GitHub Issues).

- ActionItemChanged (bus): the item's issue made, or brought in step (Done in Slack closes it).
- `{"run": "pending", "scheduled_time": ...}` (every 15 minutes): issues of items still pending made (the
  tracker was down, rate limiting or refusing).
- `{"run": "reconcile", "scheduled_time": ...}` (nightly): every item checked against its issue, catching
  what a missed webhook left behind.

The tracker down, slow or rate limiting: the item is kept in the table, pending, and the next 15-minute run
makes its issue (an outage is neither an error of this function nor a dead letter).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from incident_core.adapters.trackers import TrackerUnavailable
from incident_core.clock import utc_now
from incident_core.envelopes import EventBridgeModel
from incident_core.events import ActionItemChanged
from incident_core.settings import get_settings

logger = Logger()


class ScheduledRun(BaseModel):
    run: Literal["pending", "reconcile"]
    scheduled_time: datetime | None = None


@cache
def sync() -> Any:
    from incident_core.actions.tracker_wiring import tracker_sync

    return tracker_sync(get_settings())


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    syncer = sync()
    if syncer is None:
        return {"synced": False, "why": "the policy names no tracker"}
    if "detail-type" in event:
        changed = ActionItemChanged.model_validate(EventBridgeModel.model_validate(event).detail)
        item = syncer.store.get(changed.action_id)
        if item is None:
            return {"synced": False, "why": f"no action item {changed.action_id}"}
        try:
            outcome = syncer.push(item, utc_now())
        except TrackerUnavailable as error:
            # Kept, pending: the 15-minute run makes the issue once GitHub answers (an outage is not an
            # error of this function, nor a dead letter).
            logger.warning("tracker unavailable; the item stays pending", action_id=item.action_id)
            return {"synced": False, "outcomes": {item.action_id: f"later: {error}"}}
        logger.info("action item synced", action_id=item.action_id, outcome=outcome)
        return {"synced": True, "outcomes": {item.action_id: outcome}}
    run = ScheduledRun.model_validate(event)
    now = utc_now()
    outcomes = syncer.reconcile(now) if run.run == "reconcile" else syncer.pending(now)
    logger.info("tracker run", run=run.run, outcomes=outcomes)
    return {"synced": True, "run": run.run, "outcomes": outcomes}
