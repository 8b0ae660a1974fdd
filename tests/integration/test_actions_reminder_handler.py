"""The reminder function end to end: the schedule's input (from template.yaml), moto, the fake Slack."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from incident_core.actions.store import ActionStore
from incident_core.adapters.dynamo import Table
from incident_core.settings import get_settings
from stand_ins.aws import load_template
from stand_ins.fake_slack import Fault
from stand_ins.local_lambda import functions_from_template
from stand_ins.lossy_proxy import LossyProxy

OPENED = datetime(2026, 12, 21, 11, 0, tzinfo=UTC)  # Monday before Christmas


def schedule_event(at: datetime) -> dict:
    """What EventBridge Scheduler sends: the template's Input with its context attribute filled in."""
    schedule = load_template()["Resources"]["ActionReminderFunction"]["Properties"]["Events"][
        "BusinessMornings"
    ]
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Europe/London"
    text = schedule["Properties"]["Input"].replace(
        "<aws.scheduler.scheduled-time>", at.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return json.loads(text)


@pytest.fixture
def reminder(aws, fake_slack, monkeypatch):
    monkeypatch.setenv("INCIDENTS_CHANNEL", "C0INCIDENTS")
    fake_slack.add_user("U0WISEN01", "Wisen")  # the owner of the second item, a person in the workspace
    get_settings.cache_clear()
    function = functions_from_template()["ActionReminderFunction"]
    function.module.dependencies.cache_clear()
    yield function
    function.module.dependencies.cache_clear()


@pytest.fixture
def store(aws):
    return ActionStore(Table(get_settings().table_name))


def open_items(store):
    store.open(
        "Write the runbook",
        owner="U0ALASTAIR",
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0ALASTAIR",
        now=OPENED,
    )
    store.open(
        "Post-deploy check",
        owner="U0WISEN01",
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0ALASTAIR",
        now=OPENED,
        due=date(2027, 1, 8),
    )
    return store.open(
        "Why the false alarm?",
        owner=None,
        incident_id=None,
        alert_id="alr-1",
        source="false-alarm",
        by=None,
        now=OPENED,
    )


def test_business_morning_posts_the_list_and_messages_each_owner(reminder, store, fake_slack):
    # Both items due by default (Wed 23 Dec) are overdue; the one due Fri 8 Jan is not.
    open_items(store)
    outcome = reminder.invoke(schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC)))
    assert outcome == {
        "reminded": True,
        "open": 3,
        "overdue": 2,
        "messaged": ["U0ALASTAIR", "U0WISEN01"],
        "failed": {},
    }
    channel_post, *direct = fake_slack.calls("chat.postMessage")
    assert channel_post.args["channel"] == "C0INCIDENTS"
    assert channel_post.args["text"] == "Action items on Tue 29 Dec: 3, 2 overdue"
    buttons = [b["accessory"] for b in channel_post.args["blocks"] if b.get("accessory")]
    assert {b["action_id"] for b in buttons} == {"action_done"}
    assert [c.args["users"] for c in fake_slack.calls("conversations.open")] == ["U0ALASTAIR", "U0WISEN01"]
    assert [c.args["channel"] for c in direct] == ["D0ALASTAIR", "D0WISEN01"]
    assert "Write the runbook" in json.dumps(direct[0].args["blocks"])
    assert "Post-deploy check" not in json.dumps(direct[0].args["blocks"])


def test_once_a_day_even_if_the_schedule_fires_twice(reminder, store, fake_slack):
    open_items(store)
    morning = schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC))
    reminder.invoke(morning)
    again = reminder.invoke(morning)
    assert again == {"reminded": False, "why": "already reminded on 2026-12-29"}
    assert len(fake_slack.calls("chat.postMessage")) == 3


@pytest.mark.parametrize(
    ("at", "why"),
    [
        (datetime(2026, 12, 26, 9, 30, tzinfo=UTC), "Sat 26 Dec 2026 is not a London business day"),
        (datetime(2026, 12, 28, 9, 30, tzinfo=UTC), "Mon 28 Dec 2026 is not a London business day"),
        (datetime(2026, 4, 6, 8, 30, tzinfo=UTC), "Mon 06 Apr 2026 is not a London business day"),
    ],
)
def test_weekends_and_holidays_are_skipped(reminder, store, fake_slack, at, why):
    open_items(store)
    assert reminder.invoke(schedule_event(at)) == {"reminded": False, "why": why}
    assert fake_slack.calls("chat.postMessage") == []


def test_done_items_stop_being_reminded(reminder, store, fake_slack):
    for item in store.list_open():
        store.mark_done(item.action_id, "U0ALASTAIR", OPENED)
    open_items(store)
    for item in store.list_open():
        store.mark_done(item.action_id, "U0ALASTAIR", OPENED)
    assert reminder.invoke(schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC))) == {
        "reminded": False,
        "why": "no open action items",
    }


def test_slack_down_fails_the_run_and_the_retry_reminds(reminder, store, fake_slack):
    open_items(store)
    event = schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC))
    # Down for Lambda's first attempt and its first retry (each tries twice, looking in Slack before the
    # second: a 5xx may have been posted); the second retry reminds, once.
    fake_slack.inject(
        "chat.postMessage", *[Fault(status=500, body={"ok": False, "error": "fatal_error"})] * 4
    )
    for _attempt in range(2):
        with pytest.raises(Exception, match="fatal_error"):
            reminder.invoke(event)
    assert reminder.invoke(event)["reminded"] is True
    assert len(fake_slack.messages("C0INCIDENTS")) == 1


