"""Thread messages (Slack's documented Events API payloads) read as timeline changes."""

from datetime import UTC, datetime

import pytest

from incident_core.incidents.timeline import ChangeKind, alert_history_entries, slack_time, thread_change
from incident_core.models import AlertEvent
from tests.helpers import documented


def test_documented_thread_reply_is_a_reply():
    event = documented("slack_event_callback_thread_reply_message.json")["event"]
    change = thread_change(event)
    assert change.kind == ChangeKind.REPLY
    assert (change.channel, change.thread_ts, change.ts, change.user) == (
        "D111",
        "1726133698.626339",
        "1726133700.887259",
        "W222",
    )
    assert change.text == "When Slack was released?"
    assert change.key == "msg-1726133700.887259"
    assert change.at == datetime(2024, 9, 12, 9, 35, 0, 887259, tzinfo=UTC)
    entry = change.entry("INC-1")
    assert (entry.author, entry.slack_ts, entry.edited_at, entry.deleted) == ("W222", change.ts, None, False)


def test_documented_thread_broadcast_is_a_reply_too():
    change = thread_change(documented("slack_event_callback_thread_broadcast.json")["event"])
    assert (change.kind, change.thread_ts, change.text) == (
        ChangeKind.REPLY,
        "1673464730.703009",
        "broadcasting this reply",
    )


@pytest.mark.parametrize(
    "event",
    [
        {"type": "message", "channel": "C1", "user": "U1", "ts": "1.1", "text": "not in a thread"},
        {"type": "message", "channel": "C1", "user": "U1", "ts": "1.1", "thread_ts": "1.1", "text": "a root"},
        {
            "type": "message",
            "channel": "C1",
            "bot_id": "B1",
            "user": "U0BOT",
            "ts": "1.2",
            "thread_ts": "1.1",
        },
        {
            "type": "message",
            "subtype": "channel_join",
            "channel": "C1",
            "user": "U1",
            "ts": "1.2",
            "thread_ts": "1.1",
        },
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C1",
            "message": {"ts": "1.1", "thread_ts": "1.1", "user": "U0BOT", "bot_id": "B1"},
        },
        {"type": "app_mention", "channel": "C1", "user": "U1", "ts": "1.2", "thread_ts": "1.1"},
    ],
    ids=["no thread", "root", "bot", "join", "root edited by the bot", "not a message"],
)
def test_what_is_not_a_reply_is_ignored(event):
    assert thread_change(event) is None


def test_edit_and_deletion_name_the_reply_they_change():
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C1",
        "ts": "1700000100.000300",
        "message": {
            "user": "U1",
            "text": "fixed",
            "ts": "1700000000.000200",
            "thread_ts": "1700000000.000100",
            "edited": {"user": "U1", "ts": "1700000100.000300"},
        },
    }
    change = thread_change(edit)
    assert (change.kind, change.key, change.text) == (ChangeKind.EDIT, "msg-1700000000.000200", "fixed")
    assert change.at == slack_time("1700000100.000300")
    deletion = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C1",
        "ts": "1700000200.000400",
        "deleted_ts": "1700000000.000200",
        "previous_message": {
            "user": "U1",
            "text": "fixed",
            "ts": "1700000000.000200",
            "thread_ts": "1700000000.000100",
        },
    }
    change = thread_change(deletion)
    assert (change.kind, change.key) == (ChangeKind.DELETE, "msg-1700000000.000200")
    entry = change.entry("INC-1")
    assert (entry.deleted, entry.text) == (True, "")


def test_shared_files_are_named_in_the_entry():
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel": "C1",
        "user": "U1",
        "ts": "1.2",
        "thread_ts": "1.1",
        "text": "the error",
        "files": [{"name": "trace.png"}],
    }
    assert thread_change(event).text == "the error [shared: trace.png]"


def test_alert_history_keeps_its_first_and_latest_lines():
    history = [AlertEvent(at=datetime(2026, 3, 2, 9, i, tzinfo=UTC), what=f"line {i}") for i in range(30)]
    entries = alert_history_entries("INC-1", history, limit=8)
    assert [e.text for e in entries] == ["Alert line 0", "Alert line 1"] + [
        f"Alert line {i}" for i in range(24, 30)
    ]
    assert len({e.key for e in entries}) == 8


def test_a_bad_ts_is_named():
    with pytest.raises(ValueError, match="not a Slack timestamp: 'soon'"):
        slack_time("soon")
