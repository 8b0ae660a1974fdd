"""Synthetic journey results over an incident's window, as the document summarises them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# RESULT_TTL_DAYS's default: passing runs older than this are gone; failures are kept 400 days.
PASSING_RUNS_KEPT_DAYS = 14


@dataclass(frozen=True)
class JourneyRun:
    journey: str
    at: datetime
    ok: bool
    step: str | None = None
    reason: str = ""
    run_id: str = ""
    runner_fault: bool = False  # the runner failed, not the site: no check of the site at all


@dataclass(frozen=True)
class JourneySummary:
    journey: str
    runs: int
    failures: int
    first_run: datetime
    last_run: datetime
    first_failure: JourneyRun | None
    last_failure: JourneyRun | None
    first_success_after_failure: JourneyRun | None
    reasons: tuple[tuple[str, int], ...]  # (step: reason, count), most frequent first
    passed_before_failing: bool = False  # a passing run before the first failure is stored
    # The last passing run before the first failure: the failure began after it (detection's window).
    last_success_before_failure: JourneyRun | None = None


def run_from_item(journey: str, item: Mapping[str, Any]) -> JourneyRun:
    """A stored run (`JOURNEY#<name>` / `RUN#<iso>#<run_id>`, written by the journey store)."""
    at = item.get("ran_at") or item["sk"].split("#")[1]
    return JourneyRun(
        journey=journey,
        at=at if isinstance(at, datetime) else datetime.fromisoformat(str(at)),
        ok=bool(item.get("ok")),
        step=item.get("failing_step"),
        reason=str(item.get("reason") or ""),
        run_id=str(item.get("run_id") or item["sk"].rsplit("#", 1)[-1]),
        runner_fault=bool(item.get("runner_fault")),
    )


def summarise(runs: Iterable[JourneyRun]) -> list[JourneySummary]:
    by_journey: dict[str, list[JourneyRun]] = {}
    # Runs the runner itself spoiled checked nothing: they are neither passes nor failures.
    for run in sorted((r for r in runs if not r.runner_fault), key=lambda r: (r.journey, r.at)):
        by_journey.setdefault(run.journey, []).append(run)
    summaries = []
    for journey, journey_runs in by_journey.items():
        failures = [run for run in journey_runs if not run.ok]
        recovered, last_pass = None, None
        if failures:
            recovered = next((r for r in journey_runs if r.ok and r.at > failures[-1].at), None)
            last_pass = next((r for r in reversed(journey_runs) if r.ok and r.at < failures[0].at), None)
        reasons: dict[str, int] = {}
        for run in failures:
            label = f"{run.step}: {run.reason}" if run.step else run.reason or "failed"
            reasons[label] = reasons.get(label, 0) + 1
        summaries.append(
            JourneySummary(
                journey=journey,
                runs=len(journey_runs),
                first_run=journey_runs[0].at,
                last_run=journey_runs[-1].at,
                failures=len(failures),
                first_failure=failures[0] if failures else None,
                last_failure=failures[-1] if failures else None,
                first_success_after_failure=recovered,
                reasons=tuple(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0]))),
                passed_before_failing=last_pass is not None,
                last_success_before_failure=last_pass,
            )
        )
    return summaries
