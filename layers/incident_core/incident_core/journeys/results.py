"""What a journey run found: step by step, attempt by attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from incident_core.events import Evidence, StepTiming


class StepResult(BaseModel):
    name: str
    kind: Literal["http", "browser"]
    outcome: Literal["passed", "failed", "skipped"]
    ms: float = 0.0
    status: int | None = None
    reason: str = ""
    url: str | None = None
    excerpt: str = ""
    screenshot_uri: str | None = None
    body_uri: str | None = None
    # The step did not pass because the runner itself failed (see faults.py): nothing is known of the site.
    runner_fault: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == "passed"


class Attempt(BaseModel):
    ok: bool
    duration_ms: float
    steps: list[StepResult]

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if step.outcome == "failed"), None)

    @property
    def runner_fault(self) -> StepResult | None:
        """The step the runner itself failed on, if it did: this attempt says nothing about the site."""
        step = self.failed_step
        return step if step is not None and step.runner_fault else None


class JourneyResult(BaseModel):
    journey: str
    kind: Literal["http", "browser"]
    run_id: str
    ran_at: datetime
    # The second attempt is the confirming re-run of a failure; the last attempt decides.
    attempts: list[Attempt] = Field(min_length=1)
    # True when a failure of the site was seen only once (no time left to re-run it, or the other attempt
    # was a runner fault): it is recorded but changes no state.
    unconfirmed: bool = False

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def ok(self) -> bool:
        return self.final.ok

    @property
    def failed_step(self) -> StepResult | None:
        return self.final.failed_step

    @property
    def runner_fault(self) -> StepResult | None:
        """The step where the runner itself failed in the deciding attempt: no verdict on the site, so
        no change of state and no JourneyFailed."""
        return self.final.runner_fault

    @property
    def outcome(self) -> Literal["passed", "failed", "runner-fault"]:
        if self.ok:
            return "passed"
        return "runner-fault" if self.runner_fault is not None else "failed"

    @property
    def passed_on_retry(self) -> bool:
        return self.ok and len(self.attempts) > 1

    @property
    def duration_ms(self) -> float:
        return self.final.duration_ms

    def timings(self) -> list[StepTiming]:
        return [
            StepTiming(step=step.name, ok=step.ok, ms=round(step.ms, 1), status=step.status)
            for step in self.final.steps
            if step.outcome != "skipped"
        ]

    def evidence(self) -> Evidence:
        step = self.failed_step
        if step is None:
            return Evidence()
        return Evidence(
            excerpt=step.excerpt, screenshot_uri=step.screenshot_uri, url=step.url, body_uri=step.body_uri
        )
