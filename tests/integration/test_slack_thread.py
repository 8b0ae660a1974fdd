"""The incident from the page's click to its resolution, through both functions: the Slack app (signed
requests, lazy listeners in-process) and the incident thread (the suite bus wired by the template's own
rule), against the fake Slack, the fake Zoom, fake vendor status pages, CloudFormation and DynamoDB in moto.
"""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError

from incident_core.adapters.aws import client
from incident_core.adapters.dynamo import Table
from incident_core.adapters.slack import Slack, slack_web_client
from incident_core.alerts.health import HealthFacts, health_fact
from incident_core.alerts.store import AlertStore
from incident_core.incidents.service import incident_id_for_alert
from incident_core.incidents.store import IncidentStore
from incident_core.models import IncidentStatus, TimelineKind
from incident_core.settings import get_settings
from stand_ins.fake_slack import Fault
from stand_ins.fake_statuspage import FakeStatusPages
from stand_ins.fake_zoom import FakeZoom, ZoomFault
from stand_ins.local_lambda import LocalSuite
from stand_ins.lossy_proxy import LossyProxy
from stand_ins.slack_requests import events_body, thread_message_body
from tests.helpers import documented
from tests.slack_support import ALASTAIR, CHANNEL, WISEN, SlackApp, page_alert

CHECKLIST_DEADLINE = 1.5


@dataclass
class World:
    app: SlackApp
    suite: LocalSuite
    zoom: FakeZoom
    pages: FakeStatusPages


@pytest.fixture(scope="module")
def zoom_server() -> Iterator[FakeZoom]:
    server = FakeZoom().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def status_server() -> Iterator[FakeStatusPages]:
    server = FakeStatusPages().start()
    yield server
    server.stop()


@pytest.fixture
def world(request, aws, fake_slack, zoom_server, status_server, monkeypatch):
    """Everything the incident touches, reset: returns (slack app, local suite, fakes). The incidents
    channel is configured by id unless a test asks for another setting (indirect parameter)."""
    zoom_server.reset()
    status_server.reset()
    github = status_server.set_vendor("github")
    vendor = status_server.set_vendor("paymentsco", "major", incidents=["Card payments failing"])
    monkeypatch.setenv("INCIDENTS_CHANNEL", getattr(request, "param", CHANNEL))
    monkeypatch.setenv("ZOOM_API_URL", zoom_server.api_url)
    monkeypatch.setenv("ZOOM_OAUTH_URL", zoom_server.oauth_url)
    monkeypatch.setenv("STATUS_PAGES", f"{github},{vendor}")
    monkeypatch.setenv("RUNBOOKS_DIR", "config/runbooks")
    monkeypatch.setenv("LOOKUP_DEADLINE_SECONDS", str(CHECKLIST_DEADLINE))
    get_settings.cache_clear()
    client("secretsmanager").create_secret(
        Name=get_settings().zoom_secret_id, SecretString=json.dumps(zoom_server.secret)
    )
    suite = LocalSuite(get_settings().bus_name)
    function = suite.functions["IncidentThreadFunction"]
    suite.functions = {"IncidentThreadFunction": function}
    real_invoke = function.invoke
    # moto's EventBridge drops the envelope's `account` (its default input template lacks it); EventBridge
    # always sends it, and the handler parses the documented envelope strictly.
    monkeypatch.setattr(function, "invoke", lambda event: real_invoke({"account": "123456789012", **event}))
    suite.wire()
    return World(SlackApp.start(fake_slack), suite, zoom_server, status_server)


def deploy_stack(name: str) -> None:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))


def record_aws_health_issue(started: datetime) -> None:
    event = documented("aws_eventbridge_health_event_account_elb_issue.json")
    event["detail"]["startTime"] = started.strftime("%a, %d %b %Y %H:%M:%S GMT")
    event["detail"].pop("endTime")
    HealthFacts(Table(get_settings().table_name)).record(
        health_fact(event["id"], started, event["detail"]), started
    )


def root_of(fake_slack, incident) -> dict:
    return next(m for m in fake_slack.messages(CHANNEL) if m["ts"] == incident.thread_ts)


