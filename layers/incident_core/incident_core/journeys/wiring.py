"""Builds the runner's parts from the environment, once per container (the first invocation)."""

from __future__ import annotations

import os

from incident_core.journeys.monitor import JourneyMonitor, RunnerSettings


def monitor_from_environment() -> JourneyMonitor:
    from incident_core.adapters.aws import client
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.adapters.dynamo import Table
    from incident_core.journeys.engine import JourneyRunner
    from incident_core.journeys.evidence import S3Evidence
    from incident_core.journeys.loader import load_journeys_file
    from incident_core.journeys.store import JourneyStore
    from incident_core.journeys.templating import PowertoolsSecrets
    from incident_core.settings import get_settings

    settings = get_settings()
    runner_settings = RunnerSettings.model_validate(dict(os.environ))
    journeys = load_journeys_file(settings.journeys_file)
    # The DynamoDB client is made here, in one thread: every run needs it, and boto3 clients are
    # thread-safe to use, not to create. The others only on the path that uses them (a cold start pays
    # for each client made): EventBridge on the first state change to announce (in the invocation's own
    # thread), S3 on the first failed step's evidence (S3Evidence creates it under its lock).
    table = Table(settings.table_name, dynamodb=client("dynamodb"))
    bus = EventBridgeBus(settings.bus_name, settings.event_source)
    # Failed steps leave their evidence (whole response, screenshot) in the bucket when one is set.
    evidence = S3Evidence(settings.evidence_bucket) if settings.evidence_bucket else None
    return JourneyMonitor(
        journeys,
        JourneyRunner(secrets=PowertoolsSecrets(), evidence=evidence),
        JourneyStore(table, ttl_days=settings.result_ttl_days),
        bus,
        kind=runner_settings.kind,
        max_workers=runner_settings.concurrency,
        reserve_s=runner_settings.reserve_s,
    )