def test_one_owner_unreachable_does_not_stop_the_others(reminder, store, fake_slack):
    open_items(store)
    fake_slack.inject("conversations.open", Fault(status=200, body={"ok": False, "error": "user_not_found"}))
    outcome = reminder.invoke(schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC)))
    assert outcome["messaged"] == ["U0WISEN01"]
    assert "user_not_found" in outcome["failed"]["U0ALASTAIR"]


def test_an_item_as_long_as_the_store_allows_is_still_accepted_by_slack(reminder, store, fake_slack):
    # 3,000 characters (the store's limit), with "<" that escaping lengthens: Slack caps a section at 3,000.
    longest = store.open(
        "<" * 10 + "x" * 2990,
        owner="U0ALASTAIR",
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0ALASTAIR",
        now=OPENED,
    )
    outcome = reminder.invoke(schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC)))
    assert outcome["failed"] == {} and outcome["messaged"] == ["U0ALASTAIR"]
    [posted] = fake_slack.messages("C0INCIDENTS")
    line = next(b for b in posted["blocks"] if b.get("block_id") == f"action-{longest.action_id}")
    assert len(line["text"]["text"]) <= 3000
    assert line["text"]["text"].startswith("*P0* " + "&lt;" * 10 + "xxx")
    assert "…" in line["text"]["text"] and "<@U0ALASTAIR>" in line["text"]["text"]


LATE = 3  # seconds: the lossy proxy's late answer, after the reminder's Slack timeout below


@pytest.fixture
def lossy(reminder, fake_slack, monkeypatch):
    """The reminder talking to the fake Slack through a proxy that forwards a post and loses its answer;
    Slack's clock at the reminder's morning (the history is searched from then)."""
    proxy = LossyProxy(fake_slack.url.removesuffix("/api/"), delay=LATE).start()
    monkeypatch.setenv("SLACK_API_URL", proxy.origin + "/api/")
    monkeypatch.setattr(reminder.module, "SLACK_TIMEOUT", 1)
    monkeypatch.setattr(fake_slack, "_clock", lambda: datetime(2026, 12, 29, 9, 30, 5, tzinfo=UTC))
    get_settings.cache_clear()
    reminder.module.dependencies.cache_clear()
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("loss", ["reset", "timeout", "5xx"])
@pytest.mark.parametrize("which", [0, 1, 2], ids=["channel-list", "first-owner", "second-owner"])
def test_a_reminder_whose_answer_is_lost_is_found_in_slack_not_posted_again(
    reminder, store, fake_slack, lossy, loss, which
):
    """Slack posted it but the answer was lost: neither the client nor Lambda's retry of the run posts it
    a second time, and nobody goes without theirs."""
    open_items(store)
    lossy.lose("chat.postMessage", *["pass"] * which, loss)
    event = schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC))

    try:
        outcome = reminder.invoke(event)
    except Exception:
        outcome = reminder.invoke(event)  # Lambda's retry of the failed run

    assert lossy.lost == [("chat.postMessage", loss)]
    assert outcome["reminded"] is True and outcome["failed"] == {}
    posted = {channel: fake_slack.messages(channel) for channel in ("C0INCIDENTS", "D0ALASTAIR", "D0WISEN01")}
    assert {channel: len(messages) for channel, messages in posted.items()} == {
        "C0INCIDENTS": 1,
        "D0ALASTAIR": 1,
        "D0WISEN01": 1,
    }


def test_a_run_that_died_after_claiming_the_day_is_finished_by_the_retry(reminder, store, fake_slack):
    """Lambda's timeout ends a run without its clean-up; its claim lasts only as long as that run could,
    and the retry (a minute later at the earliest) reminds, posting only what the dead run had not."""
    open_items(store)
    morning = datetime(2026, 12, 29, 9, 30, tzinfo=UTC)
    store.claim_reminder_day(morning.date(), morning, lease_until=datetime.now(UTC) - timedelta(seconds=1))

    outcome = reminder.invoke(schedule_event(morning))

    assert outcome["reminded"] is True
    assert len(fake_slack.messages("C0INCIDENTS")) == 1
    assert reminder.invoke(schedule_event(morning)) == {
        "reminded": False,
        "why": "already reminded on 2026-12-29",
    }


def test_a_run_still_within_its_claim_is_left_to_finish(reminder, store, fake_slack):
    open_items(store)
    morning = datetime(2026, 12, 29, 9, 30, tzinfo=UTC)
    store.claim_reminder_day(morning.date(), morning, lease_until=datetime.now(UTC) + timedelta(seconds=50))
    assert reminder.invoke(schedule_event(morning)) == {
        "reminded": False,
        "why": "already reminded on 2026-12-29",
    }
    assert fake_slack.calls("chat.postMessage") == []


def test_a_message_failing_once_is_sent_on_the_next_try_of_the_same_run(reminder, store, fake_slack):
    """A 5xx is an unknown outcome: the message is looked for, not found, and posted again in the same
    run (as the client re-sent it before), so nobody is left without it for the day."""
    open_items(store)
    fake_slack.inject("chat.postMessage", Fault(status=500, body={"ok": False, "error": "fatal_error"}))
    outcome = reminder.invoke(schedule_event(datetime(2026, 12, 29, 9, 30, tzinfo=UTC)))
    assert outcome["reminded"] is True and outcome["failed"] == {}
    posted = [len(fake_slack.messages(channel)) for channel in ("C0INCIDENTS", "D0ALASTAIR", "D0WISEN01")]
    assert posted == [1, 1, 1]
