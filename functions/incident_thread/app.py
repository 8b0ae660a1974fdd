"""The incident's thread in #incidents, driven by the suite bus.

IncidentDeclared: the root message (the Live Incident State Document), the Zoom war room, the
checklist. IncidentChanged / IncidentResolved: the root message edited in place, the change posted
once. JourneyRecovered: a timeline entry (and a reply) on the open incidents of that journey.

A declaration is handled once per incident at a time (Powertools idempotency on the incident id); a
failure raises, so Lambda retries the event and then sends it to the dead-letter queue, and the retry
does only what is still missing.

After a declaration or a resolution it publishes OpenIncidents, the number of incidents open now (the
dashboard's "Incidents: open now" widget): a gauge, so a repeated delivery only publishes it again.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from incident_core.envelopes import EventBridgeModel
from incident_core.events import (
    AlertRaised,
    IncidentChanged,
    IncidentDeclared,
    IncidentResolved,
    JourneyRechecked,
    JourneyRecovered,
    RevertFinished,
)
from incident_core.settings import get_settings

logger = Logger()
metrics = Metrics()
# The dashboard's "Incidents: open now" widget reads this (incident_core.dashboard.render.OPEN_INCIDENTS).
OPEN_INCIDENTS_METRIC = "OpenIncidents"
# A declaration's lock is kept this long: EventBridge and Lambda redeliveries come well within it.
DECLARED_IDEMPOTENCY_SECONDS = 6 * 3600
# Seconds the Slack client waits for an answer; a post whose answer never comes is looked for in Slack.
SLACK_TIMEOUT = 10


@cache
def thread() -> Any:
    """The IncidentThread and its adapters, made on first use and kept for the container's life."""
    from datetime import timedelta
    from functools import partial

    from incident_core.actions.store import ActionStore
    from incident_core.adapters.cloudtrail import CloudTrailChanges
    from incident_core.adapters.deploys import CloudFormationDeploys
    from incident_core.adapters.dynamo import Table
    from incident_core.adapters.slack import Slack
    from incident_core.adapters.statuspage import StatusPages, parse_status_pages
    from incident_core.adapters.zoom import Zoom
    from incident_core.alerts.health import HealthFacts
    from incident_core.changes.depends import declared_services, dependencies, own_from_settings
    from incident_core.changes.markers import DeployMarkers
    from incident_core.incidents.checklist import Lookups
    from incident_core.incidents.store import IncidentStore
    from incident_core.incidents.thread import IncidentThread

    settings = get_settings()
    deadline = settings.lookup_deadline_seconds
    lookups = Lookups(
        deploys=CloudFormationDeploys(),
        health=HealthFacts(Table(settings.table_name)),
        status_pages=StatusPages(timeout=deadline),
        vendor_pages=parse_status_pages(settings.status_pages),
        runbooks_dir=Path(settings.runbooks_dir),
        alarm_prefix=settings.incident_alarm_prefix,
        revert_window=timedelta(minutes=settings.revert_window_minutes),
        deadline_seconds=deadline,
        change_sources={
            "CloudTrail": CloudTrailChanges(),
            "deploy markers": DeployMarkers(Table(settings.table_name)),
        },
        depends=partial(dependencies, declared=declared_services(settings.journeys_file)),
        own=own_from_settings(settings),
        revert_enabled=settings.revert_enabled,
    )
    return IncidentThread(
        incidents=IncidentStore.from_settings(settings),
        # No client-level re-post of an unknown outcome: post_marked looks in Slack first.
        slack=Slack.from_settings(settings, resend_unknown=False, timeout=SLACK_TIMEOUT),
        channel=settings.incidents_channel,
        zoom=cache(lambda: Zoom.from_settings(settings)),
        lookups=lookups,
        actions=ActionStore.from_settings(settings),
    )


@cache
def start_once() -> Any:
    """thread().start, at most one run at a time per incident and not again once it completed."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    from incident_core.adapters.aws import idempotency_store

    config = IdempotencyConfig(
        event_key_jmespath="incident_id",
        expires_after_seconds=DECLARED_IDEMPOTENCY_SECONDS,
        raise_on_no_idempotency_key=True,
    )

    def start(declared: dict[str, Any]) -> dict[str, Any]:
        incident = thread().start(declared["incident_id"])
        return {"incident_id": incident.incident_id, "thread_ts": incident.thread_ts}

    persistence = idempotency_store(get_settings().idempotency_table_name)
    return config, idempotent_function(
        data_keyword_argument="declared", persistence_store=persistence, config=config
    )(start)


def publish_open_incidents(*, opened: str | None = None, closed: str | None = None) -> int:
    """The count of open incidents as a metric (dimension `service` only: one metric, $0.30 a month).
    The listing is a GSI query (eventually consistent), so the incident this event is about is counted
    as the event says, whether or not the index shows its change yet."""
    open_ids = {incident.incident_id for incident in thread().incidents.list_open()}
    open_now = len((open_ids | {opened} if opened else open_ids) - {closed})
    metrics.add_metric(name=OPEN_INCIDENTS_METRIC, unit=MetricUnit.Count, value=open_now)
    metrics.flush_metrics()  # only after these two events: the others publish nothing (and warn nothing)
    return open_now


@cache
def revert_thread() -> Any:
    from incident_core.adapters.dynamo import Table
    from incident_core.changes.reverts import RevertStore
    from incident_core.changes.thread import RevertThread

    return RevertThread(thread(), RevertStore(Table(get_settings().table_name)))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    envelope = EventBridgeModel.model_validate(event)
    kind = envelope.detail_type
    if kind == IncidentDeclared.detail_type:
        declared = IncidentDeclared.model_validate(envelope.detail)
        logger.append_keys(incident_id=declared.incident_id)
        config, start = start_once()
        config.register_lambda_context(context)
        started = start(declared=declared.model_dump(mode="json"))
        return {"started": started, "open_incidents": publish_open_incidents(opened=declared.incident_id)}
    if kind == IncidentChanged.detail_type:
        changed = IncidentChanged.model_validate(envelope.detail)
        logger.append_keys(incident_id=changed.incident_id)
        thread().changed(changed)
        return {"changed": changed.incident_id}
    if kind == IncidentResolved.detail_type:
        resolved = IncidentResolved.model_validate(envelope.detail)
        logger.append_keys(incident_id=resolved.incident_id)
        thread().resolved(resolved)
        return {
            "resolved": resolved.incident_id,
            "open_incidents": publish_open_incidents(closed=resolved.incident_id),
        }
    if kind == JourneyRecovered.detail_type:
        recovered = JourneyRecovered.model_validate(envelope.detail)
        return {"recovered_on": thread().journey_recovered(recovered)}
    if kind == RevertFinished.detail_type:
        return {"revert": revert_thread().finished(RevertFinished.model_validate(envelope.detail))}
    if kind == JourneyRechecked.detail_type:
        return {"rechecked": revert_thread().rechecked(JourneyRechecked.model_validate(envelope.detail))}
    if kind == AlertRaised.detail_type:  # only those an incident absorbed (the rule filters on incident_id)
        return {"absorbed_by": thread().alert_absorbed(AlertRaised.model_validate(envelope.detail))}
    raise ValueError(
        "incident_thread handles IncidentDeclared, IncidentChanged, IncidentResolved, JourneyRecovered, "
        f"RevertFinished, JourneyRechecked and absorbed AlertRaised, not {kind!r}"
    )
