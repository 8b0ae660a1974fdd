"""Reverts and deploy markers, from the suite bus.

RevertRequested: a responder confirmed a Revert in an incident's thread (the Slack app claimed it): the
revert is performed once (incident_core.changes.perform) and RevertFinished announced. DeployFinished:
a deploy marker from the team's CI is stored, for the checklist's "what changed".
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from incident_core.envelopes import EventBridgeModel
from incident_core.events import DeployFinished, RevertRequested
from incident_core.settings import get_settings

logger = Logger()


@cache
def reverter() -> Any:
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.adapters.dynamo import Table
    from incident_core.adapters.revert_targets import (
        AppConfigDeployments,
        CodeDeployments,
        EcsServices,
        LambdaAliases,
        RevertHooks,
    )
    from incident_core.adapters.secrets import get_json_secret
    from incident_core.changes.perform import Reverter
    from incident_core.changes.reverts import RevertStore
    from incident_core.clock import utc_now

    settings = get_settings()
    return Reverter(
        reverts=RevertStore(Table(settings.table_name)),
        bus=EventBridgeBus(settings.bus_name, settings.event_source),
        aliases=LambdaAliases(),
        services=EcsServices(),
        deployments=CodeDeployments(),
        configurations=AppConfigDeployments(),
        hooks=cache(lambda: RevertHooks(get_json_secret(settings.revert_hook_secret_id).get("secret", ""))),
        own_stack=settings.suite_stack_name,
        tag=settings.revert_tag,
        now=utc_now,
        enabled=settings.revert_enabled,
    )


@cache
def markers() -> Any:
    from incident_core.adapters.dynamo import Table
    from incident_core.changes.markers import DeployMarkers

    return DeployMarkers(Table(get_settings().table_name))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    envelope = EventBridgeModel.model_validate(event)
    if envelope.detail_type == RevertRequested.detail_type:
        asked = RevertRequested.model_validate(envelope.detail)
        logger.append_keys(incident_id=asked.incident_id, revert_id=asked.revert_id)
        account = context.invoked_function_arn.split(":")[4]
        done = reverter().perform(asked.incident_id, asked.revert_id, account)
        return {"revert": asked.revert_id, "status": done.status if done else "unknown"}
    if envelope.detail_type == DeployFinished.detail_type:
        marker = DeployFinished.model_validate(envelope.detail)
        return {"recorded": markers().record(marker), "service": marker.service}
    raise ValueError(f"revert handles RevertRequested and DeployFinished, not {envelope.detail_type!r}")
