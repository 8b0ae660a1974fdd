"""Benchmark for the post-incident area.

- Compiling a 1,000-reply thread in-process against the local fake Slack (goal: at most 2 s): reading
  every page over HTTP with slack_sdk, cleaning it, looking up names, and compiling the Markdown.
- The same through the whole service against moto (table, S3) as the function runs it: read incident,
  timeline, actions, publish to S3, post the link; reported beside it, no goal.
- Cold starts of the post-mortem compiler and the action reminder beside the baseline handler
  (goal: median at most 1.15 times the baseline's, measured in the same run).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.coldstart import ROOT, compare_with_baseline

REPLIES = 1000
GOAL_SECONDS = 2.0
COMPILER = str(ROOT / "functions" / "postmortem_compiler" / "app.py")
REMINDER = str(ROOT / "functions" / "action_reminder" / "app.py")
CHANNEL = "C0INCIDENTS"
ROOT_TS = "1768298887.000100"
PEOPLE = ("U0ALASTAIR", "U0WISEN01", "U0PRIYA001", "U0TOMAS001")
START = datetime(2026, 1, 13, 10, 8, 7, tzinfo=UTC)


def _thread(replies: int) -> list[dict[str, Any]]:
    """A long incident thread: people talking, some edits and files, other bots and joins mixed in."""
    from stand_ins.fake_slack import FakeSlack

    messages: list[dict[str, Any]] = [
        {"type": "message", "ts": ROOT_TS, "text": "live state", "user": FakeSlack.BOT_USER_ID,
         "bot_id": FakeSlack.BOT_ID, "thread_ts": ROOT_TS}
    ]  # fmt: skip
    for n in range(replies):
        ts = f"{int(START.timestamp()) + 5 * (n + 1)}.{n:06d}"
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "thread_ts": ROOT_TS,
            "user": PEOPLE[n % len(PEOPLE)],
            "text": f"Update {n}: checked <https://example.com/logs/{n}|the logs>, "
            f"<@{PEOPLE[(n + 1) % len(PEOPLE)]}> over to you",
        }
        if n % 10 == 3:
            message["edited"] = {
                "user": message["user"],
                "ts": f"{int(START.timestamp()) + 5 * n + 4}.000000",
            }
        if n % 25 == 7:
            message["files"] = [{"id": f"F{n:05d}", "name": f"graph-{n}.png", "permalink": f"https://f/{n}"}]
        if n % 20 == 11:
            message.update(subtype="bot_message", bot_id="B0DEPLOYBT", username="deploy-bot")
        if n % 50 == 17:
            message.update(subtype="channel_join")
        messages.append(message)
    return messages


def _incident() -> Any:
    from incident_core.models import Incident

    return Incident(
        incident_id="INC-bench0001",
        title="Book viewing button missing",
        declared_by="U0ALASTAIR",
        lead="U0ALASTAIR",
        started_at=START - timedelta(minutes=6),
        detected_at=START - timedelta(minutes=5),
        acknowledged_at=START - timedelta(minutes=2),
        declared_at=START,
        resolved_at=START + timedelta(hours=2),
        channel=CHANNEL,
        thread_ts=ROOT_TS,
        journeys=["book-viewing"],
    )


def _timeline(incident: Any, thread: list[dict[str, Any]]) -> list[Any]:
    """What the incident thread recorded: its system entries and every person's reply."""
    from incident_core.models import TimelineEntry, TimelineKind

    entries = [
        TimelineEntry(
            incident_id=incident.incident_id,
            at=incident.declared_at,
            kind=TimelineKind.SYSTEM,
            text="Incident declared by <@U0ALASTAIR>",
            key="declared",
        )
    ]
    for message in thread[1:]:
        if message.get("subtype"):
            continue
        entries.append(
            TimelineEntry(
                incident_id=incident.incident_id,
                at=datetime.fromtimestamp(float(message["ts"]), UTC),
                kind=TimelineKind.MESSAGE,
                text=message["text"],
                author=message["user"],
                slack_ts=message["ts"],
                key=f"msg-{message['ts']}",
            )
        )
    return entries


def _read_and_compile(fake_slack: Any, incident: Any, timeline: list[Any]) -> tuple[float, int]:
    """Seconds for one compilation from the fake Slack, as the service does it (fresh name cache)."""
    from incident_core.adapters.slack import web_client
    from incident_core.postmortem.compile import DocumentInputs, compile_document
    from incident_core.postmortem.service import SlackReader
    from incident_core.postmortem.thread import clean_thread, fetch_thread, user_ids_in
    from incident_core.settings import Settings

    start = time.perf_counter()
    reader = SlackReader(web_client(Settings(SLACK_API_URL=fake_slack.url), "xoxb-bench-placeholder"))
    fetched = fetch_thread(reader, CHANNEL, ROOT_TS)
    reading = clean_thread(fetched.raw, ROOT_TS, reader.suite_bot_ids(), fetched.problems)
    ids = {m.author for m in reading.messages} | {u for m in reading.messages for u in user_ids_in(m.text)}
    names = reader.names(ids)
    compiled = compile_document(
        DocumentInputs(incident=incident, timeline=timeline, thread=reading, names=names), datetime.now(UTC)
    )
    elapsed = time.perf_counter() - start
    assert fetched.complete and len(reading.messages) > REPLIES * 0.9, "the bench thread was not read whole"
    return elapsed, len(compiled.markdown)


