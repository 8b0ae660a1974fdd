"""Performing a revert (the revert function's domain): checks first, then the one change, once.

Before any call that changes something: the resource must carry the revert tag (`incident-suite:revert`
= `allowed`) and must not belong to the suite's own stack (`aws:cloudformation:stack-name`); it must still
be as the change left it (`expect`): if someone moved it since, the revert refuses and says to what. A
resource already at `restore` is done without a call (a retried invocation after the change was made).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incident_core.adapters.bus import EventBus
from incident_core.changes.model import RevertAction, RevertPlan, short
from incident_core.changes.reverts import Revert, RevertStore
from incident_core.events import RevertFinished

logger = logging.getLogger(__name__)
STACK_TAG = "aws:cloudformation:stack-name"


class Refused(Exception):
    """A revert the suite will not make; the message says why, for the thread."""


@dataclass
class Reverter:
    reverts: RevertStore
    bus: EventBus
    aliases: Any  # adapters.revert_targets.LambdaAliases
    services: Any  # adapters.revert_targets.EcsServices
    deployments: Any  # adapters.revert_targets.CodeDeployments
    configurations: Any  # adapters.revert_targets.AppConfigDeployments
    hooks: Callable[[], Any]  # adapters.revert_targets.RevertHooks, made when a hook is first called
    own_stack: str
    tag: str
    now: Callable[[], datetime]
    enabled: bool = True  # the RevertEnabled stack parameter

    def perform(self, incident_id: str, revert_id: str, account: str = "") -> Revert | None:
        """`account`: the suite's account id (a CodeDeploy deployment group's ARN names it)."""
        revert = self.reverts.get(incident_id, revert_id)
        if revert is None:
            raise LookupError(f"RevertRequested for {incident_id}/{revert_id}, which is not claimed")
        if revert.status in ("done", "failed"):
            self._announce(revert)  # a repeated delivery: the outcome is announced again, nothing redone
            return revert
        if not self.reverts.move(incident_id, revert_id, ("requested", "performing"), status="performing"):
            return self.reverts.get(incident_id, revert_id)
        try:
            if not self.enabled:
                raise Refused("revert from the thread is off for this stack (its RevertEnabled parameter)")
            note = self._act(revert.plan, revert, account)
        except Refused as refused:
            status, reason, note = "failed", str(refused), ""
        except Exception as error:  # AWS or the hook said no: said in the thread, not retried blindly
            logger.exception("revert %s/%s failed", incident_id, revert_id)
            status, reason, note = "failed", f"{type(error).__name__}: {error}", ""
        else:
            status, reason = "done", ""
        finished = self.now()
        self.reverts.move(
            incident_id,
            revert_id,
            ("performing",),
            status=status,
            reason=reason or note,
            finished_at=finished,
        )
        done = revert.model_copy(update={"status": status, "reason": reason or note, "finished_at": finished})
        self._announce(done)
        return done

    def _check_tags(self, tags: dict[str, str], name: str) -> None:
        if self.own_stack and tags.get(STACK_TAG) == self.own_stack:
            raise Refused(
                f"`{name}` belongs to the suite's own stack `{self.own_stack}`: "
                "the suite never reverts itself."
            )
        if tags.get(self.tag) != "allowed":
            raise Refused(
                f"`{name}` is not tagged `{self.tag}=allowed`: the suite reverts only resources tagged "
                "for it. Tag it (and deploy with that tag), or revert it by hand."
            )

    def _act(self, plan: RevertPlan, revert: Revert, account: str) -> str:
        if plan.action is RevertAction.LAMBDA_ALIAS:
            assert plan.alias
            self._check_tags(self.aliases.tags(plan.target), short(plan.target))
            return self._move(
                lambda: self.aliases.current(plan.target, plan.alias),
                lambda: self.aliases.move(plan.target, plan.alias, plan.restore),
                plan,
            )
        if plan.action is RevertAction.ECS_SERVICE:
            cluster = plan.cluster or "default"
            self._check_tags(self.services.tags(cluster, plan.target), short(plan.target))
            return self._move(
                lambda: self.services.current(cluster, plan.target),
                lambda: self.services.move(cluster, plan.target, plan.restore),
                plan,
            )
        if plan.action is RevertAction.CODEDEPLOY_STOP:
            assert plan.alias and plan.cluster
            self._check_tags(
                self.deployments.tags(plan.alias, plan.cluster, account), f"{plan.alias}/{plan.cluster}"
            )
            status = self.deployments.status(plan.target)
            if status == "Stopped":
                return "it was stopped already"
            if status in ("Succeeded", "Failed"):
                raise Refused(
                    f"the deployment has already {status.lower()}: a stop cannot roll it back now. "
                    "Deploy the previous revision with CodeDeploy."
                )
            self.deployments.stop(plan.target)
            return ""
        if plan.action is RevertAction.APPCONFIG_STOP:
            application, environment, number = plan.target.rsplit("/", 2)
            self._check_tags(self.configurations.tags(application, environment, account), plan.target)
            state = self.configurations.state(application, environment, int(number))
            if state in ("ROLLED_BACK", "REVERTED", "ROLLING_BACK"):
                return f"it was {state.lower().replace('_', ' ')} already"
            self.configurations.stop(application, environment, int(number))
            return ""
        payload = {
            "incident_id": revert.incident_id,
            "service": plan.alias,
            "from_version": plan.expect,
            "to_version": plan.restore,
            "requested_by": revert.requested_by,
        }
        self.hooks().call(plan.target, payload, f"{revert.incident_id}:{revert.revert_id}")
        return "the revert hook accepted it; the deploy it starts is the team's CI's"

    def _move(self, current: Callable[[], str], move: Callable[[], None], plan: RevertPlan) -> str:
        now_at = current()
        if now_at == plan.restore:
            return f"it was at {short(plan.restore)} already"
        if now_at != plan.expect:
            raise Refused(
                f"it moved since the change: it is at `{short(now_at)}`, not `{short(plan.expect)}`. "
                "Nothing was changed; look at who moved it."
            )
        move()
        return ""

    def _announce(self, revert: Revert) -> None:
        self.bus.put(
            RevertFinished(
                incident_id=revert.incident_id,
                revert_id=revert.revert_id,
                ok=revert.status == "done",
                what=revert.plan.describe(),
                reason=revert.reason,
                requested_by=revert.requested_by,
                finished_at=revert.finished_at or self.now(),
                journeys=revert.journeys,
            )
        )
