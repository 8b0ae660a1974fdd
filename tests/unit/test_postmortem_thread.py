"""Cleaning a Slack thread for the document: edits, deletions, bot noise, files, Slack's format."""

from incident_core.postmortem.thread import clean_thread, to_markdown, user_ids_in

ROOT = "1768298887.000100"
SUITE = {"U0BOT00001", "B0BOT00001"}


def message(ts, text, **extra):
    return {"type": "message", "ts": ts, "text": text, "thread_ts": ROOT, **extra}


def test_the_root_is_kept_apart_and_replies_come_in_time_order():
    reading = clean_thread(
        [
            message("1768298900.000300", "second", user="U0WISEN01"),
            message(ROOT, "live state", user="U0BOT00001", bot_id="B0BOT00001"),
            message("1768298890.000200", "first", user="U0ALASTAIR"),
        ],
        ROOT,
        SUITE,
    )
    assert reading.root is not None and reading.root.text == "live state"
    assert [m.text for m in reading.messages] == ["first", "second"]
    assert reading.complete and not reading.left_out


def test_edits_are_shown_as_they_read_now_and_marked():
    edited = message(
        "1768298890.000200",
        "fixed text",
        user="U0ALASTAIR",
        edited={"user": "U0ALASTAIR", "ts": "1768298950.000000"},
    )
    (reply,) = clean_thread([edited], ROOT, SUITE).messages
    assert reply.text == "fixed text"
    assert reply.edited_at is not None and reply.edited_at.isoformat() == "2026-01-13T10:09:10+00:00"


def test_deleted_messages_notices_and_other_bots_are_left_out_and_counted():
    reading = clean_thread(
        [
            message(
                "1768298890.000200",
                "This message was deleted.",
                subtype="tombstone",
                hidden=True,
                user="USLACKBOT",
            ),
            message(
                "1768298891.000200",
                "<@U0WISEN01> has joined the channel",
                subtype="channel_join",
                user="U0WISEN01",
            ),
            message(
                "1768298892.000200",
                "Deploy finished",
                subtype="bot_message",
                bot_id="B0DEPLOYBT",
                username="deploy-bot",
            ),
            message("1768298893.000200", "CI green", bot_id="B0CIBOT001", user="U0CIBOT001"),
            message(
                "1768298894.000200",
                "📄 Incident document and post-mortem draft: v1",
                bot_id="B0BOT00001",
                user="U0BOT00001",
            ),
            message(
                "1768298895.000200",
                ":video_camera: War room: https://zoom.us/j/1",
                bot_id="B0BOT00001",
                user="U0BOT00001",
            ),
            message("1768298896.000200", "no ts"),
        ],
        ROOT,
        SUITE,
    )
    assert [(m.text, m.by_suite) for m in reading.messages] == [
        (":video_camera: War room: https://zoom.us/j/1", True),
        ("no ts", False),
    ]
    assert dict(reading.left_out) == {
        "deleted messages": 1,
        "channel notices (joins, topic changes)": 1,
        "other bots' messages": 2,
    }


def test_a_message_without_a_ts_cannot_be_placed_and_is_counted():
    reading = clean_thread([{"type": "message", "text": "?"}], ROOT, SUITE)
    assert reading.messages == [] and reading.left_out["unreadable messages"] == 1


def test_files_are_noted_and_unreadable_ones_said_so():
    reading = clean_thread(
        [
            message(
                "1768298890.000200",
                "screenshots",
                user="U0ALASTAIR",
                subtype="file_share",
                files=[
                    {
                        "id": "F1",
                        "name": "a.png",
                        "title": "page",
                        "permalink": "https://example.slack.com/files/F1",
                    },
                    {"id": "F2", "mode": "tombstone"},
                    {"id": "F3", "mode": "hidden_by_limit"},
                    {"id": "F4", "name": "b.txt", "file_access": "file_not_found"},
                ],
            )
        ],
        ROOT,
        SUITE,
    )
    files = reading.messages[0].files
    assert [(f.name, f.readable, f.link) for f in files] == [
        ("page", True, "https://example.slack.com/files/F1"),
        ("F2", False, None),
        ("F3", False, None),
        ("b.txt", False, None),
    ]


def test_slack_format_becomes_markdown():
    names = {"U0ALASTAIR": "Alastair"}
    text = (
        "<@U0ALASTAIR> <@U0NONAME1|wisen> see <https://status.example.com|status> and <https://example.com> "
        "in <#C0INCIDENT|incidents> <!here> <!subteam^S0ONCALL|@on-call> 5 &lt; 6 &amp;&amp; &lt;b&gt;"
    )
    assert to_markdown(text, names) == (
        "@Alastair @wisen see status (<https://status.example.com>) and <https://example.com> "
        "in #incidents @here @on-call 5 &lt; 6 &amp;&amp; &lt;b&gt;"
    )
    assert user_ids_in(text) == {"U0ALASTAIR", "U0NONAME1"}


def test_slack_dates_read_as_their_fallback_text():
    text = "passes again <!date^1795515060^{date_short_pretty} {time}|Tue 24 Nov 10:11 GMT>, fine"
    assert to_markdown(text, {}) == "passes again Tue 24 Nov 10:11 GMT, fine"
