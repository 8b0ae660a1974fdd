"""The instants an incident recorded, each with where it comes from: the document's tables, its Mermaid
diagram and the picture's markers are all drawn from this one reading, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from incident_core.incidents.timeline import REVERTED_KEY
from incident_core.models import Alert, Incident, TimelineEntry, TimelineKind
from incident_core.postmortem.journeys import JourneySummary


@dataclass(frozen=True)
class Instant:
    name: str  # started, detected, acknowledged, declared, reverted, recovered, resolved
    at: datetime
    source: str  # what it was read from, said next to every measure


@dataclass(frozen=True)
class DetectionWindow:
    """When the failure began is known only between the last passing run and the first failing one; the
    confirmation (the alert) came after the first failing run."""

    last_pass: datetime | None
    first_failure: datetime | None
    confirmed: datetime
    journey: str | None = None


@dataclass(frozen=True)
class IncidentInstants:
    started: Instant
    detected: Instant
    acknowledged: Instant | None
    declared: Instant
    reverted: Instant | None
    recovered: Instant | None
    resolved: Instant | None
    detection: DetectionWindow

    def markers(self) -> list[Instant]:
        """Every recorded instant, in the order of the incident (the picture's vertical markers)."""
        named = (
            self.started,
            self.detected,
            self.acknowledged,
            self.declared,
            self.reverted,
            self.recovered,
            self.resolved,
        )
        return [instant for instant in named if instant is not None]


def read_instants(
    incident: Incident,
    alert: Alert | None,
    summaries: Iterable[JourneySummary],
    timeline: Iterable[TimelineEntry] = (),
) -> IncidentInstants:
    failing = [s for s in summaries if s.first_failure is not None]
    first = min(failing, key=lambda s: s.first_failure.at) if failing else None  # type: ignore[union-attr]
    detected = Instant(
        "detected",
        incident.detected_at,
        "the alert was raised" if incident.alert_id else "the incident was declared by hand",
    )
    detection = DetectionWindow(
        last_pass=first.last_success_before_failure.at
        if first and first.last_success_before_failure
        else None,
        first_failure=first.first_failure.at if first and first.first_failure else None,
        confirmed=incident.detected_at,
        journey=first.journey if first else None,
    )
    recovered = None
    recoveries = [s.first_success_after_failure for s in failing if s.first_success_after_failure]
    if recoveries and len(recoveries) == len(failing):  # recovered when the last failing journey passed
        last = max(recoveries, key=lambda run: run.at)
        recovered = Instant("recovered", last.at, f"journey {last.journey} passed again")
    elif alert and alert.resolved_at:
        recovered = Instant("recovered", alert.resolved_at, "the alert resolved")
    reverted = next(
        (
            Instant("reverted", entry.at, "the revert recorded in the timeline")
            for entry in sorted(timeline, key=lambda e: e.at)
            if entry.kind == TimelineKind.SYSTEM and entry.key.startswith(REVERTED_KEY)
        ),
        None,
    )
    return IncidentInstants(
        started=Instant("started", incident.started_at, _started_source(incident, alert)),
        detected=detected,
        acknowledged=_acknowledged(incident, alert),
        declared=Instant("declared", incident.declared_at, "the incident's declaration"),
        reverted=reverted,
        recovered=recovered,
        resolved=Instant("resolved", incident.resolved_at, "/incident resolve")
        if incident.resolved_at
        else None,
        detection=detection,
    )


def _started_source(incident: Incident, alert: Alert | None) -> str:
    if alert and alert.started_at == incident.started_at:
        return f"the {alert.source.value} alert's start"
    return "the start recorded with the incident"


def _acknowledged(incident: Incident, alert: Alert | None) -> Instant | None:
    if incident.acknowledged_at:
        return Instant("acknowledged", incident.acknowledged_at, "the incident's acknowledgement")
    if alert and alert.acknowledged_at:
        return Instant("acknowledged", alert.acknowledged_at, "the alert's acknowledgement")
    # Declaring an incident is acknowledging it: someone is on it.
    return Instant("acknowledged", incident.declared_at, "the declaration (no acknowledgement recorded)")
