"""CloudWatch metrics for journeys, written as EMF log records through Powertools (no PutMetricData).

By default only three metrics exist, each with the `service` dimension alone: JourneyRuns,
JourneyFailures (sums per invocation) and JourneyDuration (one value per journey run). At $0.30 per
metric per month that is $0.90, however many journeys there are. RunnerFaults (journeys the runner could
not check through its own fault) is published only when there are some. Each journey's own success and
duration are properties of its EMF record, so Logs Insights can chart them per journey for nothing.
`settings: {per_journey_metrics: true}` adds JourneySuccess and JourneyDuration with a `journey`
dimension: two more metrics, $0.60 a month, per journey.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_lambda_powertools.metrics import EphemeralMetrics, Metrics, MetricUnit

from incident_core.journeys.results import JourneyResult


def publish_metrics(metrics: Metrics, results: Sequence[JourneyResult], *, per_journey: bool = False) -> None:
    # Sent even when no journey was due: JourneyRuns arriving every minute says the runner is alive
    # (the suite's "journeys silent" alarm watches it). A run the runner itself spoiled (a runner fault)
    # has no verdict on the site: it counts in RunnerFaults only, so success % stays about the site.
    checked = [result for result in results if result.runner_fault is None]
    faults = len(results) - len(checked)
    metrics.add_metric(name="JourneyRuns", unit=MetricUnit.Count, value=len(checked))
    metrics.add_metric(name="JourneyFailures", unit=MetricUnit.Count, value=sum(not r.ok for r in checked))
    if faults:  # only when there are some: a metric costs nothing in the hours it is not published
        metrics.add_metric(name="RunnerFaults", unit=MetricUnit.Count, value=faults)
    for result in checked:
        record = EphemeralMetrics(namespace=metrics.namespace, service=metrics.service)
        record.add_metric(
            name="JourneyDuration", unit=MetricUnit.Milliseconds, value=round(result.duration_ms, 1)
        )
        _describe(record, result)
        record.flush_metrics()
        if per_journey:
            dimensioned = EphemeralMetrics(namespace=metrics.namespace, service=metrics.service)
            dimensioned.add_dimension(name="journey", value=result.journey)
            dimensioned.add_metric(name="JourneySuccess", unit=MetricUnit.Count, value=1 if result.ok else 0)
            dimensioned.add_metric(
                name="JourneyDuration", unit=MetricUnit.Milliseconds, value=round(result.duration_ms, 1)
            )
            dimensioned.flush_metrics()


def _describe(record: EphemeralMetrics, result: JourneyResult) -> None:
    failed = result.failed_step
    record.add_metadata(key="journey", value=result.journey)
    record.add_metadata(key="success", value=1 if result.ok else 0)
    record.add_metadata(key="duration_ms", value=round(result.duration_ms, 1))
    record.add_metadata(key="attempts", value=len(result.attempts))
    record.add_metadata(key="run_id", value=result.run_id)
    if failed is not None:
        record.add_metadata(key="failing_step", value=failed.name)
        record.add_metadata(key="reason", value=failed.reason)
