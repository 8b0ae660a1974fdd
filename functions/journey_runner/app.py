"""Journey runner: on each EventBridge Scheduler tick, run the due journeys, keep every result in
DynamoDB, put JourneyFailed / JourneyRecovered on the bus when a journey changes state, and publish
metrics (EMF). A fault of the runner itself (its browser would not start, a secret unreadable, a bug of
ours) is no failure of the site: logged, counted (RunnerFaults), and the invocation fails after recording
everything, so the suite's errors alarm hears it; no JourneyFailed, no change of the journey's state.

One module, two deployments: this zip function runs the HTTP journeys (JOURNEY_KIND=http); the browser
runner's container image (browser/) runs the same module for journeys with browser steps.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from incident_core.clock import utc_now
from incident_core.envelopes import EventBridgeModel
from incident_core.journeys.metrics import publish_metrics
from incident_core.journeys.monitor import JourneyMonitor

logger = Logger()
metrics = Metrics()


@cache
def monitor() -> JourneyMonitor:
    """Made on the first invocation (journeys file, boto3 clients) and kept for the container's life.
    A bad journeys file fails each invocation, with every problem in the error, until it is fixed."""
    from incident_core.journeys.wiring import monitor_from_environment

    return monitor_from_environment()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    tick = EventBridgeModel.model_validate(event)
    if tick.detail_type == "RevertFinished":  # a revert was made: its incident's journeys run again now
        from incident_core.events import RevertFinished
        from incident_core.journeys.recheck import recheck

        reverted = RevertFinished.model_validate(tick.detail)
        checked, _ = recheck(
            monitor(), reverted, utc_now(), context.get_remaining_time_in_millis() / 1000, clock=utc_now
        )
        return {"rechecked": checked.model_dump(mode="json") if checked else None}
    journeys = monitor()
    outcome = journeys.run_scheduled(
        scheduled_at=tick.time,
        now=utc_now(),
        time_left_s=context.get_remaining_time_in_millis() / 1000,
    )
    publish_metrics(metrics, outcome.results, per_journey=journeys.journeys.settings.per_journey_metrics)
    for result in outcome.results:
        if (fault := result.runner_fault) is not None:
            # Not the site's failure: nothing is announced; the invocation fails below (errors alarm).
            logger.error(
                "runner fault: journey not checked",
                extra={"journey": result.journey, "step": fault.name, "reason": fault.reason},
            )
        elif not result.ok and result.failed_step is not None:
            logger.warning(
                "journey failed",
                extra={
                    "journey": result.journey,
                    "step": result.failed_step.name,
                    "reason": result.failed_step.reason,
                },
            )
    summary = outcome.summary()
    logger.info("journeys run", extra=summary)
    outcome.raise_for_errors()
    return summary
