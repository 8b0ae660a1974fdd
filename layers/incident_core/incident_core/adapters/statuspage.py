"""Vendors' status pages through their public JSON APIs (no key needed).

Atlassian Statuspage, for a page at <base>: `GET <base>/api/v2/status.json` (the overall indicator:
none, minor, major, critical, maintenance) and `GET <base>/api/v2/incidents/unresolved.json`
(incidents still investigating, identified or monitoring).

Slack is not a Statuspage: its own Status API is named by its URL, `.../api/v2.0.0/current`
(https://docs.slack.dev/reference/slack-status-api): `status` "ok" or not, and `active_incidents`
each with a `type` of incident, outage or maintenance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

DEFAULT_TIMEOUT_SECONDS = 3.0
SLACK_STATUS_API = "/api/v2.0.0/current"
# Slack's incident types as Statuspage impacts, so both kinds of page read alike in the checklist.
SLACK_IMPACT = {"outage": "major", "incident": "minor", "maintenance": "maintenance"}


class StatusPageError(Exception):
    """A status page could not be read; the message names the page and the reason."""


class VendorIncident(BaseModel):
    name: str
    status: str
    impact: str = "none"
    link: str | None = None
    started_at: datetime | None = None


class VendorStatus(BaseModel):
    base_url: str
    name: str
    indicator: str
    description: str
    incidents: list[VendorIncident] = Field(default_factory=list)

    @property
    def link(self) -> str:
        return self.base_url

    @property
    def operational(self) -> bool:
        return self.indicator == "none" and not self.incidents


class StatusSource(Protocol):
    def status(self, base_url: str) -> VendorStatus: ...


def parse_status_pages(value: str) -> list[str]:
    """The STATUS_PAGES setting: comma-separated base URLs; each must be http(s)."""
    pages = [page.strip().rstrip("/") for page in value.split(",") if page.strip()]
    for page in pages:
        if not page.startswith(("https://", "http://")):
            raise ValueError(f"STATUS_PAGES: {page!r} is not an http(s) URL")
    return pages


class StatusPages:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT_SECONDS, session: Any | None = None) -> None:
        self.timeout = timeout
        self._session = session

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def _get(self, url: str) -> dict[str, Any]:
        import requests

        try:
            response = self.session.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.Timeout as error:
            raise StatusPageError(f"{url} did not answer within {self.timeout:g} s") from error
        except requests.RequestException as error:
            raise StatusPageError(f"{url} could not be reached: {error}") from error
        if response.status_code != 200:
            raise StatusPageError(f"{url} answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise StatusPageError(f"{url} did not answer with JSON") from error
        if not isinstance(body, dict):
            raise StatusPageError(f"{url} answered with unexpected JSON")
        return body

    def status(self, base_url: str) -> VendorStatus:
        base_url = base_url.rstrip("/")
        if base_url.endswith(SLACK_STATUS_API):
            return slack_status(base_url, self._get(base_url))
        summary = self._get(f"{base_url}/api/v2/status.json")
        try:
            indicator = str(summary["status"]["indicator"])
            description = str(summary["status"].get("description", ""))
        except (KeyError, TypeError) as error:
            raise StatusPageError(f"{base_url}/api/v2/status.json has no status.indicator") from error
        name = str((summary.get("page") or {}).get("name") or base_url)
        unresolved = self._get(f"{base_url}/api/v2/incidents/unresolved.json")
        incidents = [
            VendorIncident(
                name=str(item.get("name", "")),
                status=str(item.get("status", "")),
                impact=str(item.get("impact") or "none"),
                link=item.get("shortlink"),
                started_at=item.get("started_at") or item.get("created_at"),
            )
            for item in unresolved.get("incidents") or []
            if isinstance(item, dict)
        ]
        return VendorStatus(
            base_url=base_url, name=name, indicator=indicator, description=description, incidents=incidents
        )


def slack_status(url: str, body: dict[str, Any]) -> VendorStatus:
    """Slack's Status API answer as a VendorStatus; StatusPageError names what is wrong with it."""
    state = body.get("status")
    if not isinstance(state, str):
        raise StatusPageError(f"{url} has no status")
    incidents = []
    for item in body.get("active_incidents") or []:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            raise StatusPageError(f"{url} lists an active incident without a title")
        link, started = item.get("url"), item.get("date_created")
        incidents.append(
            VendorIncident(
                name=item["title"],
                status=str(item.get("status") or "active"),
                impact=SLACK_IMPACT.get(str(item.get("type")), "minor"),
                link=link if isinstance(link, str) else None,
                started_at=_when(started),
            )
        )
    impacts = {incident.impact for incident in incidents}
    if state == "ok" and not incidents:
        indicator = "none"
    elif impacts == {"maintenance"}:
        indicator = "maintenance"
    else:
        indicator = "major" if "major" in impacts else "minor"
    return VendorStatus(
        base_url=url.removesuffix(SLACK_STATUS_API),
        name="Slack",
        indicator=indicator,
        description="All services operational" if indicator == "none" else f"Slack status: {state}",
        incidents=incidents,
    )


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
