"""Journey results for people (a per-step text report) and for tools (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from incident_core.journeys.results import Attempt, JourneyResult, StepResult

_MARK = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}


def render_text(results: Sequence[JourneyResult]) -> str:
    lines: list[str] = []
    for result in results:
        lines += _journey_lines(result)
        lines.append("")
    failed = [r.journey for r in results if r.outcome == "failed"]
    faulted = [r.journey for r in results if r.outcome == "runner-fault"]
    passed = len(results) - len(failed) - len(faulted)
    summary = f"{len(results)} journey(s): {passed} passed, {len(failed)} failed"
    summary += f" ({', '.join(failed)})" if failed else ""
    if faulted:
        summary += f", {len(faulted)} not checked: the runner failed ({', '.join(faulted)})"
    lines.append(summary)
    return "\n".join(lines)


def _journey_lines(result: JourneyResult) -> list[str]:
    steps = len(result.final.steps)
    if result.ok:
        head = f"PASS  {result.journey}  ({steps} steps, {result.duration_ms:.0f} ms)"
        if result.passed_on_retry:
            first = result.attempts[0].failed_step
            head += f"\n      passed on the re-run; the first attempt failed at {_step_label(first)}"
    elif result.runner_fault is not None:
        head = (
            f"ERROR {result.journey}  at {_step_label(result.runner_fault)} (the runner failed, not the site:"
            f" not checked, {result.duration_ms:.0f} ms)"
        )
    else:
        failed = result.failed_step
        how = "failed twice" if len(result.attempts) > 1 else "failed"
        if result.unconfirmed:
            how = "failed once; no time left to re-run it"
        head = f"FAIL  {result.journey}  at {_step_label(failed)} ({how}, {result.duration_ms:.0f} ms)"
    lines = [head]
    if result.passed_on_retry:
        lines += _attempt_lines(result.attempts[0], "first attempt")
    lines += _attempt_lines(result.final, "re-run" if len(result.attempts) > 1 else "")
    return lines


def _attempt_lines(attempt: Attempt, title: str) -> list[str]:
    lines = [f"      {title}:"] if title else []
    width = max((len(step.name) for step in attempt.steps), default=0)
    for step in attempt.steps:
        lines.append(_step_line(step, width))
        if step.outcome == "failed":
            lines.append(f"              {step.reason}")
            for label, value in (
                ("url", step.url),
                ("excerpt", step.excerpt),
                ("screenshot", step.screenshot_uri),
                ("response", step.body_uri),
            ):
                if value:
                    lines.append(f"              {label}: {value}")
    return lines


def _step_line(step: StepResult, width: int) -> str:
    mark = "ERROR" if step.runner_fault else _MARK[step.outcome]
    if step.outcome == "skipped":
        return f"      {mark:<6}{step.name}"
    status = str(step.status) if step.status is not None else "-"
    return f"      {mark:<6}{step.name:<{width}}  {step.kind:<7} {status:>3}  {step.ms:7.0f} ms"


def _step_label(step: StepResult | None) -> str:
    return f'"{step.name}"' if step is not None else "(no step)"


def render_json(results: Sequence[JourneyResult]) -> str:
    document = {
        "passed": sum(result.ok for result in results),
        "failed": [r.journey for r in results if r.outcome == "failed"],
        "runner_faults": [r.journey for r in results if r.outcome == "runner-fault"],
        "journeys": [
            {
                **result.model_dump(mode="json"),
                "ok": result.ok,
                "outcome": result.outcome,
                "failing_step": result.failed_step.name if result.failed_step else None,
                "reason": result.failed_step.reason if result.failed_step else None,
            }
            for result in results
        ],
    }
    return json.dumps(document, indent=2)
