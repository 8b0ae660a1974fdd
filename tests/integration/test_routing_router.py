"""The alert router end to end through its handler: documented SNS and EventBridge formats in, moto for
DynamoDB / EventBridge / Scheduler / SNS, slack_sdk talking HTTP to the fake Slack that records every call,
and EventBridge Scheduler's one-time schedules fired as the test clock passes them."""

from datetime import UTC, datetime, timedelta

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.models.alerts import AlertStatus
from incident_core.paging.pages import PageStatus
from incident_core.paging.store import PageStore
from incident_core.policy.store import PolicyStore
from incident_core.settings import get_settings
from tests import routing_support
from tests.helpers import documented
from tests.routing_support import ALASTAIR, CHANNEL, WISEN, event

# Fixtures (pytest finds them by name in the module).
bus_events = routing_support.bus_events
router = routing_support.router
routing_env = routing_support.routing_env
urgent_inbox = routing_support.urgent_inbox

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

# Fri 5 Jun 2026 18:00 BST: after hours. Sat 6 Jun 02:00 BST: the middle of the night.
FRIDAY_EVENING = datetime(2026, 6, 5, 17, 0, tzinfo=UTC)
SATURDAY_2AM = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)
MONDAY_0900 = datetime(2026, 6, 8, 8, 0, tzinfo=UTC)


def alerts() -> AlertStore:
    return AlertStore.from_settings()


def only_alert():
    found = alerts().list_open()
    assert len(found) == 1, found
    return found[0]


def buttons(message: dict) -> list[tuple[str, str]]:
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    return [(e["action_id"], e["value"]) for e in actions["elements"]]


def test_an_incident_alarm_in_business_hours_pages_alastair_by_dm_and_in_the_channel(router, bus_events):
    result = router.invoke(event("alert_router_sns_alarm.json"))

    alert = only_alert()
    assert result == {
        "results": [
            {
                "action": "opened",
                "alert_id": alert.alert_id,
                "pages_sent": 1,
                "delivery_failures": 0,
                "detail": "",
            }
        ]
    }
    assert alert.title == "Alarm incident-bookshop-5xx: Visitors get server errors from the bookshop API"
    assert alert.incident_alarm and alert.pages and alert.count == 1
    [dm] = router.dms(ALASTAIR)
    [post] = router.posts()
    assert f"<@{ALASTAIR}>" in post["text"]
    expected = [
        (a, alert.alert_id) for a in ("alert_acknowledge", "alert_real_incident", "alert_false_alarm")
    ]
    assert buttons(dm) == buttons(post) == expected
    assert "incident-bookshop-5xx" in str(post["blocks"]) and "Threshold Crossed" in str(post["blocks"])
    assert [c.args["users"] for c in router.slack.calls("conversations.open")] == [ALASTAIR]
    assert alert.slack_ts == post["ts"]
    history = [e.what for e in alerts().history(alert.alert_id)]
    assert history[0].startswith("raised: Alarm incident-bookshop-5xx")
    assert history[-1] == f"paged <@{ALASTAIR}> (Slack DM, the incidents channel)"
    [raised] = bus_events.drain()
    assert raised["detail-type"] == "AlertRaised" and raised["detail"]["alert_id"] == alert.alert_id


def test_repeats_of_an_open_alert_count_without_paging_again(router):
    router.invoke(event("alert_router_sns_alarm.json"))
    router.clock.advance(seconds=30)
    again = event("alert_router_sns_alarm.json")
    again["Records"][0]["Sns"]["MessageId"] = "another-delivery-of-a-new-notification"
    result = router.invoke(again)

    assert result["results"][0]["action"] == "repeat"
    alert = only_alert()
    assert alert.count == 2
    assert alert.last_seen == router.clock.now
    assert len(router.posts()) == 1 and len(router.dms(ALASTAIR)) == 1


