"""The runner's work each minute: run the due journeys, keep every result, announce state changes.

Used by functions/journey_runner (HTTP journeys, in the main stack) and by the browser runner's
container image (journeys with browser steps); JOURNEY_KIND tells them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from incident_core.events import SuiteEvent
from incident_core.journeys.config import Journey, JourneysFile
from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.results import JourneyResult
from incident_core.journeys.state import Decision

if TYPE_CHECKING:
    from incident_core.adapters.bus import EventBus
    from incident_core.journeys.store import JourneyStore

Kind = Literal["http", "browser", "all"]


class RunnerSettings(BaseModel):
    """The runner's own environment variables (the shared ones are in incident_core.settings)."""

    kind: Kind = Field("all", alias="JOURNEY_KIND")
    # One thread per journey up to this many: they spend their time waiting on the network.
    concurrency: int = Field(64, alias="JOURNEY_CONCURRENCY", ge=1, le=128)
    # Kept back from the Lambda's remaining time for recording and announcing after the journeys.
    reserve_s: float = Field(8.0, alias="JOURNEY_RESERVE_SECONDS", ge=0)

    model_config = {"populate_by_name": True, "extra": "ignore"}


def is_due(journey: Journey, scheduled_at: datetime) -> bool:
    """Due when the scheduled minute (UTC, since the epoch) is a multiple of `every`: 5m journeys run
    at :00, :05, ...; 1h journeys on the hour. Stateless, so a late or repeated run cannot drift."""
    minute = int(scheduled_at.timestamp() // 60)
    return minute % journey.every_minutes == 0


def select(journeys: Sequence[Journey], kind: Kind) -> list[Journey]:
    return [journey for journey in journeys if kind == "all" or journey.kind == kind]


class RecordingFailed(RuntimeError):
    """Some results could not be stored or announced; everything else was."""


class RunnerFaulted(RuntimeError):
    """Some journeys could not be checked through faults of the runner itself (faults.py); their runs
    are recorded, nothing was announced for them, and the invocation fails so the suite's alarm hears it."""


@dataclass
class RunOutcome:
    results: list[JourneyResult]
    announced: list[SuiteEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def runner_faults(self) -> list[str]:
        """For each journey the runner could not check: "<journey>, step '<step>': <reason>"."""
        return [
            f"{result.journey}, step {fault.name!r}: {fault.reason}"
            for result in self.results
            if (fault := result.runner_fault) is not None
        ]

    def summary(self) -> dict:
        return {
            "ran": len(self.results),
            "passed": sum(result.ok for result in self.results),
            "failed": [r.journey for r in self.results if r.outcome == "failed"],
            "runner_faults": self.runner_faults,
            "announced": [f"{event.detail_type} {getattr(event, 'journey', '')}" for event in self.announced],
            "errors": self.errors,
        }

    def raise_for_errors(self) -> None:
        if self.errors:
            raise RecordingFailed("; ".join(self.errors + self.runner_faults))
        if self.runner_faults:
            raise RunnerFaulted("runner faults: " + "; ".join(self.runner_faults))


class JourneyMonitor:
    def __init__(
        self,
        journeys: JourneysFile,
        runner: JourneyRunner,
        store: JourneyStore,
        bus: EventBus,
        *,
        kind: Kind = "all",
        max_workers: int = 64,
        reserve_s: float = 8.0,
    ) -> None:
        self.journeys = journeys
        self.runner = runner
        self.store = store
        self.bus = bus
        self.kind = kind
        self.max_workers = max_workers
        self.reserve_s = reserve_s

    def due(self, scheduled_at: datetime) -> list[Journey]:
        return [j for j in select(self.journeys.journeys, self.kind) if is_due(j, scheduled_at)]

    def run_scheduled(self, *, scheduled_at: datetime, now: datetime, time_left_s: float) -> RunOutcome:
        """Run what is due at `scheduled_at` (the schedule's minute), within the invocation's time left
        less a reserve for recording and announcing."""
        results = run_journeys(
            self.runner,
            self.due(scheduled_at),
            now=now,
            time_budget_s=max(1.0, time_left_s - self.reserve_s),
            max_workers=self.max_workers,
        )
        return self.record(results, now)

    def record(self, results: list[JourneyResult], now: datetime) -> RunOutcome:
        """Store every result, then put the state changes on the bus and mark them sent.

        A result that cannot be stored does not stop the others; errors are listed in the outcome (the
        handler then fails the invocation, which alarms), and an announcement the bus refused stays
        pending in the journey's state, to be sent again by a later run."""
        decisions: list[Decision] = []
        errors: list[str] = []
        for result, outcome in zip(results, self.store.record_all(results, now), strict=True):
            if isinstance(outcome, Exception):
                errors.append(f"recording {result.journey}: {type(outcome).__name__}: {outcome}")
            else:
                decisions.append(outcome)
        announced = [event for decision in decisions for event in decision.announce]
        try:
            self.bus.put(*announced)
        except Exception as error:
            errors.append(f"announcing {len(announced)} event(s): {type(error).__name__}: {error}")
            return RunOutcome(results=results, announced=[], errors=errors)
        for decision in decisions:
            if decision.clear_pending_of is not None:
                self.store.announced(decision.journey, decision.clear_pending_of)
        return RunOutcome(results=results, announced=announced, errors=errors)
