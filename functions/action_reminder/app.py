"""Business days at 09:30 London (EventBridge Scheduler): remind #incidents and each owner of the open
and overdue action items, until they are done. Weekends are not scheduled; holidays are skipped here."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from incident_core.clock import utc_now

logger = Logger()
SLACK_TIMEOUT = 10  # seconds; a post whose answer never comes is looked for in Slack


class ReminderTrigger(BaseModel):
    """The schedule's input: `{"scheduled_time": "<aws.scheduler.scheduled-time>"}` (see template.yaml).

    The scheduled time, not the clock, decides the day, so a late retry still reminds for its own day.
    """

    scheduled_time: datetime | None = None


@cache
def dependencies() -> tuple[Any, Any, str]:
    """The store, Slack and channel, made on first use (the Slack secret is read then) and kept."""
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.slack import Slack
    from incident_core.settings import get_settings

    settings = get_settings()
    # No client-level re-post of an unknown outcome: reminders are looked for in Slack first.
    slack = Slack.from_settings(settings, resend_unknown=False, timeout=SLACK_TIMEOUT)
    return ActionStore.from_settings(settings), slack, settings.incidents_channel


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from incident_core.actions.reminders import remind

    trigger = ReminderTrigger.model_validate(event or {})
    now = trigger.scheduled_time or utc_now()
    store, slack, channel = dependencies()
    # The claim on the day lasts as long as this invocation can: Lambda's timeout skips any clean-up.
    lease_until = utc_now() + timedelta(milliseconds=context.get_remaining_time_in_millis())
    outcome = remind(store, slack, channel, now, lease_until)
    logger.info("action item reminder", **outcome)
    return outcome
