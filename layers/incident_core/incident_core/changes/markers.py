"""Deploy markers (DeployFinished) in the suite's table, and as changes.

Item: `DEPLOYS` / `<finished at>#<service>#<version>`, kept 90 days (TTL), written once (a repeated
delivery of the same marker changes nothing). A window is one range query.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.dynamo import Table
from incident_core.alerts.keys import iso
from incident_core.changes.model import Change, RevertAction, RevertPlan, change_id
from incident_core.events import DeployFinished

PARTITION = "DEPLOYS"
KEEP = timedelta(days=90)


class DeployMarkers:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, marker: DeployFinished) -> bool:
        """Store a marker once; False when it was stored already."""
        item = {
            "pk": PARTITION,
            "sk": f"{iso(marker.finished_at)}#{marker.service}#{marker.version}",
            "expires_at": int((marker.finished_at + KEEP).timestamp()),
            **marker.model_dump(mode="json"),
        }
        return self.table.put_new(item)

    def between(self, start: datetime, end: datetime) -> list[DeployFinished]:
        items = self.table.query(PARTITION, sk_between=(iso(start), iso(end) + "~"))
        return [DeployFinished.model_validate(_fields(item)) for item in items]

    def changed_between(self, start: datetime, end: datetime) -> list[Change]:
        return [marker_change(marker) for marker in self.between(start, end)]


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in DeployFinished.model_fields}


def marker_change(marker: DeployFinished) -> Change:
    plan, note = None, None
    if marker.revert_hook and marker.previous_version:
        plan = RevertPlan(
            action=RevertAction.DEPLOY_HOOK,
            target=marker.revert_hook,
            alias=marker.service,
            expect=marker.version,
            restore=marker.previous_version,
        )
    elif marker.revert_hook:
        note = "the marker does not say the previous version: revert by hand"
    else:
        note = "the marker has no revert hook: revert where it was deployed"
    return Change(
        change_id=change_id("marker", marker.service, marker.version, iso(marker.finished_at)),
        source="marker",
        kind=f"deploy of commit {marker.commit[:7]}",
        resource=f"service `{marker.service}`",
        names=[marker.service],
        at=marker.finished_at,
        who=marker.author,
        before=marker.previous_version,
        after=marker.version,
        revert=plan,
        note=note,
    )