def test_the_same_notification_delivered_twice_is_one_alert_one_page(router):
    first = router.invoke(event("alert_router_sns_alarm.json"))
    second = router.invoke(event("alert_router_sns_alarm.json"))
    assert second == first  # Powertools idempotency returns the first result
    assert only_alert().count == 1
    assert len(router.slack.calls("chat.postMessage")) == 2  # one DM + one channel post


def test_ok_resolves_the_alert_and_replies_in_its_thread(router, bus_events):
    router.invoke(event("alert_router_sns_alarm.json"))
    alert = only_alert()
    router.clock.advance(minutes=12)  # the OK is stamped 08:41: a source time is believed up to receipt
    result = router.invoke(event("alert_router_sns_alarm_ok.json"))

    assert result["results"][0]["action"] == "resolved"
    resolved = alerts().get(alert.alert_id)
    assert resolved.status == AlertStatus.RESOLVED
    assert resolved.resolved_at == datetime(2026, 3, 30, 8, 41, 4, 468000, tzinfo=UTC)
    assert alerts().list_open() == []
    replies = router.slack.thread(CHANNEL, alert.slack_ts)
    assert replies[-1]["text"].startswith(":white_check_mark: Resolved at 09:41 BST")
    assert [e["detail-type"] for e in bus_events.drain()] == ["AlertRaised", "AlertResolved"]
    # The re-page scheduled for 5 minutes later finds the alert resolved and sends nothing.
    router.run_until(router.clock.now + timedelta(minutes=10))
    assert len(router.dms(ALASTAIR)) == 1
    # The same alarm firing again (after the flap window) is a new alert.
    router.clock.now = datetime(2026, 3, 30, 9, 45, 1, tzinfo=UTC)
    again = event("alert_router_sns_alarm.json")
    again["Records"][0]["Sns"]["MessageId"] = "fires-again"
    message = again["Records"][0]["Sns"]["Message"].replace(
        "2026-03-30T08:15:04.468", "2026-03-30T09:45:00.000"
    )
    again["Records"][0]["Sns"]["Message"] = message
    assert router.invoke(again)["results"][0]["action"] == "opened"
    assert only_alert().alert_id != alert.alert_id


def test_a_late_alarm_notification_after_its_ok_does_not_reopen(router):
    router.invoke(event("alert_router_sns_alarm.json"))
    router.invoke(event("alert_router_sns_alarm_ok.json"))
    late = event("alert_router_sns_alarm.json")
    late["Records"][0]["Sns"]["MessageId"] = "redelivered-late-with-a-new-id"
    assert router.invoke(late)["results"][0]["action"] == "ignored"
    assert alerts().list_open() == []


def test_an_alarm_without_the_incident_prefix_is_recorded_never_paged(router):
    result = router.invoke(documented("aws_eventbridge_cloudwatch_alarm_state_change_single_metric.json"))

    assert result["results"][0]["action"] == "opened"
    alert = only_alert()
    assert alert.incident_alarm is False and alert.pages is False
    assert "does not start with the incident prefix 'incident-'" in alert.reason
    assert router.slack.calls() == []
    assert router.schedules() == []


def test_the_incident_topic_notification_promotes_an_alarm_first_seen_on_eventbridge(router):
    # Every alarm state change also reaches EventBridge; if that copy (no prefix) arrives first, the SNS
    # notification to the incident topic still makes the alert page.
    bridge = event("alert_router_eventbridge_alarm.json")
    bridge["detail"]["alarmName"] = "bookshop-5xx"
    bridge["resources"] = ["arn:aws:cloudwatch:eu-west-2:123456789012:alarm:bookshop-5xx"]
    router.invoke(bridge)
    assert router.slack.calls() == []
    sns = event("alert_router_sns_alarm.json")
    record = sns["Records"][0]["Sns"]
    record["Message"] = record["Message"].replace("incident-bookshop-5xx", "bookshop-5xx")

    result = router.invoke(sns)

    assert result["results"][0] == {
        "action": "repeat",
        "alert_id": only_alert().alert_id,
        "pages_sent": 1,
        "delivery_failures": 0,
        "detail": "seen 2 times",
    }
    assert only_alert().incident_alarm is True
    assert len(router.dms(ALASTAIR)) == 1


