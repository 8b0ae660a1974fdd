"""A local fake of Zoom's Server-to-Server OAuth and meetings API: a real HTTP server on 127.0.0.1.

- `POST /oauth/token?grant_type=account_credentials&account_id=...` with HTTP Basic client_id:client_secret
  answers like Zoom's documented token response (tests/fixtures/documented/zoom_oauth_token_response.json).
- `POST /v2/users/{userId}/meetings` with `Authorization: Bearer <token>` answers 201 with the keys of
  Zoom's documented create-meeting example (zoom_create_meeting_response_schema_example.json), with real
  values where that example only names types.

Every request is recorded; tests can inject faults (an HTTP error or a delay) per endpoint.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stand_ins.local_server import LocalServer

TOKEN_ENDPOINT = "token"
MEETINGS_ENDPOINT = "meetings"


@dataclass
class ZoomCall:
    endpoint: str  # "token" or "meetings"
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    status: int
    at: float


@dataclass
class ZoomFault:
    status: int = 500
    body: dict[str, Any] | None = None
    delay: float = 0.0  # seconds to wait before answering (a slow Zoom)


@dataclass
class ZoomState:
    calls: list[ZoomCall] = field(default_factory=list)
    faults: dict[str, list[ZoomFault]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    meetings: list[dict[str, Any]] = field(default_factory=list)


class FakeZoom(LocalServer):
    ACCOUNT_ID = "account-placeholder"
    CLIENT_ID = "client-id-placeholder"
    CLIENT_SECRET = "client-secret-placeholder"
    USER_ID = "incidents@example.com"

    def __init__(self, port: int = 0) -> None:
        self.state = ZoomState()
        self._lock = threading.Lock()
        self._ids = itertools.count(85746065000)
        super().__init__(port)

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2"

    @property
    def secret(self) -> dict[str, str]:
        """The Zoom secret's JSON as the suite stores it, for this fake's credentials."""
        return {
            "account_id": self.ACCOUNT_ID,
            "client_id": self.CLIENT_ID,
            "client_secret": self.CLIENT_SECRET,
            "user_id": self.USER_ID,
        }

    def reset(self) -> None:
        with self._lock:
            self.state = ZoomState()

    # ------------------------------------------------------------------ test controls
    def inject(self, endpoint: str, *faults: ZoomFault) -> None:
        """The next requests to `endpoint` ("token" or "meetings") answer with these faults, in order."""
        with self._lock:
            self.state.faults.setdefault(endpoint, []).extend(faults)

    def revoke_tokens(self) -> None:
        with self._lock:
            self.state.tokens.clear()

    def calls(self, endpoint: str | None = None) -> list[ZoomCall]:
        with self._lock:
            return [c for c in self.state.calls if endpoint is None or c.endpoint == endpoint]

    def meetings(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.state.meetings]

    # ------------------------------------------------------------------ request handling
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query))
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode() if length else ""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_unparsed": raw}
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = parts.path
        if request.command == "POST" and path == "/oauth/token":
            endpoint, handler = TOKEN_ENDPOINT, self._token
        elif request.command == "POST" and path.startswith("/v2/users/") and path.endswith("/meetings"):
            endpoint, handler = MEETINGS_ENDPOINT, self._create_meeting
        else:
            self._send(request, 404, {"code": 404, "message": f"no such endpoint {request.command} {path}"})
            return
        with self._lock:
            faults = self.state.faults.get(endpoint)
            fault = faults.pop(0) if faults else None
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            status, answer = fault.status, fault.body or {"code": fault.status, "message": "injected fault"}
        else:
            with self._lock:
                status, answer = handler(path, query, headers, body)
        with self._lock:
            self.state.calls.append(ZoomCall(endpoint, path, query, headers, body, status, time.time()))
        self._send(request, status, answer)

    def _token(
        self, path: str, query: dict[str, str], headers: dict[str, str], body: dict
    ) -> tuple[int, dict]:
        if query.get("grant_type") != "account_credentials":
            return 400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"}
        expected = base64.b64encode(f"{self.CLIENT_ID}:{self.CLIENT_SECRET}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        if query.get("account_id") != self.ACCOUNT_ID:
            return 400, {"reason": "Invalid account_id", "error": "invalid_request"}
        token = "fake-zoom-token-" + secrets.token_hex(8)
        self.state.tokens.add(token)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3600,
            "scope": "meeting:write:meeting:admin meeting:read:meeting:admin",
            "api_url": self.base_url,
        }

    def _create_meeting(
        self, path: str, query: dict[str, str], headers: dict[str, str], body: dict
    ) -> tuple[int, dict]:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.state.tokens:
            return 401, {"code": 124, "message": "Invalid access token."}
        if not body.get("topic"):
            return 300, {"code": 300, "message": "Request Body should be a valid JSON object."}
        meeting_id = next(self._ids)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        password = secrets.token_hex(3)
        meeting = {
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "id": meeting_id,
            "host_id": "fakeHostId0001",
            "topic": body["topic"],
            "type": body.get("type", 2),
            "start_time": body.get("start_time", now),
            "duration": body.get("duration", 60),
            "timezone": body.get("timezone", "Europe/London"),
            "created_at": now,
            "agenda": body.get("agenda", ""),
            "start_url": f"{self.base_url}/s/{meeting_id}?zak=fake",
            "join_url": f"{self.base_url}/j/{meeting_id}?pwd={password}",
            "password": password,
            "h323_password": password,
            "occurrences": [],
            "settings": {
                "host_video": False,
                "participant_video": False,
                "cn_meeting": False,
                "in_meeting": False,
                "join_before_host": bool(body.get("settings", {}).get("join_before_host", False)),
                "mute_upon_entry": False,
                "watermark": False,
                "use_pmi": False,
                "approval_type": 2,
                "registration_type": 1,
                "audio": "both",
                "auto_recording": "none",
                "enforce_login": False,
                "enforce_login_domains": "",
                "alternative_hosts": "",
            },
        }
        self.state.meetings.append(meeting)
        return 201, meeting

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json;charset=UTF-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
