"""The recorded post-incident fixtures (tests/fixtures/postmortem/*.json) as the compiler's inputs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from incident_core.models import ActionItem, Alert, Incident, TimelineEntry
from incident_core.postmortem.compile import DocumentInputs
from incident_core.postmortem.journeys import JourneyRun
from incident_core.postmortem.thread import clean_thread

POSTMORTEM_FIXTURES = Path(__file__).parent / "fixtures" / "postmortem"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((POSTMORTEM_FIXTURES / f"{name}.json").read_text())


def journey_runs(fixture: dict[str, Any]) -> list[JourneyRun]:
    return [
        JourneyRun(
            journey=run["journey"],
            at=datetime.fromisoformat(run["at"]),
            ok=run["ok"],
            step=run.get("step"),
            reason=run.get("reason", ""),
            run_id=run["run_id"],
        )
        for run in fixture["journey_runs"]
    ]


def inputs_from_fixture(fixture: dict[str, Any], thread_raw: list[dict] | None = None) -> DocumentInputs:
    """The compile function's inputs exactly as the recording has them (the thread cleaned as read)."""
    incident = Incident.model_validate(fixture["incident"])
    raw = fixture["thread"] if thread_raw is None else thread_raw
    return DocumentInputs(
        incident=incident,
        timeline=[TimelineEntry.model_validate(entry) for entry in fixture["timeline"]],
        thread=clean_thread(raw, incident.thread_ts, set(fixture["suite_bot_ids"])),
        alert=Alert.model_validate(fixture["alert"]),
        journey_runs=journey_runs(fixture),
        actions=[ActionItem.model_validate(action) for action in fixture["actions"]],
        names=fixture["names"],
        resolved_by=fixture["resolved_by"],
    )


def now_of(fixture: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(fixture["now"])


# --------------------------------------------------------------------- the same recording, stored
def seed_fixture(fixture: dict[str, Any], fake_slack: Any) -> dict[str, str]:
    """Store the recording where the compiler reads it (moto's table, the fake Slack's thread) through
    each area's own store. Returns {fixture action id: stored action id}."""
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.dynamo import Table, model_item
    from incident_core.alerts.keys import ALERT_SK, CLOSED_ALERTS, alert_pk, iso
    from incident_core.incidents.store import IncidentStore
    from incident_core.journeys.results import Attempt, JourneyResult, StepResult
    from incident_core.journeys.store import JourneyStore
    from incident_core.settings import get_settings

    table = Table(get_settings().table_name)
    incident = Incident.model_validate(fixture["incident"])
    timeline = [TimelineEntry.model_validate(entry) for entry in fixture["timeline"]]
    IncidentStore(table).create(incident, timeline)

    alert = Alert.model_validate(fixture["alert"])
    table.dynamodb.put_item(
        TableName=table.name,
        Item=model_item(
            alert,
            pk=alert_pk(alert.alert_id),
            sk=ALERT_SK,
            gsi1pk=CLOSED_ALERTS,
            gsi1sk=f"{iso(alert.started_at)}#{alert.alert_id}",
        ),
    )

    journeys = JourneyStore(table)
    for run in journey_runs(fixture):
        steps = [StepResult(name="open-book-page", kind="http", outcome="passed", ms=120.0)]
        steps.append(
            StepResult(
                name="click-book-viewing",
                kind="browser",
                outcome="passed" if run.ok else "failed",
                ms=800.0,
                reason=run.reason,
            )
        )
        result = JourneyResult(
            journey=run.journey,
            kind="browser",
            run_id=run.run_id,
            ran_at=run.at,
            attempts=[Attempt(ok=run.ok, duration_ms=920.0, steps=steps)],
        )
        journeys.record(result, run.at)

    actions = ActionStore(table)
    stored_ids = {}
    for raw in fixture["actions"]:
        action = ActionItem.model_validate(raw)
        stored = actions.open(
            action.text,
            owner=action.owner,
            incident_id=action.incident_id,
            alert_id=action.alert_id,
            source=action.source,
            by=action.created_by,
            now=action.created_at,
            due=action.due,
        )
        if action.done_at:
            actions.mark_done(stored.action_id, action.done_by, action.done_at)
        stored_ids[action.action_id] = stored.action_id

    fake_slack.load_messages(fixture["channel"], fixture["thread"])
    for user_id, name in fixture["names"].items():
        fake_slack.state.users[user_id] = {"real_name": f"{name} Example", "display_name": name}
    return stored_ids
