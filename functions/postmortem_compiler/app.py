"""On IncidentResolved (or PostmortemRequested): compile the incident's document and post-mortem draft,
publish it (S3, and the team's site by signed webhook), post its link and the post-mortem session in the
thread, and publish time to acknowledge / resolve once per incident.

Invoked asynchronously by the suite bus rule: an exception is retried by Lambda, then goes to the DLQ.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from incident_core.clock import utc_now
from incident_core.envelopes import EventBridgeModel
from incident_core.events import IncidentResolved, PostmortemRequested

logger = Logger()
metrics = Metrics()


@cache
def service() -> Any:
    """The PostmortemService, wired on first use (it reads the Slack secret) and kept for the container's
    life; its modules (and boto3 with them) load then, so the handler's import stays small."""
    from incident_core.postmortem.service import service_from_settings
    from incident_core.settings import get_settings

    return service_from_settings(get_settings())


def request(event: dict[str, Any]) -> tuple[str, str | None]:
    """(incident id, who resolved it) from the EventBridge envelope; a clear error for anything else."""
    envelope = EventBridgeModel.model_validate(event)
    if envelope.detail_type == IncidentResolved.detail_type:
        resolved = IncidentResolved.model_validate(envelope.detail)
        return resolved.incident_id, resolved.resolved_by
    if envelope.detail_type == PostmortemRequested.detail_type:
        return PostmortemRequested.model_validate(envelope.detail).incident_id, None
    raise ValueError(
        f"postmortem_compiler handles IncidentResolved and PostmortemRequested, not {envelope.detail_type!r}"
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    incident_id, resolved_by = request(event)
    logger.append_keys(incident_id=incident_id)
    result = service().compile(incident_id, now=utc_now(), resolved_by=resolved_by)
    if result.publish_metrics:
        # Dimension `service` only (cost); the incident id rides along as an EMF property.
        metrics.add_metadata(key="incident_id", value=incident_id)
        for name, span in (
            ("TimeToAcknowledge", result.durations.to_acknowledge),
            ("TimeToResolve", result.durations.to_resolve),
        ):
            if span is not None:
                metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=span.total_seconds())
        metrics.flush_metrics()  # only here: a re-compilation publishes no metric (and logs no warning)
    logger.info(
        "document compiled",
        version=result.version,
        changed=result.changed,
        published=[p.location for p in result.publications],
        problems=result.problems,
    )
    return {
        "incident_id": incident_id,
        "version": result.version,
        "changed": result.changed,
        "published": [p.location for p in result.publications],
        "problems": result.problems,
    }
