"""The whole incident through the real handlers (demo.incident.Rehearsal): moto server, the fake Slack and
Zoom HTTP APIs, fake status pages and the bookshop, with the suite bus wired from template.yaml.

Each step asserts the state in DynamoDB, the events the bus delivered, the Slack calls and, at the end,
the compiled incident document. Then the same failure at 2 a.m. on a Saturday: held until Monday 09:00
London time in business as usual, and both standby people paged at once in a traction moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.incident import CHANNEL, Rehearsal, TractionMoment
from incident_core.actions.store import ActionStore
from incident_core.adapters.aws import client
from incident_core.alerts.store import AlertStore
from incident_core.incidents.store import IncidentStore
from incident_core.models import ActionStatus, AlertStatus, IncidentStatus, TimelineKind
from incident_core.settings import get_settings

ALASTAIR, WISEN = "U0ALASTAIR", "U0WISEN"  # their Slack ids in config/policy.yaml
TUESDAY_10AM_LONDON = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # GMT in November
SATURDAY_2AM_LONDON = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
MONDAY_9AM_LONDON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DOCUMENT_SECTIONS = (
    "## Summary",
    "## Impact",
    "## Key instants and durations",
    "## Responders",
    "## Timeline",
    "## What the checklist found",
    "## War room",
    "## Action items",
    "# Post-mortem:",
    "## Why: contributing causes",
    "## What went well",
    "## What went badly",
    "## Where we were lucky",
)


def dm_channel(user: str) -> str:
    return "D" + user.removeprefix("U")[:10]


def delivered(rehearsal: Rehearsal) -> list[tuple[str, str]]:
    return [(function, event["detail-type"]) for function, event in rehearsal.suite.delivered]


def mentions(message: dict, user: str) -> bool:
    return f"<@{user}>" in str(message.get("text")) + str(message.get("blocks"))


@pytest.fixture
def rehearsal(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Rehearsal]:
    start, traction = getattr(request, "param", (TUESDAY_10AM_LONDON, []))
    with Rehearsal(start=start, workdir=tmp_path, traction=traction) as played:
        yield played


def break_the_button(rehearsal: Rehearsal) -> None:
    """The journeys pass; the button disappears 35 s later; the next scheduled run confirms it."""
    assert rehearsal.tick()["failed"] == []
    rehearsal.advance(seconds=35)
    rehearsal.shop.remove_button()
    rehearsal.advance(seconds=25)
    outcome = rehearsal.tick()
    assert outcome["failed"] == ["browse-catalogue"]
    assert outcome["announced"] == ["JourneyFailed browse-catalogue"]


def test_the_whole_incident_from_failing_journey_to_post_mortem(rehearsal: Rehearsal) -> None:
    slack, zoom = rehearsal.slack, rehearsal.zoom
    alerts, incidents = AlertStore.from_settings(), IncidentStore.from_settings()

    # Detect: the runner confirms the failure; the router gets JourneyFailed and pages Alastair.
    break_the_button(rehearsal)
    assert delivered(rehearsal) == [("AlertRouterFunction", "JourneyFailed")]
    (alert,) = alerts.list_open()
    assert alert.journey == "browse-catalogue" and alert.status == AlertStatus.OPEN
    assert [m["text"] for m in slack.messages(dm_channel(ALASTAIR))], "Alastair gets a direct message"
    assert slack.messages(dm_channel(WISEN)) == [], "business hours: only the always-alerted person"
    page = rehearsal.page_message()
    assert page is not None and mentions(page, ALASTAIR)

    # Validate: acknowledge, then real incident.
    rehearsal.advance(minutes=2)
    rehearsal.click("alert_acknowledge", alert.alert_id, page, ALASTAIR)
    assert alerts.get(alert.alert_id).status == AlertStatus.ACKNOWLEDGED
    rehearsal.click("alert_real_incident", alert.alert_id, rehearsal.page_message() or page, ALASTAIR)
    assert (rehearsal.alastair, rehearsal.wisen) == (ALASTAIR, WISEN)
    (incident,) = incidents.list_open()
    assert incident.alert_id == alert.alert_id and incident.journeys == ["browse-catalogue"]
    assert ("IncidentThreadFunction", "IncidentDeclared") in delivered(rehearsal)

    # The thread: root message, war room, checklist.
    assert incident.channel == CHANNEL and incident.thread_ts
    assert incident.war_room_url == zoom.meetings()[0]["join_url"]
    thread = slack.thread(CHANNEL, incident.thread_ts)
    assert incident.incident_id in str(thread[0]["blocks"])
    assert any("Checklist" in str(m.get("blocks") or m["text"]) for m in thread[1:])
    system = [e.text for e in incidents.timeline(incident.incident_id) if e.kind == TimelineKind.SYSTEM]
    for expected in ("raised", "paged", "acknowledged", "declared", "Zoom"):
        assert any(expected in text for text in system), f"timeline has no '{expected}' entry: {system}"

    # People reply; the reply lands in the timeline with its author.
    rehearsal.advance(minutes=2)
    rehearsal.reply(incident.thread_ts, "The button is missing from the book page.", ALASTAIR)
    rehearsal.command(f"update {incident.incident_id} Reverting the frontend deploy", ALASTAIR)
    replies = [e for e in incidents.timeline(incident.incident_id) if e.kind == TimelineKind.MESSAGE]
    assert [(e.author, e.text) for e in replies] == [(ALASTAIR, "The button is missing from the book page.")]
    assert incidents.get(incident.incident_id).latest_update == "Reverting the frontend deploy"
    root_edits = [c for c in slack.calls("chat.update") if c.args.get("ts") == incident.thread_ts]
    assert any("Reverting the frontend deploy" in str(c.args.get("blocks")) for c in root_edits)

    # Repair: the journey recovers; the alert resolves; the thread hears it.
    rehearsal.advance(minutes=6)
    rehearsal.shop.repair()
    assert rehearsal.tick()["announced"] == ["JourneyRecovered browse-catalogue"]
    assert alerts.get(alert.alert_id).status == AlertStatus.RESOLVED
    assert ("IncidentThreadFunction", "JourneyRecovered") in delivered(rehearsal)

    # Resolve: IncidentResolved -> the document and post-mortem; then an action item.
    rehearsal.advance(minutes=3)
    rehearsal.command(f"resolve {incident.incident_id}", ALASTAIR)
    resolved = incidents.get(incident.incident_id)
    assert resolved.status == IncidentStatus.RESOLVED
    assert resolved.resolved_at == TUESDAY_10AM_LONDON + timedelta(minutes=14)
    assert ("PostmortemCompilerFunction", "IncidentResolved") in delivered(rehearsal)
    rehearsal.command(
        f"action {incident.incident_id} Check the button after each deploy <@{WISEN}>", ALASTAIR
    )
    opened = [a for a in ActionStore.from_settings().list_open() if a.owner == WISEN]
    assert [(a.text, a.priority, a.status, a.incident_id) for a in opened] == [
        ("Check the button after each deploy", "P0", ActionStatus.OPEN, incident.incident_id)
    ]

    # The item is an issue in the team's GitHub repository (the tracker sync, from ActionItemChanged).
    (issue,) = rehearsal.github.issues()
    assert [a["login"] for a in issue["assignees"]] == ["wisen-gh"]
    assert {label["name"] for label in issue["labels"]} == {"incident", "P0"}
    assert opened[0].action_id in issue["body"] and incident.thread_ts.replace(".", "") in issue["body"]

    (document,) = rehearsal.download_documents()
    text = document.read_text()
    assert f"[issue #{issue['number']}]({issue['html_url']}) open" in text
    for section in DOCUMENT_SECTIONS:
        assert section in text, f"the document has no '{section}'"
    assert "The button is missing from the book page." in text
    assert "| Time to acknowledge | 2 min 00 s | detected → acknowledged (" in text
    assert "<!date" not in text
    bucket = get_settings().documents_bucket
    versions = client("s3").list_object_versions(Bucket=bucket)["Versions"]
    # Two versions of the document (compiled at the resolution, and again once the action item's issue was
    # made, so that it links it), and the failing step's whole response kept next to it (the evidence
    # bucket expires it after 30 days; the document links the copy).
    keys = sorted(version["Key"] for version in versions)
    evidence = [key for key in keys if "/evidence/" in key]
    pictures = [key for key in keys if "/pictures/" in key]
    assert keys[:2] == [f"incidents/{document.stem}.md"] * 2 and len(keys) == 2 + len(evidence) + len(
        pictures
    )
    assert len(evidence) == 1 and evidence[0].startswith(f"incidents/{document.stem}/evidence/responses/")
    assert evidence[0] in text
    # The pictures of the incident window beside the document, linked from it, posted in the thread once.
    names = ("errors", "journeys", "latency", "traffic")  # the bookshop plays an HTTP API (no Lambda, table)
    # (drawn again with the document's second version: the window's right margin has filled in since)
    assert sorted(set(pictures)) == [f"incidents/{document.stem}/pictures/{name}.png" for name in names]
    assert all(f"]({key.removeprefix('incidents/')})" in text for key in pictures)
    (shared,) = [m for m in slack.thread(CHANNEL, incident.thread_ts) if m.get("files")]
    assert shared["text"].startswith("📈 The incident window in pictures")
    assert sorted(f["name"] for f in shared["files"]) == [f"{document.stem}-{name}.png" for name in names]
    assert any(
        document.name in str(m.get("blocks") or m["text"]) for m in slack.thread(CHANNEL, incident.thread_ts)
    )

    # Wisen closes the issue on GitHub: the webhook marks the item done and says so in the thread.
    rehearsal.github_change(issue["number"], "wisen-gh", "closed", state="closed")
    assert ActionStore.from_settings().get(opened[0].action_id).status == ActionStatus.DONE
    said = [m for m in slack.thread(CHANNEL, incident.thread_ts) if "is done" in m["text"]]
    assert len(said) == 1 and issue["html_url"] in said[0]["text"]
    (document,) = rehearsal.download_documents()
    assert f"[issue #{issue['number']}]({issue['html_url']}) closed" in document.read_text()


@pytest.mark.parametrize("rehearsal", [(SATURDAY_2AM_LONDON, [])], indirect=True)
def test_at_2am_on_a_saturday_the_page_is_held_until_monday_9am(rehearsal: Rehearsal) -> None:
    slack = rehearsal.slack
    break_the_button(rehearsal)
    (alert,) = AlertStore.from_settings().list_open()
    post = rehearsal.page_message()
    assert post is not None and not mentions(post, ALASTAIR), "posted to the channel without a mention"
    assert slack.messages(dm_channel(ALASTAIR)) == [], "nobody is woken"
    assert rehearsal.suite.next_schedule_at("incident-suite-demo-pages") == MONDAY_9AM_LONDON

    rehearsal.advance(hours=30)  # Sunday morning: still held
    assert slack.messages(dm_channel(ALASTAIR)) == []
    rehearsal.advance(seconds=(MONDAY_9AM_LONDON - rehearsal.now).total_seconds())
    (dm,) = slack.messages(dm_channel(ALASTAIR))
    assert datetime.fromtimestamp(float(dm["ts"]), UTC) == MONDAY_9AM_LONDON
    assert ("AlertRouterFunction", "PageDue") in delivered(rehearsal)
    assert AlertStore.from_settings().get(alert.alert_id).status == AlertStatus.OPEN


LAUNCH = TractionMoment(
    SATURDAY_2AM_LONDON - timedelta(days=1), SATURDAY_2AM_LONDON + timedelta(days=2), "launch"
)


@pytest.mark.parametrize("rehearsal", [(SATURDAY_2AM_LONDON, [LAUNCH])], indirect=True)
def test_at_2am_on_a_saturday_in_a_traction_moment_both_standby_people_are_paged(
    rehearsal: Rehearsal,
) -> None:
    slack = rehearsal.slack
    break_the_button(rehearsal)
    assert len(slack.messages(dm_channel(ALASTAIR))) == 1
    assert len(slack.messages(dm_channel(WISEN))) == 1
    post = rehearsal.page_message()
    assert post is not None and mentions(post, ALASTAIR) and mentions(post, WISEN)
    # The plan's phone call comes first, at +3 minutes; the re-page follows at +5.
    assert rehearsal.suite.next_schedule_at("incident-suite-demo-pages") == rehearsal.now + timedelta(
        minutes=3
    )
