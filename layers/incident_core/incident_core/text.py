"""Limits on what people type (docs/slack.md#limits): over a limit is refused with a message saying so,
never cut without a word."""

from __future__ import annotations

MAX_TITLE = 150  # an incident's title
MAX_TEXT = 3000  # an update, impact, note, resolution summary, action item
MAX_LABEL = 200  # a silence's reason, a traction moment's label


def as_text(word: str) -> str:
    """A word someone typed, shown as itself in mrkdwn: no mention, link or broadcast (& < > escaped)."""
    return word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def too_long(what: str, text: str, limit: int) -> str | None:
    """The refusal for `text` over `limit` characters, or None."""
    if len(text) <= limit:
        return None
    return f"{what} is {len(text)} characters; keep it within {limit}."
