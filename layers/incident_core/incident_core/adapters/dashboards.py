"""CloudWatch dashboards: put and delete one dashboard by name."""

from __future__ import annotations

import json
from typing import Any, Protocol

from incident_core.adapters.aws import client


class Dashboards(Protocol):
    def put(self, name: str, body: dict[str, Any]) -> list[str]: ...

    def delete(self, name: str) -> None: ...


class CloudWatchDashboards:
    def __init__(self, cloudwatch: Any | None = None) -> None:
        self._client = cloudwatch

    @property
    def _cloudwatch(self) -> Any:
        return self._client or client("cloudwatch")

    def put(self, name: str, body: dict[str, Any]) -> list[str]:
        """Puts the dashboard; returns CloudWatch's validation messages (warnings it accepted it with)."""
        response = self._cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
        return [
            f"{message.get('DataPath', '')}: {message.get('Message', '')}"
            for message in response.get("DashboardValidationMessages", [])
        ]

    def delete(self, name: str) -> None:
        """Deletes the dashboard; one already gone counts as deleted (a retried Delete must succeed)."""
        cloudwatch = self._cloudwatch
        try:
            cloudwatch.delete_dashboards(DashboardNames=[name])
        except cloudwatch.exceptions.ResourceNotFound:
            return
