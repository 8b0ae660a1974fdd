"""Delivering pages when Slack misbehaves, and when the router dies half-way: rate limits are waited out,
a page that cannot be sent is kept and retried (never dropped), and a page is never sent twice."""

import time
from datetime import timedelta

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.paging.pages import PageKind, PageStatus
from incident_core.paging.store import CLAIM_LEASE, PageStore
from stand_ins.fake_slack import Fault
from tests import routing_support
from tests.routing_support import ALASTAIR, CHANNEL, ShortLivedContext, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def only_alert():
    [alert] = AlertStore.from_settings().list_open()
    return alert


def pages_of(alert_id: str):
    """The alert's page and re-pages (its plan's later steps are pages of their own: not counted here)."""
    pages = PageStore(AlertStore.from_settings().table).for_alert(alert_id)
    return [page for page in pages if page.kind != PageKind.STEP]


def page_schedules(router):
    """The wake-ups of the page and its re-pages (not those of the plan's later steps)."""
    return [s for s in router.schedules() if '"reason":"step"' not in s["Target"]["Input"]]


def test_a_rate_limit_is_waited_out_and_the_page_sent_once(router):
    router.slack.inject("chat.postMessage", Fault(status=429, retry_after=1))

    result = router.invoke(event("alert_router_sns_alarm.json"))

    assert result["results"][0]["pages_sent"] == 1
    calls = router.slack.calls("chat.postMessage")
    assert len(calls) == 3  # the DM refused with 429, the same DM again after Retry-After, the channel post
    assert calls[1].at - calls[0].at >= 1.0  # slack_sdk's RateLimitErrorRetryHandler honoured Retry-After
    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1


def test_a_server_error_is_not_reposted_by_the_client_the_retry_looks_in_slack_first(router):
    """A 5xx may come after Slack posted (the outcome is unknown): slack_sdk does not post again; the
    router's retry looks for the page's own block in the DM first, and posts only what is missing."""
    router.slack.inject(
        "chat.postMessage", Fault(status=503, body={"ok": False, "error": "service_unavailable"})
    )
    result = router.invoke(event("alert_router_sns_alarm.json"))

    assert router.slack.state.faults["chat.postMessage"] == []  # the 503 was served (to the first call)
    assert len(router.slack.calls("chat.postMessage")) == 1  # not re-sent by the client
    assert result["results"][0]["pages_sent"] == 0 and result["results"][0]["delivery_failures"] == 1

    router.run_until(router.clock.now + timedelta(minutes=2))

    assert router.slack.calls("conversations.history")  # looked before posting again
    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1  # sent once
    [page, _repage] = pages_of(only_alert().alert_id)
    assert page.status == PageStatus.SENT and page.attempts == 2


def test_with_slack_down_the_page_stays_pending_and_is_retried_until_it_is_sent(router):
    down = Fault(status=500, body={"ok": False, "error": "internal_error"})
    router.slack.inject("conversations.open", *[down] * 3)  # the first try and slack_sdk's two retries

    result = router.invoke(event("alert_router_sns_alarm.json"))

    assert result["results"][0]["delivery_failures"] == 1
    alert = only_alert()
    [page] = pages_of(alert.alert_id)
    assert page.status == PageStatus.PENDING and page.attempts == 1
    assert "internal_error" in page.last_error
    [retry] = page_schedules(router)
    assert '"reason":"retry"' in retry["Target"]["Input"]
    assert router.dms(ALASTAIR) == [] and router.posts() == []
    history = [e.what for e in AlertStore.from_settings().history(alert.alert_id)]
    assert any(line.startswith("page could not be sent (SlackApiError") for line in history)

    router.run_until(router.clock.now + timedelta(minutes=2))  # Slack is back

    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1
    first, repage = pages_of(alert.alert_id)
    assert first.status == PageStatus.SENT and first.attempts == 2
    assert repage.status == PageStatus.PENDING  # the re-page, 5 minutes after the page


def test_a_retry_after_a_partial_delivery_sends_only_what_is_missing(router, monkeypatch):
    # The DM goes out; the post in the channel is refused (channel archived, say) until someone fixes it.
    working = router.slack._api_chat_postMessage

    def channel_refused(args):
        if args.get("channel") == CHANNEL:
            return {"ok": False, "error": "is_archived"}
        return working(args)

    monkeypatch.setattr(router.slack, "_api_chat_postMessage", channel_refused)
    router.invoke(event("alert_router_sns_alarm.json"))
    alert = only_alert()
    [page] = pages_of(alert.alert_id)
    assert page.status == PageStatus.PENDING and set(page.delivered) == {"dm:alastair"}
    assert "is_archived" in page.last_error

    monkeypatch.setattr(router.slack, "_api_chat_postMessage", working)
    router.run_until(router.clock.now + timedelta(minutes=2))

    assert len(router.dms(ALASTAIR)) == 1  # the DM was not sent again
    assert len(router.posts()) == 1
    assert pages_of(alert.alert_id)[0].status == PageStatus.SENT


