"""Block Kit for action items: one line per item with a Done button (action_id `action_done`).

The Slack app answers `/incident actions` with `render_action_list(...)` and, when Done is clicked,
calls `ActionStore.mark_done(value)` and replaces the message with the list re-rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from incident_core.incidents.render import mrkdwn
from incident_core.models import ActionItem, ActionStatus

DONE_ACTION_ID = "action_done"
# Slack refuses a section whose text is longer (invalid_blocks); an item's own text may be as long.
MAX_SECTION_TEXT = 3000
# Slack allows 50 blocks per message: a header, the items, and one closing note.
MAX_ITEMS_PER_MESSAGE = 45


def due_phrase(item: ActionItem, today: date) -> str:
    days = (item.due - today).days
    when = item.due.strftime("%a %d %b")
    if item.status == ActionStatus.DONE:
        return f"was due {when}"
    if days < 0:
        return f"*overdue* since {when} ({-days} day{'s' if days != -1 else ''})"
    if days == 0:
        return f"due *today* ({when})"
    return f"due {when}"


def item_line(item: ActionItem, today: date) -> str:
    """The item's line, its text shortened (…) when the whole would pass Slack's section limit."""
    owner = f"<@{item.owner}>" if item.owner else "_no owner yet_"
    rest = [owner, due_phrase(item, today)]
    if item.incident_id:
        rest.append(f"incident `{item.incident_id}`")
    if item.status == ActionStatus.DONE:
        rest.append(f"done by {_who(item.done_by)}" if item.done_by else "done")
    if item.tracker_issue is not None or item.tracker_error:
        rest.append(tracker_link(item))
    prefix = f"*{item.priority}* "
    budget = MAX_SECTION_TEXT - len(prefix) - sum(len(part) + len(" · ") for part in rest)
    return " · ".join([prefix + _fit(item.text, budget), *rest])


def tracker_link(item: ActionItem) -> str:
    """Its issue in the team's tracker and the issue's state (or that it is still to be made)."""
    if item.tracker_issue is None:
        return "issue pending (the tracker did not take it yet)"
    state = item.tracker_state or "open"
    return (
        f"<{item.tracker_url}|issue #{item.tracker_issue}> {state}"
        if item.tracker_url
        else f"issue #{item.tracker_issue} {state}"
    )


def _who(user: str) -> str:
    # Closed in the tracker: "github:<login>", shown as the login (no Slack mention to make).
    return f"`{user}`" if user.startswith("github") or user == "the tracker" else f"<@{user}>"


def _fit(text: str, budget: int) -> str:
    """The escaped text, or its longest escaped start that fits `budget` with an ellipsis."""
    escaped = _escape(text)
    if len(escaped) <= budget:
        return escaped
    low, high = 0, len(text)  # escaping only lengthens, so the longest fitting start is a bisection
    while low < high:
        middle = (low + high + 1) // 2
        if len(_escape(text[:middle])) <= budget - 1:
            low = middle
        else:
            high = middle - 1
    return _escape(text[:low]) + "…"


def item_block(item: ActionItem, today: date) -> dict:
    block: dict = {
        "type": "section",
        "block_id": f"action-{item.action_id}",
        "text": {"type": "mrkdwn", "text": item_line(item, today)},
    }
    if item.status == ActionStatus.OPEN:
        block["accessory"] = {
            "type": "button",
            "action_id": DONE_ACTION_ID,
            "value": item.action_id,
            "text": {"type": "plain_text", "text": "Done"},
            "style": "primary",
        }
    return block


def render_action_list(
    items: Sequence[ActionItem], *, today: date, title: str = "Open action items"
) -> tuple[str, list[dict]]:
    """The message (fallback text, blocks) listing these items, each with its Done button."""
    if not items:
        text = f"{title}: none. Nothing is waiting on anyone."
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    overdue = sum(1 for item in items if item.status == ActionStatus.OPEN and item.due < today)
    summary = f"{title}: {len(items)}" + (f", {overdue} overdue" if overdue else "")
    blocks: list[dict] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{summary}.* Action items are P0: they come before product work.",
            },
        }
    ]
    blocks.extend(item_block(item, today) for item in items[:MAX_ITEMS_PER_MESSAGE])
    if len(items) > MAX_ITEMS_PER_MESSAGE:
        hidden = len(items) - MAX_ITEMS_PER_MESSAGE
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"…and {hidden} more: `incidentctl incidents report` lists them all.",
                    }
                ],
            }
        )
    return summary, blocks


def render_done(item: ActionItem, today: date) -> tuple[str, list[dict]]:
    """What replaces an item's line once it is marked done."""
    text = f"Done: {_escape(item.text)}"
    return text, [item_block(item, today)]


def _escape(text: str) -> str:
    # People's text: mentions of one person stay; broadcasts and links are shown as text.
    return mrkdwn(text)
