"""Slack Connect: people of another organisation in a shared incidents channel, through the real Slack
app handler with signed Events API deliveries. Their replies, edits and deletions are refused (unless the
policy names their workspace), and each refused delivery is answered 200 and dropped: Slack retries any
other answer, and turns off an app's events after enough failures."""

from __future__ import annotations

import json
import logging

import pytest

from incident_core.incidents.store import IncidentStore
from incident_core.settings import get_settings
from stand_ins.slack_requests import TEAM, events_body, thread_message_body
from tests.slack_support import ALASTAIR, CHANNEL, SlackApp, page_alert

OUTSIDER = "U0OUTSIDER"
OTHER_TEAM = "T0OTHERORG"
THREAD = "1700000000.000100"
REPLY_TS = "1700000001.000200"


@pytest.fixture
def app(aws, fake_slack, monkeypatch) -> SlackApp:
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    get_settings.cache_clear()
    return SlackApp.start(fake_slack)


@pytest.fixture
def incident(app, fake_slack):
    alert, page = page_alert(fake_slack)
    app.click("alert_real_incident", alert.alert_id, page, user=ALASTAIR)
    (declared,) = IncidentStore.from_settings().list_open()
    IncidentStore.from_settings().link_thread(declared.incident_id, CHANNEL, THREAD)
    return declared


def outsiders_reply() -> dict:
    body = json.loads(thread_message_body(CHANNEL, THREAD, REPLY_TS, OUTSIDER, "hi from outside", "Ev1"))
    body["event"].update(user_team=OTHER_TEAM, source_team=OTHER_TEAM)
    return body["event"]


def outsiders_edit(text: str) -> dict:
    """As Slack sends it: the author's workspace only inside `message`; the delivery is the receiver's."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": CHANNEL,
        "ts": "1700000030.000300",
        "event_ts": "1700000030.000300",
        "message": {
            "type": "message",
            "user": OUTSIDER,
            "team": OTHER_TEAM,
            "user_team": OTHER_TEAM,
            "source_team": OTHER_TEAM,
            "text": text,
            "ts": REPLY_TS,
            "thread_ts": THREAD,
            "edited": {"user": OUTSIDER, "ts": "1700000030.000300"},
        },
        "previous_message": {"type": "message", "user": OUTSIDER, "ts": REPLY_TS, "thread_ts": THREAD},
    }


def outsiders_deletion() -> dict:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": CHANNEL,
        "ts": "1700000060.000400",
        "event_ts": "1700000060.000400",
        "deleted_ts": REPLY_TS,
        "previous_message": {
            "type": "message",
            "user": OUTSIDER,
            "team": OTHER_TEAM,
            "user_team": OTHER_TEAM,
            "text": "hi from outside",
            "ts": REPLY_TS,
            "thread_ts": THREAD,
        },
    }


def timeline_slack_ts(incident) -> list[str | None]:
    return [entry.slack_ts for entry in IncidentStore.from_settings().timeline(incident.incident_id)]


def test_a_reply_from_another_organisation_is_answered_200_and_dropped_with_a_log_line(app, incident, caplog):
    caplog.set_level(logging.INFO)
    answer = app.event(events_body(outsiders_reply(), "Ev1"))
    assert answer["statusCode"] == 200
    assert REPLY_TS not in timeline_slack_ts(incident)
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused a thread reply")]
    assert refused and OTHER_TEAM in refused[0] and OUTSIDER in refused[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_their_edit_and_deletion_are_refused_like_their_reply(app, incident, caplog):
    caplog.set_level(logging.INFO)
    assert app.event(events_body(outsiders_reply(), "Ev1"))["statusCode"] == 200
    assert app.event(events_body(outsiders_edit("hi, edited into the timeline"), "Ev2"))["statusCode"] == 200
    assert app.event(events_body(outsiders_deletion(), "Ev3"))["statusCode"] == 200

    entries = IncidentStore.from_settings().timeline(incident.incident_id)
    assert REPLY_TS not in [e.slack_ts for e in entries]
    assert OUTSIDER not in [e.author for e in entries]
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused ")]
    assert len(refusals) == 3 and all(OTHER_TEAM in message for message in refusals)


def test_an_edit_in_the_installed_workspace_is_still_recorded(app, incident):
    event = json.loads(thread_message_body(CHANNEL, THREAD, REPLY_TS, ALASTAIR, "deploy 41", "Ev1"))["event"]
    app.event(events_body(event, "Ev1"))
    edit = outsiders_edit("deploy 42")
    for where in (edit["message"], edit["previous_message"]):
        where.update(user=ALASTAIR, team=TEAM, user_team=TEAM, source_team=TEAM)
    assert app.event(events_body(edit, "Ev2"))["statusCode"] == 200
    texts = [e.text for e in IncidentStore.from_settings().timeline(incident.incident_id)]
    assert "deploy 42" in texts and "deploy 41" not in texts