def _compile_1000_replies(repeats: int = 5) -> dict[str, Any]:
    from stand_ins.fake_slack import FakeSlack

    fake_slack = FakeSlack().start()
    try:
        thread = _thread(REPLIES)
        fake_slack.load_messages(CHANNEL, thread)
        for person in PEOPLE:
            fake_slack.state.users[person] = {"real_name": person.title(), "display_name": person[3:].title()}
        incident = _incident()
        timeline = _timeline(incident, thread)
        runs = [_read_and_compile(fake_slack, incident, timeline) for _ in range(repeats)]
        pages = len(fake_slack.calls("conversations.replies")) // repeats
    finally:
        fake_slack.stop()
    seconds = [elapsed for elapsed, _ in runs]
    return {
        "replies": REPLIES,
        "slack_pages": pages,
        "document_bytes": runs[-1][1],
        "median_s": round(statistics.median(seconds), 3),
        "max_s": round(max(seconds), 3),
        "goal_s": GOAL_SECONDS,
        "within_goal": max(seconds) <= GOAL_SECONDS,
    }


def _journey_runs(table: Any, incident: Any) -> int:
    """The watched journey's runs around the incident, as the runner stores them: passing before it started,
    failing until it was resolved, passing after (the document reads when it failed and recovered)."""
    from incident_core.journeys.results import Attempt, JourneyResult, StepResult
    from incident_core.journeys.store import JourneyStore

    store, moments = JourneyStore(table), []
    at = incident.started_at - timedelta(minutes=3)
    while at <= incident.resolved_at + timedelta(minutes=3):
        moments.append(at)
        at += timedelta(minutes=5)
    for number, at in enumerate(moments):
        ok = not (incident.started_at <= at <= incident.resolved_at)
        step = StepResult(
            name="click-book-viewing",
            kind="http",
            outcome="passed" if ok else "failed",
            ms=120.0,
            reason="" if ok else "no 'Book viewing' button on the page",
        )
        attempt = Attempt(ok=ok, duration_ms=120.0, steps=[step])
        run = JourneyResult(
            journey="book-viewing", kind="http", run_id=f"run-{number}", ran_at=at, attempts=[attempt]
        )
        store.record(run, at)
    return len(moments)


def _service_end_to_end() -> dict[str, Any]:
    """The whole PostmortemService (moto table and bucket, fake Slack): the function's work, in-process."""
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.aws import client, reset_clients
    from incident_core.adapters.dynamo import Table
    from incident_core.adapters.publishers import S3Publisher
    from incident_core.adapters.slack import Slack, web_client
    from incident_core.incidents.store import IncidentStore
    from incident_core.postmortem.service import PostmortemService, SlackReader
    from incident_core.postmortem.store import DynamoJourneyResults, PostmortemRecords
    from incident_core.settings import Settings
    from stand_ins.aws import MotoServer, create_tables
    from stand_ins.fake_slack import FakeSlack

    saved = dict(os.environ)
    moto = MotoServer().start()
    fake_slack = FakeSlack().start()
    try:
        os.environ.update(moto.env)
        reset_clients()
        create_tables(client("dynamodb"), {"Table": "bench", "IdempotencyTable": "bench-idempotency"})
        s3 = client("s3")
        s3.create_bucket(Bucket="bench-docs", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        s3.put_bucket_versioning(Bucket="bench-docs", VersioningConfiguration={"Status": "Enabled"})
        thread = _thread(REPLIES)
        fake_slack.load_messages(CHANNEL, thread)
        incident = _incident()
        table = Table("bench")
        incidents = IncidentStore(table)
        timeline = _timeline(incident, thread)
        incidents.create(incident, timeline[:40])
        for entry in timeline[40:]:
            incidents.add_timeline(entry)
        journey_runs = _journey_runs(table, incident)
        web = web_client(Settings(SLACK_API_URL=fake_slack.url), "xoxb-bench-placeholder")
        service = PostmortemService(
            incidents=incidents,
            actions=ActionStore(table),
            records=PostmortemRecords(table),
            publishers=[S3Publisher("bench-docs")],
            slack=Slack(web),
            threads=SlackReader(web),
            next_business_day=lambda day: day + timedelta(days=1),
            journeys=DynamoJourneyResults(table),
        )
        start = time.perf_counter()
        result = service.compile(incident.incident_id, datetime.now(UTC), resolved_by="U0ALASTAIR")
        elapsed = time.perf_counter() - start
        assert result.version == 1 and not result.problems, result.problems
    finally:
        fake_slack.stop()
        moto.stop()
        os.environ.clear()
        os.environ.update(saved)
        reset_clients()
    return {
        "replies": REPLIES,
        "timeline_entries": len(timeline),
        "journey_runs": journey_runs,
        "seconds": round(elapsed, 3),
    }


def run() -> dict:
    return {
        "compile_1000_reply_thread": _compile_1000_replies(),
        "service_end_to_end_moto": _service_end_to_end(),
        "postmortem_compiler_cold_start": compare_with_baseline(COMPILER, runs=10),
        "action_reminder_cold_start": compare_with_baseline(REMINDER, runs=10),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
