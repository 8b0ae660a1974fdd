"""Slack Web API through slack_sdk, with retries for rate limits (429 + Retry-After), connection errors
and 5xx. With `resend_unknown=False` (the router's pages, the incident thread) a call that creates
something is never sent again by the client when its outcome is unknown (connection error, timeout, 5xx):
Slack may have posted it, so the caller looks in the channel's history first (paging/delivery.py,
`Slack.post_marked`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the Slack app's acknowledgement path makes its client without loading pydantic
    from incident_core.settings import Settings


class SlackPoster(Protocol):
    def post(
        self, channel: str, text: str, blocks: list[dict] | None = None, thread_ts: str | None = None
    ) -> str:
        """Post a message; return its ts."""
        ...

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> None: ...

    def open_dm(self, user_id: str) -> str: ...

    def post_marked(
        self,
        channel: str,
        text: str,
        marker: str,
        oldest: str,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
        look_first: bool = True,
    ) -> PostedMessage:
        """Post a message named by `marker` at most once (Slack.post_marked)."""
        ...


# Calls that create something: sent twice, they create it twice.
NOT_IDEMPOTENT = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage"})
BLOCK_ID_MAX = 255  # Slack's limit on a block_id
SECTION_TEXT_MAX = 3000  # Slack's limit on a section block's text


def outcome_unknown(error: BaseException) -> bool:
    """Slack may have done it: the connection failed or timed out, or a 5xx came instead of its answer."""
    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        return getattr(error.response, "status_code", 200) >= 500
    return isinstance(error, OSError)  # resets, refusals and timeouts (socket.timeout is one)


def marker_id(*parts: str) -> str:
    """A block id naming one message for good (within Slack's limit, however long the parts)."""
    marker = ":".join(parts)
    if len(marker) <= BLOCK_ID_MAX:
        return marker
    return f"{marker[:180]}~{hashlib.sha256(marker.encode()).hexdigest()}"


def with_marker(text: str, blocks: list[dict] | None, marker: str) -> list[dict]:
    """The message's blocks with `marker` as the first block's id (a text-only message becomes sections
    of its text: what it shows is unchanged)."""
    if not blocks:
        chunks = [text[i : i + SECTION_TEXT_MAX] for i in range(0, len(text), SECTION_TEXT_MAX)] or [" "]
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]
    first, *rest = blocks
    return [{**first, "block_id": marker}, *rest]


def web_client(settings: Settings, token: str | None, **options: Any) -> Any:
    return slack_web_client(settings.slack_api_url, token, **options)


