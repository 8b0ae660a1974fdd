"""Action items as GitHub issues, through the tracker functions (template.yaml), moto, the fake Slack and
the strict fake GitHub (stand_ins/fake_github.py): nothing lost, nothing doubled, in step both ways."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from incident_core.actions.reminders import plan_reminders
from incident_core.actions.store import ActionStore, london_today
from incident_core.actions.tracking import action_id_in
from incident_core.adapters.aws import client
from incident_core.models import ActionStatus
from incident_core.policy.calendar import add_business_days
from incident_core.settings import get_settings
from stand_ins.local_lambda import functions_from_template

OPENED = datetime(2026, 12, 21, 11, 0, tzinfo=UTC)  # Monday
WEBHOOK_SECRET = "webhook-secret-placeholder"
WISEN, WISEN_LOGIN = "U0WISEN", "wisen-gh"


@pytest.fixture
def tracker(aws, fake_slack, fake_github, monkeypatch):
    """The tracker sync and webhook functions, their secrets in moto."""
    monkeypatch.setenv("INCIDENTS_CHANNEL", "C0INCIDENTS")
    monkeypatch.setattr(fake_github, "_clock", lambda: OPENED + timedelta(minutes=1))  # GitHub's clock
    monkeypatch.setenv("TRACKER_SECRET_ID", "incident-suite-test/tracker")
    monkeypatch.setenv("TRACKER_WEBHOOK_SECRET_ID", "incident-suite-test/tracker-webhook")
    monkeypatch.setenv("DOCUMENTS_BUCKET", "incident-suite-test-documents")
    get_settings.cache_clear()
    secrets = client("secretsmanager")
    secrets.create_secret(
        Name="incident-suite-test/tracker", SecretString=json.dumps({"token": fake_github.TOKEN})
    )
    secrets.create_secret(
        Name="incident-suite-test/tracker-webhook",
        SecretString=json.dumps({"webhook_secret": WEBHOOK_SECRET}),
    )
    functions = functions_from_template()
    sync, webhook = functions["TrackerSyncFunction"], functions["TrackerWebhookFunction"]
    for function in (sync, webhook):
        for made in ("sync", "dependencies"):
            if hasattr(function.module, made):
                getattr(function.module, made).cache_clear()
    yield sync, webhook
    for function in (sync, webhook):
        for made in ("sync", "dependencies"):
            if hasattr(function.module, made):
                getattr(function.module, made).cache_clear()


def changed(action_id: str, change: str = "opened") -> dict:
    """ActionItemChanged as the bus rule delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ActionItemChanged",
        "source": "incident-suite",
        "account": "123456789012",
        "time": "2026-12-21T11:00:00Z",
        "region": "eu-west-2",
        "resources": [],
        "detail": {"action_id": action_id, "change": change, "changed_at": "2026-12-21T11:00:00Z"},
    }


def scheduled(run: str) -> dict:
    return {"run": run, "scheduled_time": "2026-12-22T02:15:00Z"}


def open_item(text: str = "Check the button after every frontend deploy", owner: str = WISEN):
    return ActionStore.from_settings().open(
        text, owner=owner, incident_id=None, alert_id=None, source="manual", by="U0ALASTAIR", now=OPENED
    )