def replies(fake_slack, incident) -> list[dict]:
    return [m for m in fake_slack.thread(CHANNEL, incident.thread_ts) if m["ts"] != incident.thread_ts]


def top_level(fake_slack) -> list[str]:
    return [m["ts"] for m in fake_slack.messages(CHANNEL) if m.get("thread_ts") in (None, m["ts"])]


def block_text(message: dict) -> str:
    return json.dumps(message.get("blocks") or message.get("text"))


def declare(world, fake_slack, **alert_options):
    alert, page = page_alert(fake_slack, **alert_options)
    assert world.app.click("alert_real_incident", alert.alert_id, page)["statusCode"] == 200
    handled = world.suite.deliver()
    assert [event["detail-type"] for _, event in handled] == ["IncidentDeclared"]
    (incident,) = IncidentStore.from_settings().list_open()
    return alert, page, incident


def test_real_incident_starts_the_thread_with_war_room_and_answered_checklist(world, fake_slack):
    deploy_stack("bookshop-prod")
    # It started just after the deploy and was seen a moment later (moto dates the stack "now").
    started = datetime.now(UTC)
    record_aws_health_issue(started - timedelta(minutes=20))
    time.sleep(0.3)
    alert, page, incident = declare(world, fake_slack, started=started, seen_after=timedelta(seconds=0.2))

    # The page shows who declared it, and its buttons are gone.
    page_update = fake_slack.calls("chat.update")[0].args
    assert page_update["ts"] == page["ts"]
    assert f"declared by <@{ALASTAIR}>" in block_text(page_update)
    assert "alert_real_incident" not in block_text(page_update)

    # One root message, linked both ways, showing the war room once Zoom answered.
    assert incident.thread_ts and incident.channel == CHANNEL
    assert IncidentStore.from_settings().by_thread(CHANNEL, incident.thread_ts) == incident.incident_id
    assert top_level(fake_slack) == [page["ts"], incident.thread_ts]
    meeting = world.zoom.meetings()[0]
    assert incident.war_room_url == meeting["join_url"]
    assert incident.incident_id in meeting["topic"]
    root = root_of(fake_slack, incident)
    assert meeting["join_url"] in block_text(root)
    assert "Users cannot complete the 'book-viewing' journey" in block_text(root)
    assert "journey `book-viewing`" in block_text(root)

    # The thread: war room link, checklist answered with facts, the runbook.
    texts = [block_text(m) for m in replies(fake_slack, incident)]
    assert meeting["join_url"] in texts[0]
    checklist = texts[1]
    assert "bookshop-prod" in checklist and "stack created" in checklist
    assert "AWS_ELASTICLOADBALANCING_API_ISSUE" in checklist
    assert "All Systems Operational" in checklist
    assert "Partial System Outage" in checklist and "Card payments failing" in checklist
    assert "book-viewing.md" in checklist
    assert "Runbook: Book viewing journey fails" in texts[2]
    assert incident.checklist["revert"]["candidates"][0]["names"] == ["bookshop-prod"]
    assert incident.checklist["runbook"] == {"found": True, "file": "book-viewing.md"}

    # The timeline: the alert's own history, then the declaration and the war room.
    timeline = IncidentStore.from_settings().timeline(incident.incident_id)
    assert [e.text for e in timeline[:4]] == [
        "Alert raised",
        f"Alert paged <@{ALASTAIR}>",
        f"Alert acknowledged by <@{ALASTAIR}>",
        f"Incident declared by <@{ALASTAIR}>",
    ]
    assert timeline[4].text.startswith("Zoom war room started")
    assert AlertStore.from_settings().get(alert.alert_id).incident_id == incident.incident_id


def test_clicking_real_incident_twice_declares_once(world, fake_slack):
    alert, page, _ = declare(world, fake_slack)
    world.app.click("alert_real_incident", alert.alert_id, page, user=WISEN)
    assert world.suite.deliver() == []  # the thread exists: nothing is announced again
    assert len(IncidentStore.from_settings().list_open()) == 1
    assert "already declared" in world.app.responses()[-1]["text"]
    assert len(top_level(fake_slack)) == 2  # the page and one root


