"""Local fake vendor status pages: a real HTTP server on 127.0.0.1 answering like Atlassian Statuspage.

The JSON is shaped after Statuspage's public API documentation (`/api/v2/status.json`: `page` and
`status.indicator` / `status.description`; `/api/v2/incidents/unresolved.json`: `page` and
`incidents[]` with `name`, `status`, `impact`, `shortlink`, `started_at`, ...). It is NOT a copied
vendor sample: no example response from the vendor could be recovered (the pages keep them behind a
"Click for example" widget), so field names follow the documented schema and values are made up.

One server hosts several vendors, each under its own path: `base_url("github")` is that vendor's page
base, as a team would put it in STATUS_PAGES. Tests set each vendor's state, a delay (a slow page) or
an HTTP error.

Slack's own Status API (not a Statuspage) is served at `/slack-status/api/v2.0.0/current`, shaped after
the documented v2.0.0 samples (https://docs.slack.dev/reference/slack-status-api).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from stand_ins.local_server import LocalServer

DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Partially Degraded Service",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}


@dataclass
class Vendor:
    name: str
    indicator: str = "none"
    incidents: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 0.0
    http_status: int = 200


class FakeStatusPages(LocalServer):
    methods = ("GET",)

    def __init__(self, port: int = 0) -> None:
        self.vendors: dict[str, Vendor] = {}
        self.slack: dict[str, Any] | None = None
        self.requests: list[str] = []
        self._lock = threading.Lock()
        super().__init__(port)

    @property
    def url(self) -> str:
        return self.origin

    def base_url(self, vendor: str) -> str:
        return f"{self.url}/{vendor}"

    def reset(self) -> None:
        with self._lock:
            self.vendors.clear()
            self.slack = None
            self.requests.clear()

    def set_vendor(
        self,
        name: str,
        indicator: str = "none",
        incidents: list[str] | None = None,
        delay: float = 0.0,
        http_status: int = 200,
    ) -> str:
        """Set a vendor's page; `incidents` are names of unresolved incidents. Returns its base URL."""
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        items = [
            {
                "id": f"inc{index:04d}",
                "name": title,
                "status": "investigating",
                "impact": indicator if indicator in ("minor", "major", "critical") else "minor",
                "shortlink": f"{self.base_url(name)}/incidents/inc{index:04d}",
                "created_at": started,
                "started_at": started,
                "updated_at": started,
                "monitoring_at": None,
                "resolved_at": None,
                "page_id": f"page-{name}",
                "incident_updates": [
                    {
                        "status": "investigating",
                        "body": f"We are investigating: {title}",
                        "created_at": started,
                    }
                ],
                "components": [],
            }
            for index, title in enumerate(incidents or [], start=1)
        ]
        with self._lock:
            self.vendors[name] = Vendor(name, indicator, items, delay, http_status)
        return self.base_url(name)

    def set_slack_status(self, incidents: list[tuple[str, str]] | None = None) -> str:
        """Slack's status: (title, type) of each active incident (type incident, outage or maintenance).
        Returns the URL a team puts in STATUS_PAGES."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        items = [
            {
                "id": str(index),
                "date_created": now,
                "date_updated": now,
                "title": title,
                "type": kind,
                "status": "active",
                "url": f"{self.base_url('slack-status')}/{now[:7]}/{index:016x}",
                "services": ["Messaging"],
                "notes": [{"date_created": now, "body": f"We're investigating: {title}"}],
            }
            for index, (title, kind) in enumerate(incidents or [], start=1)
        ]
        with self._lock:
            self.slack = {
                "status": "active" if items else "ok",
                "active_incidents": items,
                "date_created": now,
                "date_updated": now,
            }
        return f"{self.base_url('slack-status')}/api/v2.0.0/current"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(path)
            slack = self.slack
        if path == "/slack-status/api/v2.0.0/current" and slack is not None:
            self._send(request, 200, slack)
            return
        vendor_name, _, rest = path.lstrip("/").partition("/")
        with self._lock:
            vendor = self.vendors.get(vendor_name)
        if vendor is None or rest not in ("api/v2/status.json", "api/v2/incidents/unresolved.json"):
            self._send(request, 404, {"error": "Not found"})
            return
        if vendor.delay:
            time.sleep(vendor.delay)
        if vendor.http_status != 200:
            self._send(request, vendor.http_status, {"error": "injected"})
            return
        page = {
            "id": f"page-{vendor.name}",
            "name": vendor.name.title(),
            "url": self.base_url(vendor.name),
            "time_zone": "Etc/UTC",
            "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        if rest == "api/v2/status.json":
            body: dict[str, Any] = {
                "page": page,
                "status": {"indicator": vendor.indicator, "description": DESCRIPTIONS[vendor.indicator]},
            }
        else:
            body = {"page": page, "incidents": vendor.incidents}
        self._send(request, 200, body)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
