"""The failing journeys run again straight after a revert (RevertFinished), not a minute later.

Results are recorded like a scheduled run's (a journey passing again is announced JourneyRecovered as
usual), and JourneyRechecked says how each did, for the incident's thread. Journeys this runner does
not run (browser journeys, in the browser runner's stack) are left to their next scheduled run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from incident_core.events import JourneyRechecked, RevertFinished
from incident_core.journeys.engine import run_journeys
from incident_core.journeys.monitor import JourneyMonitor, RunOutcome, select


def recheck(
    monitor: JourneyMonitor,
    revert: RevertFinished,
    now: datetime,
    time_left_s: float,
    clock: Callable[[], datetime] | None = None,
) -> tuple[JourneyRechecked | None, RunOutcome | None]:
    wanted = set(revert.journeys)
    journeys = [j for j in select(monitor.journeys.journeys, monitor.kind) if j.name in wanted]
    if not revert.ok or not journeys:
        return None, None
    results = run_journeys(
        monitor.runner,
        journeys,
        now=now,
        time_budget_s=max(1.0, time_left_s - monitor.reserve_s),
        max_workers=monitor.max_workers,
    )
    outcome = monitor.record(results, now)
    failed = {
        r.journey: (f"{r.failed_step.name}: {r.failed_step.reason}" if r.failed_step else "failed")
        for r in results
        if not r.ok
    }
    checked = JourneyRechecked(
        incident_id=revert.incident_id,
        revert_id=revert.revert_id,
        checked_at=clock() if clock else now,  # when the answer is known: the runs took their time
        passed=[r.journey for r in results if r.ok],
        failed=failed,
    )
    monitor.bus.put(checked)
    return checked, outcome
