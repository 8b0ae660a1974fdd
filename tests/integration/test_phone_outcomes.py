"""Calls' outcomes and replies to texts (issue 17) through the real alert router handler: the strict SMS
and Voice stand-in places the call and emits the configuration set's events; SNS delivers them (in
Lambda's SNS record format) to the router, which records the outcome in the alert's history and thread,
hands unanswered calls to the escalation engine's hook, and acknowledges on a reply of ACK."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.paging.phone_events import reference_for, short_code
from incident_core.paging.phone_scripts import call_ssml
from stand_ins.fake_sms_voice import CallOutcome
from tests.page_ack_support import paged_alert
from tests.routing_support import router, routing_env
from tests.sms_voice_support import SUITE_NUMBER, sender, sms_voice, sms_voice_server

__all__ = ["router", "routing_env", "sms_voice", "sms_voice_server"]
TOPIC = "arn:aws:sns:eu-west-2:123456789012:incident-suite-test-paging-events"
ALASTAIR_PHONE = "+447700900001"  # config/policy.yaml's placeholder


@pytest.fixture
def phone_router(router, sms_voice, monkeypatch):
    monkeypatch.setenv("PAGING_EVENTS_TOPIC_ARN", TOPIC)
    router.module.get_settings.cache_clear()
    runtime = router.module.Runtime(clock=router.clock)
    router.module.runtime = lambda: runtime
    unanswered = []
    router.module._phone_outcomes(runtime).on_unanswered = unanswered.append
    router.unanswered = unanswered
    return router


def history(alert_id: str) -> list[str]:
    return [e.what for e in AlertStore.from_settings().history(alert_id)]


def call(sms_voice, alert, page, outcome: CallOutcome) -> list[dict]:
    sms_voice.answer_calls(outcome)
    before = len(sms_voice.events())
    ssml = call_ssml("Alastair", alert.title, "open the link in the text")
    sender(sms_voice).call("alastair", ALASTAIR_PHONE, ssml, reference_for(page.page_id, "alastair", 2))
    return sms_voice.events()[before:]


def thread_replies(fake_slack, alert) -> list[str]:
    return [
        m["text"] for m in fake_slack.thread(alert.slack_channel, alert.slack_ts) if m["ts"] != alert.slack_ts
    ]


@pytest.mark.parametrize(
    ("outcome", "said", "moves_on"),
    [
        (CallOutcome.NO_ANSWER, "no answer", True),
        (CallOutcome.BUSY, "busy", True),
        (CallOutcome.FAILED, "failed", True),
        (CallOutcome.ANSWERED, "answered", False),
    ],
)
def test_a_calls_outcome_is_in_the_history_and_the_thread(
    phone_router, sms_voice, fake_slack, outcome, said, moves_on
):
    alert, page = paged_alert(fake_slack)
    events = call(sms_voice, alert, page, outcome)
    answer = phone_router.invoke(sms_voice.sns_event(events, TOPIC))

    actions = [r["action"] for r in answer["results"]]
    assert actions.count("call-recorded") == 1 and set(actions) <= {"call-recorded", "ignored"}
    [line] = [w for w in history(alert.alert_id) if w.startswith("called ")]
    assert line.startswith("called Alastair ") and line.endswith(f": {said}")
    [reply] = thread_replies(fake_slack, alert)
    assert f": {said}." in reply and "Called Alastair at" in reply
    assert [r.outcome.value for r in phone_router.unanswered] == ([said] if moves_on else [])


def test_a_redelivered_outcome_is_recorded_once(phone_router, sms_voice, fake_slack):
    alert, page = paged_alert(fake_slack)
    event = sms_voice.sns_event(call(sms_voice, alert, page, CallOutcome.NO_ANSWER), TOPIC)
    phone_router.invoke(event)
    phone_router.invoke(event)  # SNS delivers at least once
    assert len([w for w in history(alert.alert_id) if w.startswith("called ")]) == 1
    assert len(thread_replies(fake_slack, alert)) == 1


def test_slack_down_does_not_lose_the_outcome(phone_router, sms_voice, fake_slack):
    from stand_ins.fake_slack import Fault

    alert, page = paged_alert(fake_slack)
    fake_slack.inject("conversations.replies", *[Fault(status=500)] * 10)
    fake_slack.inject("chat.postMessage", *[Fault(status=500)] * 10)
    phone_router.invoke(sms_voice.sns_event(call(sms_voice, alert, page, CallOutcome.NO_ANSWER), TOPIC))
    assert any(w.startswith("called Alastair") for w in history(alert.alert_id))


def reply(body: str, sender_number: str = ALASTAIR_PHONE) -> dict:
    return {
        "originationNumber": sender_number,
        "destinationNumber": SUITE_NUMBER,
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": str(uuid.uuid4()),
        "previousPublishedMessageId": "previous-message-id",
    }


@pytest.mark.parametrize("body", ["ACK", "ack", " Ack. "])
def test_a_reply_of_ack_acknowledges_the_open_alert(phone_router, sms_voice, fake_slack, body):
    alert, _ = paged_alert(fake_slack)
    answer = phone_router.invoke(sms_voice.sns_event([reply(body)], TOPIC))
    assert answer["results"][0]["action"] == "acknowledged"
    stored = AlertStore.from_settings().get(alert.alert_id)
    assert stored.acknowledged_by == "U0ALASTAIR"
    assert "acknowledged by <@U0ALASTAIR> by text reply" in history(alert.alert_id)
    assert any("by text reply: re-paging stopped" in t for t in thread_replies(fake_slack, alert))


def test_with_several_alerts_open_ack_needs_the_short_code(phone_router, sms_voice, fake_slack):
    first, _ = paged_alert(fake_slack)
    second, _ = paged_alert(fake_slack)
    refused = phone_router.invoke(sms_voice.sns_event([reply("ACK")], TOPIC))["results"][0]
    assert refused["action"] == "refused" and "matches 2 open alerts" in refused["detail"]
    assert AlertStore.from_settings().get(first.alert_id).acknowledged_at is None

    code = short_code(second.alert_id)
    done = phone_router.invoke(sms_voice.sns_event([reply(f"ack {code.lower()}")], TOPIC))["results"][0]
    assert done["action"] == "acknowledged"
    assert AlertStore.from_settings().get(second.alert_id).acknowledged_by == "U0ALASTAIR"
    assert AlertStore.from_settings().get(first.alert_id).acknowledged_at is None


@pytest.mark.parametrize(
    ("payload", "action"),
    [
        (reply("ACK", "+447700900999"), "refused"),  # not a policy person's number
        (reply("yes please"), "ignored"),
        ({"eventType": "VOICE_RINGING", "context": {}}, "ignored"),
        ({"neither": "kind"}, "rejected"),
        ("not json", "rejected"),
    ],
)
def test_what_is_not_an_acknowledgement_changes_nothing(phone_router, sms_voice, fake_slack, payload, action):
    alert, _ = paged_alert(fake_slack)
    event = sms_voice.sns_event([payload], TOPIC)
    if isinstance(payload, str):
        event["Records"][0]["Sns"]["Message"] = payload
    answer = phone_router.invoke(event)
    assert answer["results"][0]["action"] == action
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_at is None


def test_alarms_on_other_topics_still_go_the_usual_way(phone_router, sms_voice):
    event = sms_voice.sns_event([{"eventType": "VOICE_BUSY"}], "arn:aws:sns:eu-west-2:123456789012:other")
    answer = phone_router.invoke(event)
    assert answer["results"][0]["action"] == "rejected"  # read as an alarm, which it is not
    assert "paging" not in json.dumps(answer)


def test_an_unanswered_call_moves_the_persons_plan_on_at_once(router, sms_voice, monkeypatch):
    """The real wiring, not a recorder: a call nobody answered brings the person's next plan step (in
    business hours, the text and e-mail due at +5 minutes) forward to now."""
    from incident_core.paging.pages import PageKind, PageStatus
    from incident_core.paging.store import PageStore
    from tests.routing_support import event

    monkeypatch.setenv("PAGING_EVENTS_TOPIC_ARN", TOPIC)
    router.module.get_settings.cache_clear()
    runtime = router.module.Runtime(clock=router.clock)
    router.module.runtime = lambda: runtime
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = AlertStore.from_settings().list_open()
    pages = PageStore(AlertStore.from_settings().table)
    [page] = [p for p in pages.for_alert(alert.alert_id) if p.kind == PageKind.PAGE]
    [step] = [p for p in pages.for_alert(alert.alert_id) if p.kind == PageKind.STEP]
    assert step.status == PageStatus.PENDING and step.due_at == start + timedelta(minutes=5)

    router.clock.now = start + timedelta(minutes=1)
    router.invoke(sms_voice.sns_event(call(sms_voice, alert, page, CallOutcome.NO_ANSWER), TOPIC))

    moved = pages.get(alert.alert_id, step.page_id)
    assert moved.status == PageStatus.SENT and moved.sent_at == start + timedelta(minutes=1)
    assert any(
        w.startswith("The call was not answered (no answer): reaching") for w in history(alert.alert_id)
    )
