"""Escalation through the real router (moto + the fake Slack, the test clock): pages go out when due, not
before, with the page sweep running every 2 minutes as it does in production."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.paging.pages import Page, PageKind, PageStatus
from incident_core.paging.store import PageStore
from tests import routing_support
from tests.routing_support import ALASTAIR, RouterHarness, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env
urgent_inbox = routing_support.urgent_inbox

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

SWEEP_EVERY = timedelta(minutes=2)


def alerts() -> AlertStore:
    return AlertStore.from_settings()


def pages_of(alert_id: str) -> list[Page]:
    return PageStore(alerts().table).for_alert(alert_id)


def live(router: RouterHarness, until: datetime, first_sweep: datetime) -> None:
    """Time passes to `until`: schedules fire at their time and the page sweep runs every 2 minutes from
    `first_sweep` (production's PageSweep is a rate schedule, not aligned with any alert)."""
    next_sweep = first_sweep
    while router.clock.now < until:
        step = min(next_sweep, until)
        router.run_until(step)
        if router.clock.now >= next_sweep:
            router.invoke({"sweep": "pages"})
            next_sweep += SWEEP_EVERY


def test_repages_go_out_exactly_at_5_10_and_15_minutes_with_the_sweep_running(router):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = alerts().list_open()

    live(router, start + timedelta(minutes=16), first_sweep=start + SWEEP_EVERY)

    repages = [p for p in pages_of(alert.alert_id) if p.kind == PageKind.REPAGE]
    sent = [p.sent_at - start for p in repages if p.status == PageStatus.SENT]
    assert sent == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15)]
    assert len(router.dms(ALASTAIR)) == 4  # the page and three re-pages, none early, none twice


def test_an_acknowledgement_one_second_before_a_repage_stops_it(router):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = alerts().list_open()

    live(router, start + timedelta(minutes=5) - timedelta(seconds=1), first_sweep=start + SWEEP_EVERY)
    alerts().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)
    live(router, start + timedelta(minutes=30), first_sweep=start + timedelta(minutes=6))

    assert len(router.dms(ALASTAIR)) == 1  # the page only
    [page, repage] = pages_of(alert.alert_id)
    assert (page.status, repage.status) == (PageStatus.SENT, PageStatus.CANCELLED)


def test_a_sweep_between_schedules_sends_nothing_early(router):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    router.clock.now = start + timedelta(minutes=4, seconds=59)

    result = router.invoke({"sweep": "pages"})

    assert result["results"][0]["pages_sent"] == 0
    assert len(router.dms(ALASTAIR)) == 1
