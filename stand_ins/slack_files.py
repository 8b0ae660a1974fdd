"""Slack's file upload, as the fake Slack checks it: files.getUploadURLExternal, the POST of the bytes to
the upload URL it gave, then files.completeUploadExternal (slack_sdk's files_upload_v2 makes these calls).

What it refuses, as Slack does (Slack's error codes from the methods' reference):
- getUploadURLExternal: no `filename` or a `length` that is not a positive whole number
  (`missing_argument`, `invalid_arguments`), a length over the workspace's limit
  (`file_upload_size_restricted`; Slack's own limit is 1 GB), `alt_txt` over 1,000 characters
  (`alt_txt_too_large`);
- the upload URL: used a second time or after it expired, or given other bytes than the declared
  `length` (HTTP 400 and nothing kept: the URL is the only credential, so a wrong body cannot be fixed);
- completeUploadExternal: `files` that is not a JSON array of {id, title} (`invalid_arguments`), an id it
  never gave or whose bytes were never uploaded (`file_not_found`), a file completed already
  (`file_not_found`), a channel that does not exist or that the bot is not in (`channel_not_found`,
  `not_in_channel`), a `thread_ts` that is not a message of the channel (`thread_not_found`), a
  `thread_ts` with more than one channel (`invalid_arguments`).
Both methods need the bot's `files:write` scope (checked by the fake's scope table).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

MAX_ALT_TEXT = 1000
SLACK_MAX_FILE_BYTES = 1024**3  # 1 GB, Slack's limit for one file
UPLOAD_URL_SECONDS = 600  # how long the fake keeps an upload URL usable (Slack does not document it)
UPLOAD_PATH = "/upload/v1/"


@dataclass
class PendingFile:
    file_id: str
    filename: str
    length: int
    alt_txt: str
    secret: str
    issued_at: float
    data: bytes | None = None  # the uploaded bytes, once the upload URL was used
    url_used: bool = False
    completed: bool = False
    title: str = ""


@dataclass
class SlackFiles:
    """The workspace's files, kept by the fake Slack (under its lock)."""

    files: dict[str, PendingFile] = field(default_factory=dict)
    max_file_bytes: int = SLACK_MAX_FILE_BYTES
    url_seconds: float = UPLOAD_URL_SECONDS
    clock: Any = time.monotonic

    def get_upload_url(self, args: dict[str, Any], base_url: str) -> dict[str, Any]:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, "", "0", 0):
            return {"ok": False, "error": "missing_argument"}
        try:
            size = int(length)
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if size <= 0:
            return {"ok": False, "error": "missing_argument"}
        if size > self.max_file_bytes:
            return {"ok": False, "error": "file_upload_size_restricted"}
        alt_txt = str(args.get("alt_txt") or "")
        if len(alt_txt) > MAX_ALT_TEXT:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = "F" + secrets.token_hex(5).upper()
        pending = PendingFile(file_id, str(filename), size, alt_txt, secrets.token_urlsafe(12), self.clock())
        self.files[file_id] = pending
        upload_url = f"{base_url.rstrip('/')}{UPLOAD_PATH}{file_id}/{pending.secret}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def upload(self, path: str, body: bytes) -> tuple[int, str]:
        """The POST to an upload URL: (HTTP status, body)."""
        file_id, _, secret = path.removeprefix(UPLOAD_PATH).partition("/")
        pending = self.files.get(file_id)
        if pending is None or not secrets.compare_digest(pending.secret, secret):
            return 404, "upload URL not found"
        if pending.url_used:
            return 400, "upload URL already used"
        if self.clock() - pending.issued_at > self.url_seconds:
            return 400, "upload URL expired"
        pending.url_used = True  # one use, whatever the outcome
        if len(body) != pending.length:
            return 400, f"length mismatch: {pending.length} bytes declared, {len(body)} sent"
        pending.data = body
        return 200, f"OK - {len(body)}"

    def complete(self, args: dict[str, Any]) -> tuple[dict[str, Any], list[PendingFile]]:
        """Check a files.completeUploadExternal; the answer, and the files to share when it is ok."""
        raw = args.get("files")
        try:
            listed = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}, []
        if (
            not isinstance(listed, list)
            or not listed
            or not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in listed)
        ):
            return {"ok": False, "error": "invalid_arguments"}, []
        if args.get("thread_ts") and args.get("channels") and "," in str(args["channels"]):
            return {"ok": False, "error": "invalid_arguments"}, []
        done: list[PendingFile] = []
        for item in listed:
            pending = self.files.get(item["id"])
            if pending is None or pending.data is None or pending.completed:
                return {"ok": False, "error": "file_not_found"}, []
            done.append(pending)
        for pending, item in zip(done, listed, strict=True):
            pending.title = str(item.get("title") or pending.filename)
        return {"ok": True}, done
