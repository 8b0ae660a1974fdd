"""The Slack app end to end through its Lambda handler: signed requests in the documented Function URL /
HTTP API envelopes, Bolt dispatching, lazy listeners re-invoked in-process the way Lambda would, the
fake Slack recording every Web API call, DynamoDB (moto) and the suite bus holding the outcome."""

import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from incident_core.actions.store import ActionStore
from incident_core.alerts.store import AlertStore
from incident_core.incidents.store import IncidentStore
from incident_core.models import ActionStatus, AlertStatus
from incident_core.policy.store import PolicyStore
from incident_core.settings import get_settings
from stand_ins.fake_slack import Fault
from stand_ins.lossy_proxy import LossyProxy
from stand_ins.slack_requests import (
    HTTP_API_ENVELOPE,
    button_body,
    documented,
    slack_event,
    slack_headers,
    slash_command_body,
    view_submission_body,
)
from tests.slack_support import (
    ALASTAIR,
    CHANNEL,
    SIGNING_SECRET,
    WISEN,
    SlackApp,
    bus_events,
    capture_bus,
    page_alert,
)


@pytest.fixture
def app(aws, fake_slack, monkeypatch) -> SlackApp:
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    get_settings.cache_clear()
    return SlackApp.start(fake_slack)


@pytest.fixture
def bus_queue(aws) -> str:
    return capture_bus(get_settings().bus_name)


def events_on_bus(queue: str) -> list[str]:
    return [e["detail-type"] for e in bus_events(get_settings().bus_name, queue)]


def last_response(app: SlackApp) -> dict:
    return app.responses()[-1]


def blocks_text(args: dict) -> str:
    return json.dumps(args.get("blocks")) + str(args.get("text"))


# ---------------------------------------------------------------------- signatures
def test_url_verification_challenge_is_answered(app):
    body = json.dumps(documented("slack_url_verification.json"))
    response = app.event(body)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "challenge": documented("slack_url_verification.json")["challenge"]
    }


@pytest.mark.parametrize("problem", ["missing", "forged", "stale", "other secret"])
def test_unsigned_forged_or_stale_requests_get_401_and_change_nothing(app, fake_slack, bus_queue, problem):
    alert, _ = page_alert(fake_slack)
    calls_before = len(fake_slack.calls())
    body = "payload=" + json.dumps(
        {
            "type": "block_actions",
            "user": {"id": ALASTAIR},
            "actions": [{"action_id": "alert_real_incident", "value": alert.alert_id}],
        }
    )
    headers = slack_headers(body, SIGNING_SECRET)
    if problem == "missing":
        headers = {k: v for k, v in headers.items() if not k.startswith("x-slack")}
    elif problem == "forged":
        headers["x-slack-signature"] = "v0=" + "a" * 64
    elif problem == "stale":
        headers = slack_headers(body, SIGNING_SECRET, timestamp=int(time.time()) - 600)
    else:
        headers = slack_headers(body, "not-the-signing-secret")
    response = app.invoke(slack_event(body, headers))
    assert response["statusCode"] == 401
    assert IncidentStore.from_settings().list_open() == []
    assert AlertStore.from_settings().get(alert.alert_id).status == AlertStatus.OPEN
    assert len(fake_slack.calls()) == calls_before and app.runner.payloads == []
    assert events_on_bus(bus_queue) == []


def test_http_api_envelope_with_a_base64_body_works_too(app):
    response = app.command("help", envelope=HTTP_API_ENVELOPE, base64_body=True)
    assert response["statusCode"] == 200
    assert "`/incident declare [title]`" in response["body"]


# ---------------------------------------------------------------------- /incident
def test_help_and_unknown_subcommands_answer_in_the_acknowledgement(app):
    help_body = json.loads(app.command("help")["body"])
    assert "`/incident resolve [INC-…] [summary]`" in help_body["text"]
    assert help_body.get("response_type", "ephemeral") == "ephemeral"
    unknown = json.loads(app.command("reboot the world")["body"])
    assert unknown["text"].startswith("`reboot` is not an `/incident` command.")
    assert "`/incident status`" in unknown["text"]
    assert app.runner.payloads == [] or all(
        p["headers"]["x-slack-bolt-lazy-only"] == "1" for p in app.runner.payloads
    )
    assert app.responses() == []  # nothing more was said


