"""What a failing incident depends on: its journeys' declared `services` (journeys.yaml) and the names
of its journeys and alarms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from incident_core.changes.rank import Dependencies, Own
from incident_core.models import Incident
from incident_core.yaml_safe import load_yaml


def declared_services(journeys_file: str | Path) -> dict[str, list[str]]:
    """journey name -> its declared services; {} when the file cannot be read (ranking by name only)."""
    try:
        data: Any = load_yaml(Path(journeys_file).read_bytes(), str(journeys_file))
    except (OSError, ValueError):
        return {}
    journeys = data.get("journeys") if isinstance(data, dict) else None
    declared: dict[str, list[str]] = {}
    for journey in journeys if isinstance(journeys, list) else []:
        if isinstance(journey, dict) and isinstance(journey.get("name"), str):
            services = journey.get("services")
            declared[journey["name"]] = [str(s) for s in services] if isinstance(services, list) else []
    return declared


def dependencies(incident: Incident, declared: dict[str, list[str]]) -> Dependencies:
    services = frozenset(s for journey in incident.journeys for s in declared.get(journey, []))
    return Dependencies(services=services, names=(*incident.journeys, *incident.alarms))


def own_from_settings(settings: Any) -> Own:
    prefixes = [p.strip() for p in settings.suite_resource_prefixes.split(",") if p.strip()]
    if settings.suite_stack_name:
        prefixes.append(f"{settings.suite_stack_name}-")
    return Own(stack=settings.suite_stack_name, prefixes=tuple(prefixes))
