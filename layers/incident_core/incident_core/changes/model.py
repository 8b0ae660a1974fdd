"""A change found before an incident, from any source, and how it can be reverted (pure models)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class RevertAction(StrEnum):
    LAMBDA_ALIAS = "lambda-alias"  # UpdateAlias back to the version before the change
    ECS_SERVICE = "ecs-service"  # UpdateService back to the task definition before the change
    DEPLOY_HOOK = "deploy-hook"  # the deploy marker's revert hook, called with a signed request
    CODEDEPLOY_STOP = "codedeploy-stop"  # StopDeployment with autoRollbackEnabled (while it runs)
    APPCONFIG_STOP = "appconfig-stop"  # StopDeployment with AllowRevert: rolled back, or reverted if complete


class RevertPlan(BaseModel):
    """What a revert does: put `target` back from `expect` (as the change left it) to `restore`."""

    action: RevertAction
    target: str  # function name or ARN; ECS service ARN or name; the hook's URL
    alias: str | None = None  # Lambda: the alias moved
    cluster: str | None = None  # ECS: the service's cluster
    expect: str  # what it is now, as the change left it: the revert refuses if it has moved since
    restore: str  # what it goes back to

    @property
    def undoable(self) -> bool:
        """A stopped (rolled back) deployment cannot be started again from here: deploy it again."""
        return self.action not in (RevertAction.CODEDEPLOY_STOP, RevertAction.APPCONFIG_STOP)

    def inverse(self) -> RevertPlan:
        """The plan that undoes this revert (the same way, the other direction)."""
        return self.model_copy(update={"expect": self.restore, "restore": self.expect})

    def describe(self) -> str:
        if self.action is RevertAction.LAMBDA_ALIAS:
            return (
                f"alias `{self.alias}` of `{short(self.target)}` from version {self.expect} to {self.restore}"
            )
        if self.action is RevertAction.ECS_SERVICE:
            return (
                f"ECS service `{short(self.target)}` from task definition `{short(self.expect)}` "
                f"to `{short(self.restore)}`"
            )
        if self.action is RevertAction.CODEDEPLOY_STOP:
            return (
                f"CodeDeploy deployment `{self.target}` of `{self.alias}`/{self.cluster}: stop it and roll "
                "back to the previous revision"
            )
        if self.action is RevertAction.APPCONFIG_STOP:
            return (
                f"AppConfig deployment {self.target.rsplit('/', 1)[-1]} of `{self.alias}` to environment "
                f"`{self.cluster}`: stop it, back from configuration version {self.expect} to the one before"
            )
        return f"ask the deploy's revert hook to go from {self.expect} back to {self.restore}"


class Change(BaseModel):
    """One change in the window before an incident: who, when, from what to what."""

    change_id: str
    source: str  # "cloudformation", "cloudtrail" or "marker"
    kind: str  # in words: "Lambda UpdateAlias", "stack updated", "deploy"
    resource: str  # what changed, as a person reads it
    names: list[str] = Field(default_factory=list)  # the names it is matched by (function, service, stack)
    at: datetime
    who: str | None = None
    before: str | None = None
    after: str | None = None
    link: str | None = None
    status: str | None = None  # CloudFormation's stack status
    revert: RevertPlan | None = None
    touches: list[str] = Field(default_factory=list)  # what the failing journey or alarm depends on, hit
    note: str | None = None  # why it cannot be reverted from the thread, when it cannot


def change_id(*parts: str) -> str:
    """A short id, the same whenever the same change is found again (button values, revert claims)."""
    return "chg-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def short(value: str) -> str:
    """An ARN's last part (`function:name:alias` → `name`, `service/cluster/name` → `name`)."""
    if not value.startswith("arn:"):
        return value
    resource = value.split(":", 5)[
        -1
    ]  # "function:name[:alias]", "service/cluster/name", "task-definition/f:3"
    if resource.startswith("function:"):
        return resource.split(":")[1]
    return resource.rsplit("/", 1)[-1]
