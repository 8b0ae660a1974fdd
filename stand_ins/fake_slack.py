"""A local fake of the Slack Web API: a real HTTP server on 127.0.0.1 that records every call.

slack_sdk talks to it through `base_url`. It keeps channels and threads, so code that posts, edits and
reads threads back (conversations.replies, paginated) sees Slack-like behaviour, and tests can inject
rate limits (429 + Retry-After) and server errors.

Channels are kept by id, as Slack does: chat.postMessage takes a name ("#incidents") or an id and
answers with the id (a name gets a stable id, "#incidents" -> "C0INCIDENTS"); chat.update, chat.delete,
chat.getPermalink and conversations.replies/history take only ids (a name gets channel_not_found). The
test controls (messages(), thread(), add_user_message(), ...) take either.

It refuses what Slack refuses, with Slack's documented error codes: blocks and views are checked with
slack_sdk's Block Kit models and Slack's limits (stand_ins/slack_rules.py: `invalid_blocks`,
`msg_too_long`, `no_text`); a channel that does not exist is `channel_not_found` and one the bot is not
in is `not_in_channel`; a user not in the workspace is `user_not_found`. The workspace starts with
#incidents (the bot a member) and the placeholder people of config/policy.yaml; tests add the rest with
add_channel() and add_user(). Test controls that make people post (add_user_message, load_messages)
put the channel and the people into the workspace.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from stand_ins.slack_files import UPLOAD_PATH, SlackFiles
from stand_ins.slack_rules import check_message, check_view

# What Slack's ids look like: C (public channel), G (private), D (direct message), U/W (a user: posting
# to one opens the DM). Anything else given as a channel is a name ("#incidents" or "incidents").
CHANNEL_ID = re.compile(r"^[CGDUW][A-Z0-9]{2,}$")


def channel_id_for_name(name: str) -> str:
    """The stable id the fake gives a channel named `name` ("#incidents" -> "C0INCIDENTS")."""
    return "C0" + re.sub(r"[^A-Z0-9]", "", name.lstrip("#").upper())


# The bot scope each Web API method needs (Slack's method reference), by the channel's kind where it
# matters (C public, G private, D direct message). Methods not listed need none.
METHOD_SCOPES: dict[str, str | dict[str, str]] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "conversations.open": "im:write",
    "conversations.list": "channels:read",
    "conversations.info": {"C": "channels:read", "G": "groups:read", "D": "im:read"},
    "conversations.history": {"C": "channels:history", "G": "groups:history", "D": "im:history"},
    "conversations.replies": {"C": "channels:history", "G": "groups:history", "D": "im:history"},
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}


def required_scope(method: str, channel: str) -> str | None:
    needed = METHOD_SCOPES.get(method)
    if isinstance(needed, dict):
        return needed.get(channel[:1])
    return needed


# The workspace every FakeSlack (and every reset()) starts with: the app installed from its manifest.
MANIFEST_SCOPES = tuple(
    yaml.safe_load((Path(__file__).resolve().parent.parent / "slack" / "manifest.yaml").read_text())[
        "oauth_config"
    ]["scopes"]["bot"]
)
DEFAULT_CHANNELS = ("#incidents",)
DEFAULT_USERS = {
    "U0ALASTAIR": {"real_name": "Alastair", "display_name": "Alastair"},
    "U0WISEN": {"real_name": "Wisen", "display_name": "Wisen"},
}


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    body: dict[str, Any] | None = None


@dataclass
class SlackState:
    calls: list[Call] = field(default_factory=list)
    # channel id -> ordered list of messages (each a dict with ts, text, user/bot_id, thread_ts, ...)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # channel id -> name, for the channels first named rather than given by id
    names: dict[str, str] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    # While set, every call is answered with this fault (Slack down, a revoked token): `outage()`.
    outage: Fault | None = None
    users: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(DEFAULT_USERS))
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # user group id -> member ids
    # channel ids the bot is a member of (it may post and read there)
    members: set[str] = field(default_factory=set)
    # the bot token's scopes, answered in each response's x-oauth-scopes header (as Slack does)
    scopes: list[str] = field(default_factory=lambda: list(MANIFEST_SCOPES))
    # uploads in progress and done (stand_ins/slack_files.py)
    files: SlackFiles = field(default_factory=SlackFiles)


class FakeSlack:
    BOT_USER_ID = "U0BOT00001"
    BOT_ID = "B0BOT00001"

    def __init__(self, port: int = 0, clock: Callable[[], datetime] | None = None) -> None:
        self._lock = threading.Lock()
        # With a clock, message timestamps follow it (the demo's incident happens in its own time).
        self._clock = clock
        self.reset()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.state = SlackState()
            # The last ts given, in integer microseconds: a float steps by 1e-6 below its precision
            # near 1.8e9 seconds, so two messages in one instant would share a ts.
            self._last_us = 0
            for channel in DEFAULT_CHANNELS:
                self._join(self._resolve(channel))

    # ------------------------------------------------------------------ test controls
    def inject(self, method: str, *faults: Fault) -> None:
        """The next calls of `method` answer with these faults, in order."""
        with self._lock:
            self.state.faults.setdefault(method, []).extend(faults)

    def outage(self, fault: Fault | None) -> None:
        """From now on every call answers `fault` (a 500, a 429, `invalid_auth` with status 200...) until
        `outage(None)`: Slack down, or a lasting refusal, for as long as a test needs."""
        with self._lock:
            self.state.outage = fault

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.state.channels.get(self._resolve(channel), [])]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def add_channel(self, channel: str, bot_member: bool = True) -> str:
        """A channel that exists in the workspace (by name or id), even before anything is posted; its id.
        With bot_member=False the bot is not in it (Slack answers `not_in_channel`)."""
        with self._lock:
            channel_id = self._resolve(channel)
            self._channel(channel_id)
            if bot_member:
                self.state.members.add(channel_id)
            else:
                self.state.members.discard(channel_id)
            return channel_id

    def add_user(self, user_id: str, real_name: str | None = None) -> None:
        """A person in the workspace (users.info and conversations.open know them)."""
        with self._lock:
            name = real_name or user_id
            self.state.users[user_id] = {"real_name": name, "display_name": name}

    def add_user_message(
        self, channel: str, text: str, user: str, thread_ts: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A person posting (what the Events API would then deliver)."""
        with self._lock:
            message = {"type": "message", "ts": self._next_ts(), "user": user, "text": text, **extra}
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._join(self._resolve(channel)).append(message)
            self.state.users.setdefault(user, {"real_name": user, "display_name": user})
            return dict(message)

    def add_usergroup(self, usergroup: str, users: list[str]) -> None:
        """A user group (S…) of the workspace and its members (usergroups.users.list answers them)."""
        with self._lock:
            self.state.usergroups[usergroup] = list(users)

    # ------------------------------------------------------------------ request handling
    def _next_ts(self) -> str:
        """Slack's ts: seconds and microseconds, unique in the workspace and increasing."""
        now = self._clock() if self._clock is not None else datetime.now().astimezone()
        self._last_us = max(round(now.timestamp() * 1_000_000), self._last_us + 1)
        seconds, micros = divmod(self._last_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if request.path.startswith(UPLOAD_PATH):  # the upload URL files.getUploadURLExternal gave
            self._upload(request)
            return
        method = request.path.rsplit("/", 1)[-1].split("?", 1)[0]
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode() if length else ""
        if "json" in (request.headers.get("Content-Type") or ""):
            args = json.loads(raw or "{}")
        else:
            args = dict(parse_qsl(raw))
            if "?" in request.path:
                args.update(parse_qsl(request.path.split("?", 1)[1]))
            for key in ("blocks", "attachments", "view"):
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")

        with self._lock:
            self.state.calls.append(Call(method, args, token, time.time()))
            faults = self.state.faults.get(method)
            fault = faults.pop(0) if faults else self.state.outage
        if fault:
            self._send(
                request, fault.status, fault.body or {"ok": False, "error": "ratelimited"}, fault.retry_after
            )
            return
        if not token and method != "response_url":  # a response_url is its own credential
            self._send(request, 200, {"ok": False, "error": "not_authed"})
            return
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            self._send(request, 200, {"ok": False, "error": "unknown_method"})
            return
        with self._lock:
            needed = required_scope(method, str(args.get("channel") or ""))
            if needed and needed not in self.state.scopes:
                provided = ",".join(self.state.scopes)
                body = {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
            else:
                body = handler(args)
            scopes = ",".join(self.state.scopes)
        self._send(request, 200, body, headers={"x-oauth-scopes": scopes})

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            request.send_header("Retry-After", str(retry_after))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    def _upload(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self._lock:
            self.state.calls.append(
                Call("upload", {"path": request.path, "bytes": len(body)}, None, time.time())
            )
            status, text = self.state.files.upload(request.path, body)
        payload = text.encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    # ------------------------------------------------------------------ Web API methods
    def _channel(self, channel_id: str) -> list[dict[str, Any]]:
        return self.state.channels.setdefault(channel_id, [])

    def _join(self, channel_id: str) -> list[dict[str, Any]]:
        """The channel, created if need be, with the bot in it (a test control's workspace set-up)."""
        self.state.members.add(channel_id)
        return self._channel(channel_id)

    def _reachable(self, channel_id: str) -> dict | None:
        """Slack's answer when the bot cannot use this channel, or None when it can."""
        if channel_id not in self.state.channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel_id not in self.state.members:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _resolve(self, channel: str) -> str:
        """A channel's id from its id or its name, as chat.postMessage (and the test controls) take it."""
        if CHANNEL_ID.match(channel):
            return channel
        channel_id = channel_id_for_name(channel)
        self.state.names.setdefault(channel_id, channel.lstrip("#"))
        return channel_id

    def _known_id(self, args: dict) -> str | None:
        """The channel of methods that, like Slack's chat.update and conversations.*, take only an id."""
        channel = str(args.get("channel") or "")
        return channel if CHANNEL_ID.match(channel) else None

    def _usable_id(self, args: dict) -> tuple[str | None, dict | None]:
        """(channel id, None) for a channel given by id that the bot may use, else (None, Slack's error)."""
        channel = self._known_id(args)
        if channel is None:
            return None, {"ok": False, "error": "channel_not_found"}
        refusal = self._reachable(channel)
        return (None, refusal) if refusal else (channel, None)

    def _api_auth_test(self, args: dict) -> dict:
        return {"ok": True, "user_id": self.BOT_USER_ID, "bot_id": self.BOT_ID, "team_id": "T0FAKE0001"}

    def _api_chat_postMessage(self, args: dict) -> dict:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        channel = self._post_target(str(args["channel"]))
        refusal = self._reachable(channel) or self._refused(check_message(args))
        if refusal:
            return refusal
        message = {
            "type": "message",
            "ts": self._next_ts(),
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
            "bot_id": self.BOT_ID,
            "user": self.BOT_USER_ID,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
            parent = next((m for m in self._channel(channel) if m["ts"] == args["thread_ts"]), None)
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent.setdefault("thread_ts", parent["ts"])
        self._channel(channel).append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _api_files_getUploadURLExternal(self, args: dict) -> dict:
        return self.state.files.get_upload_url(args, self.url.removesuffix("/api/"))

    def _api_files_completeUploadExternal(self, args: dict) -> dict:
        answer, done = self.state.files.complete(args)
        if not answer["ok"]:
            return answer
        channel = str(args.get("channel_id") or args.get("channels") or "")
        shared = [{"id": f.file_id, "name": f.filename, "title": f.title, "size": f.length} for f in done]
        if channel:
            refusal = (
                self._reachable(channel)
                if CHANNEL_ID.match(channel)
                else {"ok": False, "error": "channel_not_found"}
            )
            if refusal:
                return refusal
            message = {
                "type": "message",
                "ts": self._next_ts(),
                "text": args.get("initial_comment") or "",
                "files": [
                    {
                        **file,
                        "mimetype": "image/png"
                        if file["name"].endswith(".png")
                        else "application/octet-stream",
                    }
                    for file in shared
                ],
                "upload": True,
                "bot_id": self.BOT_ID,
                "user": self.BOT_USER_ID,
            }
            if args.get("thread_ts"):
                parent = next((m for m in self._channel(channel) if m["ts"] == args["thread_ts"]), None)
                if parent is None:
                    return {"ok": False, "error": "thread_not_found"}
                message["thread_ts"] = args["thread_ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent.setdefault("thread_ts", parent["ts"])
            self._channel(channel).append(message)
        for pending in done:
            pending.completed = True
        return {"ok": True, "files": [{"id": file["id"], "title": file["title"]} for file in shared]}

    def uploaded(self, file_id: str) -> bytes | None:
        """The bytes uploaded for a file (test control)."""
        with self._lock:
            pending = self.state.files.files.get(file_id)
            return pending.data if pending else None

    def _post_target(self, channel: str) -> str:
        """chat.postMessage to a user id posts in the app's direct message with them."""
        if channel.startswith(("U", "W")) and CHANNEL_ID.match(channel):
            if channel not in self.state.users:
                return channel  # not a channel: channel_not_found
            return self._open_dm(channel)
        return self._resolve(channel)

    @staticmethod
    def _refused(refusal: Any) -> dict | None:
        return refusal.body() if refusal else None

    def _api_chat_postEphemeral(self, args: dict) -> dict:
        channel = self._resolve(str(args.get("channel") or ""))
        if args.get("user") not in self.state.users:
            return {"ok": False, "error": "user_not_found"}
        refusal = self._reachable(channel) or self._refused(check_message(args))
        return refusal or {"ok": True, "message_ts": self._next_ts()}

    def _api_chat_update(self, args: dict) -> dict:
        _, refusal = self._usable_id(args)
        if refusal is None and ("blocks" in args or args.get("text")):
            # chat.update keeps the old text when only blocks change
            refusal = self._refused(check_message(args, text_required=False))
        if refusal:
            return refusal
        for message in self._channel(args["channel"]):
            if message["ts"] == args.get("ts"):
                if message.get("bot_id") != self.BOT_ID:  # a bot token edits only its own messages
                    return {"ok": False, "error": "cant_update_message"}
                message["text"] = args.get("text", message.get("text"))
                if "blocks" in args:
                    message["blocks"] = args["blocks"]
                message["edited"] = {"user": self.BOT_USER_ID, "ts": self._next_ts()}
                return {"ok": True, "channel": args["channel"], "ts": message["ts"], "text": message["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_delete(self, args: dict) -> dict:
        _, refusal = self._usable_id(args)
        if refusal:
            return refusal
        messages = self._channel(args["channel"])
        for index, message in enumerate(messages):
            if message["ts"] == args.get("ts"):
                if message.get("bot_id") != self.BOT_ID:
                    return {"ok": False, "error": "cant_delete_message"}
                del messages[index]
                return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_getPermalink(self, args: dict) -> dict:
        _, refusal = self._usable_id(args)
        if refusal:
            return refusal
        ts = str(args.get("message_ts", "")).replace(".", "")
        return {"ok": True, "permalink": f"https://example.slack.com/archives/{args.get('channel')}/p{ts}"}

    def _open_dm(self, user: str) -> str:
        channel_id = "D" + user.removeprefix("U")[:10]
        self._join(channel_id)
        return channel_id

    def _api_conversations_open(self, args: dict) -> dict:
        users = [user for user in str(args.get("users", "")).split(",") if user]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if any(user not in self.state.users for user in users):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self._open_dm("".join(users))}}

    def _api_conversations_replies(self, args: dict) -> dict:
        (channel, refusal), ts = self._usable_id(args), args.get("ts")
        if refusal:
            return refusal
        thread = [m for m in self._channel(channel) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        limit = int(args.get("limit") or 1000)
        start = int(args.get("cursor") or 0)
        page = thread[start : start + limit]
        more = start + limit < len(thread)
        return {
            "ok": True,
            "messages": [dict(m) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _api_usergroups_users_list(self, args: dict) -> dict:
        members = self.state.usergroups.get(str(args.get("usergroup") or ""))
        if members is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(members)}

    def _api_users_info(self, args: dict) -> dict:
        user = args.get("user", "")
        profile = self.state.users.get(user)
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {"id": user, "name": user.lower(), "real_name": profile["real_name"], "profile": profile},
        }

    def _api_views_open(self, args: dict) -> dict:
        refusal = self._refused(check_view(args.get("view")))
        if refusal:
            return refusal
        return {
            "ok": True,
            "view": {"id": "V" + self._next_ts().replace(".", ""), **(args.get("view") or {})},
        }

    def _api_views_publish(self, args: dict) -> dict:
        if args.get("user_id") not in self.state.users:
            return {"ok": False, "error": "user_not_found"}
        return self._api_views_open(args)

    def _api_response_url(self, args: dict) -> dict:
        """A message sent to an interaction's response_url: the same rules as a message."""
        return self._refused(check_message(args)) or {"ok": True}

    # ------------------------------------------------------------------ added for alert routing (issue 3)
    def _api_conversations_list(self, args: dict) -> dict:
        channels = [
            {
                "id": channel_id,
                "name": self.state.names.get(channel_id, channel_id.lower()),
                "is_channel": True,
            }
            for channel_id in self.state.channels
            if channel_id.startswith(("C", "G"))
            # with a bot token, private channels are listed only to their members
            and (channel_id.startswith("C") or channel_id in self.state.members)
        ]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _api_conversations_info(self, args: dict) -> dict:
        channel = self._known_id(args)
        if channel is None or channel not in self.state.channels:
            return {"ok": False, "error": "channel_not_found"}
        name = self.state.names.get(channel, channel.lower())
        return {
            "ok": True,
            "channel": {"id": channel, "name": name, "is_member": channel in self.state.members},
        }

    def _api_conversations_history(self, args: dict) -> dict:
        """Newest first, top-level messages only, since `oldest`; paginated like Slack."""
        channel, refusal = self._usable_id(args)
        if refusal:
            return refusal
        oldest = float(args.get("oldest") or 0)
        top_level = [
            m
            for m in self._channel(channel)
            if float(m["ts"]) > oldest and m.get("thread_ts", m["ts"]) == m["ts"]
        ]
        newest_first = list(reversed(top_level))
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": [dict(m) for m in newest_first[start : start + limit]],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    # ------------------------------------------------------------------ added for post-incident (issue 5)
    def load_messages(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Put recorded messages (as conversations.replies returns them) in a channel, verbatim."""
        with self._lock:
            stored = self._join(self._resolve(channel))
            stored.extend(dict(m) for m in messages)
            stored.sort(key=lambda m: float(m["ts"]))
            for message in messages:
                if message.get("user"):
                    self.state.users.setdefault(message["user"], {"real_name": message["user"]})

    def edit_user_message(self, channel: str, ts: str, text: str) -> None:
        """A person editing their message: Slack keeps the ts and adds `edited`."""
        with self._lock:
            for message in self._channel(self._resolve(channel)):
                if message["ts"] == ts:
                    message["text"] = text
                    message["edited"] = {"user": message.get("user"), "ts": self._next_ts()}
                    return
        raise KeyError(f"no message {ts} in {channel}")

    def delete_user_message(self, channel: str, ts: str) -> None:
        """A person deleting a reply: it is gone from conversations.replies."""
        with self._lock:
            messages = self._channel(self._resolve(channel))
            messages[:] = [m for m in messages if m["ts"] != ts]
