"""The suite tried as an attacker would, through the real Slack app handler: signed requests from a
workspace member who is not one of the policy's people, from a responder, from another workspace."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incident_core.actions.store import ActionStore
from incident_core.alerts.store import AlertStore
from incident_core.incidents.store import IncidentStore
from incident_core.models import AlertStatus, IncidentStatus
from incident_core.policy.store import PolicyStore
from incident_core.settings import get_settings
from stand_ins.slack_requests import (
    button_body,
    events_body,
    thread_message_body,
    view_submission_body,
)
from tests.slack_support import ALASTAIR, CHANNEL, WISEN, SlackApp, bus_events, capture_bus, page_alert

ROOT = Path(__file__).resolve().parents[2]
STRANGER = "U0STRANGER"  # a member of the workspace, not one of the policy's people
OTHER_TEAM = "T0OTHERORG"
NOW = lambda: datetime.now(UTC)  # noqa: E731


def policy_with(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text((ROOT / "config" / "policy.yaml").read_text() + "\n" + extra)
    return path


@pytest.fixture
def start_app(aws, fake_slack, monkeypatch):
    def start(policy: Path | None = None) -> SlackApp:
        monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
        if policy is not None:
            monkeypatch.setenv("POLICY_FILE", str(policy))
        get_settings.cache_clear()
        return SlackApp.start(fake_slack)

    return start


@pytest.fixture
def app(start_app) -> SlackApp:
    return start_app()


@pytest.fixture
def bus_queue(aws) -> str:
    return capture_bus(get_settings().bus_name)


def said_to(app: SlackApp) -> dict:
    return app.responses()[-1]


def refused(app: SlackApp, who: str = "responders") -> bool:
    answer = said_to(app)
    return (
        answer["response_type"] == "ephemeral"
        and answer["text"].startswith(":no_entry:")
        and who in answer["text"]
    )


def declare(app: SlackApp, fake_slack, user: str = ALASTAIR):
    alert, page = page_alert(fake_slack)
    app.click("alert_real_incident", alert.alert_id, page, user=user)
    (incident,) = IncidentStore.from_settings().list_open()
    return alert, incident


# ---------------------------------------------------------------------- a stranger
def test_a_stranger_can_change_nothing_about_paging(app, fake_slack, bus_queue):
    alert, page = page_alert(fake_slack)
    updates_before = len(fake_slack.calls("chat.update"))
    for action in ("alert_acknowledge", "alert_real_incident", "alert_false_alarm"):
        assert app.click(action, alert.alert_id, page, user=STRANGER)["statusCode"] == 200
        assert refused(app), action
    stored = AlertStore.from_settings().get(alert.alert_id)
    assert (stored.status, stored.acknowledged_by, stored.incident_id) == (AlertStatus.OPEN, None, None)
    assert len(fake_slack.calls("chat.update")) == updates_before  # the page shows nothing new
    assert ActionStore.from_settings().list_open() == []

    for command in (
        "silence add book-viewing +2h a quiet night",
        "silence add incident-* +7d",
        "traction add now +14d launch fortnight",
    ):
        app.command(command, user=STRANGER)
        assert refused(app), command
    windows = PolicyStore.from_settings()
    assert windows.list_silences(NOW()) == [] and windows.list_traction(NOW()) == []
    assert fake_slack.messages(CHANNEL)[1:] == []  # nothing announced after the page
    assert [e["detail-type"] for e in bus_events(get_settings().bus_name, bus_queue)] == []

    # A responder may acknowledge a page addressed to someone else (it was Alastair's), recorded as such.
    app.click("alert_acknowledge", alert.alert_id, page, user=WISEN)
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == WISEN
    history = [event.what for event in AlertStore.from_settings().history(alert.alert_id)]
    assert f"<@{WISEN}> acknowledged a page addressed to <@{ALASTAIR}>" in history


def test_a_stranger_can_change_nothing_about_an_incident_but_may_report_and_talk(app, fake_slack):
    _, incident = declare(app, fake_slack)
    iid = incident.incident_id
    for command in (
        f"lead {iid} <@{STRANGER}>",
        f"lead {iid} me",
        f"status {iid} monitoring",
        f"impact {iid} nothing works",
        f"resolve {iid} all good",
    ):
        app.command(command, user=STRANGER)
        assert refused(app), command
    after = IncidentStore.from_settings().get(iid)
    assert (after.lead, after.status, after.impact, after.resolved_at) == (
        ALASTAIR,
        IncidentStatus.INVESTIGATING,
        incident.impact,
        None,
    )
    silence = PolicyStore.from_settings().add_silence(
        "book-viewing", NOW() + timedelta(hours=1), "x", None, NOW()
    )
    app.command(f"silence end {silence.silence_id}", user=STRANGER)
    assert refused(app)
    assert len(PolicyStore.from_settings().list_silences(NOW())) == 1

    # Reporting and talking stay open to everyone.
    app.command(f"note {iid} the search page is blank for me too", user=STRANGER)
    assert said_to(app)["text"].startswith("Noted in the timeline")
    app.command(f"update {iid} customers are calling", user=STRANGER)
    assert said_to(app)["text"].startswith("Updated")
    for read in ("status", "help", "actions", "silence list", "traction list"):
        app.command(read, user=STRANGER)
    assert not any(r["text"].startswith(":no_entry:") for r in app.responses()[-5:] if r.get("text"))
    app.command("action add a retry to the search API", user=STRANGER)
    assert "Action item" in said_to(app)["text"]
    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Search results empty"}},
        "impact": {"impact": {"type": "plain_text_input", "value": "Users see nothing"}},
    }
    answer = app.post(view_submission_body("incident_declare", values, STRANGER, "V0009", CHANNEL))
    assert answer["body"] == ""  # declared
    assert len(IncidentStore.from_settings().list_open()) == 2


def test_a_stranger_cannot_close_action_items(app, fake_slack):
    item = ActionStore.from_settings().open(
        "fix it", owner=WISEN, incident_id=None, alert_id=None, source="manual", by=WISEN, now=NOW()
    )
    message = {"type": "message", "ts": "1700000000.000200", "text": "items", "blocks": []}
    body = button_body("action_done", item.action_id, STRANGER, message, CHANNEL, app.response_url)
    app.post(body)
    assert refused(app)
    assert ActionStore.from_settings().get(item.action_id).done_by is None
    # The owner may close their own item, responder or not.
    own = ActionStore.from_settings().open(
        "write it up", owner=STRANGER, incident_id=None, alert_id=None, source="manual", by=WISEN, now=NOW()
    )
    app.post(button_body("action_done", own.action_id, STRANGER, message, CHANNEL, app.response_url))
    assert ActionStore.from_settings().get(own.action_id).done_by == STRANGER


def test_refusals_are_logged_and_counted_with_who_tried_what(app, fake_slack, capsys, caplog):
    alert, page = page_alert(fake_slack)
    capsys.readouterr()
    app.click("alert_acknowledge", alert.alert_id, page, user=STRANGER)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (metric,) = [r for r in records if "PermissionRefused" in r]
    assert metric["PermissionRefused"] == [1.0] or metric["PermissionRefused"] == 1.0
    assert metric["permission"] == "acknowledge" and metric["user"] == STRANGER
    (logged,) = [r for r in caplog.records if r.getMessage().startswith("refused ")]
    assert STRANGER in logged.getMessage() and "Acknowledge" in logged.getMessage()


# ---------------------------------------------------------------------- another workspace
def test_requests_from_another_workspace_or_organisation_are_refused(app, fake_slack):
    alert, page = page_alert(fake_slack)
    app.click("alert_acknowledge", alert.alert_id, page, user=ALASTAIR, team=OTHER_TEAM)
    assert refused(app, "its own workspace")
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by is None
    app.command("silence add book-viewing +2h x", team=OTHER_TEAM)
    assert refused(app, OTHER_TEAM)
    app.command("silence add book-viewing +2h x", enterprise="E0OTHERORG")
    assert refused(app, "E0OTHERORG")
    assert PolicyStore.from_settings().list_silences(NOW()) == []
    values = {"title": {"title": {"value": "x"}}, "impact": {"impact": {"value": ""}}}
    answer = app.post(
        view_submission_body("incident_declare", values, ALASTAIR, "V1", CHANNEL, team=OTHER_TEAM)
    )
    assert json.loads(answer["body"])["response_action"] == "errors"
    assert IncidentStore.from_settings().list_open() == []


def test_a_thread_reply_from_another_organisation_is_not_recorded(app, fake_slack):
    _, incident = declare(app, fake_slack)
    IncidentStore.from_settings().link_thread(incident.incident_id, CHANNEL, "1700000000.000100")
    body = json.loads(
        thread_message_body(CHANNEL, "1700000000.000100", "1700000001.000200", "U0OUTSIDER", "hi", "Ev1")
    )
    body["event"]["user_team"] = OTHER_TEAM
    app.event(events_body(body["event"], "Ev1"))
    own = thread_message_body(CHANNEL, "1700000000.000100", "1700000002.000200", STRANGER, "me too", "Ev2")
    app.event(own)
    texts = [e.text for e in IncidentStore.from_settings().timeline(incident.incident_id)]
    assert "me too" in texts and "hi" not in texts


def test_a_workspace_the_policy_names_is_served(start_app, tmp_path, fake_slack):
    app = start_app(policy_with(tmp_path, f"permissions:\n  other_workspaces: [{OTHER_TEAM}]\n"))
    alert, page = page_alert(fake_slack)
    app.click("alert_acknowledge", alert.alert_id, page, user=ALASTAIR, team="T0THIRDORG")
    assert refused(app, "T0THIRDORG")
    app.click("alert_acknowledge", alert.alert_id, page, user=ALASTAIR, team=OTHER_TEAM)
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == ALASTAIR


# ---------------------------------------------------------------------- the policy's options
def test_admins_alone_change_silences_and_traction_when_named(start_app, tmp_path):
    app = start_app(policy_with(tmp_path, "permissions:\n  admins: [alastair]\n"))
    app.command("silence add book-viewing +2h database upgrade", user=WISEN)
    assert refused(app, "admins")
    app.command("traction add now +4h launch", user=WISEN)
    assert refused(app, "admins")
    app.command("silence add book-viewing +2h database upgrade", user=ALASTAIR)
    assert "recorded, not paged" in said_to(app)["text"]


def test_responders_can_be_a_subset_of_the_people(start_app, tmp_path, fake_slack):
    app = start_app(policy_with(tmp_path, "permissions:\n  responders: [alastair]\n"))
    alert, page = page_alert(fake_slack)
    app.click("alert_acknowledge", alert.alert_id, page, user=WISEN)
    assert refused(app)


def test_members_of_the_policys_user_group_count_as_responders(start_app, tmp_path, fake_slack):
    fake_slack.add_usergroup("S0ONCALL", [STRANGER])
    app = start_app(policy_with(tmp_path, "permissions:\n  responder_group: S0ONCALL\n"))
    alert, page = page_alert(fake_slack)
    app.click("alert_acknowledge", alert.alert_id, page, user="U0NOTINIT")
    assert refused(app)
    app.click("alert_acknowledge", alert.alert_id, page, user=STRANGER)
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == STRANGER
    app.command("silence add book-viewing +1h group member's silence", user=STRANGER)
    assert "recorded, not paged" in said_to(app)["text"]
    assert len(fake_slack.calls("usergroups.users.list")) == 1  # asked once, then cached


# ---------------------------------------------------------------------- limits on silences and traction
def test_silences_are_limited_in_number_breadth_and_time(app, monkeypatch):
    monkeypatch.setenv("JOURNEYS_FILE", str(ROOT / "demo" / "journeys.yaml"))
    get_settings.cache_clear()
    for too_broad in ("silence add b* +2h x", "silence add incident-* +2h x", "silence add inc* +2h x"):
        app.command(too_broad)
        assert "would silence every alert" in said_to(app)["text"], too_broad
    store = PolicyStore.from_settings()
    assert "book-viewing-api" in store.journeys

    app.command("silence add book-viewing-api +7d migrating the shop")
    (first,) = store.list_silences(NOW())
    app.command(f"silence end {first.silence_id}")
    # Ended after a moment, but a renewal would pass 7 days in 30 for that journey.
    app.command("silence add book-viewing-api +7d again")
    assert "in the last 30 days" in said_to(app)["text"]
    app.command("silence add book-* +7d again, by a wider name")
    assert "in the last 30 days" in said_to(app)["text"]
    assert store.list_silences(NOW()) == []

    for n in range(5):
        app.command(f"silence add incident-db-{n} +1h upgrade {n}")
    app.command("silence add incident-db-5 +1h upgrade 5")
    assert "5 silences are active" in said_to(app)["text"]
    assert len(store.list_silences(NOW())) == 5


def test_traction_moments_start_within_the_horizon(app):
    app.command("traction add +40d +1d far away launch")
    assert "must start within 30 days" in said_to(app)["text"]
    assert PolicyStore.from_settings().list_traction(NOW()) == []


# ---------------------------------------------------------------------- user text: limits, never cut
def test_long_texts_are_refused_with_their_limit_never_cut(app, fake_slack):
    answer = app.command("declare " + "t" * 151)
    assert answer["body"] == "The title is 151 characters; keep it within 150."
    assert fake_slack.calls("views.open") == []  # no form with a title cut short
    app.command("silence add book-viewing +2h " + "x" * 40_000)
    assert "the silence reason is 40000 characters; keep it within 200" in said_to(app)["text"]
    app.command("traction add now +2h " + "y" * 201)
    assert "the traction label is 201 characters" in said_to(app)["text"]
    assert PolicyStore.from_settings().list_silences(NOW()) == []
    _, incident = declare(app, fake_slack)
    app.command(f"resolve {incident.incident_id} " + "z" * 3001)
    assert "The summary is 3001 characters; keep it within 3000" in said_to(app)["text"]
    assert IncidentStore.from_settings().get(incident.incident_id).resolved_at is None


# ---------------------------------------------------------------------- hostile text, end to end
HOSTILE_TITLE = (
    "<!channel> [win](javascript:alert(1)) <https://evil.example|https://status.example.com> "
    "<!subteam^S0TEAM|@team> <img src=x onerror=alert(1)>"
)
HOSTILE_REPLY = (
    "<!here> see [this](javascript:alert(2)) and ![x](data:text/html;base64,PHNjcmlwdD4=) "
    "<https://evil.example|https://status.example.com>"
)
BROADCASTS = ("<!channel", "<!here", "<!everyone", "<!subteam")


def formatted(value):
    """What Slack formats (mentions, links): everything but plain_text objects, shown literally."""
    if isinstance(value, list):
        return [formatted(item) for item in value]
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return None
        return {key: formatted(item) for key, item in value.items()}
    return value


def test_hostile_titles_and_replies_ping_nobody_and_link_nowhere(tmp_path):
    from demo.incident import CHANNEL as DEMO_CHANNEL
    from demo.incident import Rehearsal

    with Rehearsal(start=datetime(2026, 11, 24, 10, 0, tzinfo=UTC), workdir=tmp_path) as rehearsal:
        values = {
            "title": {"title": {"type": "plain_text_input", "value": HOSTILE_TITLE}},
            "impact": {"impact": {"type": "plain_text_input", "value": "<!everyone> cannot book"}},
        }
        rehearsal.people.post(view_submission_body("incident_declare", values, STRANGER, "V0HOSTILE", ""))
        rehearsal.suite.deliver()
        (incident,) = IncidentStore.from_settings().list_open()
        assert incident.title == HOSTILE_TITLE and incident.thread_ts
        rehearsal.reply(incident.thread_ts, HOSTILE_REPLY, WISEN)
        rehearsal.command(f"update {incident.incident_id} <!channel> <https://evil.example|fix>", STRANGER)
        rehearsal.command(f"note {incident.incident_id} <!subteam^S0TEAM> look", STRANGER)
        rehearsal.command("status", STRANGER)
        rehearsal.command(
            f"action {incident.incident_id} <!channel> check <https://evil.example|https://ok.example>",
            STRANGER,
        )
        rehearsal.command("actions", STRANGER)
        rehearsal.command(f"lead {incident.incident_id} me", ALASTAIR)
        rehearsal.command(f"resolve {incident.incident_id} <!here> fixed", ALASTAIR)

        posts = [
            call.args
            for call in rehearsal.slack.calls()
            if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")
        ]
        assert len([p for p in posts if p.get("channel") == DEMO_CHANNEL]) >= 4
        assert any("Post-mortem brainstorming" in str(p.get("text")) for p in posts)
        assert any("Incident document and post-mortem draft" in str(p.get("text")) for p in posts)
        for post in posts:
            said = json.dumps({k: formatted(post.get(k)) for k in ("text", "blocks")})
            assert not any(b in said for b in BROADCASTS), said
            assert "<https://evil.example|" not in said, said
        (document,) = rehearsal.download_documents()
        text = document.read_text()
    assert not re.search(r"(?<!\\)\]\((?:javascript|data):", text)  # shown as typed, never a link target
    assert "<img" not in text and "<!channel>" not in text
    heading = next(line for line in text.splitlines() if line.startswith("# Incident"))
    assert "\\[win\\](javascript:alert(1))" in heading
    assert "https://status.example.com (<https://evil.example>)" in text  # the real address shown
