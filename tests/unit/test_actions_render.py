"""Block Kit for action items: one line each with a Done button (action_id `action_done`)."""

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.actions.render import (
    DONE_ACTION_ID,
    MAX_ITEMS_PER_MESSAGE,
    render_action_list,
    render_done,
)
from incident_core.actions.store import MAX_TEXT_LENGTH
from incident_core.models import ActionItem, ActionStatus
from stand_ins.slack_rules import MAX_MESSAGE_BLOCKS, check_blocks

TODAY = date(2026, 1, 14)


def item(number, due, **extra):
    return ActionItem(
        action_id=f"act-{number:04d}",
        text=f"thing {number}",
        owner="U0WISEN01",
        due=due,
        incident_id="INC-1",
        created_at=datetime(2026, 1, 13, 10, tzinfo=UTC),
        **extra,
    )


def test_each_open_item_has_a_done_button_carrying_its_id():
    text, blocks = render_action_list(
        [item(1, date(2026, 1, 13)), item(2, TODAY), item(3, date(2026, 1, 16))], today=TODAY
    )
    assert text == "Open action items: 3, 1 overdue"
    buttons = [block["accessory"] for block in blocks[1:]]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (DONE_ACTION_ID, "act-0001", "Done"),
        (DONE_ACTION_ID, "act-0002", "Done"),
        (DONE_ACTION_ID, "act-0003", "Done"),
    ]
    lines = [block["text"]["text"] for block in blocks[1:]]
    assert lines[0] == "*P0* thing 1 · <@U0WISEN01> · *overdue* since Tue 13 Jan (1 day) · incident `INC-1`"
    assert "due *today* (Wed 14 Jan)" in lines[1]
    assert "due Fri 16 Jan" in lines[2]
    # Block ids are unique, as Slack requires.
    assert len({block["block_id"] for block in blocks[1:]}) == 3


def test_no_items_says_so():
    text, blocks = render_action_list([], today=TODAY)
    assert text.startswith("Open action items: none")
    assert len(blocks) == 1


def test_long_lists_stay_within_slacks_fifty_blocks():
    items = [item(n, TODAY) for n in range(60)]
    _, blocks = render_action_list(items, today=TODAY)
    assert len(blocks) <= 50
    assert "15 more" in blocks[-1]["elements"][0]["text"]
    assert sum(1 for block in blocks if "accessory" in block) == MAX_ITEMS_PER_MESSAGE


def test_a_done_item_has_no_button_and_says_who():
    done = item(1, TODAY, status=ActionStatus.DONE, done_by="U0ALASTAIR")
    _, (block,) = render_done(done, TODAY)
    assert "accessory" not in block
    assert block["text"]["text"].endswith("done by <@U0ALASTAIR>")


def test_text_keeps_slack_mentions_shows_links_as_text_and_escapes_stray_angle_brackets():
    special = item(1, TODAY).model_copy(
        update={"text": "ask <@U0ALASTAIR> about <https://x.example|x> when a <b <!channel>"}
    )
    _, blocks = render_action_list([special], today=TODAY)
    shown = blocks[1]["text"]["text"]
    assert "ask <@U0ALASTAIR> about x (https://x.example) when a &lt;b @channel" in shown


@settings(max_examples=60, deadline=None)
@given(
    # near the store's limit, where the rest of the line (owner, due date, incident) pushes it over
    text=st.text(
        alphabet=st.sampled_from("ab <>&@#!|*_`\n…é"), min_size=MAX_TEXT_LENGTH - 40, max_size=MAX_TEXT_LENGTH
    ),
    done=st.booleans(),
)
def test_any_item_the_store_accepts_renders_blocks_slack_accepts(text, done):
    extra = {"status": ActionStatus.DONE, "done_by": "U0ALASTAIR"} if done else {}
    long_item = item(7, TODAY, **extra).model_copy(update={"text": text})
    for _, blocks in (render_action_list([long_item], today=TODAY), render_done(long_item, TODAY)):
        assert check_blocks(blocks, MAX_MESSAGE_BLOCKS, "/blocks") is None
    line = render_done(long_item, TODAY)[1][0]["text"]["text"]
    assert len(line) <= 3000 and line.startswith("*P0* ")


def test_an_items_line_shows_its_issue_and_state_or_that_it_is_pending():
    from incident_core.actions.render import item_line

    linked = item(
        1,
        TODAY,
        tracker_issue=12,
        tracker_url="https://github.com/example-org/product/issues/12",
        tracker_state="open",
    )
    assert item_line(linked, TODAY).endswith(
        "<https://github.com/example-org/product/issues/12|issue #12> open"
    )
    pending = item(2, TODAY, tracker_error="GitHub answered POST /issues with HTTP 503")
    assert item_line(pending, TODAY).endswith("issue pending (the tracker did not take it yet)")
    closed = item(
        3, TODAY, status=ActionStatus.DONE, done_by="github:wisen-gh", tracker_issue=3, tracker_state="closed"
    )
    assert "done by `github:wisen-gh`" in item_line(closed, TODAY) and item_line(closed, TODAY).endswith(
        "issue #3 closed"
    )
