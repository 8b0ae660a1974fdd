"""The incident timeline: system entries, and thread replies read from Slack's message events (pure).

A reply's key is `msg-<its Slack ts>`: Slack's retried deliveries of the same message (header
X-Slack-Retry-Num, same ts) land on the same entry, and edits and deletions find it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from incident_core.models import AlertEvent, TimelineEntry, TimelineKind

# A revert that was done is a system entry whose key starts with this (changes/thread.py writes it); the
# post-mortem's "reverted" instant and the pictures' marker are read from it.
REVERTED_KEY = "reverted"

# Subtypes that are a person writing in the thread; every other subtype (joins, bot posts, ...) is not.
PERSON_SUBTYPES = (None, "thread_broadcast", "file_share", "me_message")


def slack_time(ts: str) -> datetime:
    """A Slack ts ("1726133700.887259": epoch seconds and a sequence) as the instant it names."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError) as error:
        raise ValueError(f"not a Slack timestamp: {ts!r}") from error


def message_key(ts: str) -> str:
    return f"msg-{ts}"


def system_entry(
    incident_id: str, at: datetime, key: str, text: str, author: str | None = None
) -> TimelineEntry:
    return TimelineEntry(
        incident_id=incident_id, at=at, kind=TimelineKind.SYSTEM, text=text, key=key, author=author
    )


def alert_history_entries(incident_id: str, history: list[AlertEvent], limit: int) -> list[TimelineEntry]:
    """The alert's own history (raised, paged, acknowledged, ...) as the incident's first entries.

    An alert re-paged many times keeps its first and latest lines within `limit`.
    """
    if len(history) > limit:
        head = max(limit // 4, 1)
        history = history[:head] + history[-(limit - head) :]
    return [
        system_entry(incident_id, event.at, f"alert-{index:03d}", f"Alert {event.what}")
        for index, event in enumerate(history)
    ]


class ChangeKind(StrEnum):
    REPLY = "reply"
    EDIT = "edit"
    DELETE = "delete"


@dataclass(frozen=True)
class ThreadChange:
    """A person's reply in some thread, or an edit or deletion of one."""

    kind: ChangeKind
    channel: str
    thread_ts: str
    ts: str  # the reply's own ts: its identity
    at: datetime  # when it was written, edited or deleted
    user: str | None = None
    text: str = ""

    @property
    def key(self) -> str:
        return message_key(self.ts)

    def entry(self, incident_id: str) -> TimelineEntry:
        """The timeline entry for this reply (also made from an edit or deletion that arrives first)."""
        return TimelineEntry(
            incident_id=incident_id,
            at=slack_time(self.ts),
            kind=TimelineKind.MESSAGE,
            text="" if self.kind == ChangeKind.DELETE else self.text,
            author=self.user,
            slack_ts=self.ts,
            edited_at=None if self.kind == ChangeKind.REPLY else self.at,
            deleted=self.kind == ChangeKind.DELETE,
            key=self.key,
        )


def _written_by_a_person(message: dict[str, Any]) -> bool:
    return (
        not message.get("bot_id") and message.get("subtype") in PERSON_SUBTYPES and bool(message.get("user"))
    )


def _is_reply(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return bool(thread_ts) and thread_ts != message.get("ts")


def _text(message: dict[str, Any]) -> str:
    text = message.get("text") or ""
    files = message.get("files") or []
    if files:
        names = ", ".join(str(f.get("name") or f.get("title") or "a file") for f in files)
        text = f"{text} [shared: {names}]".strip()
    return text


def thread_change(event: dict[str, Any]) -> ThreadChange | None:
    """The Events API `message` event as a change to a thread reply, or None if it is not one.

    Not a change: messages outside threads, thread roots (the suite's own root message included),
    bots (the suite's own posts), joins and other system subtypes.
    """
    if event.get("type") != "message":
        return None
    channel = event.get("channel")
    subtype = event.get("subtype")
    if not channel:
        return None
    if subtype == "message_changed":
        message = event.get("message") or {}
        if not (_is_reply(message) and _written_by_a_person(message)):
            return None
        edited = (message.get("edited") or {}).get("ts") or event.get("event_ts") or event.get("ts")
        return ThreadChange(
            ChangeKind.EDIT,
            channel,
            message["thread_ts"],
            message["ts"],
            slack_time(edited),
            message.get("user"),
            _text(message),
        )
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        deleted_ts = event.get("deleted_ts") or previous.get("ts")
        if not deleted_ts or not previous.get("thread_ts") or previous.get("thread_ts") == deleted_ts:
            return None
        if previous.get("bot_id"):
            return None
        return ThreadChange(
            ChangeKind.DELETE,
            channel,
            previous["thread_ts"],
            deleted_ts,
            slack_time(event.get("event_ts") or event.get("ts") or deleted_ts),
            previous.get("user"),
        )
    if not (_is_reply(event) and _written_by_a_person(event)):
        return None
    return ThreadChange(
        ChangeKind.REPLY,
        channel,
        event["thread_ts"],
        event["ts"],
        slack_time(event["ts"]),
        event["user"],
        _text(event),
    )