def test_insufficient_data_never_pages(router):
    payload = event("alert_router_eventbridge_alarm.json")
    payload["detail"]["state"]["value"] = "INSUFFICIENT_DATA"
    assert router.invoke(payload)["results"][0]["action"] == "ignored"
    assert alerts().list_open() == [] and router.slack.calls() == []


def test_off_hours_business_as_usual_posts_without_a_mention_and_holds_the_page_until_monday(router):
    router.clock.now = SATURDAY_2AM
    result = router.invoke(event("alert_router_journey_failed.json"))

    assert result["results"][0]["pages_sent"] == 1  # the notice in the channel
    alert = only_alert()
    [notice] = router.posts()
    assert "<@" not in notice["text"] and "nobody is paged now" in notice["text"]
    assert router.dms(ALASTAIR) == []
    [held] = router.schedules()
    assert held["ScheduleExpression"] == "at(2026-06-08T08:00:00)"  # Monday 09:00 BST
    assert held["ActionAfterCompletion"] == "DELETE"
    assert '"reason":"held"' in held["Target"]["Input"]

    router.run_until(MONDAY_0900 - timedelta(minutes=1))
    assert router.dms(ALASTAIR) == []  # nobody woken all weekend
    router.run_until(MONDAY_0900)
    [page] = router.dms(ALASTAIR)
    assert "held since outside business hours" in page["text"]
    assert f"<@{ALASTAIR}>" in router.posts()[-1]["text"]
    assert any("held (business-as-usual)" in e.what for e in alerts().history(alert.alert_id))


def test_a_held_page_is_not_sent_if_the_alert_resolved_meanwhile(router):
    router.clock.now = SATURDAY_2AM
    router.invoke(event("alert_router_journey_failed.json"))
    alert = only_alert()
    router.clock.now = SATURDAY_2AM + timedelta(hours=3)
    router.invoke(event("alert_router_journey_recovered.json"))
    router.run_until(MONDAY_0900 + timedelta(minutes=2))

    assert router.dms(ALASTAIR) == []
    pages = PageStore(alerts().table).for_alert(alert.alert_id)
    assert [p.status for p in pages] == [PageStatus.SENT, PageStatus.CANCELLED]


def test_a_traction_window_off_hours_pages_alastair_and_wisen_by_slack_and_sms(router, urgent_inbox):
    router.clock.now = SATURDAY_2AM
    PolicyStore.from_settings().add_traction(
        SATURDAY_2AM - timedelta(hours=8),
        SATURDAY_2AM + timedelta(hours=30),
        "launch ads",
        "alastair",
        FRIDAY_EVENING,
    )
    router.invoke(event("alert_router_journey_failed.json"))

    assert len(router.dms(ALASTAIR)) == 1 and len(router.dms(WISEN)) == 1
    [post] = router.posts()
    assert f"<@{ALASTAIR}> <@{WISEN}> you are paged" in post["text"]
    alastair_sms, wisen_sms = urgent_inbox["alastair"].drain(), urgent_inbox["wisen"].drain()
    assert len(alastair_sms) == 1 and len(wisen_sms) == 1  # one message each, nobody gets the other's
    assert "Journey 'book-viewing' is failing" in alastair_sms[0]
    history = [e.what for e in alerts().history(only_alert().alert_id)]
    assert f"paged <@{ALASTAIR}>, <@{WISEN}> (Slack DM, the incidents channel, SMS/e-mail)" in history


