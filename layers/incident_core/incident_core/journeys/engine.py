"""Run journeys: steps in order within the journey's deadline, a failure confirmed by running the
journey again at once, and many journeys side by side in threads (their time is spent waiting on I/O).

Nothing here raises for a journey that fails, or even for a bug in a step: each becomes a failed step
with a reason, so one broken journey never stops the others. A fault of the runner itself (faults.py: the
browser would not start, a secret could not be read, an unexpected exception in our code) is marked as
such on its step (`runner_fault`), so it is never taken for a failure of the site.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incident_core.concurrency import ContextThreadPool
from incident_core.ids import new_id
from incident_core.journeys.config import Journey, Step, format_duration
from incident_core.journeys.evidence import EvidenceStore
from incident_core.journeys.faults import RunnerFault
from incident_core.journeys.results import Attempt, JourneyResult, StepResult
from incident_core.journeys.templating import Renderer, SecretResolver

if TYPE_CHECKING:
    from incident_core.journeys.browser import BrowserOptions, BrowserSession

DEFAULT_BROWSER_STEP_TIMEOUT = timedelta(seconds=10)
# How long past the invocation's deadline we still wait for a journey thread before giving up on it.
STRAGGLER_GRACE_S = 2.0
WHOLE_JOURNEY = "(whole journey)"

logger = logging.getLogger(__name__)


@dataclass
class JourneyRunner:
    secrets: SecretResolver
    evidence: EvidenceStore | None = None
    browser_options: BrowserOptions | None = None
    # requests.Session factory; http_steps.new_session unless a test or tool needs another.
    session_factory: Callable[[], Any] | None = None
    excerpt_chars: int = 500

    def run(self, journey: Journey, *, now: datetime, deadline: float, confirm: bool = True) -> JourneyResult:
        """Run the journey; if it fails and `confirm`, run it again at once. `deadline` is a
        time.perf_counter() value that no attempt goes past."""
        run_id = new_id("run", now)
        attempts = [self.attempt(journey, run_id=run_id, deadline=deadline)]
        unconfirmed = False
        if confirm and not attempts[0].ok:
            if deadline - time.perf_counter() > 1:
                attempts.append(self.attempt(journey, run_id=run_id, deadline=deadline))
            else:
                unconfirmed = attempts[0].runner_fault is None
        if len(attempts) == 2 and attempts[0].runner_fault is not None:
            # The first attempt told nothing about the site: a failure of the re-run was seen only once.
            unconfirmed = not attempts[1].ok and attempts[1].runner_fault is None
        return JourneyResult(
            journey=journey.name,
            kind=journey.kind,
            run_id=run_id,
            ran_at=now,
            attempts=attempts,
            unconfirmed=unconfirmed,
        )

    def attempt(self, journey: Journey, *, run_id: str, deadline: float) -> Attempt:
        renderer = Renderer(self.secrets)
        try:
            return self._attempt(journey, renderer, run_id, deadline)
        except Exception as error:
            # A bug of ours outside any step (closing the session, say) leaves through run_journeys, to
            # the table, the bus and the logs: it goes through the attempt's redactor first, as all else.
            trace = "".join(traceback.format_exception(error))
            logger.error("runner bug in journey %s: %s", journey.name, renderer.redact(trace))
            raise RunnerFault(renderer.redact(f"{type(error).__name__}: {error}")) from None

    def _attempt(self, journey: Journey, renderer: Renderer, run_id: str, deadline: float) -> Attempt:
        started = time.perf_counter()
        journey_deadline = min(deadline, started + journey.timeout.total_seconds())
        session: Any = None
        browser: BrowserSession | None = None
        steps: list[StepResult] = []
        try:
            for step in journey.steps:
                if steps and steps[-1].outcome != "passed":
                    steps.append(StepResult(name=step.name, kind=step.kind, outcome="skipped"))
                    continue
                timeout_s, label = _step_budget(step, journey, journey_deadline)
                if timeout_s <= 0:
                    steps.append(_failed(step, f"not started: the {label} had run out"))
                    continue
                try:
                    if step.kind == "http":
                        session = session or self._new_session()
                        steps.append(self._http(session, step, renderer, timeout_s, label, journey, run_id))
                    else:
                        browser = browser or self._new_browser()
                        steps.append(
                            self._browser(browser, step, renderer, timeout_s, label, journey, run_id)
                        )
                except RunnerFault as fault:
                    logger.error(
                        "runner fault in journey %s, step %s: %s",
                        journey.name,
                        step.name,
                        renderer.redact(fault.reason),
                    )
                    steps.append(_fault(step, fault.reason))
                except Exception as error:  # a bug must not take the other journeys down
                    trace = "".join(traceback.format_exception(error))
                    logger.error(
                        "runner bug in journey %s, step %s: %s",
                        journey.name,
                        step.name,
                        renderer.redact(trace),
                    )
                    steps.append(
                        _fault(step, f"the runner failed on this step: {type(error).__name__}: {error}")
                    )
        finally:
            if session is not None:
                session.close()
            if browser is not None:
                browser.close()
        ok = all(step.outcome == "passed" for step in steps)
        attempt = Attempt(ok=ok, duration_ms=(time.perf_counter() - started) * 1000, steps=steps)
        # The one redaction step: whatever records this attempt (the table, the bus, logs, metrics, Slack,
        # incidentctl) gets it masked, so a new sink cannot forget to.
        return renderer.redactor.scrub(attempt)

    def _new_session(self) -> Any:
        if self.session_factory is not None:
            return self.session_factory()
        from incident_core.journeys.http_steps import new_session  # requests loads on first use

        return new_session()

    def _new_browser(self) -> BrowserSession:
        from incident_core.journeys.browser import BrowserOptions, BrowserSession  # Playwright, if needed

        return BrowserSession(self.browser_options or BrowserOptions.from_environment())

    def _http(
        self,
        session: Any,
        step: Step,
        renderer: Renderer,
        timeout_s: float,
        label: str,
        journey: Journey,
        run_id: str,
    ) -> StepResult:
        from incident_core.journeys.http_steps import run_http_step

        evidence = self.evidence
        keep_body = None
        if evidence is not None:

            def keep_body(body: bytes, content_type: str) -> str:
                return evidence.save_body(journey.name, run_id, step.name, body, content_type)

        return run_http_step(session, step, renderer, timeout_s, label, self.excerpt_chars, keep_body)

    def _browser(
        self,
        browser: BrowserSession,
        step: Step,
        renderer: Renderer,
        timeout_s: float,
        label: str,
        journey: Journey,
        run_id: str,
    ) -> StepResult:
        from incident_core.journeys.browser import run_browser_step

        return run_browser_step(
            browser,
            step,
            renderer,
            timeout_s,
            label,
            evidence=self.evidence,
            journey=journey.name,
            run_id=run_id,
            excerpt_chars=self.excerpt_chars,
        )


def _step_budget(step: Step, journey: Journey, journey_deadline: float) -> tuple[float, str]:
    """The step's own timeout, or what is left of the journey's, whichever ends first (with its name)."""
    own = step.request.timeout if step.request is not None else (step.timeout or DEFAULT_BROWSER_STEP_TIMEOUT)
    left = journey_deadline - time.perf_counter()
    if own.total_seconds() <= left:
        return own.total_seconds(), f"{format_duration(own)} step timeout"
    return left, f"{format_duration(journey.timeout)} journey deadline"


def _failed(step: Step, reason: str) -> StepResult:
    return StepResult(name=step.name, kind=step.kind, outcome="failed", reason=reason)


def _fault(step: Step, reason: str) -> StepResult:
    return StepResult(name=step.name, kind=step.kind, outcome="failed", reason=reason, runner_fault=True)


def run_journeys(
    runner: JourneyRunner,
    journeys: Sequence[Journey],
    *,
    now: datetime,
    time_budget_s: float,
    max_workers: int = 64,
    confirm: bool = True,
) -> list[JourneyResult]:
    """Run journeys side by side; each gets at most `time_budget_s` in all (both attempts).

    A journey whose thread is still busy when the budget (plus a short grace) is spent is reported as
    failed and left behind: results for all the others are returned on time."""
    if not journeys:
        return []
    deadline = time.perf_counter() + time_budget_s
    pool = ContextThreadPool(max_workers=min(max_workers, len(journeys)), thread_name_prefix="journey")
    futures = [
        pool.submit(runner.run, journey, now=now, deadline=deadline, confirm=confirm) for journey in journeys
    ]
    wait(futures, timeout=time_budget_s + STRAGGLER_GRACE_S)
    results = []
    for journey, future in zip(journeys, futures, strict=True):
        if future.done() and future.exception() is None:
            results.append(future.result())
            continue
        if future.done():  # a bug of ours outside any step
            error = future.exception()
            # A RunnerFault from an attempt is already redacted (its trace logged there, and cut from its
            # own by `from None`); any other came from where no secret is known (the result's making).
            described = str(error) if isinstance(error, RunnerFault) else f"{type(error).__name__}: {error}"
            logger.error("runner bug in journey %s: %s", journey.name, described, exc_info=error)
            reason, fault = f"the runner failed: {described}", True
        else:
            # Every step has its deadline; one still going past the whole budget is waiting on the site
            # (a DNS lookup, a page that never settles), as a user would be.
            reason = f"did not finish within the runner's {time_budget_s:.0f} s; a step may hang"
            fault = False
        step = StepResult(
            name=WHOLE_JOURNEY, kind=journey.kind, outcome="failed", reason=reason, runner_fault=fault
        )
        attempt = Attempt(ok=False, duration_ms=time_budget_s * 1000, steps=[step])
        results.append(
            JourneyResult(
                journey=journey.name,
                kind=journey.kind,
                run_id=new_id("run", now),
                ran_at=now,
                attempts=[attempt],
            )
        )
    pool.shutdown(wait=False, cancel_futures=True)
    return results