def test_a_repeated_declaration_event_makes_one_thread(world, fake_slack):
    declare(world, fake_slack)
    before = len(fake_slack.calls("chat.postMessage"))
    event = world.suite.delivered[0][1]
    world.suite.function("IncidentThreadFunction").invoke(event)  # EventBridge delivers at least once
    assert len(fake_slack.calls("chat.postMessage")) == before


def test_zoom_failing_never_stops_the_incident(world, fake_slack):
    world.zoom.inject("token", ZoomFault(500, {"reason": "Zoom is down"}))
    _, _, incident = declare(world, fake_slack)
    assert incident.war_room_url is None
    assert "Zoom is down" in incident.checklist["war_room"]["error"]
    texts = [block_text(m) for m in replies(fake_slack, incident)]
    assert "Zoom could not start a war room" in texts[0]
    assert "Checklist" in texts[1]  # the checklist still came
    assert "Zoom could not start one" in block_text(root_of(fake_slack, incident))


def test_slow_status_page_is_reported_as_not_checked(world, fake_slack):
    world.pages.set_vendor("paymentsco", delay=CHECKLIST_DEADLINE + 1.5)
    _, _, incident = declare(world, fake_slack)
    checklist = block_text(replies(fake_slack, incident)[1])
    assert "Could not check" in checklist and "paymentsco" in checklist
    assert "All Systems Operational" in checklist  # the other vendor answered in time


def test_missing_runbook_opens_an_action_item(world, fake_slack):
    from incident_core.actions.store import ActionStore

    _, _, incident = declare(world, fake_slack, journey="search-listings")
    assert incident.checklist["runbook"]["wanted"] == "search-listings.md"
    (item,) = ActionStore.from_settings().list_for_incident(incident.incident_id)
    assert item.source == "missing-runbook" and "search-listings" in item.text
    assert "An action item asks for one" in block_text(replies(fake_slack, incident)[1])


def test_thread_replies_edits_and_deletions_become_the_timeline(world, fake_slack):
    _, _, incident = declare(world, fake_slack)
    reply = fake_slack.add_user_message(
        CHANNEL, "500s from /viewings since 10:02", WISEN, thread_ts=incident.thread_ts
    )
    body = thread_message_body(CHANNEL, incident.thread_ts, reply["ts"], WISEN, reply["text"], "Ev1")
    assert world.app.event(body)["statusCode"] == 200
    assert world.app.event(body, retry=1)["statusCode"] == 200  # Slack's retried delivery
    assert world.app.event(body, retry=2)["statusCode"] == 200
    store = IncidentStore.from_settings()
    messages = [e for e in store.timeline(incident.incident_id) if e.kind == TimelineKind.MESSAGE]
    assert [(e.author, e.text, e.slack_ts) for e in messages] == [(WISEN, reply["text"], reply["ts"])]

    edited_ts = f"{float(reply['ts']) + 30:.6f}"
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": CHANNEL,
        "ts": edited_ts,
        "event_ts": edited_ts,
        "message": {
            "type": "message",
            "user": WISEN,
            "text": "500s from /viewings since 10:01",
            "ts": reply["ts"],
            "thread_ts": incident.thread_ts,
            "edited": {"user": WISEN, "ts": edited_ts},
        },
    }
    world.app.event(events_body(edit, "Ev2"))
    deleted_ts = f"{float(reply['ts']) + 60:.6f}"
    deletion = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": CHANNEL,
        "ts": deleted_ts,
        "event_ts": deleted_ts,
        "deleted_ts": reply["ts"],
        "previous_message": {**edit["message"]},
    }
    entry = next(e for e in store.timeline(incident.incident_id) if e.kind == TimelineKind.MESSAGE)
    assert (entry.text, entry.edited_at is not None) == ("500s from /viewings since 10:01", True)
    world.app.event(events_body(deletion, "Ev3"))
    entry = next(e for e in store.timeline(incident.incident_id) if e.kind == TimelineKind.MESSAGE)
    assert (entry.deleted, entry.text) == (True, "")