def test_unacknowledged_pages_are_repeated_and_escalated_in_a_traction_moment(router):
    monday_10 = MONDAY_0900 + timedelta(hours=1)
    router.clock.now = monday_10
    PolicyStore.from_settings().add_traction(
        MONDAY_0900, MONDAY_0900 + timedelta(days=1), "ads", "a", MONDAY_0900
    )
    router.invoke(event("alert_router_journey_failed.json"))
    assert len(router.dms(ALASTAIR)) == 1 and router.dms(WISEN) == []  # business hours: Alastair

    router.run_until(monday_10 + timedelta(minutes=5))
    assert len(router.dms(ALASTAIR)) == 2 and len(router.dms(WISEN)) == 1  # escalated to the standby
    assert "Not acknowledged yet" in router.dms(WISEN)[0]["text"]

    alert = only_alert()
    alerts().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)
    router.run_until(monday_10 + timedelta(minutes=30))
    assert len(router.dms(ALASTAIR)) == 2 and len(router.dms(WISEN)) == 1  # stopped once acknowledged
    assert f"acknowledged by <@{ALASTAIR}>" in [e.what for e in alerts().history(alert.alert_id)]


def test_business_as_usual_repages_alastair_until_the_limit(router, monkeypatch):
    router.invoke(event("alert_router_sns_alarm.json"))
    policy = router.runtime.router.policy()
    monkeypatch.setattr(policy, "max_repages", 2)
    router.run_until(router.clock.now + timedelta(minutes=30))

    assert len(router.dms(ALASTAIR)) == 3  # the page and two re-pages, five minutes apart
    assert router.slack.calls("conversations.open")[0].args["users"] == ALASTAIR
    history = [e.what for e in alerts().history(only_alert().alert_id)]
    assert "re-paging stopped after 2 re-pages" in history


def test_a_silenced_journey_is_recorded_and_pages_only_if_still_failing_when_the_silence_ends(router):
    start = router.clock.now
    PolicyStore.from_settings().add_silence(
        "book-viewing", start + timedelta(minutes=30), "deploying the booking form", "alastair", start
    )
    router.invoke(event("alert_router_journey_failed.json"))
    alert = only_alert()
    assert router.slack.calls() == []
    assert "silenced until" in alert.reason

    router.run_until(start + timedelta(minutes=29))
    assert router.dms(ALASTAIR) == []
    router.run_until(start + timedelta(minutes=31))
    assert len(router.dms(ALASTAIR)) == 1  # the silence ended by itself and the journey still fails


def test_journey_failed_then_recovered(router):
    router.invoke(event("alert_router_journey_failed.json"))
    alert = only_alert()
    assert alert.journey == "book-viewing"
    assert alert.links["journey page"] == "https://bookshop.example.com/listings/3"
    assert router.invoke(event("alert_router_journey_recovered.json"))["results"][0]["action"] == "resolved"
    assert alerts().get(alert.alert_id).status == AlertStatus.RESOLVED


def test_a_false_alarm_stops_repaging_and_the_same_firing_alarm_does_not_page_again(router):
    router.invoke(event("alert_router_sns_alarm.json"))
    alert = only_alert()
    alerts().mark_false_alarm(alert.alert_id, ALASTAIR, router.clock.now)
    router.run_until(router.clock.now + timedelta(minutes=20))
    repeat = event("alert_router_sns_alarm.json")
    repeat["Records"][0]["Sns"]["MessageId"] = "still-firing"
    router.invoke(repeat)

    assert len(router.dms(ALASTAIR)) == 1
    assert alerts().get(alert.alert_id).count == 2


def test_aws_health_events_are_recorded_as_facts_never_paged(router):
    from incident_core.adapters.dynamo import Table
    from incident_core.alerts.health import HealthFacts

    result = router.invoke(event("alert_router_health_event.json"))
    assert result == {"results": [{"action": "recorded-health"}]}
    facts = HealthFacts(Table(get_settings().table_name)).between(
        datetime(2023, 1, 27, tzinfo=UTC), datetime(2023, 1, 28, tzinfo=UTC)
    )
    assert [(f.service, f.event_type_code, f.status) for f in facts] == [
        ("EC2", "AWS_EC2_OPERATIONAL_ISSUE", "open")
    ]
    assert router.slack.calls() == [] and alerts().list_open() == []


