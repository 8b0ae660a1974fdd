"""Domain records shared by several functions (stored in DynamoDB, carried in events)."""

from incident_core.models.actions import ActionItem, ActionStatus
from incident_core.models.alerts import Alert, AlertEvent, AlertSource, AlertStatus
from incident_core.models.incidents import Incident, IncidentStatus, TimelineEntry, TimelineKind
from incident_core.models.windows import Silence, TractionWindow

__all__ = [
    "ActionItem",
    "ActionStatus",
    "Alert",
    "AlertEvent",
    "AlertSource",
    "AlertStatus",
    "Incident",
    "IncidentStatus",
    "Silence",
    "TimelineEntry",
    "TimelineKind",
    "TractionWindow",
]