@pytest.mark.parametrize("world", ["#incidents"], indirect=True)
def test_a_channel_configured_by_name_is_stored_by_id_so_the_whole_thread_works(world, fake_slack):
    # The template's default names the channel; Slack's events, chat.update and conversations.replies
    # speak in the id chat.postMessage answers with (the fake gives "#incidents" the id C0INCIDENTS).
    assert get_settings().incidents_channel == "#incidents" and CHANNEL == "C0INCIDENTS"
    _, _, incident = declare(world, fake_slack)
    store = IncidentStore.from_settings()
    started = store.get(incident.incident_id)
    assert started.channel == CHANNEL
    assert store.by_thread(CHANNEL, started.thread_ts) == incident.incident_id
    assert started.war_room_url and started.war_room_url in block_text(root_of(fake_slack, started))

    reply = fake_slack.add_user_message(CHANNEL, "deploy 41 broke it", WISEN, thread_ts=started.thread_ts)
    world.app.event(thread_message_body(CHANNEL, started.thread_ts, reply["ts"], WISEN, reply["text"], "Ev5"))
    texts = [e.text for e in store.timeline(incident.incident_id) if e.kind == TimelineKind.MESSAGE]
    assert texts == ["deploy 41 broke it"]

    world.app.command("update rolling back deploy 41")
    assert [e["detail-type"] for _, e in world.suite.deliver()] == ["IncidentChanged"]
    assert "rolling back deploy 41" in block_text(root_of(fake_slack, started))
    world.app.command("resolve rolled back", user=WISEN)
    assert [e["detail-type"] for _, e in world.suite.deliver()] == ["IncidentResolved"]
    assert "RESOLVED" in block_text(root_of(fake_slack, started))
    assert any("Resolved by" in m["text"] for m in replies(fake_slack, started))
    # The post-mortem reads the thread back by the stored channel.
    thread = Slack(slack_web_client(fake_slack.url, "xoxb-placeholder")).client.conversations_replies(
        channel=started.channel, ts=started.thread_ts
    )
    assert "deploy 41 broke it" in [m["text"] for m in thread["messages"]]


def test_messages_outside_incident_threads_are_not_recorded(world, fake_slack):
    _, _, incident = declare(world, fake_slack)
    other = fake_slack.add_user_message(CHANNEL, "lunch?", WISEN)
    in_other_thread = thread_message_body(
        CHANNEL, other["ts"], f"{float(other['ts']) + 1:.6f}", WISEN, "yes", "Ev9"
    )
    world.app.event(in_other_thread)
    broadcast = documented("slack_event_callback_thread_broadcast.json")  # documented, in an unknown thread
    world.app.event(json.dumps(broadcast))
    kinds = [e.kind for e in IncidentStore.from_settings().timeline(incident.incident_id)]
    assert TimelineKind.MESSAGE not in kinds


def test_commands_update_the_root_in_place_and_resolve(world, fake_slack):
    _, _, incident = declare(world, fake_slack)
    top_level_before = top_level(fake_slack)

    world.app.command("update rolling back the 09:58 deploy")
    world.app.command(f"lead {incident.incident_id} <@{WISEN}|wisen>")
    world.app.command("status identified")
    world.app.command("note bookshop-prod rollback started")
    handled = world.suite.deliver()
    assert [e["detail-type"] for _, e in handled] == ["IncidentChanged"] * 4
    store = IncidentStore.from_settings()
    current = store.get(incident.incident_id)
    assert (current.latest_update, current.lead, current.status) == (
        "rolling back the 09:58 deploy",
        WISEN,
        IncidentStatus.IDENTIFIED,
    )
    root = root_of(fake_slack, current)
    assert "rolling back the 09:58 deploy" in block_text(root) and f"<@{WISEN}>" in block_text(root)
    assert ":large_orange_circle: identified" in block_text(root)
    # Each change posted once in the thread; the root edited, never re-posted.
    thread_texts = [m["text"] for m in replies(fake_slack, current)]
    assert sum("rolling back the 09:58 deploy" in t for t in thread_texts) == 1
    assert any("Note from" in t for t in thread_texts)
    updates = [c for c in fake_slack.calls("chat.update") if c.args["ts"] == current.thread_ts]
    assert len(updates) >= 5  # the war room, then one per change
    # A repeated delivery of the same change posts nothing new.
    world.suite.function("IncidentThreadFunction").invoke(handled[0][1])
    assert len(replies(fake_slack, current)) == len(thread_texts)

    world.app.command("resolve rolled back; bookings work again", user=WISEN)
    handled = world.suite.deliver()
    assert [e["detail-type"] for _, e in handled] == ["IncidentResolved"]
    resolved = store.get(incident.incident_id)
    assert resolved.status == IncidentStatus.RESOLVED and resolved.resolved_at is not None
    assert "RESOLVED" in block_text(root_of(fake_slack, resolved))
    assert any("Resolved by" in m["text"] for m in replies(fake_slack, resolved))
    assert top_level(fake_slack) == top_level_before  # the root was edited, never posted again
    assert [e.key for e in store.timeline(incident.incident_id)][-1] == "resolved"
    world.app.command(f"resolve {incident.incident_id}")
    assert "already resolved" in world.app.responses()[-1]["text"]
    assert world.suite.deliver() == []


