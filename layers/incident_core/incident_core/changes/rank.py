"""Which changes matter first (pure): the suite's own are dropped, the rest ranked.

Ranking: a change that touches what the failing journey or alarm depends on comes first, then the
closer to the incident's start the earlier. "Touches" is decided by name, case-insensitively:
- a journey's declared `services` (journeys.yaml) naming the change's function, ECS service, stack or
  deploy marker service;
- the failing alarm's or journey's name containing one of the change's names (an alarm
  `incident-prod-checkout-errors` touches the function `checkout`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from incident_core.changes.model import Change


@dataclass(frozen=True)
class Dependencies:
    """What the failing journeys and alarms depend on."""

    services: frozenset[str] = frozenset()  # the failing journeys' declared services
    names: tuple[str, ...] = ()  # the failing journeys' and alarms' own names


@dataclass(frozen=True)
class Own:
    """The suite's own stack and resources: never revert candidates."""

    stack: str = ""
    prefixes: tuple[str, ...] = field(default=())  # its physical names' prefixes

    def owns(self, change: Change) -> bool:
        for name in change.names:
            lowered = name.lower()
            if self.stack and lowered == self.stack.lower():
                return True
            if any(prefix and lowered.startswith(prefix.lower()) for prefix in self.prefixes):
                return True
        return False


def touches(change: Change, depends: Dependencies) -> list[str]:
    """The dependencies a change touches, in words (empty: none known)."""
    services = {service.lower() for service in depends.services}
    hits = [f"declared service `{name}`" for name in change.names if name.lower() in services]
    for dependent in depends.names:
        lowered = dependent.lower()
        hits += [
            f"`{name}` in `{dependent}`"
            for name in change.names
            if len(name) >= 3 and name.lower() in lowered
        ]
    return sorted(set(hits))


def rank(changes: list[Change], started_at: datetime, depends: Dependencies, own: Own) -> list[Change]:
    """The product's changes, the ones touching the failure first, each group nearest the start first."""
    kept = []
    for change in changes:
        if own.owns(change):
            continue
        kept.append(change.model_copy(update={"touches": touches(change, depends)}))
    # Ties (one deploy's several writes in the same second) put what can be reverted first.
    return sorted(
        kept, key=lambda c: (not c.touches, abs((started_at - c.at).total_seconds()), c.revert is None)
    )
