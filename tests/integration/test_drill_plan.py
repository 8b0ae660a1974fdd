"""`incidentctl drill --page-me U…` walks every step of that person's escalation plan (issue 17): through
the real alert router (stand_ins.local_lambda, the template's rule), its texts and calls to the strict
SMS and Voice v2 stand-in, each marked DRILL, sent once even when the drill is retried, nobody else
reached, and a channel nothing is configured to send reported as skipped."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.aws import client
from incident_core.cli import drill as drill_cli
from incident_core.cli.main import build_parser
from incident_core.clock import frozen_at
from incident_core.policy.store import PolicyStore
from incident_core.settings import get_settings
from stand_ins.local_lambda import LocalSuite
from tests import routing_support
from tests.integration.test_drill import STACK, TEMPLATE
from tests.routing_support import ALASTAIR, CHANNEL
from tests.sms_voice_support import CONFIGURATION_SET, sms_voice, sms_voice_server

__all__ = ["sms_voice", "sms_voice_server"]
routing_env = routing_support.routing_env
urgent_inbox = routing_support.urgent_inbox
SATURDAY_2AM = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
ALASTAIR_PHONE, WISEN_PHONE = "+447700900001", "+447700900002"  # config/policy.yaml's placeholders


@pytest.fixture
def night(routing_env, fake_slack):
    """Saturday 02:00 in a traction moment: a real page would follow the night plan (Slack and a text
    at once, calls at +3 and +10 minutes)."""
    fake_slack.add_channel(CHANNEL)
    with frozen_at(lambda: SATURDAY_2AM):
        start, end = SATURDAY_2AM - timedelta(hours=2), SATURDAY_2AM + timedelta(days=1)
        PolicyStore.from_settings().add_traction(start, end, "launch", "test", SATURDAY_2AM)
        yield


def stack(phone=None, monkeypatch=None) -> LocalSuite:
    """The deployed stack in moto; with `phone` (the stand-in), texts and calls go through it."""
    if phone is not None:
        number_id = next(iter(phone.state.numbers))
        monkeypatch.setenv("PAGING_ORIGINATION_IDENTITY", number_id)
        monkeypatch.setenv("PAGING_CONFIGURATION_SET", CONFIGURATION_SET)
        monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", phone.url)
    get_settings.cache_clear()
    settings = get_settings()
    client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[
            {"ParameterKey": "IncidentsChannel", "ParameterValue": CHANNEL},
            {"ParameterKey": "BusName", "ParameterValue": settings.bus_name},
            {"ParameterKey": "SlackSecretArn", "ParameterValue": settings.slack_secret_id},
        ],
    )
    return LocalSuite(settings.bus_name).wire()


def run(capsys, suite: LocalSuite, *argv: str) -> dict:
    args = build_parser().parse_args(["drill", "--stack", STACK, "--json", "--timeout", "5", *argv])
    code = drill_cli.run_drill(args, wall=lambda: SATURDAY_2AM, sleep=lambda _s: suite.deliver())
    assert code == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def steps_reply(fake_slack) -> str:
    [reply] = [m for m in fake_slack.messages(CHANNEL) if m.get("thread_ts") not in (None, m["ts"])]
    return reply["text"]


def drill_event(drill_id: str) -> dict:
    """DrillRequested as EventBridge delivers it to the router (one delivery, retried as Lambda does)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "DrillRequested",
        "source": "incident-suite",
        "account": "123456789012",
        "time": "2026-11-28T02:00:00Z",
        "region": "eu-west-2",
        "resources": [],
        "detail": {
            "drill_id": drill_id,
            "requested_by": "alastair",
            "requested_at": "2026-11-28T02:00:00Z",
            "page_me": ALASTAIR,
        },
    }


