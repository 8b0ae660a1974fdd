"""What a hostile or broken sender can do to the Slack app's front door, and what Slack's own text can do
to Bolt's body parsing: found in an attacker's review of the fast acknowledgement."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.incidents import signing
from incident_core.incidents.store import IncidentStore
from incident_core.models import AlertStatus
from incident_core.settings import get_settings
from stand_ins.aws import load_template
from stand_ins.slack_requests import button_body, slack_event, slack_headers
from tests.slack_support import ALASTAIR, CHANNEL, SIGNING_SECRET, SlackApp, page_alert

STRANGER = "U0STRANGER"  # in the workspace, not one of the policy's people


@pytest.fixture
def app(aws, fake_slack, monkeypatch) -> SlackApp:
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    get_settings.cache_clear()
    return SlackApp.start(fake_slack)


@pytest.mark.parametrize(
    "text", ["note the payload was too big", "update payload=ok again", "impact payloads fail"]
)
def test_a_command_that_says_payload_is_handled_like_any_other(app, fake_slack, text):
    """Bolt takes any form body containing "payload" for an interaction's; a slash command's text (or a
    channel named so) would get a 404 and do nothing."""
    alert, page = page_alert(fake_slack)
    app.click("alert_real_incident", alert.alert_id, page)
    (incident,) = IncidentStore.from_settings().list_open()

    answer = app.command(text)

    assert answer["statusCode"] == 200
    assert app.responses()[-1]["text"].startswith(("Noted", "Updated", "Impact")), app.responses()[-1]
    said = text.split(" ", 1)[1]
    assert any(
        said in json.dumps(entry.model_dump(mode="json"))
        for entry in IncidentStore.from_settings().timeline(incident.incident_id)
    )


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\x00 not utf-8", b"payload=%ff%fe", bytes(range(256))],
    ids=["binary", "bad-escapes", "every-byte"],
)
def test_an_unsigned_body_that_is_not_text_is_refused_not_crashed(app, body):
    event = slack_event("x", slack_headers("x", "not-the-secret"))
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    assert app.invoke(event)["statusCode"] == 401


def test_a_timestamp_too_long_to_be_a_time_is_refused_not_crashed(app):
    headers = slack_headers("token=x", SIGNING_SECRET)
    headers["x-slack-request-timestamp"] = "9" * 5000
    assert app.invoke(slack_event("token=x", headers))["statusCode"] == 401


@pytest.mark.parametrize(
    "lazy_headers",
    [
        {"x-slack-bolt-lazy-function-name": "acknowledge_alert"},
        {"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "acknowledge_alert"},
    ],
    ids=["name-only", "both"],
)
def test_bolts_lazy_headers_from_the_internet_are_refused(app, fake_slack, lazy_headers):
    """Only the function's own asynchronous invocation (method NONE, which no HTTP request can set)
    carries Bolt's lazy headers; from a signed request (a replay, say) they would run the work inline,
    past the permission guard."""
    alert, page = page_alert(fake_slack)
    body = button_body("alert_acknowledge", alert.alert_id, STRANGER, page, CHANNEL, app.response_url)
    headers = {**slack_headers(body, SIGNING_SECRET), **lazy_headers}

    answer = app.invoke(slack_event(body, headers))

    assert answer["statusCode"] == 401
    assert AlertStore.from_settings().get(alert.alert_id).status != AlertStatus.ACKNOWLEDGED
    assert app.runner.payloads == []


def test_lazy_work_delayed_by_lambda_still_runs(app, fake_slack, monkeypatch):
    """Lambda may hold an asynchronous invocation (throttling, retries) up to the function's maximum event
    age: the lazy invocation, which only this function can make, is still done after Slack's 5 minutes."""
    alert, page = page_alert(fake_slack)
    app.runner.defer = True
    app.click("alert_acknowledge", alert.alert_id, page, user=ALASTAIR)
    later = time.time() + 9 * 60
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))  # the signature check's clock

    assert app.runner.drain() == 1

    assert AlertStore.from_settings().get(alert.alert_id).status == AlertStatus.ACKNOWLEDGED
    invoke_config = load_template()["Resources"]["SlackAppFunction"]["Properties"]["EventInvokeConfig"]
    assert invoke_config["MaximumEventAgeInSeconds"] == app.module.LAZY_WORK_MAX_AGE
    assert signing.MAX_AGE_SECONDS + app.module.LAZY_WORK_MAX_AGE > 9 * 60


def test_a_replay_past_slacks_five_minutes_is_refused_even_when_delayed_work_is_allowed(app, fake_slack):
    alert, page = page_alert(fake_slack)
    body = button_body("alert_acknowledge", alert.alert_id, ALASTAIR, page, CHANNEL, app.response_url)
    stale = slack_headers(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    assert app.invoke(slack_event(body, stale))["statusCode"] == 401
    assert app.runner.payloads == []


def test_the_hand_off_gives_up_within_slacks_three_seconds(aws):
    from incident_core.adapters.self_invoke import lambda_client

    config = lambda_client().meta.config
    worst = (config.connect_timeout + config.read_timeout) * config.retries["total_max_attempts"]
    assert worst < 3  # seconds, before the acknowledgement is sent
