"""Reading incident threads from the fake Slack over HTTP: pagination, rate limits, failures, edits."""

from datetime import UTC, datetime

import pytest

from incident_core.adapters.slack import web_client
from incident_core.models import Incident, TimelineEntry, TimelineKind
from incident_core.postmortem.compile import DocumentInputs, compile_document
from incident_core.postmortem.service import SlackReader
from incident_core.postmortem.thread import clean_thread, fetch_thread
from incident_core.settings import get_settings
from stand_ins.fake_slack import FakeSlack, Fault

CHANNEL = "C0INCIDENTS"
ROOT = "1768298887.000100"
SUITE = {FakeSlack.BOT_USER_ID, FakeSlack.BOT_ID}


@pytest.fixture
def reader(fake_slack):
    return SlackReader(web_client(get_settings(), "xoxb-test-placeholder"))


def thread_of(replies: int) -> list[dict]:
    root = {
        "type": "message",
        "ts": ROOT,
        "text": "live state",
        "user": FakeSlack.BOT_USER_ID,
        "bot_id": FakeSlack.BOT_ID,
        "thread_ts": ROOT,
    }
    people = ("U0ALASTAIR", "U0WISEN01")
    return [root] + [
        {
            "type": "message",
            "ts": f"{1768298900 + n}.{n:06d}",
            "text": f"reply {n}",
            "user": people[n % 2],
            "thread_ts": ROOT,
        }
        for n in range(replies)
    ]


def test_a_thread_of_a_thousand_replies_is_read_page_by_page(fake_slack, reader):
    fake_slack.load_messages(CHANNEL, thread_of(1050))
    fetched = fetch_thread(reader, CHANNEL, ROOT)
    assert fetched.complete and fetched.pages == 6
    calls = fake_slack.calls("conversations.replies")
    assert [c.args.get("cursor") for c in calls] == [None, "200", "400", "600", "800", "1000"]
    assert {c.args["limit"] for c in calls} == {"200"}
    reading = clean_thread(fetched.raw, ROOT, SUITE)
    assert len(reading.messages) == 1050
    assert [m.text for m in reading.messages[:2]] + [reading.messages[-1].text] == [
        "reply 0",
        "reply 1",
        "reply 1049",
    ]


def test_a_rate_limit_is_waited_out(fake_slack, reader):
    fake_slack.load_messages(CHANNEL, thread_of(250))
    fake_slack.inject("conversations.replies", Fault(status=429, retry_after=1))
    fetched = fetch_thread(reader, CHANNEL, ROOT)
    assert fetched.complete and len(fetched.raw) == 251
    assert len(fake_slack.calls("conversations.replies")) == 3  # the 429, then two pages


def test_slack_failing_from_the_start_is_said_plainly(fake_slack, reader):
    fake_slack.load_messages(CHANNEL, thread_of(5))
    fake_slack.inject(
        "conversations.replies", *[Fault(status=500, body={"ok": False, "error": "fatal_error"})] * 3
    )
    fetched = fetch_thread(reader, CHANNEL, ROOT)
    assert fetched.raw == []
    assert fetched.problems == ["Slack thread could not be read at all: HTTP 500 (fatal_error)"]


def test_an_unknown_thread_is_reported_not_raised(fake_slack, reader):
    fetched = fetch_thread(reader, CHANNEL, "1.000001")
    assert fetched.problems == ["Slack thread could not be read at all: HTTP 200 (thread_not_found)"]


def test_edits_and_deletions_made_in_slack_show_in_the_document(fake_slack, reader):
    fake_slack.load_messages(CHANNEL, thread_of(3))
    fake_slack.edit_user_message(CHANNEL, "1768298900.000000", "reply 0, corrected")
    fake_slack.delete_user_message(CHANNEL, "1768298901.000001")
    incident = Incident(
        incident_id="INC-1",
        title="t",
        declared_by="U0ALASTAIR",
        started_at=datetime(2026, 1, 13, 10, tzinfo=UTC),
        detected_at=datetime(2026, 1, 13, 10, tzinfo=UTC),
        declared_at=datetime(2026, 1, 13, 10, tzinfo=UTC),
        channel=CHANNEL,
        thread_ts=ROOT,
    )
    # The timeline caught the reply before it was deleted but missed the deletion event.
    recorded = TimelineEntry(
        incident_id="INC-1",
        at=datetime.fromtimestamp(1768298901, UTC),
        kind=TimelineKind.MESSAGE,
        text="reply 1",
        author="U0WISEN01",
        slack_ts="1768298901.000001",
        key="msg-1768298901.000001",
    )
    fetched = fetch_thread(reader, CHANNEL, ROOT)
    reading = clean_thread(fetched.raw, ROOT, SUITE, fetched.problems)
    markdown = compile_document(
        DocumentInputs(incident=incident, timeline=[recorded], thread=reading),
        datetime(2026, 1, 13, 11, tzinfo=UTC),
    ).markdown
    assert "reply 0, corrected _(edited)_" in markdown
    assert "reply 1" not in markdown
    assert "deleted messages: 1" in markdown
    assert "reply 2" in markdown


def test_names_come_from_slack_and_a_failed_lookup_leaves_the_id(fake_slack, reader):
    fake_slack.state.users["U0ALASTAIR"] = {"real_name": "Alastair Example", "display_name": "Alastair"}
    fake_slack.state.users["U0WISEN01"] = {"real_name": "Wisen Example", "display_name": ""}
    # Looked up in id order: Alastair's lookup fails, Wisen's works (no display name: the real name).
    fake_slack.inject("users.info", Fault(status=200, body={"ok": False, "error": "user_not_found"}))
    assert reader.names({"U0ALASTAIR", "U0WISEN01"}) == {"U0WISEN01": "Wisen Example"}
    # A later compilation asks again for the missing one only; found names are kept per container.
    assert reader.names({"U0ALASTAIR", "U0WISEN01"}) == {
        "U0ALASTAIR": "Alastair",
        "U0WISEN01": "Wisen Example",
    }
    assert [c.args["user"] for c in fake_slack.calls("users.info")] == [
        "U0ALASTAIR",
        "U0WISEN01",
        "U0ALASTAIR",
    ]
    assert reader.suite_bot_ids() == SUITE