def slack_web_client(
    api_url: str, token: str | None, resend_unknown: bool = True, timeout: float = 10
) -> Any:
    """slack_sdk's WebClient for Slack's API URL, with the suite's retry handlers. Without a token it is
    the template Bolt copies for each request (and gives the bot token to). `resend_unknown=False`: no
    NOT_IDEMPOTENT call is re-sent after a connection error or a 5xx (a 429 is always safe to re-send:
    Slack did nothing)."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    connection, server = (
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    )
    if not resend_unknown:
        _skip_not_idempotent(connection)
        _skip_not_idempotent(server)
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=timeout,
        retry_handlers=[connection, RateLimitErrorRetryHandler(max_retry_count=3), server],
    )


def _skip_not_idempotent(handler: Any) -> None:
    """Make a retry handler decline NOT_IDEMPOTENT calls (reads and updates are still retried)."""
    judge = handler._can_retry

    def can_retry(*, request: Any, **rest: Any) -> bool:
        if request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_IDEMPOTENT:
            return False
        return judge(request=request, **rest)

    handler._can_retry = can_retry


@dataclass(frozen=True)
class FileUpload:
    filename: str
    title: str
    content: bytes
    alt_text: str = ""  # read by screen readers (Slack allows 1,000 characters)


@dataclass(frozen=True)
class PostedMessage:
    """Where a message went: Slack answers with the channel's id even when it was posted by name, and
    edits, thread reads and the Events API all need (or carry) that id."""

    channel: str
    ts: str


class Slack:
    """The suite's Slack operations over one WebClient."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Slack:
        """`options`: slack_web_client's `resend_unknown` and `timeout`."""
        from incident_core.adapters.secrets import get_secret_field

        return cls(web_client(settings, get_secret_field(settings.slack_secret_id, "bot_token"), **options))

    def post(
        self, channel: str, text: str, blocks: list[dict] | None = None, thread_ts: str | None = None
    ) -> str:
        """Post a message; return its ts (post_message() also says the channel's id)."""
        return self.post_message(channel, text, blocks=blocks, thread_ts=thread_ts).ts

    def post_message(
        self, channel: str, text: str, blocks: list[dict] | None = None, thread_ts: str | None = None
    ) -> PostedMessage:
        """Post a message to a channel given by name or id; where it went, by channel id."""
        response = self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
        )
        return PostedMessage(channel=response["channel"], ts=response["ts"])

    def post_marked(
        self,
        channel: str,
        text: str,
        marker: str,
        oldest: str,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
        look_first: bool = True,
    ) -> PostedMessage:
        """Post a message named by `marker` at most once: if a message carrying it was posted since
        `oldest` (in the thread, given `thread_ts`), that one is answered; an attempt whose outcome is
        unknown is looked for before anything else, and raised if Slack did not post it (the retry of
        the whole delivery looks again). `look_first=False` skips the first look where the caller knows
        no earlier attempt was made. Needs a client made with `resend_unknown=False`."""
        channel_id = self.channel_id(channel)
        found = self.find_block(channel_id, marker, oldest, thread_ts) if look_first else None
        if found:
            return PostedMessage(channel=channel_id, ts=found)
        try:
            return self.post_message(
                channel_id, text, blocks=with_marker(text, blocks, marker), thread_ts=thread_ts
            )
        except Exception as error:
            if not outcome_unknown(error):
                raise
            found = self.find_block(channel_id, marker, oldest, thread_ts)
            if found:
                return PostedMessage(channel=channel_id, ts=found)
            raise

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def upload_files(
        self, channel: str, files: list[FileUpload], comment: str, thread_ts: str | None = None
    ) -> list[str]:
        """Share files in a channel (in a thread, given `thread_ts`) as one message: Slack's upload flow
        (files.getUploadURLExternal, the bytes to its upload URL, files.completeUploadExternal), which
        slack_sdk's files_upload_v2 makes. Needs the `files:write` scope; the channel by id."""
        response = self.client.files_upload_v2(
            file_uploads=[
                {"content": f.content, "filename": f.filename, "title": f.title, "alt_txt": f.alt_text}
                for f in files
            ],
            channel=self.channel_id(channel),
            thread_ts=thread_ts,
            initial_comment=comment,
        )
        return [file["id"] for file in response["files"]]

    def open_dm(self, user_id: str) -> str:
        return self.client.conversations_open(users=user_id)["channel"]["id"]

    def channel_id(self, channel: str) -> str:
        """The id of a channel given by name ("#incidents") or id; reading history needs the id."""
        if not channel.startswith("#"):
            return channel
        name = channel[1:]
        cursor = None
        while True:
            response = self.client.conversations_list(
                exclude_archived=True, types="public_channel,private_channel", limit=200, cursor=cursor
            )
            for found in response["channels"]:
                if found.get("name") == name:
                    return found["id"]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise LookupError(f"Slack channel {channel} not found (is the app a member of it?)")

    def find_block(
        self, channel: str, block_id: str, oldest: str, thread_ts: str | None = None
    ) -> str | None:
        """The ts of a message posted since `oldest` (a Slack ts) that carries a block with `block_id`
        (among the replies to `thread_ts` if given): how a retried delivery checks whether an
        interrupted attempt had already posted."""
        cursor = None
        while True:
            if thread_ts:
                response = self.client.conversations_replies(
                    channel=self.channel_id(channel), ts=thread_ts, oldest=oldest, limit=200, cursor=cursor
                )
            else:
                response = self.client.conversations_history(
                    channel=self.channel_id(channel), oldest=oldest, limit=200, cursor=cursor
                )
            for message in response["messages"]:
                if any(block.get("block_id") == block_id for block in message.get("blocks") or []):
                    return message["ts"]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