def test_a_change_whose_thread_post_failed_is_posted_by_the_retried_delivery(world, fake_slack, monkeypatch):
    _, _, incident = declare(world, fake_slack)
    function = world.suite.function("IncidentThreadFunction")
    delivered, invoke = [], function.invoke
    monkeypatch.setattr(function, "invoke", lambda event: invoke(delivered.append(event) or event))
    world.app.command("update failing over to the replica")
    # Slack fails the thread post with a 5xx: the client never re-posts an unknown outcome; the post is
    # not found in the thread, so the delivery fails and its retry posts it.
    fake_slack.inject("chat.postMessage", Fault(status=500))
    with pytest.raises(SlackApiError):
        world.suite.deliver()
    assert not any("failing over" in m["text"] for m in replies(fake_slack, incident))

    function.invoke(delivered[-1])  # EventBridge's retry of the same event
    function.invoke(delivered[-1])  # and a duplicate: posted once all the same
    assert sum("failing over to the replica" in m["text"] for m in replies(fake_slack, incident)) == 1


def test_journey_recovery_is_recorded_on_its_open_incident(world, fake_slack):
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.events import JourneyRecovered

    _, _, incident = declare(world, fake_slack)
    recovered = JourneyRecovered(
        journey="book-viewing",
        recovered_at=datetime.now(UTC),
        failing_since=incident.started_at,
        run_id="run-42",
    )
    EventBridgeBus(get_settings().bus_name, get_settings().event_source).put(recovered)
    world.suite.deliver()
    world.suite.deliver()
    timeline = IncidentStore.from_settings().timeline(incident.incident_id)
    assert sum(e.key == "recovered-book-viewing-run-42" for e in timeline) == 1
    assert sum("passes again" in m["text"] for m in replies(fake_slack, incident)) == 1


def test_simultaneous_clicks_and_deliveries_make_one_incident_one_thread_one_entry(world, fake_slack):
    from concurrent.futures import ThreadPoolExecutor

    alert, page = page_alert(fake_slack)
    with ThreadPoolExecutor(max_workers=6) as pool:
        people = [ALASTAIR, WISEN] * 3
        responses = list(
            pool.map(lambda who: world.app.click("alert_real_incident", alert.alert_id, page, who), people)
        )
    assert {r["statusCode"] for r in responses} == {200}
    handled = world.suite.deliver()
    # Clicks that find the incident still without a thread announce it again (in case the first click's
    # event was lost); the thread function makes one thread of them all.
    assert {(e["detail-type"], e["detail"]["incident_id"]) for _, e in handled} == {
        ("IncidentDeclared", incident_id_for_alert(alert.alert_id))
    }
    (incident,) = IncidentStore.from_settings().list_open()
    assert len(top_level(fake_slack)) == 2  # the page and one root

    reply = fake_slack.add_user_message(
        CHANNEL, "looking at the API logs", WISEN, thread_ts=incident.thread_ts
    )
    body = thread_message_body(CHANNEL, incident.thread_ts, reply["ts"], WISEN, reply["text"], "Ev7")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda retry: world.app.event(body, retry=retry or None), range(8)))
    messages = [
        e
        for e in IncidentStore.from_settings().timeline(incident.incident_id)
        if e.kind == TimelineKind.MESSAGE
    ]
    assert len(messages) == 1


