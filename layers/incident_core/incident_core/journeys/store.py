"""Journey results and states in the suite's single DynamoDB table.

Keys (docs/architecture-journeys.md):
- JOURNEY#<name> / RUN#<iso>#<run_id>: one run's steps, timings and outcome; expires (TTL expires_at).
- JOURNEY#<name> / STATE: passing or failing since when, and an announcement waiting for the bus.
  gsi1: JOURNEYS / <name> lists every journey's state.

Every run is recorded with one write. Only a change of state writes the STATE item too, in the same
transaction as the run, conditional on the version that was read: of two racing runners, one wins and
announces; the other re-reads, sees no change left to make, and stays quiet.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.dynamo import Table, serialize
from incident_core.journeys.results import JourneyResult
from incident_core.journeys.state import Decision, JourneyState, next_state

STATE_SK = "STATE"
RUN_PREFIX = "RUN#"
LISTING_PK = "JOURNEYS"
MAX_RACES = 3


def journey_pk(name: str) -> str:
    return f"JOURNEY#{name}"


def run_sk(result: JourneyResult) -> str:
    return f"{RUN_PREFIX}{result.ran_at.isoformat()}#{result.run_id}"


class JourneyStore:
    def __init__(self, table: Table, ttl_days: int = 14) -> None:
        self.table = table
        self.ttl = timedelta(days=ttl_days)

    # ------------------------------------------------------------------ writes
    def record(self, result: JourneyResult, now: datetime) -> Decision:
        """Keep the run; move the journey's state if the run changes it. The returned decision's
        `announce` events are for the bus; then call `announced`."""
        for _ in range(MAX_RACES):
            current = self.state(result.journey)
            decision = next_state(current, result, now)
            if decision.state is None:
                self._put_run(result)
                return decision
            try:
                self._put_run_and_state(result, decision.state, current)
                return decision
            except self.table.dynamodb.exceptions.TransactionCanceledException as error:
                if not _lost_race(error):
                    raise
        raise RuntimeError(f"journey {result.journey}: state kept changing under {MAX_RACES} tries")

    def announced(self, journey: str, version: int) -> None:
        """The bus has the pending event of this state version: clear it (unless the state moved on)."""
        # If the condition fails, a newer state replaced this one, with its own pending slot.
        with contextlib.suppress(self.table.dynamodb.exceptions.ConditionalCheckFailedException):
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": journey_pk(journey), "sk": STATE_SK}),
                UpdateExpression="REMOVE pending_event, pending_since",
                ConditionExpression="version = :version",
                ExpressionAttributeValues=serialize({":version": version}),
            )

    def _run_item(self, result: JourneyResult) -> dict[str, Any]:
        failed = result.failed_step
        return serialize(
            {
                "pk": journey_pk(result.journey),
                "sk": run_sk(result),
                "journey": result.journey,
                "run_id": result.run_id,
                "ran_at": result.ran_at.isoformat(),
                "ok": result.ok,
                "duration_ms": round(result.duration_ms, 1),
                "failing_step": failed.name if failed else None,
                "reason": failed.reason if failed else None,
                # The whole result (both attempts, every step) as JSON: one attribute, read back whole.
                "result": result.model_dump_json(),
                "expires_at": int((result.ran_at + self.ttl).timestamp()),
            }
        )

    def _put_run(self, result: JourneyResult) -> None:
        self.table.dynamodb.put_item(TableName=self.table.name, Item=self._run_item(result))

    def _put_run_and_state(
        self, result: JourneyResult, state: JourneyState, current: JourneyState | None
    ) -> None:
        state_item = serialize(
            {
                **state.model_dump(mode="json"),
                "pk": journey_pk(state.journey),
                "sk": STATE_SK,
                "gsi1pk": LISTING_PK,
                "gsi1sk": state.journey,
            }
        )
        if current is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": serialize({":version": current.version}),
            }
        self.table.dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table.name, "Item": self._run_item(result)}},
                {"Put": {"TableName": self.table.name, "Item": state_item, **condition}},
            ]
        )

    # ------------------------------------------------------------------ reads
    def state(self, journey: str) -> JourneyState | None:
        item = self.table.get(journey_pk(journey), STATE_SK)
        return JourneyState.model_validate(item) if item else None

    def states(self) -> list[JourneyState]:
        """Every journey's state, by name (gsi1 is eventually consistent: fine for listings)."""
        return [JourneyState.model_validate(item) for item in self.table.query(LISTING_PK, index="gsi1")]

    def runs(self, journey: str, limit: int = 20) -> list[JourneyResult]:
        """The journey's latest runs, newest first."""
        items = self.table.query(journey_pk(journey), RUN_PREFIX, forward=False, limit=limit)
        return [JourneyResult.model_validate(json.loads(item["result"])) for item in items]


def _lost_race(error: Any) -> bool:
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
