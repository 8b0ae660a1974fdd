"""Recent deployments: the account's CloudFormation stacks changed in a time window (revert candidates).

ListStacks gives, per stack, its status and when it was created, last updated or deleted; the
window is applied here. Nested stacks are left out: their root stack is the one a team reverts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from pydantic import BaseModel

from incident_core.adapters.aws import client
from incident_core.changes.model import Change, change_id


class StackChange(BaseModel):
    name: str
    status: str
    at: datetime
    change: str  # "created", "updated" or "deleted"
    stack_id: str
    link: str

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    @property
    def rolled_back(self) -> bool:
        return "ROLLBACK" in self.status


class DeploySource(Protocol):
    def changed_between(self, start: datetime, end: datetime) -> list[StackChange]: ...


def console_link(stack_id: str) -> str:
    region = stack_id.split(":")[3] if stack_id.startswith("arn:") else "eu-west-2"
    return (
        f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}"
        f"#/stacks/stackinfo?stackId={quote(stack_id, safe='')}"
    )


def stack_change(summary: dict[str, Any]) -> StackChange:
    """One ListStacks summary as a change: its latest of created / updated / deleted."""
    if summary.get("DeletionTime"):
        change, at = "deleted", summary["DeletionTime"]
    elif summary.get("LastUpdatedTime"):
        change, at = "updated", summary["LastUpdatedTime"]
    else:
        change, at = "created", summary["CreationTime"]
    return StackChange(
        name=summary["StackName"],
        status=summary["StackStatus"],
        at=at,
        change=change,
        stack_id=summary["StackId"],
        link=console_link(summary["StackId"]),
    )


def changes_in_window(summaries: list[dict[str, Any]], start: datetime, end: datetime) -> list[StackChange]:
    """Root stacks whose latest change falls in [start, end], newest first."""
    changes = [stack_change(s) for s in summaries if not s.get("ParentId")]
    return sorted((c for c in changes if start <= c.at <= end), key=lambda c: c.at, reverse=True)


def as_change(stack: StackChange) -> Change:
    """A stack change in the terms of every other change (reverted where it was deployed)."""
    if stack.in_progress:
        note = "still deploying"
    elif stack.rolled_back:
        note = "rolled back already"
    else:
        note = "revert it by deploying the stack's previous template"
    return Change(
        change_id=change_id("cloudformation", stack.stack_id, stack.at.isoformat()),
        source="cloudformation",
        kind=f"stack {stack.change}",
        resource=f"stack `{stack.name}`",
        names=[stack.name],
        at=stack.at,
        link=stack.link,
        status=stack.status,
        note=note,
    )


class CloudFormationDeploys:
    def __init__(self, cloudformation: Any | None = None) -> None:
        self._cloudformation = cloudformation

    def changed_between(self, start: datetime, end: datetime) -> list[StackChange]:
        cloudformation = self._cloudformation or client("cloudformation")
        summaries: list[dict[str, Any]] = []
        for page in cloudformation.get_paginator("list_stacks").paginate():
            summaries.extend(page.get("StackSummaries", []))
        return changes_in_window(summaries, start, end)

    def changes_between(self, start: datetime, end: datetime) -> list[Change]:
        return [as_change(stack) for stack in self.changed_between(start, end)]
