"""Alarm state that does not depend on delivery order, and source times that are bounded by the time of
receipt, through the router's handler against moto and the fake Slack, on the test clock.

Pages are counted per alarm: lost = the alarm's newest state is ALARM but nobody was paged; doubled =
more than one page for one run of the alarm (flapping within the window included). Both must be 0.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from incident_core.adapters.dynamo import Table, serialize
from incident_core.alerts.keys import ALERT_SK, alert_pk, fingerprint_pk
from incident_core.alerts.store import AlertStore
from incident_core.models.alerts import AlertStatus
from incident_core.settings import get_settings
from tests import routing_support
from tests.routing_support import ALASTAIR, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

NOW = routing_support.BUSINESS_HOURS  # Mon 30 Mar 2026 09:30 BST


def alarm(name: str, state: str, at: datetime | str, message_id: str) -> dict[str, Any]:
    """The documented SNS alarm notification (incident topic) for alarm `name`, in `state` at `at`."""
    sample = event("alert_router_sns_alarm.json")
    record = sample["Records"][0]["Sns"]
    message = json.loads(record["Message"])
    message |= {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:eu-west-2:123456789012:alarm:{name}",
        "NewStateValue": state,
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "StateChangeTime": at if isinstance(at, str) else at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
    }
    record["Message"] = json.dumps(message)
    record["MessageId"] = message_id
    return sample


def pages_for(router, name: str) -> int:
    """DMs that paged Alastair about alarm `name` (each page sends one DM and one channel post): its own,
    or its group's page that lists it (alarms failing together are grouped, alerts/grouping.py)."""
    title, listed = f"Alarm {name}:", f"• Alarm {name}:"
    return sum(
        1
        for m in router.dms(ALASTAIR)
        if title in m["text"] or listed in json.dumps(m["blocks"], ensure_ascii=False)
    )


def alerts_of(name: str) -> list:
    return [
        a for a in AlertStore.from_settings().list_since(NOW - timedelta(days=3650)) if a.alarm_name == name
    ]


def test_every_order_of_alarm_ok_alarm_pages_once_and_ends_open(router):
    """ALARM at t1, OK at t2, ALARM at t3 (within the flap window), delivered in all 6 orders: the alarm
    is in ALARM, one alert is open for it, Alastair was paged exactly once."""
    sequence = [("ALARM", 1), ("OK", 2), ("ALARM", 3)]
    lost = doubled = 0
    for n, order in enumerate(itertools.permutations(sequence)):
        name = f"incident-order-{n}"
        for state, minute in order:
            router.invoke(alarm(name, state, NOW - timedelta(minutes=5 - minute), f"{name}-{state}-{minute}"))
        pages = pages_for(router, name)
        lost += pages == 0
        doubled += pages > 1
        found = alerts_of(name)
        assert [a.is_open for a in found] == [True], (order, found)
    print(f"\n6 orders of ALARM/OK/ALARM: {lost} pages lost, {doubled} doubled")
    assert (lost, doubled) == (0, 0)


def test_every_order_of_two_alarm_ok_pairs_ends_resolved_and_never_pages_twice(router):
    """ALARM t1, OK t2, ALARM t3, OK t4 in all 24 orders: the alarm is OK, nothing stays open, at most one
    page (none when an OK newer than every ALARM arrived first: an ALARM older than it opens nothing)."""
    sequence = [("ALARM", 1), ("OK", 2), ("ALARM", 3), ("OK", 4)]
    doubled = 0
    for n, order in enumerate(itertools.permutations(sequence)):
        name = f"incident-pairs-{n}"
        for state, minute in order:
            router.invoke(alarm(name, state, NOW - timedelta(minutes=5 - minute), f"{name}-{state}-{minute}"))
        doubled += pages_for(router, name) > 1
        assert not any(a.is_open for a in alerts_of(name)), order
    print(f"\n24 orders of ALARM/OK/ALARM/OK: 0 left open, {doubled} doubled")
    assert doubled == 0


def test_an_ok_delivered_before_its_alarm_means_the_late_alarm_opens_nothing(router):
    name = "incident-late-alarm"
    ok = router.invoke(alarm(name, "OK", NOW - timedelta(minutes=1), "ok-first"))
    late = router.invoke(alarm(name, "ALARM", NOW - timedelta(minutes=3), "alarm-late"))

    assert ok["results"][0]["detail"] == "resolves nothing: no open alert for it; recorded"
    assert late["results"][0] == {**late["results"][0], "action": "ignored"}
    assert alerts_of(name) == [] and pages_for(router, name) == 0
    # Re-paging, 13 DMs in 65 minutes, is what the late ALARM used to start: nothing is scheduled.
    router.run_until(NOW + timedelta(minutes=65))
    assert pages_for(router, name) == 0
    # An ALARM after that recovery is a new problem (the recovery closed no alert: no flapping) and pages.
    router.invoke(alarm(name, "ALARM", router.clock.now - timedelta(minutes=1), "alarm-new"))
    assert pages_for(router, name) == 1

    # Likewise once a recovery arrives for no alert days after the last alert resolved.
    router.invoke(alarm(name, "OK", router.clock.now, "ok-again"))
    router.clock.advance(days=8)  # Tuesday 7 April (Monday the 6th is Easter Monday): business hours
    router.invoke(alarm(name, "OK", router.clock.now - timedelta(minutes=5), "ok-stray"))
    result = router.invoke(alarm(name, "ALARM", router.clock.now, "alarm-after-stray-ok"))
    assert result["results"][0]["action"] == "opened"
    assert pages_for(router, name) == 2


