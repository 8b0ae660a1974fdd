"""A strict local fake of the GitHub REST API subset the suite uses, and of GitHub's issue webhooks.

Served on 127.0.0.1 as GitHub serves api.github.com (docs.github.com/rest):
- `POST /repos/{owner}/{repo}/issues` (201), `GET .../issues/{number}`, `PATCH .../issues/{number}` (title,
  body, state, state_reason, labels, assignees), `GET .../issues?labels=&state=&since=&per_page=&page=`
  (newest first; pull requests never appear here as the suite creates none), `GET /search/issues?q=`.
- `GET/POST /repos/{owner}/{repo}/labels[/{name}]`, `GET /repos/{owner}/{repo}` (with `permissions`),
  `GET /repos/{owner}/{repo}/assignees/{login}` (204 or 404), `GET /user`.

As strict as GitHub: `Authorization: Bearer <token>` (401 `Bad credentials` otherwise), `Accept:
application/vnd.github+json` (415 for other media types) and a supported `X-GitHub-Api-Version` (400);
unknown or private repositories answer 404 `Not Found` (GitHub hides what a token may not see); a token
without issues write answers 403 `Resource not accessible by personal access token`; validation failures
answer 422 `Validation Failed` with GitHub's `errors` array (a title missing, a label too long, an assignee
who may not be assigned, a state other than open/closed). Every answer carries the rate-limit headers.

Switches: `down(n)` answers the next n requests 502/503; `lose_answer(n)` does the next n writes and then
drops the connection (the caller never hears); `rate_limit(primary=True)` answers 403 with
`x-ratelimit-remaining: 0` and `x-ratelimit-reset`, `rate_limit(primary=False)` a secondary limit (403
with `retry-after`). `send_webhook` posts an `issues` event signed exactly as GitHub signs it.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from stand_ins.local_server import LocalServer

API_VERSIONS = ("2022-11-28", "2026-03-10")
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
MAX_LABEL_LENGTH = 50
MAX_TITLE_LENGTH = 256  # GitHub refuses longer titles with a 422
MAX_BODY_LENGTH = 65536


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class GitHubCall:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class Repository:
    owner: str
    name: str
    private: bool = True
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower-cased name -> label
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    collaborators: set[str] = field(default_factory=set)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Token:
    login: str
    repositories: set[str]  # full names this token may see
    issues_write: bool = True


class _Refusal(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


class FakeGitHub(LocalServer):
    methods = ("GET", "POST", "PATCH", "DELETE")
    TOKEN = "github_pat_fake_placeholder_0001"
    LOGIN = "incident-suite-bot"
    OWNER, REPO = "example-org", "product"

    def __init__(self, port: int = 0, clock: Any = None) -> None:
        self._lock = threading.Lock()
        self._clock = clock or (lambda: datetime.now(UTC))
        super().__init__(port)
        self.reset()

    # ------------------------------------------------------------------ set-up and switches
    def reset(self) -> None:
        with self._lock:
            repo = Repository(self.OWNER, self.REPO, collaborators={"alastair-gh", "wisen-gh", self.LOGIN})
            self.repositories = {repo.full_name.lower(): repo}
            self.tokens = {self.TOKEN: Token(self.LOGIN, {repo.full_name.lower()})}
            self.calls: list[GitHubCall] = []
            self._numbers = itertools.count(1)
            self._ids = itertools.count(1_000_001)
            self._down = 0
            self._lose = 0
            self._lose_suffix = "/issues"
            self._limited: str | None = None
            self.remaining = RATE_LIMIT

    @property
    def api_url(self) -> str:
        return self.origin

    @property
    def repository(self) -> str:
        return f"{self.OWNER}/{self.REPO}"

    def down(self, requests_count: int = 10**9) -> None:
        """The next requests answer 502/503 (GitHub having a bad hour); `up()` ends it."""
        with self._lock:
            self._down = requests_count

    def up(self) -> None:
        with self._lock:
            self._down = 0

    def lose_answer(self, writes: int = 1, path_suffix: str = "/issues") -> None:
        """The next `writes` POST/PATCH requests to a path ending so are done; their answer never arrives."""
        with self._lock:
            self._lose = writes
            self._lose_suffix = path_suffix

    def rate_limit(self, primary: bool = True) -> None:
        with self._lock:
            self._limited = "primary" if primary else "secondary"

    def lift_rate_limit(self) -> None:
        with self._lock:
            self._limited = None
            self.remaining = RATE_LIMIT

    def revoke(self, token: str | None = None) -> None:
        with self._lock:
            self.tokens.pop(token or self.TOKEN, None)

    def read_only(self, token: str | None = None) -> None:
        """The token keeps issues read but loses issues write (a fine-grained token set up wrong)."""
        with self._lock:
            self.tokens[token or self.TOKEN].issues_write = False

    def issues(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(json.dumps(issue)) for issue in self._repo().issues.values()]

    def labels(self) -> list[str]:
        with self._lock:
            return [label["name"] for label in self._repo().labels.values()]

    def writes(self, method: str = "POST", suffix: str = "/issues") -> list[GitHubCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.path.endswith(suffix)]

    # ------------------------------------------------------------------ people acting on github.com
    def act(self, number: int, actor: str, **changes: Any) -> dict[str, Any]:
        """A person changes an issue on github.com (close, reopen, retitle, reassign): no webhook sent."""
        with self._lock:
            issue = self._repo().issues[number]
            self._apply(issue, changes, actor)
            return json.loads(json.dumps(issue))

    def webhook_body(self, number: int, action: str, actor: str, changes: dict | None = None) -> bytes:
        with self._lock:
            repo = self._repo()
            payload: dict[str, Any] = {
                "action": action,
                "issue": repo.issues[number],
                "repository": self._repository_json(repo),
                "sender": self._user(actor),
            }
            if changes:
                payload["changes"] = changes
            if action in ("assigned", "unassigned") and repo.issues[number]["assignee"]:
                payload["assignee"] = repo.issues[number]["assignee"]
        return json.dumps(payload, separators=(",", ":")).encode()

    @staticmethod
    def signed_headers(body: bytes, secret: str, delivery: str | None = None, event: str = "issues") -> dict:
        """The headers GitHub sends with a delivery (docs: webhooks/webhook-events-and-payloads)."""
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/fake",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "123456789",
            "X-GitHub-Hook-Installation-Target-Type": "repository",
            "X-GitHub-Hook-Installation-Target-ID": "987654321",
            "X-Hub-Signature-256": f"sha256={signature}",
        }

    def send_webhook(
        self, url: str, secret: str, number: int, action: str, actor: str, changes: dict | None = None
    ) -> requests.Response:
        body = self.webhook_body(number, action, actor, changes)
        return requests.post(url, data=body, headers=self.signed_headers(body, secret), timeout=10)

    # ------------------------------------------------------------------ request handling
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, answer, extra_headers, lose = 500, {}, {}, False
        try:
            with self._lock:
                if self._down:
                    self._down -= 1
                    raise _Refusal(503, "Service Unavailable")
                self._check_headers(headers)
                token = self._token(headers)
                extra_headers = self._rate_headers(token)
                body = self._parse(raw)
                status, answer = self._route(request.command, unquote(parts.path), query, body, token)
                writing = request.command in ("POST", "PATCH") and parts.path.endswith(self._lose_suffix)
                if writing and self._lose and status < 400:
                    self._lose -= 1
                    lose = True
        except _Refusal as refusal:
            status, answer = refusal.status, refusal.body
            if refusal.status in (403, 429) and "rate limit" in refusal.body["message"]:
                extra_headers = {**extra_headers, **getattr(refusal, "headers", {})}
        with self._lock:
            self.calls.append(
                GitHubCall(request.command, parts.path, query, headers, raw.decode(errors="replace"), status)
            )
        if lose:  # the work is done; the caller sees the connection close without an answer
            request.close_connection = True
            request.connection.shutdown(2)
            return
        payload = b"" if status == 204 else json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        request.send_header("X-GitHub-Request-Id", uuid.uuid4().hex[:16].upper())
        for key, value in extra_headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _check_headers(self, headers: dict[str, str]) -> None:
        # GitHub tolerates other media types; this fake holds the suite to the documented one.
        if headers.get("accept") != "application/vnd.github+json":
            raise _Refusal(415, f"Unsupported 'Accept' header: {headers.get('accept')!r}")
        version = headers.get("x-github-api-version")
        if version not in API_VERSIONS:
            raise _Refusal(400, f"API version {version!r} is not supported.")

    def _token(self, headers: dict[str, str]) -> Token:
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        token = self.tokens.get(value) if scheme in ("Bearer", "token") else None
        if token is None:
            raise _Refusal(401, "Bad credentials")
        return token

    def _rate_headers(self, token: Token) -> dict[str, str]:
        reset = str(int(time.time()) + 3600)
        if self._limited == "primary":
            refusal = _Refusal(403, f"API rate limit exceeded for user ID 4242 ({token.login}).")
            refusal.headers = {  # type: ignore[attr-defined]
                "x-ratelimit-limit": str(RATE_LIMIT),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": str(RATE_LIMIT),
                "x-ratelimit-reset": str(int(time.time()) + 60),
                "x-ratelimit-resource": "core",
            }
            raise refusal
        if self._limited == "secondary":
            refusal = _Refusal(
                403,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                "If you reach out to GitHub Support for help, please include the request ID.",
            )
            refusal.headers = {"retry-after": "60"}  # type: ignore[attr-defined]
            raise refusal
        self.remaining = max(self.remaining - 1, 1)
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(RATE_LIMIT - self.remaining),
            "x-ratelimit-reset": reset,
            "x-ratelimit-resource": "core",
        }

    @staticmethod
    def _parse(raw: bytes) -> Any:
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise _Refusal(400, "Problems parsing JSON") from None

    def _repo(
        self, owner: str | None = None, name: str | None = None, token: Token | None = None
    ) -> Repository:
        key = f"{owner or self.OWNER}/{name or self.REPO}".lower()
        repo = self.repositories.get(key)
        if repo is None or (token is not None and key not in token.repositories):
            raise _Refusal(404, "Not Found")  # GitHub hides a private repository the token cannot see
        return repo

    def _route(self, method: str, path: str, query: dict, body: Any, token: Token) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        if path == "/user" and method == "GET":
            return 200, self._user(token.login)
        if path == "/search/issues" and method == "GET":
            return 200, self._search(query.get("q", ""), token)
        if len(segments) < 3 or segments[0] != "repos":
            raise _Refusal(404, "Not Found")
        repo = self._repo(segments[1], segments[2], token)
        rest = segments[3:]
        if not rest and method == "GET":
            return 200, {
                **self._repository_json(repo),
                "permissions": {
                    "admin": False,
                    "maintain": False,
                    "push": False,
                    "triage": False,
                    "pull": True,
                },
            }
        if rest == ["issues"] and method == "POST":
            self._writable(token)
            return 201, self._create_issue(repo, body, token)
        if rest == ["issues"] and method == "GET":
            return 200, self._list_issues(repo, query)
        if len(rest) == 2 and rest[0] == "issues" and rest[1].isdigit():
            issue = repo.issues.get(int(rest[1]))
            if issue is None:
                raise _Refusal(404, "Not Found")
            if method == "GET":
                return 200, issue
            if method == "PATCH":
                self._writable(token)
                self._validate_update(repo, body)
                self._apply(issue, body, token.login)
                return 200, issue
        if rest == ["labels"] and method == "POST":
            self._writable(token)
            return 201, self._create_label(repo, body)
        if len(rest) == 2 and rest[0] == "labels" and method == "GET":
            label = repo.labels.get(rest[1].lower())
            if label is None:
                raise _Refusal(404, "Not Found")
            return 200, label
        if len(rest) == 2 and rest[0] == "assignees" and method == "GET":
            return (204, {}) if rest[1] in repo.collaborators else (404, {"message": "Not Found"})
        raise _Refusal(404, "Not Found")

    @staticmethod
    def _writable(token: Token) -> None:
        if not token.issues_write:
            raise _Refusal(403, "Resource not accessible by personal access token")

    # ------------------------------------------------------------------ issues
    def _create_issue(self, repo: Repository, body: Any, token: Token) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _Refusal(400, "Problems parsing JSON")
        errors = []
        title = body.get("title")
        if title in (None, ""):
            errors.append({"resource": "Issue", "code": "missing_field", "field": "title"})
        elif not isinstance(title, str | int) or len(str(title)) > MAX_TITLE_LENGTH:
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "title",
                    "message": "title is too long (maximum is 256 characters)",
                }
            )
        errors += self._field_errors(repo, body)
        if errors:
            raise _Refusal(422, "Validation Failed", errors=errors)
        number = next(self._numbers)
        now = self._clock()
        issue = {
            "id": next(self._ids),
            "node_id": f"I_fake{number}",
            "url": f"{self.origin}/repos/{repo.full_name}/issues/{number}",
            "html_url": f"https://github.com/{repo.full_name}/issues/{number}",
            "number": number,
            "state": "open",
            "state_reason": None,
            "title": str(title),
            "body": body.get("body"),
            "user": self._user(token.login),
            "labels": [],
            "assignee": None,
            "assignees": [],
            "comments": 0,
            "created_at": _iso(now),
            "updated_at": _iso(now),
            "closed_at": None,
            "closed_by": None,
            "author_association": "NONE",
        }
        self._set_labels(repo, issue, body.get("labels") or [])
        self._set_assignees(issue, body.get("assignees") or [])
        repo.issues[number] = issue
        return issue

    def _field_errors(self, repo: Repository, body: dict) -> list[dict]:
        errors = []
        labels = body.get("labels")
        if labels is not None and not isinstance(labels, list):
            errors.append({"resource": "Issue", "code": "invalid", "field": "labels"})
        for label in labels or []:
            name = label if isinstance(label, str) else (label or {}).get("name", "")
            if not name or len(name) > MAX_LABEL_LENGTH:
                errors.append({"resource": "Label", "code": "invalid", "field": "name", "value": name})
        for login in body.get("assignees") or []:
            if login not in repo.collaborators:
                errors.append({"resource": "Issue", "code": "invalid", "field": "assignees", "value": login})
        text = body.get("body")
        if text is not None and (not isinstance(text, str) or len(text) > MAX_BODY_LENGTH):
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            )
        return errors

    def _validate_update(self, repo: Repository, body: Any) -> None:
        if not isinstance(body, dict):
            raise _Refusal(400, "Problems parsing JSON")
        errors = self._field_errors(repo, body)
        if "state" in body and body["state"] not in ("open", "closed"):
            errors.append({"resource": "Issue", "code": "invalid", "field": "state", "value": body["state"]})
        if "state_reason" in body and body["state_reason"] not in (
            "completed",
            "not_planned",
            "reopened",
            None,
        ):
            errors.append({"resource": "Issue", "code": "invalid", "field": "state_reason"})
        if "title" in body and (not body["title"] or len(str(body["title"])) > MAX_TITLE_LENGTH):
            errors.append({"resource": "Issue", "code": "invalid", "field": "title"})
        if errors:
            raise _Refusal(422, "Validation Failed", errors=errors)

    def _apply(self, issue: dict[str, Any], changes: dict[str, Any], actor: str) -> None:
        repo = self._repo()
        if "title" in changes:
            issue["title"] = str(changes["title"])
        if "body" in changes:
            issue["body"] = changes["body"]
        if "labels" in changes:
            self._set_labels(repo, issue, changes["labels"] or [])
        if "assignees" in changes:
            self._set_assignees(issue, changes["assignees"] or [])
        state = changes.get("state")
        if state == "closed" and issue["state"] != "closed":
            issue.update(
                state="closed",
                state_reason=changes.get("state_reason") or "completed",
                closed_at=_iso(self._clock()),
                closed_by=self._user(actor),
            )
        elif state == "open" and issue["state"] != "open":
            issue.update(state="open", state_reason="reopened", closed_at=None, closed_by=None)
        issue["updated_at"] = _iso(self._clock())

    def _set_labels(self, repo: Repository, issue: dict, names: list) -> None:
        labels = []
        for entry in names:
            name = entry if isinstance(entry, str) else entry["name"]
            label = repo.labels.get(name.lower()) or self._new_label(
                repo, name, "ededed"
            )  # GitHub creates it
            labels.append(label)
        issue["labels"] = labels

    def _set_assignees(self, issue: dict, logins: list[str]) -> None:
        issue["assignees"] = [self._user(login) for login in logins[:10]]
        issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None

    def _list_issues(self, repo: Repository, query: dict[str, str]) -> list[dict]:
        state = query.get("state", "open")
        wanted = {name.lower() for name in query.get("labels", "").split(",") if name}
        since = query.get("since")
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        found = [
            issue
            for issue in sorted(repo.issues.values(), key=lambda i: i["number"], reverse=True)
            if (state == "all" or issue["state"] == state)
            and wanted <= {label["name"].lower() for label in issue["labels"]}
            and (since is None or issue["updated_at"] >= since)
        ]
        return found[(page - 1) * per_page : page * per_page]

    def _search(self, q: str, token: Token) -> dict[str, Any]:
        """`repo:o/r label:x "phrase" in:body`: enough of GitHub's search syntax for the suite's look-ups."""
        terms, phrases = [], []
        for index, chunk in enumerate(q.split('"')):
            (phrases if index % 2 else terms).extend([chunk] if index % 2 else chunk.split())
        repo_name = next((t.split(":", 1)[1] for t in terms if t.startswith("repo:")), self.repository)
        owner, _, name = repo_name.partition("/")
        try:
            repo = self._repo(owner, name, token)
        except _Refusal:
            raise _Refusal(
                422,
                "Validation Failed",
                errors=[
                    {
                        "message": "The listed users and repositories cannot be searched either because "
                        "the resources do not exist or you do not have permission to view them.",
                        "resource": "Search",
                        "field": "q",
                        "code": "invalid",
                    }
                ],
            ) from None
        labels = {t.split(":", 1)[1].lower() for t in terms if t.startswith("label:")}
        items = [
            issue
            for issue in repo.issues.values()
            if labels <= {label["name"].lower() for label in issue["labels"]}
            and all(phrase in (issue["body"] or "") for phrase in phrases)
        ]
        return {"total_count": len(items), "incomplete_results": False, "items": items}

    # ------------------------------------------------------------------ labels
    def _create_label(self, repo: Repository, body: Any) -> dict[str, Any]:
        name = body.get("name") if isinstance(body, dict) else None
        if not name:
            raise _Refusal(
                422,
                "Validation Failed",
                errors=[{"resource": "Label", "code": "missing_field", "field": "name"}],
            )
        if name.lower() in repo.labels:
            raise _Refusal(
                422,
                "Validation Failed",
                errors=[{"resource": "Label", "code": "already_exists", "field": "name"}],
            )
        if len(name) > MAX_LABEL_LENGTH:
            raise _Refusal(
                422, "Validation Failed", errors=[{"resource": "Label", "code": "invalid", "field": "name"}]
            )
        return self._new_label(repo, name, str(body.get("color") or "ededed"), body.get("description"))

    def _new_label(self, repo: Repository, name: str, color: str, description: str | None = None) -> dict:
        label = {
            "id": next(self._ids),
            "node_id": f"LA_fake{name}",
            "url": f"{self.origin}/repos/{repo.full_name}/labels/{name}",
            "name": name,
            "description": description,
            "color": color,
            "default": False,
        }
        repo.labels[name.lower()] = label
        return label

    # ------------------------------------------------------------------ shapes
    def _user(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": 5000 + sum(login.encode()),
            "node_id": f"U_fake{login}",
            "html_url": f"https://github.com/{login}",
            "type": "User",
            "site_admin": False,
        }

    def _repository_json(self, repo: Repository) -> dict[str, Any]:
        return {
            "id": 987654321,
            "node_id": "R_fake",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user(repo.owner),
            "html_url": f"https://github.com/{repo.full_name}",
            "has_issues": True,
        }
