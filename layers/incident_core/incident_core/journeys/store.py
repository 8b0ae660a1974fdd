"""Journey results and states in the suite's single DynamoDB table.

Keys (docs/architecture-journeys.md):
- JOURNEY#<name> / RUN#<iso>#<run_id>: one run's steps, timings and outcome; expires (TTL expires_at):
  passing runs after RESULT_TTL_DAYS, failures and state changes after KEEP_FOR_POSTMORTEM.
- JOURNEY#<name> / STATE: passing or failing since when, and an announcement waiting for the bus.
  gsi1: JOURNEYS / <name> lists every journey's state.

A run that changes nothing is one write (batched with the other journeys' runs). A change of state
writes the STATE item too, in one transaction with the run, conditional on the version that was read:
of two racing runners, one wins and announces; the other re-reads, sees no change left to make, and
stays quiet.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.dynamo import Table, deserialize, serialize
from incident_core.concurrency import ContextThreadPool
from incident_core.journeys.results import JourneyResult
from incident_core.journeys.state import Decision, JourneyState, next_state

STATE_SK = "STATE"
RUN_PREFIX = "RUN#"
LISTING_PK = "JOURNEYS"
MAX_RACES = 3
MAX_BATCH_TRIES = 5
# As long as alerts (alerts/store.py KEEP_ALERTS) and the incidents that refer to them.
KEEP_FOR_POSTMORTEM = timedelta(days=400)


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
        current = self._states_of({result.journey}).get(result.journey)
        return self._keep(result, next_state(current, result, now), current, now)

    def record_all(self, results: Sequence[JourneyResult], now: datetime) -> list[Decision | Exception]:
        """`record` for one run of many journeys, in few calls: one BatchGetItem reads their states,
        BatchWriteItem keeps the runs that change nothing, and each change of state is its own
        transaction. Returns each result's decision, or the error that kept it from being recorded."""
        try:
            current = self._states_of({result.journey for result in results})
        except Exception as error:  # nothing could be read: nothing is decided
            return [error for _ in results]
        decisions = [next_state(current.get(result.journey), result, now) for result in results]
        outcomes: dict[int, Decision | Exception] = {}
        changes = [(i, r, d) for i, (r, d) in enumerate(zip(results, decisions, strict=True)) if d.state]
        if changes:
            # Changes are rare, except when a whole site goes down (or on the first run of new journeys):
            # then each journey's transaction goes in parallel.
            with ContextThreadPool(max_workers=min(32, len(changes)), thread_name_prefix="state") as pool:
                futures = {
                    index: pool.submit(self._change, result, decision, current.get(result.journey), now)
                    for index, result, decision in changes
                }
                outcomes = {index: future.result() for index, future in futures.items()}
        quiet = [(i, r) for i, (r, d) in enumerate(zip(results, decisions, strict=True)) if d.state is None]
        failed = self._put_runs([result for _, result in quiet])
        for index, result in quiet:
            outcomes[index] = failed.get(id(result), decisions[index])
        return [outcomes[index] for index in range(len(results))]

    def _change(
        self, result: JourneyResult, decision: Decision, current: JourneyState | None, now: datetime
    ) -> Decision | Exception:
        try:
            return self._keep(result, decision, current, now)
        except Exception as error:
            return error

    def _keep(
        self, result: JourneyResult, decision: Decision, current: JourneyState | None, now: datetime
    ) -> Decision:
        """Keep the run, and the state `decision` moves to, conditional on the `current` state it was
        decided on. When another runner moved the state since (a lost race), decide again on the state
        read afresh, with BatchGetItem like every read of the runners: their roles have no GetItem."""
        for _ in range(MAX_RACES):
            if decision.state is None:
                self._put_run(result)
                return decision
            try:
                self._put_run_and_state(result, decision.state, current)
                return decision
            except self.table.dynamodb.exceptions.TransactionCanceledException as error:
                if not _lost_race(error):
                    raise
            current = self._states_of({result.journey}).get(result.journey)
            decision = next_state(current, result, now)
        raise RuntimeError(f"journey {result.journey}: state kept changing under {MAX_RACES} tries")

    def _states_of(self, journeys: set[str]) -> dict[str, JourneyState]:
        states: dict[str, JourneyState] = {}
        names = sorted(journeys)
        for start in range(0, len(names), 100):  # BatchGetItem takes at most 100 keys
            keys = [
                serialize({"pk": journey_pk(name), "sk": STATE_SK}) for name in names[start : start + 100]
            ]
            request: dict[str, Any] = {self.table.name: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(MAX_BATCH_TRIES):
                response = self.table.dynamodb.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table.name, []):
                    state = JourneyState.model_validate(deserialize(item))
                    states[state.journey] = state
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB left journey states unread after retries")
        return states

    def _put_runs(self, results: list[JourneyResult]) -> dict[int, Exception]:
        """Write runs 25 at a time (BatchWriteItem's limit); return the error of each run not written."""
        failed: dict[int, Exception] = {}
        for start in range(0, len(results), 25):
            batch = results[start : start + 25]
            writes = [{"PutRequest": {"Item": self._run_item(result)}} for result in batch]
            request: dict[str, Any] = {self.table.name: writes}
            try:
                for attempt in range(MAX_BATCH_TRIES):
                    request = self.table.dynamodb.batch_write_item(RequestItems=request).get(
                        "UnprocessedItems"
                    )
                    if not request:
                        break
                    time.sleep(0.05 * 2**attempt)
                else:
                    raise RuntimeError("DynamoDB left runs unwritten after retries")
            except Exception as error:
                failed.update({id(result): error for result in batch})
        return failed

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

    def _run_item(self, result: JourneyResult, changes_state: bool = False) -> dict[str, Any]:
        failed = result.failed_step
        # What a post-mortem reads (the failures, the run that changed the state: first failure, time to
        # detect, recovery) is kept as long as the alerts and incidents that refer to it; the many
        # passing runs only for the usual window.
        keep = KEEP_FOR_POSTMORTEM if changes_state or not result.ok else self.ttl
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
                # The runner failed, not the site: this run is no check of the site (faults.py).
                "runner_fault": result.runner_fault is not None,
                # The whole result (both attempts, every step) as JSON: one attribute, read back whole.
                "result": result.model_dump_json(),
                "expires_at": int((result.ran_at + keep).timestamp()),
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
                # A change of a known state (a failure, a recovery) is what a post-mortem reads.
                {"Put": {"TableName": self.table.name, "Item": self._run_item(result, current is not None)}},
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
