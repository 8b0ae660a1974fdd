"""Reverts asked from an incident's thread: claimed once, performed once, undone the same way.

Item: `INCIDENT#<id>` / `REVERT#<revert id>` (the revert id is the change's id; its undo is
`<change id>~undo`), written with attribute_not_exists: a double click, Slack's retried delivery or
Lambda's retried invocation finds the claim and changes nothing twice. Its status moves requested →
performing → done | failed, each step a conditional write. The Slack app claims and announces
RevertRequested; the revert function performs it (perform.py) and announces RevertFinished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from incident_core.adapters.bus import EventBus
from incident_core.adapters.dynamo import Table, condition_failed, serialize
from incident_core.changes.model import RevertPlan
from incident_core.events import RevertRequested

UNDO = "~undo"
# A claim still "requested" this long after it was made is announced again (its event may be lost).
STALLED = timedelta(minutes=2)


class RevertRefused(Exception):
    """Why a revert cannot be asked (shown to the person who pressed the button)."""


class Revert(BaseModel):
    incident_id: str
    revert_id: str
    change_id: str
    what: str  # the change, as a person reads it
    plan: RevertPlan
    requested_by: str
    requested_at: datetime
    status: str = "requested"  # requested, performing, done, failed
    reason: str = ""
    finished_at: datetime | None = None
    journeys: list[str] = []
    recovered_at: datetime | None = None
    still_failing: dict[str, str] = {}


class RevertStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def key(incident_id: str, revert_id: str) -> dict[str, str]:
        return {"pk": f"INCIDENT#{incident_id}", "sk": f"REVERT#{revert_id}"}

    def claim(self, revert: Revert) -> bool:
        item = {**self.key(revert.incident_id, revert.revert_id), **revert.model_dump(mode="json")}
        return self.table.put_new(item)

    def get(self, incident_id: str, revert_id: str) -> Revert | None:
        item = self.table.get(**self.key(incident_id, revert_id))
        return (
            Revert.model_validate({k: v for k, v in item.items() if k not in ("pk", "sk")}) if item else None
        )

    def list(self, incident_id: str) -> list[Revert]:
        items = self.table.query(f"INCIDENT#{incident_id}", "REVERT#")
        return [Revert.model_validate({k: v for k, v in i.items() if k not in ("pk", "sk")}) for i in items]

    def move(self, incident_id: str, revert_id: str, from_statuses: tuple[str, ...], **values: Any) -> bool:
        """Set `values` if the status is one of `from_statuses` (one conditional write); False otherwise."""
        values = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
        names = {f"#{k}": k for k in values} | {"#status": "status"}
        condition_values = {f":from{i}": status for i, status in enumerate(from_statuses)}
        try:
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize(self.key(incident_id, revert_id)),
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
                ConditionExpression=f"#status IN ({', '.join(condition_values)})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(
                    {**{f":{k}": v for k, v in values.items()}, **condition_values}
                ),
            )
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True


@dataclass(frozen=True)
class Asked:
    revert: Revert
    created: bool  # False: it was asked already (a double click, a retry)


@dataclass
class RevertDesk:
    """The Slack app's side: find the change, claim its revert, announce it."""

    incidents: Any  # incident_core.incidents.store.IncidentStore
    reverts: RevertStore
    bus: EventBus
    enabled: bool
    now: Callable[[], datetime]

    def request(self, value: str, by: str) -> Asked:
        if not self.enabled:
            raise RevertRefused("Revert from the thread is off for this stack (its RevertEnabled parameter).")
        incident_id, _, revert_id = value.partition("|")
        incident = self.incidents.get(incident_id)
        if incident is None or not revert_id:
            raise RevertRefused(f"There is no incident `{incident_id}` to revert for.")
        if not incident.is_open:
            raise RevertRefused(f"`{incident_id}` is resolved: revert by hand if you still need to.")
        what, plan = self._plan(incident, revert_id)
        now = self.now()
        revert = Revert(
            incident_id=incident_id,
            revert_id=revert_id,
            change_id=revert_id.removesuffix(UNDO),
            what=what,
            plan=plan,
            requested_by=by,
            requested_at=now,
            journeys=list(incident.journeys),
        )
        if self.reverts.claim(revert):
            self._announce(revert)
            return Asked(revert, created=True)
        existing = self.reverts.get(incident_id, revert_id) or revert
        if existing.status == "requested" and now - existing.requested_at > STALLED:
            self._announce(existing)  # its first announcement may never have gone out
        return Asked(existing, created=False)

    def _plan(self, incident: Any, revert_id: str) -> tuple[str, RevertPlan]:
        if revert_id.endswith(UNDO):
            reverted = self.reverts.get(incident.incident_id, revert_id.removesuffix(UNDO))
            if reverted is None or reverted.status != "done":
                raise RevertRefused("Only a revert that was done can be undone.")
            if not reverted.plan.undoable:
                raise RevertRefused("A stopped CodeDeploy deployment cannot be undone here: deploy it again.")
            return f"undo of the revert of {reverted.what}", reverted.plan.inverse()
        candidates = (incident.checklist.get("revert") or {}).get("candidates") or []
        found = next((c for c in candidates if c.get("change_id") == revert_id), None)
        if found is None:
            raise RevertRefused("That change is not among this incident's revert candidates.")
        if not found.get("revert"):
            raise RevertRefused(found.get("note") or "That change cannot be reverted from the thread.")
        return f"{found.get('kind')}: {found.get('resource')}", RevertPlan.model_validate(found["revert"])

    def _announce(self, revert: Revert) -> None:
        self.bus.put(
            RevertRequested(
                incident_id=revert.incident_id,
                revert_id=revert.revert_id,
                requested_by=revert.requested_by,
                requested_at=revert.requested_at,
            )
        )
