"""Runner faults (the runner failed, not the site) against failures of the site: what each decides,
reports and counts. Pure: no AWS, no network."""

import json
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.metrics import Metrics

from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.loader import parse_journeys
from incident_core.journeys.metrics import publish_metrics
from incident_core.journeys.report import render_json, render_text
from incident_core.journeys.results import Attempt, JourneyResult, StepResult
from incident_core.journeys.state import JourneyState, next_state
from incident_core.journeys.templating import StaticSecrets

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(minutes=1)

PASSED = Attempt(
    ok=True, duration_ms=20.0, steps=[StepResult(name="open", kind="http", outcome="passed", ms=20.0)]
)
SITE_FAILED = Attempt(
    ok=False,
    duration_ms=15.0,
    steps=[
        StepResult(name="open", kind="http", outcome="failed", ms=15.0, reason="expected status 200, got 503")
    ],
)
FAULTED = Attempt(
    ok=False,
    duration_ms=5.0,
    steps=[
        StepResult(
            name="open",
            kind="browser",
            outcome="failed",
            reason="the browser could not start: Executable doesn't exist at /nowhere/chromium",
            runner_fault=True,
        ),
        StepResult(name="click", kind="browser", outcome="skipped"),
    ],
)


def result(*attempts, journey="book-viewing", run_id="run-2"):
    return JourneyResult(journey=journey, kind="http", run_id=run_id, ran_at=LATER, attempts=list(attempts))


def state(status):
    return JourneyState(journey="book-viewing", status=status, since=AT, changed_by_run_id="run-1")


def test_a_runner_fault_changes_no_state_and_announces_nothing():
    faulted = result(FAULTED, FAULTED)
    assert (faulted.ok, faulted.outcome, faulted.runner_fault.name) == (False, "runner-fault", "open")
    for current in (None, state("passing"), state("failing")):
        decision = next_state(current, faulted, LATER)
        assert (decision.state, decision.announce) == (None, [])


def test_a_failure_of_the_site_still_changes_state_and_announces_journey_failed():
    failed = result(SITE_FAILED, SITE_FAILED)
    assert (failed.outcome, failed.runner_fault) == ("failed", None)
    decision = next_state(state("passing"), failed, LATER)
    assert decision.state.status == "failing"
    [event] = decision.announce
    assert (event.detail_type, event.step, event.reason) == (
        "JourneyFailed",
        "open",
        "expected status 200, got 503",
    )


def test_a_run_that_passes_after_a_runner_fault_recovers_as_usual():
    recovered = result(FAULTED, PASSED)
    assert recovered.outcome == "passed"
    [event] = next_state(state("failing"), recovered, LATER).announce
    assert event.detail_type == "JourneyRecovered"


def test_a_bug_in_the_runner_is_a_runner_fault_and_the_other_journeys_go_on():
    journeys = parse_journeys(
        """
journeys:
  - name: first
    steps:
      - {name: open, request: {url: "http://127.0.0.1:9/a"}}
      - {name: next, request: {url: "http://127.0.0.1:9/b"}}
  - name: second
    steps: [{name: open, request: {url: "http://127.0.0.1:9/c"}}]
"""
    ).journeys

    def broken_session():  # our own code failing before any request leaves
        raise RuntimeError("session pool exhausted")

    runner = JourneyRunner(secrets=StaticSecrets({}), session_factory=broken_session)
    results = run_journeys(runner, journeys, now=AT, time_budget_s=10)
    for each in results:
        assert each.outcome == "runner-fault"
        assert len(each.attempts) == 2  # re-run once, as any failure: the fault may pass
        assert each.runner_fault.reason == (
            "the runner failed on this step: RuntimeError: session pool exhausted"
        )
    assert [s.outcome for s in results[0].final.steps] == ["failed", "skipped"]


def test_the_report_tells_a_runner_fault_from_a_failure():
    results = [
        result(SITE_FAILED, SITE_FAILED, journey="api"),
        result(FAULTED, FAULTED, journey="book-viewing"),
        result(PASSED, journey="browse"),
    ]
    text = render_text(results).splitlines()
    assert 'ERROR book-viewing  at "open" (the runner failed, not the site: not checked, 5 ms)' in text
    assert "      ERROR open" in "\n".join(text)
    assert text[-1] == (
        "3 journey(s): 1 passed, 1 failed (api), 1 not checked: the runner failed (book-viewing)"
    )
    document = json.loads(render_json(results))
    assert (document["passed"], document["failed"], document["runner_faults"]) == (
        1,
        ["api"],
        ["book-viewing"],
    )
    assert [j["outcome"] for j in document["journeys"]] == ["failed", "runner-fault", "passed"]


def emf(output):
    return [json.loads(line) for line in output.splitlines() if '"_aws"' in line]


def test_runner_faults_are_counted_apart_from_journey_runs_and_failures(capsys):
    metrics = Metrics(namespace="IncidentSuiteTest", service="incident-suite-test")
    results = [
        result(SITE_FAILED, SITE_FAILED, journey="api"),
        result(FAULTED, FAULTED, journey="book-viewing"),
        result(PASSED, journey="browse"),
    ]
    publish_metrics(metrics, results)
    metrics.flush_metrics()
    records = emf(capsys.readouterr().out)
    [totals] = [r for r in records if "JourneyRuns" in r]
    # Success % (runs - failures) / runs stays about the site: the faulted run is not a run.
    assert (totals["JourneyRuns"], totals["JourneyFailures"], totals["RunnerFaults"]) == ([2.0], [1.0], [1.0])
    [directive] = totals["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service"]]
    # Per-journey records (Logs Insights success % by journey) only for runs with a verdict.
    assert sorted(r["journey"] for r in records if "journey" in r) == ["api", "browse"]


def test_no_runner_faults_publishes_no_runner_faults_metric(capsys):
    metrics = Metrics(namespace="IncidentSuiteTest", service="incident-suite-test")
    publish_metrics(metrics, [result(PASSED, journey="browse")])
    metrics.flush_metrics()
    [totals] = [r for r in emf(capsys.readouterr().out) if "JourneyRuns" in r]
    assert "RunnerFaults" not in totals  # a metric costs only in the hours it is published


def test_the_incident_document_counts_no_runner_fault_as_a_failure():
    from incident_core.postmortem.journeys import run_from_item, summarise

    def item(minute, ok, fault=False):
        return {
            "sk": f"RUN#2026-03-02T09:0{minute}:00+00:00#run-{minute}",
            "ok": ok,
            "failing_step": None if ok else "open",
            "reason": None if ok else ("the browser could not start" if fault else "expected 200, got 503"),
            "runner_fault": fault,
        }

    runs = [run_from_item("book-viewing", i) for i in (item(1, True), item(2, False), item(3, False, True))]
    [summary] = summarise(runs)
    assert (summary.runs, summary.failures, summary.reasons) == (2, 1, (("open: expected 200, got 503", 1),))
