"""Property tests of the escalation plan's order, through the real router (moto + the fake Slack, the test
clock, schedules firing and the sweep every 2 minutes): under random acknowledgement times, Slack outages
and phone calls failing, nobody is contacted after the acknowledgement (but for the one Slack page still
owed when Slack was down), and no step of anybody's plan is skipped or doubled."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_core.alerts.store import AlertStore
from incident_core.paging.pages import PageKind, PageStatus
from incident_core.paging.store import PageStore
from incident_core.policy.store import PolicyStore
from stand_ins.fake_slack import Fault
from tests import routing_support
from tests.routing_support import ALASTAIR, RouterHarness, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
    pytest.mark.timeout(900),
]

SATURDAY_2AM = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)  # 02:00 BST, in a traction moment
RUN_FOR = timedelta(minutes=40)
SWEEP_EVERY = timedelta(minutes=2)


@dataclass
class FlakyCaller:
    """A Caller whose calls fail while `failing` says so; records the calls made, with the clock's time."""

    router: RouterHarness
    failing: set[int] = field(default_factory=set)  # which call attempts (0, 1, ...) fail
    attempts: int = 0
    made: list[tuple[datetime, str]] = field(default_factory=list)  # (when, reference)

    def call(self, person: str, phone: str, ssml: str, reference: str) -> str:
        attempt = self.attempts
        self.attempts += 1
        if attempt in self.failing:
            raise ConnectionError("the voice API did not answer")
        self.made.append((self.router.clock.now, reference))
        return f"call-{attempt}"


def live(router: RouterHarness, until: datetime, slack_back_at: datetime | None) -> None:
    next_sweep = router.clock.now + timedelta(seconds=37)  # the sweep's rate is not aligned with alerts
    while router.clock.now < until:
        marks = [next_sweep, until] + (
            [slack_back_at] if slack_back_at and slack_back_at > router.clock.now else []
        )
        step = min(marks)
        router.run_until(step)
        if slack_back_at and router.clock.now >= slack_back_at:
            router.slack.outage(None)
        if router.clock.now >= next_sweep:
            router.invoke({"sweep": "pages"})
            next_sweep += SWEEP_EVERY


def journey_failed(name: str) -> dict:
    payload = copy.deepcopy(event("alert_router_journey_failed.json"))
    payload["id"] = str(uuid.uuid4())
    payload["detail"]["journey"] = name
    payload["detail"]["run_id"] = f"run-{uuid.uuid4().hex[:12]}"
    return payload


@pytest.fixture
def night(router: RouterHarness) -> RouterHarness:
    router.clock.now = SATURDAY_2AM
    PolicyStore.from_settings().add_traction(
        SATURDAY_2AM - timedelta(hours=1),
        SATURDAY_2AM + timedelta(days=6),
        "launch ads",
        "alastair",
        SATURDAY_2AM - timedelta(hours=2),
    )
    return router


@settings(
    max_examples=6,  # each example lives 40 minutes of a night through the router
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ack_after=st.integers(min_value=0, max_value=20 * 60),  # seconds after the page
    slack_down_for=st.one_of(st.none(), st.integers(min_value=1, max_value=30 * 60)),
    failing_calls=st.sets(st.integers(min_value=0, max_value=5), max_size=3),
)
def test_nobody_is_contacted_after_the_ack_and_no_step_is_skipped_or_doubled(
    night, ack_after, slack_down_for, failing_calls
):
    router = night
    start = router.clock.now = router.clock.now + timedelta(hours=1)  # each example an hour on
    caller = FlakyCaller(router, failing=set(failing_calls))
    router.runtime.router.pager.caller = caller
    if slack_down_for:
        router.slack.outage(Fault(status=500, body={"ok": False, "error": "internal_error"}))
    slack_back_at = start + timedelta(seconds=slack_down_for) if slack_down_for else None
    router.invoke(journey_failed(f"prop-{uuid.uuid4().hex[:8]}"))
    [alert] = [a for a in AlertStore.from_settings().list_open() if a.status == "open"]
    ack_at = start + timedelta(seconds=ack_after)

    live(router, ack_at, slack_back_at)
    AlertStore.from_settings().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)
    live(router, start + RUN_FOR, slack_back_at)
    router.slack.outage(None)

    pages = PageStore(AlertStore.from_settings().table).for_alert(alert.alert_id)
    steps = [p for p in pages if p.kind == PageKind.STEP]
    # Nobody contacted after the acknowledgement: no call, no plan step, no re-page.
    assert all(at <= ack_at for at, _ in caller.made), (caller.made, ack_at)
    for page in pages:
        if page.kind != PageKind.PAGE and page.status == PageStatus.SENT:
            assert page.sent_at <= ack_at, page
    # No step doubled: each call once per (page, person, step).
    references = [reference for _, reference in caller.made]
    assert len(references) == len(set(references))
    # No step skipped: each step due before the acknowledgement went out, unless every try failed.
    for step in steps:
        if step.due_at < ack_at and step.status != PageStatus.SENT:
            assert step.attempts > 0 and step.last_error, step
    # In order: each person's steps went out in the plan's order.
    for person in ("alastair", "wisen"):
        sent = sorted((p for p in steps if p.people == [person] and p.sent_at), key=lambda p: p.sent_at)
        assert [p.step for p in sent] == sorted(p.step for p in sent)
    # The page itself reached Slack exactly once each, even when Slack came back after the ack.
    blocks = [m["blocks"][0]["block_id"] for m in router.dms(ALASTAIR)]
    assert blocks.count(f"page:{alert.alert_id}-p0:dm:alastair") == 1
    assert len(blocks) == len(set(blocks))
