"""Pages that survive outages: DynamoDB, then Scheduler, unreachable for 10 minutes from each step of the
page path on, through the router's handler, on the test clock. The router's AWS clients go through a
proxy (stand_ins/lossy_proxy.py) that refuses every request during the outage; Lambda's retries of the
event (at +1 and +3 minutes, then the dead-letter queue), the schedules and the page sweep (every 2
minutes) run as they would. Pages are counted in Slack by the block id naming each page and target:
lost = due but never posted, doubled = posted more than once. Both must be 0.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import boto3
import pytest

from incident_core.adapters.aws import reset_clients
from incident_core.alerts import wiring
from incident_core.alerts.store import AlertStore
from incident_core.settings import get_settings
from stand_ins.aws import MotoServer
from stand_ins.lossy_proxy import LossyProxy
from tests import routing_support
from tests.routing_support import RouterHarness, ShortLivedContext, event, pages_lost_and_doubled

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
    pytest.mark.timeout(600),  # many 10-minute outages, each lived through on the test clock
]

OUTAGE = timedelta(minutes=10)
SWEEP_EVERY = timedelta(minutes=2)
LAMBDA_RETRIES = (timedelta(minutes=1), timedelta(minutes=2))  # async invoke: 2 retries, then the DLQ


@dataclass
class Outages:
    dynamodb: LossyProxy
    scheduler: LossyProxy


@pytest.fixture
def outages(router: RouterHarness, aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outages]:
    """The router's DynamoDB and Scheduler calls through proxies the test can take down; the test's own
    look at moto (the harness firing schedules) goes direct."""
    proxies = Outages(LossyProxy(aws.url).start(), LossyProxy(aws.url).start())
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxies.dynamodb.origin)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SCHEDULER", proxies.scheduler.origin)
    # Refused calls fail at once (production retries each once after a back-off: the same failure, later).
    monkeypatch.setattr(wiring, "PAGE_PATH_ATTEMPTS", 1, raising=False)
    direct = cache(lambda service: boto3.client(service, endpoint_url=aws.url))
    monkeypatch.setattr(routing_support, "client", direct)
    reset_clients()
    get_settings.cache_clear()
    router.module.Runtime.__init__(router.runtime, clock=router.clock)
    yield proxies
    proxies.dynamodb.stop()
    proxies.scheduler.stop()


def alarm(name: str, message_id: str) -> dict[str, Any]:
    sample = event("alert_router_sns_alarm.json")
    record = sample["Records"][0]["Sns"]
    record["MessageId"] = message_id
    record["Message"] = record["Message"].replace("incident-bookshop-5xx", name)
    return sample


def attempt(router: RouterHarness, payload: dict[str, Any]) -> bool:
    """One delivery of the event by Lambda; False if the invocation failed (Lambda would retry)."""
    try:
        router.invoke(payload, ShortLivedContext(function_name="AlertRouterFunction"))
    except Exception:
        return False
    finally:
        time.sleep(0.06)  # a failed invocation's idempotency record expires (Powertools: wall clock)
    return True


def sweep(router: RouterHarness) -> None:
    # The sweep itself may fail during the outage: the next one comes 2 minutes later.
    with contextlib.suppress(Exception):
        router.invoke({"sweep": "pages"})


def live(router: RouterHarness, until_offset: timedelta, start, restore: Callable[[], None]) -> None:
    """Time passes to `start + until_offset`: the outage ends at start + OUTAGE; schedules fire when due
    (the harness, direct to moto; a PageDue whose invocation fails is dropped, harsher than Lambda's two
    retries) and the sweep runs every SWEEP_EVERY."""
    next_sweep = start + SWEEP_EVERY
    while router.clock.now < start + until_offset:
        step = min(next_sweep, start + until_offset)
        while True:
            try:
                router.run_until(step)
                break
            except Exception:  # that PageDue's invocation failed in the outage: as if dead-lettered
                time.sleep(0.06)
        if router.clock.now >= start + OUTAGE:
            restore()
        if router.clock.now >= next_sweep:
            sweep(router)
            next_sweep += SWEEP_EVERY


def page_path_requests(router: RouterHarness, proxy: LossyProxy, name: str) -> list[str]:
    """The requests one healthy first page makes to the proxied service, in order (a dry run)."""
    proxy.served.clear()
    router.invoke(alarm(name, f"{name}-dry"))
    return list(proxy.served)


def run_outage(router: RouterHarness, proxy: LossyProxy, name: str, step: int) -> tuple[int, int]:
    start = router.clock.now
    payload = alarm(name, f"{name}-n")
    proxy.fail_after(step)
    if not attempt(router, payload):
        for delay in LAMBDA_RETRIES:  # Lambda's retries, both during the outage: then the DLQ
            router.clock.advance(minutes=delay.total_seconds() / 60)
            if attempt(router, payload):
                break
    live(router, timedelta(minutes=25), start, proxy.restore)
    [alert] = [
        a for a in AlertStore.from_settings().list_since(start - timedelta(days=1)) if a.alarm_name == name
    ]
    counted = pages_lost_and_doubled(router, alert.alert_id)
    # Acknowledged: its re-pages stop, and later scenarios' sweeps have only their own alert to move.
    AlertStore.from_settings().acknowledge(alert.alert_id, routing_support.ALASTAIR, router.clock.now)
    return counted


def steps_after_the_page_was_decided(requests: list[str]) -> range:
    """How many requests pass before the outage: from just after the transaction that records the alert
    and its page (before it nothing was decided, and an outage that outlasts Lambda's retries leaves the
    notification in the dead-letter queue) to all of them (the outage hits the later calls only)."""
    decided = next(i for i, r in enumerate(requests) if r.endswith("TransactWriteItems"))
    return range(decided + 1, len(requests) + 1)


def test_dynamodb_down_for_10_minutes_at_each_step_of_the_page_path_loses_and_doubles_no_page(
    router, outages
):
    requests = page_path_requests(router, outages.dynamodb, "incident-dry-dynamodb")
    for alert in AlertStore.from_settings().list_open():
        AlertStore.from_settings().acknowledge(alert.alert_id, routing_support.ALASTAIR, router.clock.now)
    steps = steps_after_the_page_was_decided(requests)
    lost = doubled = 0
    for step in steps:
        router.clock.advance(minutes=5)  # still business hours: Alastair is paged by DM
        step_lost, step_doubled = run_outage(router, outages.dynamodb, f"incident-ddb-{step}", step)
        lost += step_lost
        doubled += step_doubled
    print(f"\nDynamoDB down 10 minutes at each of {len(steps)} steps: {lost} pages lost, {doubled} doubled")
    assert (lost, doubled) == (0, 0)


def test_scheduler_down_for_10_minutes_at_each_schedule_of_the_page_path_loses_no_repage(router, outages):
    requests = page_path_requests(router, outages.scheduler, "incident-dry-scheduler")
    for alert in AlertStore.from_settings().list_open():
        AlertStore.from_settings().acknowledge(alert.alert_id, routing_support.ALASTAIR, router.clock.now)
    assert requests, "the first page schedules its re-page"
    lost = doubled = 0
    for step in range(len(requests) + 2):  # the re-page's schedule, and later re-pages' too
        router.clock.advance(minutes=5)  # still business hours: Alastair is paged by DM
        step_lost, step_doubled = run_outage(router, outages.scheduler, f"incident-sch-{step}", step)
        lost += step_lost
        doubled += step_doubled
    print(f"\nScheduler down 10 minutes from each of its calls: {lost} pages lost, {doubled} doubled")
    assert (lost, doubled) == (0, 0)


def test_scheduler_down_for_every_attempt_still_delivers_every_repage(router, outages):
    """All 12 re-pages used to be lost: escalation hung on one CreateSchedule."""
    outages.scheduler.fail_after(0)
    start = router.clock.now
    router.invoke(alarm("incident-no-scheduler", "no-scheduler"))
    live(router, timedelta(minutes=70), start, lambda: None)  # never restored

    [alert] = AlertStore.from_settings().list_open()
    assert pages_lost_and_doubled(router, alert.alert_id) == (0, 0)
    assert len(router.dms(routing_support.ALASTAIR)) == 13  # the page and its 12 re-pages
