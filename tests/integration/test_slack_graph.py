"""`/incident graph`: the incident window drawn by CloudWatch (the moto stand-in) and uploaded into the
incident's thread with Slack's two-step upload, handed to the lazy listener like every slow command."""

import pytest

from incident_core.incidents.store import IncidentStore
from incident_core.settings import get_settings
from tests.slack_support import ALASTAIR, CHANNEL, SlackApp, page_alert


@pytest.fixture
def app(aws, fake_slack, monkeypatch) -> SlackApp:
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    get_settings.cache_clear()
    return SlackApp.start(fake_slack)


def test_graph_posts_the_pictures_of_the_window_in_the_incident_thread(app, fake_slack):
    alert, page = page_alert(fake_slack)
    app.click("alert_real_incident", alert.alert_id, page)
    (incident,) = IncidentStore.from_settings().list_open()
    root = fake_slack.add_user_message(CHANNEL, "the incident's thread", ALASTAIR)
    IncidentStore.from_settings().link_thread(incident.incident_id, CHANNEL, root["ts"])

    app.command(f"graph {incident.incident_id}")

    answer = app.responses()[-1]["text"]
    assert answer.startswith(f"1 picture of `{incident.incident_id}`'s window posted in its thread")
    uploads = [m for m in fake_slack.thread(CHANNEL, root["ts"]) if m.get("files")]
    (posted,) = uploads
    assert posted["text"].startswith("📈 The incident window in pictures")
    (file,) = posted["files"]
    assert file["name"] == f"{incident.incident_id}-journeys.png"
    assert fake_slack.uploaded(file["id"]).startswith(b"\x89PNG")
    methods = [c.method for c in fake_slack.calls() if c.method.startswith(("files.", "upload"))]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_graph_without_a_thread_says_so(app, fake_slack):
    alert, page = page_alert(fake_slack)
    app.click("alert_real_incident", alert.alert_id, page)
    (incident,) = IncidentStore.from_settings().list_open()
    app.command(f"graph {incident.incident_id}")
    assert "has no thread to post the pictures in" in app.responses()[-1]["text"]
    assert fake_slack.calls("files.getUploadURLExternal") == []
