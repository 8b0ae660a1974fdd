"""Reading an incident's Slack thread for the document: every reply, as it reads now.

`fetch_thread` pages through conversations.replies (cursor) and, if Slack fails part way, keeps what it
read and says what it could not read. `clean_thread` is pure: it applies Slack's view of edits (the
text is the latest; `edited` says when), leaves deleted messages and bot noise out (counting them), keeps
the suite's own meaningful posts and notes files.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

PAGE_SIZE = 200  # Slack's advice for conversations.replies; it caps `limit` at 1000

# Subtypes that are a person (or the suite) saying something; every other subtype is a channel notice.
SPOKEN_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message", "bot_message"}
# Posts of this compiler itself start with one of these, so re-compiling does not quote itself.
COMPILER_MARKERS = ("📄 Incident document", "🧠 Post-mortem", "📈 The incident window")


class ThreadSource(Protocol):
    def replies(self, channel: str, ts: str, cursor: str | None, limit: int) -> dict[str, Any]:
        """One page of conversations.replies: {"messages": [...], "response_metadata": {...}}."""
        ...


@dataclass
class FetchedThread:
    raw: list[dict[str, Any]]
    pages: int
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems


def fetch_thread(source: ThreadSource, channel: str, ts: str, page_size: int | None = None) -> FetchedThread:
    """Every message of the thread, following `next_cursor`; a failure keeps the pages already read."""
    page_size = page_size or PAGE_SIZE
    fetched = FetchedThread(raw=[], pages=0)
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        try:
            page = source.replies(channel, ts, cursor, page_size)
        except Exception as error:  # any failure: keep what was read, say what was not
            read = f"after the first {len(fetched.raw)} messages" if fetched.raw else "at all"
            fetched.problems.append(f"Slack thread could not be read {read}: {_describe(error)}")
            return fetched
        fetched.pages += 1
        for message in page.get("messages") or []:
            # Each page repeats the thread's parent; keep every message once.
            if message.get("ts") not in seen:
                seen.add(message.get("ts"))
                fetched.raw.append(message)
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return fetched


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if response is not None and hasattr(response, "status_code"):
        slack_error = (response.data or {}).get("error") if isinstance(response.data, dict) else None
        return f"HTTP {response.status_code}" + (f" ({slack_error})" if slack_error else "")
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class FileNote:
    name: str
    link: str | None
    readable: bool = True


@dataclass(frozen=True)
class ThreadMessage:
    ts: str
    at: datetime
    author: str  # Slack user id, or the bot's name for the suite's posts
    text: str
    by_suite: bool = False
    edited_at: datetime | None = None
    files: tuple[FileNote, ...] = ()


@dataclass
class ThreadReading:
    """The thread as the document shows it, and what was left out or could not be read."""

    messages: list[ThreadMessage] = field(default_factory=list)
    root: ThreadMessage | None = None
    left_out: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    _ts_seen: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        return not self.problems

    def has(self, ts: str) -> bool:
        if self._ts_seen is None or len(self._ts_seen) != len(self.messages):
            self._ts_seen = {message.ts for message in self.messages}
        return ts in self._ts_seen


def slack_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


def clean_thread(
    raw: list[dict[str, Any]], root_ts: str, suite_bot_ids: set[str], problems: list[str] | None = None
) -> ThreadReading:
    """The thread's replies in order, without deleted messages, channel notices or other bots' posts."""
    reading = ThreadReading(problems=list(problems or []))
    for message in sorted(raw, key=lambda m: float(m.get("ts") or 0)):
        ts = message.get("ts")
        if not ts:
            reading.left_out["unreadable messages"] += 1
            continue
        subtype = message.get("subtype")
        by_suite = bool(
            {message.get("bot_id"), message.get("user")} & suite_bot_ids
            or (message.get("bot_profile") or {}).get("id") in suite_bot_ids
        )
        if subtype == "tombstone" or message.get("hidden") or subtype == "message_deleted":
            reading.left_out["deleted messages"] += 1
            continue
        if subtype not in SPOKEN_SUBTYPES:
            reading.left_out["channel notices (joins, topic changes)"] += 1
            continue
        if (message.get("bot_id") or subtype == "bot_message") and not by_suite:
            reading.left_out["other bots' messages"] += 1
            continue
        text = message.get("text") or ""
        if by_suite and text.startswith(COMPILER_MARKERS):
            continue  # about the document, not the incident; not counted, so re-compiling changes nothing
        edited = message.get("edited") or {}
        cleaned = ThreadMessage(
            ts=ts,
            at=slack_time(ts),
            author=message.get("user") or message.get("username") or message.get("bot_id") or "unknown",
            text=text,
            by_suite=by_suite,
            edited_at=slack_time(edited["ts"]) if edited.get("ts") else None,
            files=tuple(_file_note(f) for f in message.get("files") or []),
        )
        if ts == root_ts:
            reading.root = cleaned
        else:
            reading.messages.append(cleaned)
    return reading


def _file_note(file: dict[str, Any]) -> FileNote:
    name = file.get("title") or file.get("name") or file.get("id") or "a file"
    if file.get("mode") in ("tombstone", "hidden_by_limit") or file.get("file_access") == "file_not_found":
        return FileNote(name=name, link=None, readable=False)
    return FileNote(name=name, link=file.get("permalink") or file.get("url_private"))


# ---------------------------------------------------------------------- Slack mrkdwn -> Markdown
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
# <!date^1795514460^{date_short_pretty} {time}|Tue 24 Nov 10:01 GMT>: its fallback text reads the same.
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def user_ids_in(text: str) -> set[str]:
    return {match.group(1) for match in _USER.finditer(text)}


_TOKEN = re.compile("|".join(p.pattern for p in (_DATE, _LINK, _USER, _CHANNEL, _SPECIAL, _SUBTEAM)))
# Markdown that would make a link, an image or raw HTML out of what people typed.
_INERT = str.maketrans({"\\": "\\\\", "[": "\\[", "]": "\\]", "<": "&lt;"})


def inert(text: str) -> str:
    """People's text as Markdown that shows what they typed and makes no link, image or HTML of it:
    `[x](javascript:…)` or `<img …>` typed in Slack is shown, not followed or rendered."""
    return text.translate(_INERT)


def to_markdown(text: str, names: dict[str, str], by_suite: bool = False) -> str:
    """Slack's message format as Markdown. Only Slack's own link tokens become links, and only to
    http(s) and mailto; mentions become plain @names; everything else people typed is made inert. Slack's
    &lt; &gt; &amp; stay encoded, which Markdown shows as the characters typed. A labelled link is shown
    with its address, unless the suite posted it (its posts show people's links as text already)."""

    def token(whole: str) -> str:
        if date := _DATE.fullmatch(whole):
            return inert(date.group(1))
        if link := _LINK.fullmatch(whole):
            url, label = link.groups()
            url = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
            if not label or label == url:
                return f"<{url}>"
            # People's labels could name one site and link another: their address is shown.
            return f"[{inert(label)}]({url})" if by_suite else f"{inert(label)} (<{url}>)"
        if user := _USER.fullmatch(whole):
            return "@" + inert(names.get(user.group(1)) or user.group(2) or user.group(1))
        if channel := _CHANNEL.fullmatch(whole):
            return "#" + inert(channel.group(2) or channel.group(1))
        if special := _SPECIAL.fullmatch(whole):
            return "@" + special.group(1)
        subteam = _SUBTEAM.fullmatch(whole)
        return "@" + inert(((subteam and subteam.group(1)) or "team").lstrip("@"))

    out, last = [], 0
    for match in _TOKEN.finditer(text):
        out.append(inert(text[last : match.start()]))
        out.append(token(match.group(0)))
        last = match.end()
    out.append(inert(text[last:]))
    return "".join(out)
