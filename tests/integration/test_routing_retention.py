"""What a post-mortem needs is kept: an incident open 20 days and compiled again at day 40 still finds its
journey's first failure (time to detect) and its recovery, after DynamoDB's TTL has removed what it
may (simulated: every item whose `expires_at` has passed is deleted, as DynamoDB's TTL does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incident_core.adapters.dynamo import Table, serialize
from incident_core.journeys.results import Attempt, JourneyResult, StepResult
from incident_core.journeys.store import JourneyStore
from incident_core.postmortem.store import DynamoJourneyResults
from incident_core.settings import get_settings

DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(at: datetime, ok: bool) -> JourneyResult:
    step = StepResult(
        name="click-book-viewing",
        kind="browser",
        outcome="passed" if ok else "failed",
        ms=800.0,
        reason="" if ok else "button 'Book viewing' not found",
    )
    return JourneyResult(
        journey="book-viewing",
        kind="browser",
        run_id=f"run-{at:%Y%m%d%H%M}",
        ran_at=at,
        attempts=[Attempt(ok=ok, duration_ms=920.0, steps=[step])],
    )


def expire_as_dynamodb_would(table: Table, now: datetime) -> int:
    removed = 0
    for page in table.dynamodb.get_paginator("scan").paginate(TableName=table.name):
        for item in page["Items"]:
            if "expires_at" in item and int(item["expires_at"]["N"]) < now.timestamp():
                key = {"pk": item["pk"]["S"], "sk": item["sk"]["S"]}
                table.dynamodb.delete_item(TableName=table.name, Key=serialize(key))
                removed += 1
    return removed


def test_an_incident_open_20_days_compiled_again_at_day_40_still_has_its_first_failure_and_recovery(aws):
    table = Table(get_settings().table_name)
    journeys = JourneyStore(table)
    journeys.record(run(DAY0 - timedelta(hours=1), ok=True), DAY0 - timedelta(hours=1))
    for day in range(20):  # failing every day of the incident (one run a day stands for every minute)
        at = DAY0 + timedelta(days=day)
        journeys.record(run(at, ok=False), at)
    recovered = DAY0 + timedelta(days=20)
    journeys.record(run(recovered, ok=True), recovered)
    journeys.record(run(recovered + timedelta(hours=1), ok=True), recovered + timedelta(hours=1))

    assert expire_as_dynamodb_would(table, DAY0 + timedelta(days=40)) > 0  # passing runs do expire
    runs = DynamoJourneyResults(table).runs("book-viewing", DAY0 - timedelta(days=1), recovered)

    failures = [r for r in runs if not r.ok]
    assert len(failures) == 20
    assert failures[0].at == DAY0  # the first failure: time to detect is still known
    # The run that recovered it is kept; the passing runs around the incident expired as usual.
    assert [r.at for r in runs if r.ok] == [recovered]
