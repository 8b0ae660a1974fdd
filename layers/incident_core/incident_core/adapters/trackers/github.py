"""GitHub Issues through the REST API (docs.github.com/rest/issues), with a fine-grained token that has
issues read and write on one repository (Secrets Manager: {"token": "github_pat_..."}).

Every request sends `Authorization: Bearer`, `Accept: application/vnd.github+json` and the pinned
`X-GitHub-Api-Version`. Look-ups use the list endpoint (`GET /repos/{o}/{r}/issues?labels=&since=`),
not search: GitHub's search index lags behind a create by seconds to minutes, so an issue whose create
answer was lost could be missed by a search and made twice.

Rate limits (docs: rate-limits-for-the-rest-api): a 403 or 429 with `x-ratelimit-remaining: 0` waits
until `x-ratelimit-reset`; one with `retry-after` waits that long; a secondary limit without either waits
a minute. The adapter never sleeps: it raises TrackerUnavailable(retry_at) and the item stays pending.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from incident_core.adapters.trackers import (
    Issue,
    IssueDraft,
    TrackerInvalid,
    TrackerRefused,
    TrackerUnavailable,
)

API_VERSION = "2022-11-28"
DEFAULT_TIMEOUT_SECONDS = 5.0
SECONDARY_LIMIT_WAIT = timedelta(minutes=1)  # GitHub: "wait at least one minute" without retry-after
PAGE_SIZE = 100
MAX_PAGES = 10  # 1,000 incident issues changed since an item was made: more than a small team has
LABEL_COLOURS = {"incident": "d73a4a", "P0": "b60205"}
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubIssues:
    name = "github"

    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str = "https://api.github.com",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        session: Any | None = None,
        clock: Any = None,
    ) -> None:
        if not _REPOSITORY.match(repository):
            raise ValueError(f"a GitHub repository is owner/name, got {repository!r}")
        if not token:
            raise TrackerRefused("the tracker secret has no token")
        self._token = token
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._session = session
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings: Any, repository: str) -> GitHubIssues:
        from incident_core.adapters.secrets import get_json_secret

        secret = get_json_secret(settings.tracker_secret_id)
        return cls(str(secret.get("token") or ""), repository, api_url=settings.github_api_url)

    def __repr__(self) -> str:  # never the token
        return f"GitHubIssues({self.repository!r})"

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    # ------------------------------------------------------------------ the Tracker protocol
    def ensure_labels(self, labels: list[str]) -> None:
        for label in labels:
            response = self._request("GET", f"/labels/{label}", expect=(200, 404))
            if response.status_code == 404:
                self._request(
                    "POST",
                    "/labels",
                    json={"name": label, "color": LABEL_COLOURS.get(label, "ededed")},
                    expect=(201, 422),  # 422 already_exists: made meanwhile by another run
                )

    def find(self, marker: str, since: datetime, labels: list[str]) -> Issue | None:
        params = {
            "labels": ",".join(labels),
            "state": "all",
            "since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sort": "created",
            "direction": "desc",
            "per_page": str(PAGE_SIZE),
        }
        for page in range(1, MAX_PAGES + 1):
            found = self._request("GET", "/issues", params={**params, "page": str(page)}).json()
            for raw in found:
                if "pull_request" not in raw and marker in (raw.get("body") or ""):
                    return _issue(raw)
            if len(found) < PAGE_SIZE:
                return None
        return None

    def create(self, draft: IssueDraft) -> Issue:
        payload = {
            "title": draft.title,
            "body": draft.body,
            "labels": draft.labels,
            "assignees": draft.assignees,
        }
        return _issue(self._request("POST", "/issues", json=payload, expect=(201,)).json())

    def get(self, number: int) -> Issue:
        return _issue(self._request("GET", f"/issues/{int(number)}").json())

    def update(self, number: int, **changes: object) -> Issue:
        if changes.get("state") == "closed":
            changes.setdefault("state_reason", "completed")
        return _issue(self._request("PATCH", f"/issues/{int(number)}", json=changes).json())

    def check_write(self, label: str) -> str:
        """Creating a label that exists changes nothing: 422 `already_exists` proves issues write (GitHub
        checks the permission before the content), 403 proves its absence."""
        self._request("GET", "")  # 404: unknown repository, or one the token was not given
        self.ensure_labels([label])
        self._request("POST", "/labels", json={"name": label}, expect=(422,))
        return f"issues read and write on {self.repository}"

    # ------------------------------------------------------------------ HTTP
    def _request(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        import requests

        url = f"{self.api_url}/repos/{self.repository}{path}"
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "incident-suite",
        }
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.Timeout as error:
            raise TrackerUnavailable(
                f"GitHub did not answer within {self.timeout:g} s ({method} {path})"
            ) from error
        except requests.RequestException as error:
            raise TrackerUnavailable(
                f"GitHub could not be reached ({method} {path}): {type(error).__name__}"
            ) from error
        if response.status_code in expect:
            return response
        raise self._failure(method, path, response)

    def _failure(self, method: str, path: str, response: Any) -> Exception:
        status = response.status_code
        body = _json(response)
        message = str(body.get("message") or "")
        what = f"GitHub answered {method} {path or '/'} with HTTP {status}" + (
            f" ({message})" if message else ""
        )
        retry_at = self._rate_limited_until(response, message)
        if retry_at is not None:
            return TrackerUnavailable(f"{what}; waiting until {retry_at:%H:%M:%S} UTC", retry_at)
        if status >= 500:
            return TrackerUnavailable(what)
        if status == 422:
            problems = ", ".join(
                f"{e.get('field', '?')}: {e.get('message') or e.get('code', '?')}"
                for e in body.get("errors") or []
                if isinstance(e, dict)
            )
            return TrackerInvalid(what + (f": {problems}" if problems else ""))
        if status == 401:
            return TrackerRefused(f"{what}: the token is revoked, expired or mistyped")
        if status == 403:
            return TrackerRefused(f"{what}: the token lacks issues read and write on {self.repository}")
        if status == 404:
            return TrackerRefused(f"{what}: {self.repository} does not exist or the token was not given it")
        return TrackerInvalid(what)

    def _rate_limited_until(self, response: Any, message: str) -> datetime | None:
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        now = self._clock()
        if headers.get("retry-after", "").isdigit():
            return now + timedelta(seconds=int(headers["retry-after"]))
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
            return max(datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), UTC), now)
        if "rate limit" in message.lower() or response.status_code == 429:
            return now + SECONDARY_LIMIT_WAIT
        return None


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _issue(raw: Any) -> Issue:
    if not isinstance(raw, dict) or not isinstance(raw.get("number"), int):
        raise TrackerInvalid("GitHub answered without an issue number")
    return Issue(
        number=raw["number"],
        url=str(raw.get("html_url") or ""),
        state=str(raw.get("state") or "open"),
        title=str(raw.get("title") or ""),
        body=str(raw.get("body") or ""),
        assignees=[str(a.get("login")) for a in raw.get("assignees") or [] if isinstance(a, dict)],
        labels=[str(label.get("name")) for label in raw.get("labels") or [] if isinstance(label, dict)],
        updated_at=raw.get("updated_at"),
    )