def test_a_page_due_for_an_unknown_alert_is_ignored(router):
    assert router.invoke(event("alert_router_page_due.json"))["results"][0]["action"] == "ignored"


def fires_again(at: str, message_id: str) -> dict:
    """The SNS alarm notification for a later transition into ALARM (StateChangeTime `at`)."""
    payload = event("alert_router_sns_alarm.json")
    record = payload["Records"][0]["Sns"]
    record["MessageId"] = message_id
    record["Message"] = record["Message"].replace("2026-03-30T08:15:04.468", at)
    return payload


def test_a_failure_a_day_after_its_alert_was_last_heard_of_pages_as_a_new_alert(router, bus_events):
    # The alarm's OK was lost (say, to the dead-letter queue): its alert stays open, acknowledged.
    router.invoke(event("alert_router_sns_alarm.json"))
    old = only_alert()
    alerts().acknowledge(old.alert_id, ALASTAIR, router.clock.now)
    router.clock.now = datetime(2026, 3, 31, 9, 30, tzinfo=UTC)  # Tue 10:30 BST, 25 h later

    result = router.invoke(fires_again("2026-03-31T09:29:00.000", "fires-again-a-day-later"))

    new = only_alert()
    assert result["results"][0]["action"] == "opened" and result["results"][0]["pages_sent"] == 1
    assert new.alert_id != old.alert_id
    assert len(router.dms(ALASTAIR)) == 2  # the new problem pages
    closed = alerts().get(old.alert_id)
    assert closed.status == AlertStatus.RESOLVED
    assert closed.resolved_at == old.last_seen  # the last time it was known to be failing
    closure = (
        "closed without a recovery: nothing heard of it for 25 h until it failed again at "
        "Tue 31 Mar 10:29 BST; that is a new alert"
    )
    assert closure in [e.what for e in alerts().history(old.alert_id)]
    assert router.slack.thread(CHANNEL, old.slack_ts)[-1]["text"].startswith(
        ":grey_question: Closed without a recovery: nothing was heard of this after Mon 30 Mar 09:30 BST"
    )
    assert [(e["detail-type"], e["detail"]["alert_id"]) for e in bus_events.drain()] == [
        ("AlertRaised", old.alert_id),
        ("AlertResolved", old.alert_id),
        ("AlertRaised", new.alert_id),
    ]


def test_within_a_day_or_from_a_late_redelivery_a_failure_is_still_a_repeat(router):
    router.invoke(event("alert_router_sns_alarm.json"))
    alert = only_alert()
    alerts().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)

    router.clock.advance(hours=23)  # back to ALARM after INSUFFICIENT_DATA, 23 h later: the same problem
    sooner = router.invoke(fires_again("2026-03-31T07:29:00.000", "fires-again-within-a-day"))
    router.clock.advance(days=2)  # the first notification redriven from the dead-letter queue
    redriven = router.invoke(fires_again("2026-03-30T08:15:04.468", "redriven-two-days-later"))

    assert [sooner["results"][0]["action"], redriven["results"][0]["action"]] == ["repeat", "repeat"]
    assert only_alert().alert_id == alert.alert_id and only_alert().count == 3
    assert len(router.dms(ALASTAIR)) == 1


def test_history_lines_escape_text_from_outside_the_suite(router):
    start = router.clock.now
    PolicyStore.from_settings().add_silence(
        "book-viewing", start + timedelta(minutes=30), "<!channel> deploy & check", "alastair", start
    )
    router.invoke(event("alert_router_journey_failed.json"))

    [raised] = [e.what for e in alerts().history(only_alert().alert_id)]
    assert "(&lt;!channel&gt; deploy &amp; check)" in raised and "<!channel>" not in raised
