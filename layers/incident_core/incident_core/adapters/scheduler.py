"""EventBridge Scheduler: one-time schedules that put an event on the suite's bus at a set time.

Held pages and re-pages are such schedules (`at(...)`, deleted after they run). Names are deterministic,
so creating the same schedule twice (a retried invocation) is harmless: the second create is a conflict
that means "already there".
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from incident_core.adapters.aws import client
from incident_core.events import SuiteEvent

# Scheduler needs a time in the future; anything due sooner runs one minute from now.
MINIMUM_LEAD = timedelta(minutes=1)


class Scheduler(Protocol):
    def schedule(self, name: str, at: datetime, event: SuiteEvent, now: datetime) -> datetime:
        """Put `event` on the bus at `at` (or soon after); return the time actually scheduled."""
        ...


class EventBridgeScheduler:
    def __init__(
        self,
        group: str,
        role_arn: str,
        bus_arn: str,
        source: str,
        dead_letter_arn: str = "",
        scheduler_client: Any | None = None,
    ) -> None:
        if not (role_arn and bus_arn):
            raise ValueError("EventBridge Scheduler needs SCHEDULER_ROLE_ARN and BUS_ARN")
        self.group = group
        self.role_arn = role_arn
        self.bus_arn = bus_arn
        self.source = source
        self.dead_letter_arn = dead_letter_arn
        self._client = scheduler_client

    def schedule(self, name: str, at: datetime, event: SuiteEvent, now: datetime) -> datetime:
        at = max(at, now + MINIMUM_LEAD).astimezone(UTC).replace(microsecond=0)
        target: dict[str, Any] = {
            "Arn": self.bus_arn,
            "RoleArn": self.role_arn,
            "Input": event.model_dump_json(),
            "EventBridgeParameters": {"DetailType": event.detail_type, "Source": self.source},
            # Scheduler keeps trying for a day; after that the event goes to the dead-letter queue.
            "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
        }
        if self.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.dead_letter_arn}
        scheduler = self._client or client("scheduler")
        # A conflict means an earlier attempt created it: the same name is the same page and time.
        with contextlib.suppress(scheduler.exceptions.ConflictException):
            scheduler.create_schedule(
                Name=name,
                GroupName=self.group,
                ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target=target,
                Description=f"{event.detail_type} for the incident suite",
            )
        return at
