"""Vendors' status pages through Atlassian Statuspage's public JSON API (no key needed).

For a page at <base>: `GET <base>/api/v2/status.json` (the overall indicator: none, minor, major,
critical, maintenance) and `GET <base>/api/v2/incidents/unresolved.json` (incidents still
investigating, identified or monitoring).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

DEFAULT_TIMEOUT_SECONDS = 3.0


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