def test_lazy_work_runs_as_the_documented_self_invocation(app):
    response = app.command("status")
    assert (response["statusCode"], response["body"]) == (200, "")  # acknowledged at once, empty
    (payload,) = app.runner.payloads
    assert payload["headers"]["x-slack-bolt-lazy-only"] == "1"
    assert payload["headers"]["x-slack-bolt-lazy-function-name"] == "run_command"
    assert payload["requestContext"]["http"]["method"] == "POST" and payload["method"] == "NONE"
    assert last_response(app)["text"] == "No incident is open."


def test_declare_opens_the_form_and_its_submission_declares(app, fake_slack, bus_queue):
    app.command("declare Search results empty")
    (opened,) = fake_slack.calls("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "incident_declare"
    assert view["blocks"][0]["element"]["initial_value"] == "Search results empty"
    assert view["private_metadata"] == CHANNEL

    empty = {
        "title": {"title": {"type": "plain_text_input", "value": "  "}},
        "impact": {"impact": {"value": ""}},
    }
    refused = app.post(view_submission_body("incident_declare", empty, WISEN, "V0001", CHANNEL))
    assert json.loads(refused["body"])["response_action"] == "errors"
    assert IncidentStore.from_settings().list_open() == []

    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Search results empty"}},
        "impact": {"impact": {"type": "plain_text_input", "value": "Users see no properties"}},
    }
    accepted = app.post(view_submission_body("incident_declare", values, WISEN, "V0002", CHANNEL))
    assert accepted["statusCode"] == 200 and accepted["body"] == ""
    (incident,) = IncidentStore.from_settings().list_open()
    assert (incident.title, incident.impact, incident.lead, incident.alert_id) == (
        "Search results empty",
        "Users see no properties",
        WISEN,
        None,
    )
    assert events_on_bus(bus_queue) == ["IncidentDeclared"]
    (told,) = fake_slack.calls("chat.postEphemeral")
    assert told.args["user"] == WISEN and incident.incident_id in told.args["text"]


def test_commands_needing_an_incident_say_so_only_to_the_person(app, fake_slack):
    app.command("note the API is slow")
    assert last_response(app)["text"] == "No incident is open. Declare one with `/incident declare`."
    assert last_response(app)["response_type"] == "ephemeral"
    for journey in ("book-viewing", "search"):
        alert, page = page_alert(fake_slack, journey=journey)
        app.click("alert_real_incident", alert.alert_id, page)
    app.command("note the API is slow")
    assert last_response(app)["text"].startswith("2 incidents are open:")
    assert fake_slack.calls("chat.postMessage")[-1].args["text"] != "the API is slow"
    missing = app.command("update")  # known without looking anything up: said in the acknowledgement
    assert missing["body"].startswith("`/incident update` needs a text")


def test_status_lists_open_incidents_with_their_thread(app, fake_slack):
    alert, page = page_alert(fake_slack)
    app.click("alert_real_incident", alert.alert_id, page)
    (incident,) = IncidentStore.from_settings().list_open()
    IncidentStore.from_settings().link_thread(incident.incident_id, CHANNEL, "1700000000.000100")
    app.command("status")
    listing = blocks_text(last_response(app))
    assert "1 open incident" in listing and incident.incident_id in listing
    assert "https://example.slack.com/archives/C0INCIDENTS/p1700000000000100" in listing
    app.command(f"status {incident.incident_id}")
    one = last_response(app)
    assert one["text"] == incident.incident_id and "investigating, led by <@U0ALASTAIR>" in blocks_text(one)
    app.command("status INC-000000000000")
    assert last_response(app)["text"].startswith("There is no incident `INC-000000000000`")


def test_action_items_from_slack_and_their_done_button(app, fake_slack):
    app.command(f"action add a retry to the viewing API <@{WISEN}|wisen>")
    assert "not linked to an incident" in last_response(app)["text"]
    (item,) = ActionStore.from_settings().list_open()
    assert (item.text, item.owner, item.source, item.priority) == (
        "add a retry to the viewing API",
        WISEN,
        "manual",
        "P0",
    )

    app.command("actions")
    listing = last_response(app)
    done_button = next(
        b["accessory"] for b in listing["blocks"] if b.get("accessory", {}).get("action_id") == "action_done"
    )
    assert done_button["value"] == item.action_id
    message = {
        "type": "message",
        "ts": "1700000000.000200",
        "text": listing["text"],
        "blocks": listing["blocks"],
    }
    body = button_body(
        "action_done",
        item.action_id,
        WISEN,
        message,
        CHANNEL,
        app.response_url,
        block_id=f"action-{item.action_id}",
    )
    assert app.post(body)["statusCode"] == 200
    done = ActionStore.from_settings().get(item.action_id)
    assert (done.status, done.done_by) == (ActionStatus.DONE, WISEN)
    replaced = last_response(app)
    assert replaced["replace_original"] is True and f"done by <@{WISEN}>" in blocks_text(replaced)