def function_url_event(body: bytes, headers: dict, method: str = "POST") -> dict:
    """A Lambda Function URL request (payload format 2.0), as the webhook function receives GitHub's POST."""
    return {
        "version": "2.0",
        "rawPath": "/",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": method, "path": "/"}, "requestId": str(uuid.uuid4())},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def deliver(webhook, fake_github, number: int, action: str, actor: str = WISEN_LOGIN, **kwargs) -> dict:
    body = fake_github.webhook_body(number, action, actor)
    headers = fake_github.signed_headers(body, WEBHOOK_SECRET, **kwargs)
    return webhook.invoke(function_url_event(body, headers))


# ---------------------------------------------------------------------- nothing doubled
def test_an_item_becomes_one_labelled_assigned_issue_with_its_id_hidden_in_the_body(tracker, fake_github):
    sync, _ = tracker
    item = open_item()
    outcome = sync.invoke(changed(item.action_id))
    assert outcome["outcomes"] == {item.action_id: "created issue #1"}
    (issue,) = fake_github.issues()
    assert {label["name"] for label in issue["labels"]} == {"incident", "P0"}
    assert set(fake_github.labels()) == {"incident", "P0"}  # created at start-up, when missing
    assert [a["login"] for a in issue["assignees"]] == [WISEN_LOGIN]
    assert issue["title"] == item.text
    assert (
        action_id_in(issue["body"]) == item.action_id and "<!-- incident-suite:action-item=" in issue["body"]
    )
    assert "**Due**: 2026-12-23" in issue["body"] and "business day" in issue["body"]
    stored = ActionStore.from_settings().get(item.action_id)
    assert (stored.tracker_issue, stored.tracker_state) == (1, "open")
    assert stored.tracker_url == "https://github.com/example-org/product/issues/1"


def test_a_create_whose_answer_is_lost_makes_one_issue_when_retried(tracker, fake_github):
    sync, _ = tracker
    item = open_item()
    fake_github.lose_answer(1)
    lost = sync.invoke(changed(item.action_id))  # the issue was made; the answer never came
    assert "later: GitHub could not be reached" in lost["outcomes"][item.action_id]
    assert len(fake_github.issues()) == 1
    assert sync.invoke(changed(item.action_id))["outcomes"] == {item.action_id: "found issue #1"}
    assert len(fake_github.issues()) == 1
    assert len(fake_github.writes("POST", "/issues")) == 1
    assert ActionStore.from_settings().get(item.action_id).tracker_issue == 1


def test_the_same_event_delivered_twice_makes_one_issue(tracker, fake_github):
    sync, _ = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    second = sync.invoke(changed(item.action_id))
    assert second["outcomes"] == {item.action_id: "in step"}
    assert len(fake_github.issues()) == 1


# ---------------------------------------------------------------------- nothing lost
def test_github_down_for_an_hour_then_the_item_is_created_once_it_is_back(tracker, fake_github):
    sync, _ = tracker
    item = open_item()
    fake_github.down()
    assert "HTTP 503" in sync.invoke(changed(item.action_id))["outcomes"][item.action_id]
    for _run in range(4):  # the 15-minute pending runs of the hour
        outcome = sync.invoke(scheduled("pending"))
        assert "later" in outcome["outcomes"][item.action_id]
    pending = ActionStore.from_settings().get(item.action_id)
    assert pending.tracker_pending and "503" in pending.tracker_error and pending.status == ActionStatus.OPEN
    fake_github.up()
    assert sync.invoke(scheduled("pending"))["outcomes"] == {item.action_id: "created issue #1"}
    assert sync.invoke(scheduled("pending"))["outcomes"] == {}
    assert len(fake_github.issues()) == 1
    assert ActionStore.from_settings().get(item.action_id).tracker_error is None


@pytest.mark.parametrize("primary", [True, False], ids=["primary", "secondary"])
def test_a_rate_limit_is_waited_out_not_hammered(tracker, fake_github, primary):
    sync, _ = tracker
    item = open_item()
    fake_github.rate_limit(primary=primary)
    assert "later" in sync.invoke(scheduled("pending"))["outcomes"][item.action_id]
    waiting = ActionStore.from_settings().get(item.action_id)
    assert waiting.tracker_retry_at is not None and waiting.tracker_retry_at > datetime.now(UTC)
    asked = len(fake_github.calls)
    fake_github.lift_rate_limit()
    assert sync.invoke(scheduled("pending"))["outcomes"] == {item.action_id: "waiting for the rate limit"}
    assert len(fake_github.calls) == asked  # nothing sent before the limit's end


def test_a_revoked_token_is_said_once_in_the_thread_and_the_item_kept(tracker, fake_github, fake_slack):
    sync, _ = tracker
    item = open_item()
    fake_github.revoke()
    for _run in range(3):
        assert "refused" in sync.invoke(scheduled("pending"))["outcomes"][item.action_id]
    said = [m for m in fake_slack.messages("C0INCIDENTS") if "could not be put in the tracker" in m["text"]]
    assert len(said) == 1 and "Bad credentials" in said[0]["text"] and "incidentctl doctor" in said[0]["text"]
    assert ActionStore.from_settings().get(item.action_id).tracker_pending


# ---------------------------------------------------------------------- in step both ways
def test_closing_the_issue_by_webhook_closes_the_item_says_so_and_stops_its_reminders(
    tracker, fake_github, fake_slack
):
    sync, webhook = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    assert plan_reminders(ActionStore.from_settings().list_open(), OPENED + timedelta(days=1)).open_count == 1
    fake_github.act(1, WISEN_LOGIN, state="closed")
    answer = deliver(webhook, fake_github, 1, "closed")
    assert answer["statusCode"] == 200, answer
    done = ActionStore.from_settings().get(item.action_id)
    assert (done.status, done.done_by, done.tracker_state) == (
        ActionStatus.DONE,
        f"github:{WISEN_LOGIN}",
        "closed",
    )
    said = [m for m in fake_slack.messages("C0INCIDENTS") if "is done" in m["text"]]
    assert len(said) == 1 and "#1" in said[0]["text"] and "reminders stop" in said[0]["text"]
    assert plan_reminders(ActionStore.from_settings().list_open(), OPENED + timedelta(days=1)).channel is None
    # The next morning's reminder: no open item to chase, the closed one said done with its issue.
    store = ActionStore.from_settings()
    next_day = add_business_days(london_today(done.done_at), 1)
    next_morning = datetime.combine(next_day, time(9, 30), tzinfo=ZoneInfo("Europe/London"))
    plan = plan_reminders(
        [*store.list_open(), *store.list_done_since(london_today(done.done_at))], next_morning
    )
    shown = json.dumps(plan.channel.blocks)
    assert "Done since the last reminder" in shown and "issue #1" in shown and "closed" in shown

    fake_github.act(1, WISEN_LOGIN, state="open")
    assert deliver(webhook, fake_github, 1, "reopened")["statusCode"] == 200
    assert ActionStore.from_settings().get(item.action_id).status == ActionStatus.OPEN


def test_title_assignee_and_due_changed_on_github_reach_the_item(tracker, fake_github):
    sync, webhook = tracker
    item = open_item(owner="U0ALASTAIR")
    sync.invoke(changed(item.action_id))
    body = fake_github.issues()[0]["body"].replace("**Due**: 2026-12-23", "**Due**: 2027-01-08")
    fake_github.act(
        1, "alastair-gh", title="Check the button after each deploy", assignees=[WISEN_LOGIN], body=body
    )
    assert deliver(webhook, fake_github, 1, "edited")["statusCode"] == 200
    edited = ActionStore.from_settings().get(item.action_id)
    assert (edited.text, edited.owner, edited.due.isoformat()) == (
        "Check the button after each deploy",
        WISEN,
        "2027-01-08",
    )


def test_done_in_the_suite_closes_the_issue(tracker, fake_github):
    sync, _ = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    ActionStore.from_settings().mark_done(item.action_id, by=WISEN, now=OPENED)
    assert sync.invoke(changed(item.action_id, "done"))["outcomes"] == {
        item.action_id: "updated issue #1 (state)"
    }
    (issue,) = fake_github.issues()
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")


def test_a_missed_webhook_is_caught_by_the_nightly_reconciliation(tracker, fake_github, fake_slack):
    sync, _ = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    fake_github.act(1, WISEN_LOGIN, state="closed")  # closed on github.com; the webhook never arrives
    outcome = sync.invoke(scheduled("reconcile"))
    assert outcome["outcomes"][item.action_id] == "took issue #1's changes"
    assert ActionStore.from_settings().get(item.action_id).status == ActionStatus.DONE
    assert any("is done" in m["text"] for m in fake_slack.messages("C0INCIDENTS"))
    assert sync.invoke(scheduled("reconcile"))["outcomes"][item.action_id] == "in step"


# ---------------------------------------------------------------------- the webhook's front door
def test_a_forged_webhook_is_refused_and_changes_nothing(tracker, fake_github):
    sync, webhook = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    fake_github.act(1, WISEN_LOGIN, state="closed")
    body = fake_github.webhook_body(1, "closed", WISEN_LOGIN)
    for headers in (
        fake_github.signed_headers(body, "not-the-secret"),
        {**fake_github.signed_headers(body, WEBHOOK_SECRET), "X-Hub-Signature-256": "sha256=" + "0" * 64},
        {
            k: v
            for k, v in fake_github.signed_headers(body, WEBHOOK_SECRET).items()
            if k != "X-Hub-Signature-256"
        },
    ):
        assert webhook.invoke(function_url_event(body, headers))["statusCode"] == 401
    tampered = body.replace(b'"closed"', b'"open"', 1)
    headers = fake_github.signed_headers(body, WEBHOOK_SECRET)
    assert webhook.invoke(function_url_event(tampered, headers))["statusCode"] == 401
    assert webhook.invoke(function_url_event(b"", {}, method="GET"))["statusCode"] == 405
    assert ActionStore.from_settings().get(item.action_id).status == ActionStatus.OPEN


def test_a_replayed_webhook_is_refused(tracker, fake_github, fake_slack):
    sync, webhook = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    fake_github.act(1, WISEN_LOGIN, state="closed")
    body = fake_github.webhook_body(1, "closed", WISEN_LOGIN)
    headers = fake_github.signed_headers(body, WEBHOOK_SECRET)
    assert webhook.invoke(function_url_event(body, headers))["statusCode"] == 200
    ActionStore.from_settings().reopen(item.action_id)
    replay = webhook.invoke(function_url_event(body, headers))
    assert replay["statusCode"] == 409 and "replay" in replay["body"]
    assert ActionStore.from_settings().get(item.action_id).status == ActionStatus.OPEN


def test_an_issue_the_suite_did_not_make_is_ignored(tracker, fake_github):
    _, webhook = tracker
    item = open_item()
    # A person's own issue in the same repository, with a marker-like text but no item behind it.
    made = requests.post(
        f"{fake_github.api_url}/repos/{fake_github.repository}/issues",
        json={"title": "Someone's issue", "body": "<!-- incident-suite:action-item=act-unknown1 -->"},
        headers={
            "Authorization": f"Bearer {fake_github.TOKEN}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        timeout=5,
    ).json()
    fake_github.act(made["number"], WISEN_LOGIN, state="closed")
    answer = deliver(webhook, fake_github, made["number"], "closed")
    assert answer["statusCode"] == 200 and "not made by the suite" in answer["body"]
    assert ActionStore.from_settings().get(item.action_id).status == ActionStatus.OPEN


# ---------------------------------------------------------------------- from Slack to the issue
def test_an_item_opened_in_slack_becomes_an_issue_and_done_in_slack_closes_it(
    tracker, fake_github, fake_slack
):
    from stand_ins.slack_requests import button_body
    from tests.slack_support import SlackApp, bus_events, capture_bus

    sync, _ = tracker
    queue = capture_bus(get_settings().bus_name)
    app = SlackApp.start(fake_slack)
    app.command(f"action add a retry to the viewing API <@{WISEN}|wisen>")
    (item,) = ActionStore.from_settings().list_open()

    def deliver_bus() -> list[str]:
        seen = [
            e for e in bus_events(get_settings().bus_name, queue) if e["detail-type"] == "ActionItemChanged"
        ]
        for event in seen:
            event.setdefault("account", "123456789012")  # moto leaves it out; EventBridge always sends it
            sync.invoke(event)  # what the bus rule delivers to the tracker sync
        return [e["detail"]["change"] for e in seen]

    assert deliver_bus() == ["opened"]
    (issue,) = fake_github.issues()
    assert issue["state"] == "open" and [a["login"] for a in issue["assignees"]] == [WISEN_LOGIN]

    app.command("actions")
    listing = app.responses()[-1]
    assert "issue #1" in json.dumps(listing["blocks"])  # /incident actions shows the issue and its state
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
        "C0INCIDENTS",
        app.response_url,
        block_id=f"action-{item.action_id}",
    )
    assert app.post(body)["statusCode"] == 200
    assert deliver_bus() == ["done"]
    (issue,) = fake_github.issues()
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert ActionStore.from_settings().get(item.action_id).tracker_state == "closed"


def test_an_incidents_item_links_its_thread_and_document_and_the_document_is_compiled_again(
    tracker, fake_github, fake_slack
):
    from incident_core.incidents.store import IncidentStore
    from incident_core.models import Incident, IncidentStatus
    from tests.slack_support import bus_events, capture_bus

    sync, webhook = tracker
    queue = capture_bus(get_settings().bus_name)
    root = fake_slack.add_user_message("C0INCIDENTS", "Incident INC-20261221-1", "U0ALASTAIR")["ts"]
    IncidentStore.from_settings().create(
        Incident(
            incident_id="INC-20261221-1",
            title="Book viewing button missing",
            status=IncidentStatus.RESOLVED,
            declared_by="U0ALASTAIR",
            started_at=OPENED,
            detected_at=OPENED,
            declared_at=OPENED,
            resolved_at=OPENED + timedelta(minutes=30),
            channel="C0INCIDENTS",
            thread_ts=root,
        )
    )
    item = ActionStore.from_settings().open(
        "Check the button after every deploy",
        owner=WISEN,
        incident_id="INC-20261221-1",
        alert_id=None,
        source="post-mortem",
        by="U0ALASTAIR",
        now=OPENED,
    )
    sync.invoke(changed(item.action_id))
    (issue,) = fake_github.issues()
    permalink = f"https://example.slack.com/archives/C0INCIDENTS/p{root.replace('.', '')}"
    assert f"**Incident thread**: {permalink}" in issue["body"]
    assert "**Incident document**: https://eu-west-2.console.aws.amazon.com/s3/object/" in issue["body"]
    assert "prefix=incidents/INC-20261221-1.md" in issue["body"]
    fake_github.act(1, WISEN_LOGIN, state="closed")
    assert deliver(webhook, fake_github, 1, "closed")["statusCode"] == 200
    requested = [e["detail"] for e in bus_events(get_settings().bus_name, queue)]
    assert [r["incident_id"] for r in requested] == [
        "INC-20261221-1",
        "INC-20261221-1",
    ]  # linked, then closed
    (said,) = [m for m in fake_slack.thread("C0INCIDENTS", root) if "is done" in m["text"]]
    assert "#1" in said["text"]


def test_an_owner_who_cannot_be_assigned_gets_an_unassigned_issue_and_the_thread_is_told(
    tracker, fake_github, fake_slack
):
    sync, _ = tracker
    fake_github.repositories[fake_github.repository.lower()].collaborators.discard(WISEN_LOGIN)
    item = open_item()
    assert sync.invoke(changed(item.action_id))["outcomes"] == {item.action_id: "created issue #1"}
    (issue,) = fake_github.issues()
    assert issue["assignees"] == []
    (said,) = [m for m in fake_slack.messages("C0INCIDENTS") if "unassigned" in m["text"]]
    assert WISEN_LOGIN in said["text"] and "assignees" in said["text"]


def test_a_delivery_whose_work_failed_is_forgotten_and_githubs_redelivery_completes_it(
    tracker, fake_github, fake_slack
):
    from stand_ins.fake_slack import Fault

    sync, webhook = tracker
    item = open_item()
    sync.invoke(changed(item.action_id))
    fake_github.act(1, WISEN_LOGIN, state="closed")
    body = fake_github.webhook_body(1, "closed", WISEN_LOGIN)
    headers = fake_github.signed_headers(body, WEBHOOK_SECRET)
    fake_slack.inject("chat.postMessage", Fault(status=500, body={"ok": False, "error": "fatal_error"}))
    with pytest.raises(Exception, match="fatal_error"):
        webhook.invoke(function_url_event(body, headers))  # Slack down: GitHub sees a failed delivery
    assert ActionStore.from_settings().get(item.action_id).status == ActionStatus.DONE
    assert not [m for m in fake_slack.messages("C0INCIDENTS") if "is done" in m["text"]]
    redelivered = webhook.invoke(function_url_event(body, headers))  # GitHub's redelivery: the same id
    assert redelivered["statusCode"] == 200, redelivered
    assert len([m for m in fake_slack.messages("C0INCIDENTS") if "is done" in m["text"]]) == 1
    assert ActionStore.from_settings().get(item.action_id).tracker_state == "closed"


def test_due_owner_and_text_changed_in_slack_reach_the_issue(tracker, fake_github, fake_slack):
    from tests.slack_support import SlackApp, bus_events, capture_bus

    sync, _ = tracker
    queue = capture_bus(get_settings().bus_name)
    app = SlackApp.start(fake_slack)
    app.command(f"action add a retry to the viewing API <@{WISEN}|wisen>")
    (item,) = ActionStore.from_settings().list_open()

    def deliver_bus() -> list[str]:
        seen = [
            e for e in bus_events(get_settings().bus_name, queue) if e["detail-type"] == "ActionItemChanged"
        ]
        for event in seen:
            event.setdefault("account", "123456789012")
            sync.invoke(event)
        return [e["detail"]["change"] for e in seen]

    assert deliver_bus() == ["opened"]
    far = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    app.command(f"edit {item.action_id} due {far}")
    app.command(f"edit {item.action_id} owner <@U0ALASTAIR|alastair>")
    app.command(f"edit {item.action_id} text add a retry and a timeout to the viewing API")
    assert deliver_bus() == ["edited"] * 3
    (issue,) = fake_github.issues()
    assert issue["title"] == "add a retry and a timeout to the viewing API"
    assert [a["login"] for a in issue["assignees"]] == ["alastair-gh"]
    assert f"**Due**: {far}" in issue["body"]
    app.command(f"edit {item.action_id} due 2020-01-01")
    assert "was not changed" in app.responses()[-1]["text"] and "in the past" in app.responses()[-1]["text"]