def test_a_crash_after_posting_but_before_recording_it_does_not_page_twice(router):
    """The router dies between Slack accepting the DM and the write that records it. The next attempt,
    after the claim's lease runs out, finds the DM in Slack by its block id and does not send it again."""
    runtime = router.runtime.router
    original_record = runtime.pages.record_delivery

    def crash_after_the_dm(page, target, reference):
        if target == "dm:alastair":
            raise SystemExit("the Lambda sandbox died")
        original_record(page, target, reference)

    runtime.pages.record_delivery = crash_after_the_dm
    with pytest.raises(SystemExit):
        router.invoke(
            event("alert_router_sns_alarm.json"), ShortLivedContext(function_name="AlertRouterFunction")
        )
    runtime.pages.record_delivery = original_record
    time.sleep(0.1)  # the dead invocation's idempotency record expires (Powertools uses the wall clock)

    alert = only_alert()
    [page] = pages_of(alert.alert_id)
    assert page.status == PageStatus.SENDING and page.delivered == {}
    assert len(router.dms(ALASTAIR)) == 1

    # Lambda retries the event after the lease; the retry (a repeat) picks the page up.
    router.clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    retried = router.invoke(event("alert_router_sns_alarm.json"))

    assert retried["results"][0]["action"] == "repeat"
    assert len(router.dms(ALASTAIR)) == 1  # found in Slack, not sent again
    assert len(router.posts()) == 1
    [first, _repage] = pages_of(alert.alert_id)
    assert first.status == PageStatus.SENT and set(first.delivered) == {"dm:alastair", "channel"}


def test_a_crash_between_deciding_and_sending_loses_nothing(router):
    """The alert and its page (claimed by this invocation) are written, then the router dies before
    sending anything. Lambda's retry finds the page held by the dead invocation, schedules a wake-up for
    when its claim runs out, and then the page is sent, once."""
    runtime = router.runtime.router
    original_send = runtime._send_claimed

    def crash(*args, **kwargs):
        raise TimeoutError("Task timed out after 30.00 seconds")

    runtime._send_claimed = crash
    with pytest.raises(TimeoutError):
        router.invoke(event("alert_router_sns_alarm.json"))
    runtime._send_claimed = original_send
    alert = only_alert()
    [page] = pages_of(alert.alert_id)
    assert page.status == PageStatus.SENDING and page.delivered == {}
    assert router.slack.calls() == []

    # Lambda's retry of the failed invocation, a minute later (the idempotency record was released).
    router.clock.advance(minutes=1)
    retried = router.invoke(event("alert_router_sns_alarm.json"))
    assert retried["results"][0]["action"] == "repeat"
    [wake_up] = page_schedules(router)
    assert '"reason":"retry"' in wake_up["Target"]["Input"]

    router.run_until(router.clock.now + timedelta(minutes=2))

    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1
    assert only_alert().count == 1  # the retried notification is not counted twice
    assert pages_of(alert.alert_id)[0].status == PageStatus.SENT


def test_a_crash_right_after_a_promotion_still_pages(router):
    """An alarm first seen on EventBridge (no incident prefix: recorded only) is promoted by its
    incident-topic notification; the router dies right after the promotion is written. Lambda's retry of
    that notification takes the repeat path (the alert is already an incident alarm), and the page
    written with the promotion is still there to send."""
    bridge = event("alert_router_eventbridge_alarm.json")
    bridge["detail"]["alarmName"] = "bookshop-5xx"
    bridge["resources"] = ["arn:aws:cloudwatch:eu-west-2:123456789012:alarm:bookshop-5xx"]
    router.invoke(bridge)
    sns = event("alert_router_sns_alarm.json")
    record = sns["Records"][0]["Sns"]
    record["Message"] = record["Message"].replace("incident-bookshop-5xx", "bookshop-5xx")
    store = router.runtime.router.alerts
    original_promote = store.promote

    def promote_then_die(*args, **kwargs):
        original_promote(*args, **kwargs)
        raise TimeoutError("Task timed out after 30.00 seconds")

    store.promote = promote_then_die
    with pytest.raises(TimeoutError):
        router.invoke(sns)
    store.promote = original_promote
    alert = only_alert()
    assert alert.incident_alarm is True and alert.pages is True
    assert "business hours" in alert.reason
    assert router.slack.calls() == []

    retried = router.invoke(sns)  # Lambda's retry (the failed invocation released its idempotency record)

    assert retried["results"][0]["action"] == "repeat" and retried["results"][0]["pages_sent"] == 1
    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1
    assert only_alert().count == 2  # the EventBridge copy and the SNS one, the retry not counted again
    history = [e.what for e in AlertStore.from_settings().history(alert.alert_id)]
    assert any(line.startswith("marked an incident alarm: ") and "policy (" in line for line in history)


def test_a_claimed_page_is_not_sent_by_a_second_deliverer(router):
    router.invoke(event("alert_router_sns_alarm.json"))
    alert = only_alert()
    [_, repage] = pages_of(alert.alert_id)
    store = router.runtime.router.pages
    now = repage.due_at
    first = store.claim(repage, now, ["alastair"], ["slack"])
    assert first is not None
    assert store.claim(repage, now + timedelta(seconds=5), ["alastair"], ["slack"]) is None
    # Once the lease has run out (its holder died), another deliverer may take the page over; it keeps
    # the audience the first claim fixed.
    taken_over = store.claim(
        store.get(alert.alert_id, repage.page_id), now + CLAIM_LEASE + timedelta(seconds=1)
    )
    assert taken_over is not None and taken_over.people == ["alastair"] and taken_over.attempts == 2