def test_an_ok_older_than_a_newer_alarm_repeat_resolves_nothing(router):
    name = "incident-old-ok"
    router.invoke(alarm(name, "ALARM", NOW - timedelta(minutes=4), "a1"))
    router.invoke(alarm(name, "ALARM", NOW - timedelta(minutes=2), "a2"))  # a repeat, newer
    result = router.invoke(alarm(name, "OK", NOW - timedelta(minutes=3), "ok-older"))

    assert result["results"][0]["detail"] == "older than the newest ALARM: resolves nothing"
    [alert] = alerts_of(name)
    assert alert.status == AlertStatus.OPEN and alert.count == 2


def test_flapping_re_opens_the_alert_and_pages_once(router):
    """Five ALARM/OK flaps in ten minutes: one alert, one page, each return noted in its history and its
    thread. After the flap window a new ALARM is a new alert and pages."""
    name = "incident-flapping"
    start = NOW - timedelta(minutes=10)
    for flap in range(5):
        router.invoke(alarm(name, "ALARM", start + timedelta(minutes=2 * flap), f"alarm-{flap}"))
        router.invoke(alarm(name, "OK", start + timedelta(minutes=2 * flap + 1), f"ok-{flap}"))

    [alert] = alerts_of(name)
    assert alert.status == AlertStatus.RESOLVED
    assert pages_for(router, name) == 1
    history = [e.what for e in AlertStore.from_settings().history(alert.alert_id)]
    assert sum(line.startswith("re-opened: back in ALARM within 15 minutes") for line in history) == 4
    replies = router.slack.thread(routing_support.CHANNEL, alert.slack_ts)
    assert sum(r["text"].startswith(":repeat: Back in ALARM (flapping)") for r in replies) == 4

    router.clock.now = start + timedelta(minutes=9 + 16)
    router.invoke(alarm(name, "ALARM", router.clock.now, "alarm-after-window"))
    assert len(alerts_of(name)) == 2 and pages_for(router, name) == 2


def test_an_ok_from_the_year_2999_does_not_silence_the_alarm_for_ever(router):
    name = "incident-future-ok"
    router.invoke(alarm(name, "ALARM", NOW - timedelta(minutes=1), "a1"))
    resolved = router.invoke(alarm(name, "OK", "2999-01-01T00:00:00.000+0000", "ok-2999"))
    assert resolved["results"][0]["action"] == "resolved"
    [first] = alerts_of(name)
    assert first.resolved_at == NOW  # clamped to the time of receipt

    router.clock.advance(hours=1)
    again = router.invoke(alarm(name, "ALARM", router.clock.now, "a2"))
    assert again["results"][0]["action"] == "opened"
    assert pages_for(router, name) == 2


def test_an_alarm_stamped_2001_is_kept_from_its_receipt_and_says_its_time_was_clamped(router):
    name = "incident-from-2001"
    router.invoke(alarm(name, "ALARM", "2001-01-01T00:00:00.000+0000", "a-2001"))

    [alert] = alerts_of(name)
    assert alert.started_at == NOW
    assert "2001-01-01T00:00:00.000000Z is implausibly old" in alert.details["time_clamped"]
    table = Table(get_settings().table_name)
    expires = table.get(alert_pk(alert.alert_id), ALERT_SK)["expires_at"]
    assert expires >= (NOW + timedelta(days=399)).timestamp()
    lock = table.get(fingerprint_pk(alert.fingerprint), "OPEN")
    assert lock["expires_at"] == expires  # the lock never outlives its alert
    assert pages_for(router, name) == 1


def test_a_lock_whose_alert_expired_is_repaired_and_the_alarm_pages(router):
    """DynamoDB's TTL removed an alert open for 400 days but not yet its lock: the next ALARM repairs the
    lock and pages, instead of failing with AlertNotFound into the dead-letter queue."""
    name = "incident-dangling"
    router.invoke(alarm(name, "ALARM", NOW, "a1"))
    [alert] = alerts_of(name)
    Table(get_settings().table_name).dynamodb.delete_item(
        TableName=get_settings().table_name, Key=serialize({"pk": alert_pk(alert.alert_id), "sk": ALERT_SK})
    )

    router.clock.advance(days=400)
    result = router.invoke(alarm(name, "ALARM", router.clock.now, "a2"))

    assert result["results"][0]["action"] == "opened"
    assert pages_for(router, name) == 2