def test_traction_and_silence_windows_from_slack(app):
    app.command("traction add now +4h spring launch email")
    assert "Traction moment" in last_response(app)["text"]
    (window,) = PolicyStore.from_settings().list_traction(now=datetime.now(UTC))
    assert window.label == "spring launch email" and window.created_by == ALASTAIR
    app.command("traction list")
    assert "spring launch email" in last_response(app)["text"]
    app.command(f"traction end {window.window_id}")
    assert "ended" in last_response(app)["text"]

    app.command("silence add book-viewing +2h database upgrade")
    assert "recorded, not paged" in last_response(app)["text"]
    app.command("silence list")
    assert "book-viewing" in last_response(app)["text"] and "database upgrade" in last_response(app)["text"]
    app.command("traction add tomorrow +4h x")
    assert "`tomorrow` is not a time" in last_response(app)["text"]
    app.command("silence add book-viewing 2020-01-01T10:00 too late")
    assert last_response(app)["response_type"] == "ephemeral"


def test_nobody_stops_paging_unnoticed_or_for_ever(app, fake_slack):
    policy = PolicyStore.from_settings()
    for refused, reason in (
        ("silence add * +2h everything", "would silence every alert"),
        ("silence add ** +2h everything", "would silence every alert"),
        ("silence add book-viewing +520w forever", "at most 7 days"),
        ("traction add now +15d long launch", "at most 14 days"),
    ):
        app.command(refused)
        assert reason in last_response(app)["text"], refused
        assert last_response(app)["response_type"] == "ephemeral"
    assert policy.list_silences(datetime.now(UTC)) == [] and policy.list_traction(datetime.now(UTC)) == []
    assert fake_slack.calls("chat.postMessage") == []

    app.command("silence add bookshop-* +7d <!channel> migrating the shop")
    app.command("traction add now +14d launch fortnight")
    (silence,) = policy.list_silences(datetime.now(UTC))
    (window,) = policy.list_traction(datetime.now(UTC))
    app.command(f"silence end {silence.silence_id}")
    app.command(f"traction end {window.window_id}")
    # Each add and end is said in the incidents channel, for everyone, naming who did it.
    said = [m["text"] for m in fake_slack.messages(CHANNEL)]
    assert len(said) == 4 and all(f"<@{ALASTAIR}>" in text for text in said)
    assert "silenced paging" in said[0] and "`bookshop-*`" in said[0] and "@channel migrating" in said[0]
    assert "<!channel>" not in said[0]
    assert "traction moment" in said[1] and "ended a silence" in said[2] and "ended a traction" in said[3]


def test_a_silence_slack_would_not_announce_is_kept_and_the_person_told(app, fake_slack):
    fake_slack.inject("chat.postMessage", *[Fault(status=500)] * 3)
    app.command("silence add book-viewing +2h database upgrade")
    assert "could not be announced" in last_response(app)["text"]
    assert len(PolicyStore.from_settings().list_silences(datetime.now(UTC))) == 1


