"""At-least-once delivery: the same notification delivered twenty times at once gives one alert and one
page; twenty different notifications of the same alarm at once give one alert, counted twenty times; a
recovery and a button press landing together both count."""

import copy
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from incident_core.alerts.store import AlertStore
from incident_core.models.alerts import AlertStatus
from incident_core.paging.store import PageStore
from tests import routing_support
from tests.routing_support import ALASTAIR, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
DELIVERIES = 20


def deliver_concurrently(router, payloads):
    def one(payload):
        try:
            return router.invoke(payload)
        except IdempotencyAlreadyInProgressError as error:
            return error  # Lambda retries such an invocation later

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(one, payloads))


def test_the_same_notification_twenty_times_at_once_is_one_alert_and_one_page(router):
    payload = event("alert_router_sns_alarm.json")
    outcomes = deliver_concurrently(router, [copy.deepcopy(payload) for _ in range(DELIVERIES)])

    results = [o for o in outcomes if isinstance(o, dict)]
    in_progress = [o for o in outcomes if isinstance(o, IdempotencyAlreadyInProgressError)]
    assert len(results) + len(in_progress) == DELIVERIES
    assert {r["results"][0]["action"] for r in results} == {"opened"}  # the one run, or its saved result
    # Lambda's retries of the invocations that found it in progress get the saved result.
    for _ in in_progress:
        assert router.invoke(copy.deepcopy(payload))["results"][0]["action"] == "opened"

    [alert] = AlertStore.from_settings().list_open()
    assert alert.count == 1
    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1
    pages = PageStore(AlertStore.from_settings().table).for_alert(alert.alert_id)
    assert len(pages) == 3  # page, re-page and the plan's text and e-mail at +5
    assert len(router.schedules()) == 2  # the one re-page, and the plan's step


def test_twenty_different_notifications_of_one_alarm_at_once_are_one_alert_and_one_page(router):
    sns = event("alert_router_sns_alarm.json")
    bridge = event("alert_router_eventbridge_alarm.json")
    bridge["detail"]["alarmName"] = "incident-bookshop-5xx"
    bridge["resources"] = ["arn:aws:cloudwatch:eu-west-2:123456789012:alarm:incident-bookshop-5xx"]
    payloads = []
    for n in range(DELIVERIES):
        if n % 2:
            payload = copy.deepcopy(sns)
            payload["Records"][0]["Sns"]["MessageId"] = f"sns-delivery-{n}"
        else:
            payload = copy.deepcopy(bridge)
            payload["id"] = f"eventbridge-delivery-{n}"
        payloads.append(payload)

    outcomes = deliver_concurrently(router, payloads)

    actions = sorted(o["results"][0]["action"] for o in outcomes)
    assert actions == ["opened"] + ["repeat"] * (DELIVERIES - 1)
    [alert] = AlertStore.from_settings().list_open()
    assert alert.count == DELIVERIES
    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1
    assert sum(o["results"][0]["pages_sent"] for o in outcomes) == 1


def test_a_recovery_racing_an_acknowledgement_still_resolves_and_frees_the_alarm(router):
    """Alastair presses Acknowledge while the alarm's OK is being recorded: between the router reading
    the alert and writing the resolution, the acknowledgement lands. The resolution reads again and
    goes through; the alarm's lock is released, so the next time it fires it pages again."""
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = AlertStore.from_settings().list_open()
    store = router.runtime.router.alerts
    original_transact = store._transact
    raced = []

    def acknowledged_in_between(items):
        if not raced:
            raced.append(AlertStore.from_settings().acknowledge(alert.alert_id, ALASTAIR, router.clock.now))
        return original_transact(items)

    store._transact = acknowledged_in_between
    router.clock.advance(minutes=12)  # the OK is stamped 08:41: a source time is believed up to receipt
    result = router.invoke(event("alert_router_sns_alarm_ok.json"))
    store._transact = original_transact

    assert raced and raced[0].status == AlertStatus.ACKNOWLEDGED
    assert result["results"][0]["action"] == "resolved"
    resolved = AlertStore.from_settings().get(alert.alert_id)
    assert resolved.status == AlertStatus.RESOLVED and resolved.acknowledged_by == ALASTAIR
    assert AlertStore.from_settings().open_alert_id(alert.fingerprint) is None

    router.clock.now = datetime(2026, 3, 30, 9, 45, 1, tzinfo=UTC)  # after the flap window
    again = event("alert_router_sns_alarm.json")
    again["Records"][0]["Sns"]["MessageId"] = "fires-again"
    record = again["Records"][0]["Sns"]
    record["Message"] = record["Message"].replace("2026-03-30T08:15:04.468", "2026-03-30T09:45:00.000")
    assert router.invoke(again)["results"][0]["action"] == "opened"
    assert len(router.dms(ALASTAIR)) == 2
