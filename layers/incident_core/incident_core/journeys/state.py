"""A journey's state (passing or failing) and the one rule that decides what to announce.

Pure: the store reads the current state, asks `next_state`, and writes the answer with a conditional
write, so two runners that race on the same journey announce a change exactly once.

An announcement waits in the state item (`pending`) until the bus has it. If a runner dies between
writing the state and putting the event, a later run finds the pending event, older than
RESEND_PENDING_AFTER (longer than a runner can live), and sends it: nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from incident_core.events import JourneyFailed, JourneyRecovered, SuiteEvent
from incident_core.journeys.results import JourneyResult

RESEND_PENDING_AFTER = timedelta(minutes=2)  # the runner's Lambda timeout is 60 s
_EVENT_TYPES: dict[str, type[JourneyFailed | JourneyRecovered]] = {
    JourneyFailed.detail_type: JourneyFailed,
    JourneyRecovered.detail_type: JourneyRecovered,
}


class JourneyState(BaseModel):
    journey: str
    status: Literal["passing", "failing"]
    since: datetime
    changed_by_run_id: str  # the run that set this status
    failing_step: str | None = None
    reason: str | None = None
    version: int = 1
    pending_event: str | None = None  # "<detail-type> <detail JSON>", until the bus has it
    pending_since: datetime | None = None

    def pending(self) -> SuiteEvent | None:
        if not self.pending_event:
            return None
        detail_type, _, detail = self.pending_event.partition(" ")
        return _EVENT_TYPES[detail_type].model_validate_json(detail)


@dataclass(frozen=True)
class Decision:
    journey: str
    state: JourneyState | None = None  # to write (conditional on the version read), if anything changed
    announce: list[SuiteEvent] = field(default_factory=list)  # to put on the bus, in order
    clear_pending_of: int | None = None  # after putting: clear the pending slot of this state version


def next_state(current: JourneyState | None, result: JourneyResult, now: datetime) -> Decision:
    if result.unconfirmed:
        return Decision(result.journey)  # a failure seen once, with no time to re-run it, decides nothing
    if result.runner_fault is not None:
        return Decision(result.journey)  # the runner failed, not the site: nothing is known, nothing changes
    if current is not None and current.since > result.ran_at:
        return Decision(result.journey)  # a newer run already changed the state; this older one is history
    status: Literal["passing", "failing"] = "passing" if result.ok else "failing"
    changed = current.status != status if current is not None else status == "failing"

    stale = None
    if current is not None and current.pending_since and now - current.pending_since >= RESEND_PENDING_AFTER:
        stale = current.pending()

    if not changed and current is not None:
        if stale is None:
            return Decision(result.journey)
        return Decision(result.journey, announce=[stale], clear_pending_of=current.version)

    event = _event(current, result, now) if changed else None
    version = current.version + 1 if current is not None else 1
    failed = result.failed_step
    state = JourneyState(
        journey=result.journey,
        status=status,
        since=now if changed or current is None else current.since,
        changed_by_run_id=result.run_id,
        failing_step=failed.name if failed else None,
        reason=failed.reason if failed else None,
        version=version,
    )
    if event is not None:
        state.pending_event = f"{event.detail_type} {event.model_dump_json()}"
        state.pending_since = now
    elif current is not None and current.pending_event and stale is None:
        # Another runner is putting that event right now; leave it to them.
        state.pending_event, state.pending_since = current.pending_event, current.pending_since
    announce = [e for e in (stale, event) if e is not None]
    return Decision(
        result.journey,
        state=state,
        announce=announce,
        clear_pending_of=version if event is not None else None,
    )


def _event(current: JourneyState | None, result: JourneyResult, now: datetime) -> SuiteEvent:
    if result.ok:
        return JourneyRecovered(
            journey=result.journey,
            recovered_at=now,
            failing_since=current.since if current is not None else None,
            run_id=result.run_id,
            timings=result.timings(),
        )
    failed = result.failed_step
    return JourneyFailed(
        journey=result.journey,
        step=failed.name if failed else "",
        reason=failed.reason if failed else "failed",
        failed_at=now,
        run_id=result.run_id,
        timings=result.timings(),
        evidence=result.evidence(),
    )