def test_page_me_walks_every_step_of_the_plan_marked_drill_and_reaches_nobody_else(
    night, sms_voice, fake_slack, urgent_inbox, capsys, monkeypatch
):
    suite = stack(sms_voice, monkeypatch)
    report = run(capsys, suite, "--page-me", ALASTAIR)
    assert report["arrived"]

    [text] = sms_voice.texts()
    assert text.destination == ALASTAIR_PHONE and text.body.startswith(f"DRILL {report['drill_id']}: ")
    calls = sms_voice.calls()
    assert [call.destination for call in calls] == [ALASTAIR_PHONE, ALASTAIR_PHONE]  # +3 and +10 minutes
    assert all("This is a drill." in call.body for call in calls)
    [dm] = fake_slack.messages("D0ALASTAIR")
    assert dm["text"].startswith(f"DRILL {report['drill_id']}: you asked to be paged")
    # Nobody else: no DM, text or call to Wisen, no mention in the channel, nothing through SNS.
    assert [call.args["users"] for call in fake_slack.calls("conversations.open")] == [ALASTAIR]
    assert WISEN_PHONE not in {sent.destination for sent in sms_voice.state.sent}
    assert "<@" not in json.dumps(fake_slack.messages(CHANNEL))
    assert all(queue.drain() == [] for queue in urgent_inbox.values())
    reply = steps_reply(fake_slack)
    assert "every step of Alastair's plan (traction moment off hours)" in reply
    for line in ("step 1 (at once) slack: sent", "step 1 (at once) sms: sent", "step 2 (+3 min) call: sent"):
        assert line in reply
    assert "step 3 (+10 min) call: sent" in reply
    assert report["steps"] == [line.removeprefix("• ") for line in reply.splitlines()[1:]]
    assert report["steps"][-1] == "step 3 (+10 min) call: sent"


def test_a_retried_drill_sends_nothing_twice(night, sms_voice, fake_slack, monkeypatch):
    """Slack refuses the DM once: the other steps still go out, then the invocation fails (Lambda retries
    it); the retry posts the DM and sends neither the text nor the calls again."""
    from stand_ins.fake_slack import Fault

    suite = stack(sms_voice, monkeypatch)
    router, event = suite.function("AlertRouterFunction"), drill_event("retried-1")
    fake_slack.inject("conversations.open", Fault(status=200, body={"ok": False, "error": "internal_error"}))
    with pytest.raises(Exception, match="internal_error"):
        router.invoke(event)
    assert fake_slack.messages("D0ALASTAIR") == []
    assert (len(sms_voice.texts()), len(sms_voice.calls())) == (1, 2)

    router.invoke(event)  # Lambda's retry of the same event
    assert (len(sms_voice.texts()), len(sms_voice.calls())) == (1, 2)
    assert len(fake_slack.messages("D0ALASTAIR")) == 1
    reply = steps_reply(fake_slack)
    assert "step 1 (at once) slack: sent" in reply
    assert "step 1 (at once) sms: sent before (a retried drill)" in reply
    assert "step 3 (+10 min) call: sent before (a retried drill)" in reply


def test_a_step_whose_channel_is_not_configured_is_reported_as_skipped(
    night, fake_slack, urgent_inbox, capsys, monkeypatch
):
    """No SMS and Voice number: the text goes through the SNS topic (as a real page's would), marked
    DRILL and to Alastair only; the calls are skipped, and the drill says so."""
    monkeypatch.delenv("PAGING_ORIGINATION_IDENTITY", raising=False)
    suite = stack()
    report = run(capsys, suite, "--page-me", ALASTAIR)
    [texted] = urgent_inbox["alastair"].drain()
    assert f"DRILL {report['drill_id']}" in json.dumps(texted)
    assert urgent_inbox["wisen"].drain() == []
    reply = steps_reply(fake_slack)
    assert "step 1 (at once) sms: sent" in reply
    assert "step 2 (+3 min) call: skipped: no phone caller is configured" in reply
    assert "step 3 (+10 min) call: skipped: no phone caller is configured" in reply
    assert "step 3 (+10 min) call: skipped: no phone caller is configured" in report["steps"]