def open_incidents_published(output: str) -> list[dict]:
    """The OpenIncidents EMF records the incident-thread function printed."""
    records = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    return [r for r in records if "OpenIncidents" in r]


def test_open_incidents_is_published_after_each_declaration_and_resolution(world, fake_slack, capsys):
    from incident_core.dashboard.render import OPEN_INCIDENTS

    capsys.readouterr()
    _, _, first = declare(world, fake_slack)
    alert, page = page_alert(fake_slack, journey="search-listings")
    world.app.click("alert_real_incident", alert.alert_id, page)
    world.suite.deliver()
    world.app.command(f"resolve {first.incident_id} rolled back")
    handled = world.suite.deliver()
    assert [e["detail-type"] for _, e in handled] == ["IncidentResolved"]

    records = open_incidents_published(capsys.readouterr().out)
    assert [r[OPEN_INCIDENTS] for r in records] == [[1.0], [2.0], [1.0]]  # declared, declared, resolved
    for record in records:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        # The metric the dashboard's "open now" widget reads: same name, namespace, dimension set.
        assert directive["Namespace"] == "IncidentSuiteTest"
        assert directive["Dimensions"] == [["service"]]
        assert directive["Metrics"] == [{"Name": OPEN_INCIDENTS, "Unit": "Count"}]
        assert record["service"] == "incident-suite-test"

    # A change publishes nothing: the count only moves on a declaration or a resolution.
    (second,) = IncidentStore.from_settings().list_open()
    world.app.command(f"lead {second.incident_id} <@{WISEN}|wisen>")
    assert [e["detail-type"] for _, e in world.suite.deliver()] == ["IncidentChanged"]
    assert open_incidents_published(capsys.readouterr().out) == []


LOST_ANSWER_DELAY = 2  # seconds: later than the thread function's Slack client waits in these tests


@pytest.fixture
def lossy(world, fake_slack, monkeypatch) -> Iterator[LossyProxy]:
    """The incident thread function talking to the fake Slack through the lossy proxy."""
    proxy = LossyProxy(fake_slack.url.removesuffix("/api/"), delay=LOST_ANSWER_DELAY).start()
    monkeypatch.setenv("SLACK_API_URL", proxy.origin + "/api/")
    get_settings.cache_clear()
    module = world.suite.function("IncidentThreadFunction").module
    monkeypatch.setattr(module, "SLACK_TIMEOUT", 1, raising=False)
    module.thread.cache_clear()
    yield proxy
    module.thread.cache_clear()
    proxy.stop()


@pytest.mark.parametrize("loss", ["reset", "timeout", "5xx"])
@pytest.mark.parametrize("which", [0, 1, 2, 3], ids=["root", "war-room", "checklist", "runbook"])
def test_a_thread_post_whose_answer_is_lost_is_posted_once(world, fake_slack, lossy, loss, which):
    lossy.lose("chat.postMessage", *["pass"] * which, loss)
    alert, page = page_alert(fake_slack)
    assert world.app.click("alert_real_incident", alert.alert_id, page)["statusCode"] == 200
    try:
        world.suite.deliver()
    except Exception:  # an answer lost for good fails the delivery: EventBridge delivers it again
        world.suite.function("IncidentThreadFunction").invoke(world.suite.delivered[-1][1])
    assert lossy.lost == [("chat.postMessage", loss)]  # Slack did post it; its answer was lost

    (incident,) = IncidentStore.from_settings().list_open()
    assert top_level(fake_slack) == [page["ts"], incident.thread_ts]  # one root, linked
    texts = [block_text(m) for m in replies(fake_slack, incident)]
    assert len(texts) == 3, texts  # war room, checklist, runbook: once each
    assert "War room" in texts[0] and "Checklist" in texts[1] and "Runbook" in texts[2]
