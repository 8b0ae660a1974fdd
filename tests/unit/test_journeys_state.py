"""When a journey's state changes, and what is announced: pure, no AWS, no clock."""

from datetime import UTC, datetime, timedelta

from incident_core.events import JourneyFailed, JourneyRecovered
from incident_core.journeys.loader import parse_journeys
from incident_core.journeys.monitor import is_due, select
from incident_core.journeys.results import Attempt, JourneyResult, StepResult
from incident_core.journeys.state import RESEND_PENDING_AFTER, JourneyState, next_state

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def result(ok: bool, at: datetime, run_id: str = "run-1", attempts: int = 2, unconfirmed: bool = False):
    steps = [StepResult(name="open catalogue", kind="http", outcome="passed", ms=12.5, status=200)]
    if not ok:
        steps.append(
            StepResult(
                name="book a viewing",
                kind="http",
                outcome="failed",
                ms=8.0,
                status=500,
                reason="expected status 201, got 500",
                url="http://shop/api/viewings",
                excerpt='{"error": "database unavailable"}',
                body_uri="s3://evidence/responses/x.json",
            )
        )
        steps.append(StepResult(name="read it back", kind="http", outcome="skipped"))
    attempt = Attempt(ok=ok, duration_ms=20.5, steps=steps)
    return JourneyResult(
        journey="book-viewing",
        kind="http",
        run_id=run_id,
        ran_at=at,
        attempts=[attempt] * (attempts if not ok else 1),
        unconfirmed=unconfirmed,
    )


def apply(state, outcome, now):
    decision = next_state(state, outcome, now)
    return (decision.state or state), decision


def test_a_first_passing_run_creates_the_state_and_announces_nothing():
    decision = next_state(None, result(True, T0), T0)
    assert decision.announce == []
    assert (decision.state.status, decision.state.since, decision.state.version) == ("passing", T0, 1)


def test_a_confirmed_failure_is_announced_once_with_step_reason_timings_and_evidence():
    decision = next_state(None, result(False, T0), T0)
    [event] = decision.announce
    assert isinstance(event, JourneyFailed)
    assert (event.journey, event.step, event.reason) == (
        "book-viewing",
        "book a viewing",
        "expected status 201, got 500",
    )
    assert [(t.step, t.ok, t.ms, t.status) for t in event.timings] == [
        ("open catalogue", True, 12.5, 200),
        ("book a viewing", False, 8.0, 500),
    ]
    assert event.evidence.excerpt == '{"error": "database unavailable"}'
    assert event.evidence.body_uri == "s3://evidence/responses/x.json"
    assert decision.state.status == "failing"
    assert decision.state.pending() == event
    assert decision.clear_pending_of == decision.state.version


def test_a_journey_that_keeps_failing_is_not_announced_again():
    state, _ = apply(None, result(False, T0), T0)
    state = state.model_copy(update={"pending_event": None, "pending_since": None})  # the bus had it
    for minute in range(1, 30):
        now = T0 + timedelta(minutes=minute)
        decision = next_state(state, result(False, now, run_id=f"run-{minute}"), now)
        assert decision.announce == [] and decision.state is None


def test_recovery_is_announced_with_when_the_failure_began():
    failing, _ = apply(None, result(False, T0), T0)
    failing = failing.model_copy(update={"pending_event": None, "pending_since": None})
    later = T0 + timedelta(minutes=7)
    decision = next_state(failing, result(True, later, run_id="run-9"), later)
    [event] = decision.announce
    assert isinstance(event, JourneyRecovered)
    assert (event.failing_since, event.recovered_at, event.run_id) == (T0, later, "run-9")
    assert (decision.state.status, decision.state.since, decision.state.version) == ("passing", later, 2)


def test_a_failure_seen_once_without_a_re_run_decides_nothing():
    passing, _ = apply(None, result(True, T0), T0)
    later = T0 + timedelta(minutes=1)
    decision = next_state(passing, result(False, later, attempts=1, unconfirmed=True), later)
    assert decision.state is None and decision.announce == []


def test_an_older_result_arriving_after_a_newer_change_is_ignored():
    failing, _ = apply(None, result(False, T0 + timedelta(minutes=2)), T0 + timedelta(minutes=2))
    stale = result(True, T0 + timedelta(minutes=1))
    assert next_state(failing, stale, T0 + timedelta(minutes=2)).announce == []


def test_an_announcement_left_pending_by_a_crash_is_sent_by_a_later_run():
    failing, first = apply(None, result(False, T0), T0)  # the bus never got it: the runner died
    soon = T0 + RESEND_PENDING_AFTER - timedelta(seconds=1)
    assert next_state(failing, result(False, soon), soon).announce == []  # its runner may still be at it
    late = T0 + RESEND_PENDING_AFTER
    decision = next_state(failing, result(False, late, run_id="run-2"), late)
    assert decision.announce == first.announce
    assert decision.clear_pending_of == failing.version


def test_a_pending_failure_is_sent_before_the_recovery_that_follows_it():
    failing, first = apply(None, result(False, T0), T0)
    late = T0 + timedelta(minutes=5)
    decision = next_state(failing, result(True, late, run_id="run-5"), late)
    assert [type(e) for e in decision.announce] == [JourneyFailed, JourneyRecovered]
    assert decision.announce[0] == first.announce[0]
    assert isinstance(decision.state.pending(), JourneyRecovered)


def test_state_round_trips_its_pending_event_through_json():
    state, decision = apply(None, result(False, T0), T0)
    copy = JourneyState.model_validate(state.model_dump(mode="json"))
    assert copy.pending() == decision.announce[0]


def test_journeys_are_due_on_multiples_of_their_every_in_utc_minutes():
    journeys = parse_journeys(
        """
journeys:
  - {name: each-minute, steps: [{name: a, request: {url: "https://x.example"}}]}
  - {name: five-minutes, every: 5m, steps: [{name: a, request: {url: "https://x.example"}}]}
  - {name: hourly, every: 1h, steps: [{name: a, goto: "https://x.example"}]}
"""
    ).journeys
    due = {
        minute: [j.name for j in journeys if is_due(j, T0 + timedelta(minutes=minute, seconds=3))]
        for minute in (0, 1, 5, 60)
    }
    assert due == {
        0: ["each-minute", "five-minutes", "hourly"],
        1: ["each-minute"],
        5: ["each-minute", "five-minutes"],
        60: ["each-minute", "five-minutes", "hourly"],
    }
    assert [j.name for j in select(journeys, "http")] == ["each-minute", "five-minutes"]
    assert [j.name for j in select(journeys, "browser")] == ["hourly"]
    assert len(select(journeys, "all")) == 3