# ---------------------------------------------------------------------- the page's buttons
def test_acknowledge_stops_repaging_and_shows_who(app, fake_slack):
    alert, page = page_alert(fake_slack)
    assert app.click("alert_acknowledge", alert.alert_id, page, user=WISEN)["statusCode"] == 200
    stored = AlertStore.from_settings().get(alert.alert_id)
    assert (stored.status, stored.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, WISEN)
    update = fake_slack.calls("chat.update")[-1].args
    assert f"Acknowledged by <@{WISEN}>" in blocks_text(update)
    buttons = [e["action_id"] for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["alert_real_incident", "alert_false_alarm"]
    # Acknowledged again by someone else: still the first person, said on the page.
    app.click("alert_acknowledge", alert.alert_id, page, user=ALASTAIR)
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == WISEN
    assert f"Acknowledged by <@{WISEN}>" in blocks_text(fake_slack.calls("chat.update")[-1].args)


def test_false_alarm_closes_the_alert_and_opens_one_action_item(app, fake_slack, bus_queue):
    alert, page = page_alert(fake_slack)
    app.click("alert_false_alarm", alert.alert_id, page, user=WISEN)
    app.click("alert_false_alarm", alert.alert_id, page, user=ALASTAIR)
    stored = AlertStore.from_settings().get(alert.alert_id)
    assert (stored.status, stored.false_alarm_by) == (AlertStatus.FALSE_ALARM, WISEN)
    (item,) = ActionStore.from_settings().list_open()
    assert (item.source, item.alert_id, item.owner) == ("false-alarm", alert.alert_id, WISEN)
    assert item.text.startswith("Find out why the false alert")
    update = fake_slack.calls("chat.update")[-1].args
    assert f"False alarm, said <@{WISEN}>" in blocks_text(update)
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    # Declaring it after all is refused with the reason, to that person only.
    app.click("alert_real_incident", alert.alert_id, page)
    assert "marked a false alarm" in last_response(app)["text"]
    assert IncidentStore.from_settings().list_open() == [] and events_on_bus(bus_queue) == []


def test_clicks_on_an_unknown_alert_are_answered(app, fake_slack):
    _, page = page_alert(fake_slack)
    app.click("alert_acknowledge", "alr-does-not-exist", page)
    assert "There is no alert `alr-does-not-exist`" in last_response(app)["text"]


def test_slack_errors_in_lazy_work_are_reported_to_the_person(app, fake_slack):
    alert, page = page_alert(fake_slack)
    fake_slack.inject(
        "chat.update", Fault(status=500, body={"ok": False, "error": "fatal_error"}), *[Fault(status=500)] * 3
    )
    app.click("alert_acknowledge", alert.alert_id, page)
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == ALASTAIR
    shown = last_response(app)["text"]
    assert "That did not complete" in shown and "Trying again is safe" in shown
    # What went wrong stays in the log: the person sees a reference to find it by, not Slack's answer.
    assert "fatal_error" not in shown and "SlackApiError" not in shown
    assert re.search(r"reference `[\w-]+`", shown)


def test_slash_command_body_follows_slacks_documented_one(app):
    body = parse_qs(
        slash_command_body("help", ALASTAIR, CHANNEL, "1.2.3", app.response_url), keep_blank_values=True
    )
    documented_body = parse_qs(documented("slack_slash_command_body.txt"))
    assert set(documented_body) == set(body)


def test_no_auth_test_round_trip_and_every_call_carries_the_bot_token(app, fake_slack):
    # Bolt's default single-workspace authorisation would call auth.test on each container's first
    # request; the app authorises with the bot token from the secret instead.
    alert, page = page_alert(fake_slack)  # the router's page, posted before the app starts
    before = len(fake_slack.calls())
    app.click("alert_acknowledge", alert.alert_id, page, user=WISEN)
    app.command("status")
    calls = fake_slack.calls()[before:]
    assert {call.method for call in calls} >= {"chat.update", "response_url"}
    assert "auth.test" not in {call.method for call in calls}
    assert {call.token for call in calls if call.method != "response_url"} == {"xoxb-test-placeholder"}


@pytest.mark.parametrize("loss", ["reset", "timeout", "5xx"])
def test_an_announcement_whose_answer_is_lost_is_found_not_posted_again(aws, fake_slack, monkeypatch, loss):
    proxy = LossyProxy(fake_slack.url.removesuffix("/api/"), delay=2).start()
    try:
        monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
        monkeypatch.setenv("SLACK_API_URL", proxy.origin + "/api/")
        get_settings.cache_clear()
        app = SlackApp.start(fake_slack)
        monkeypatch.setattr(app.module, "SLACK_TIMEOUT", 1, raising=False)  # gives up before the answer
        app.module.request_handler.cache_clear()
        proxy.lose("chat.postMessage", loss)

        app.command("silence add book-viewing +2h database upgrade")

        assert proxy.lost == [("chat.postMessage", loss)]  # Slack did post it; its answer was lost
        said = [m["text"] for m in fake_slack.messages(CHANNEL)]
        assert len(said) == 1 and "silenced paging" in said[0]
        assert "could not be announced" not in last_response(app)["text"]
    finally:
        proxy.stop()
