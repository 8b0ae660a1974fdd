"""What a cold Slack app container loads to acknowledge a request. A fresh process, as Lambda's, serves one
signed request against moto and the fake Slack, with a local Lambda recording the lazy hand-off (and, when
asked, running it in the same process as the invocation Lambda would start).

The buttons and `/incident` (but declare) are acknowledged by the fast path: neither Bolt nor slack_sdk nor
pydantic is loaded. Everything else goes to Bolt, which hands its lazy work off through the same
SelfInvoker. A forged signature is refused before anything is loaded."""

import json
import os
import subprocess
import sys
import time

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.models import AlertStatus
from stand_ins.slack_requests import (
    CHANNEL,
    FUNCTION_URL_ENVELOPE,
    button_body,
    events_body,
    slack_event,
    slack_headers,
    slash_command_body,
    view_submission_body,
)
from tests.slack_support import ALASTAIR, SIGNING_SECRET, page_alert

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUNCTION = "incident-suite-test-slack-app"
LIVE_ARN = f"arn:aws:lambda:eu-west-2:123456789012:function:{FUNCTION}:live"  # invoked through the alias
STRANGER = "U0STRANGER"  # a member of the workspace, not one of the policy's people
HEAVY = ("slack_bolt", "slack_sdk", "pydantic", "incident_core.models", "incident_core.settings")
FIRST_REQUEST = """
import importlib.util, json, sys
path, event_path, arn, run_lazy, heavy = sys.argv[1:6]
event = json.load(open(event_path))
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("slack_app_handler", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
handed_off = []

class LocalLambda:  # lambda:InvokeFunction, recorded
    def invoke(self, **request):
        handed_off.append({**request, "Payload": json.loads(request["Payload"])})
        return {"StatusCode": 202}

module.self_invoker().lambda_client = LocalLambda()

class Context:
    function_name = arn.split(":")[6]
    invoked_function_arn = arn
    memory_limit_in_mb = 256
    aws_request_id = "cold-path-test"

response = module.lambda_handler(event, Context())
loaded = [name for name in json.loads(heavy) if name in sys.modules]
lazy = []
if run_lazy == "run":  # the invocation Lambda starts: Bolt dispatches it, permission guard first
    lazy = [module.lambda_handler(call["Payload"], Context()) for call in handed_off]
print(json.dumps({"response": response, "handed_off": handed_off, "loaded": loaded, "lazy": lazy}))
"""


def first_request_in_a_fresh_process(event, tmp_path, run_lazy=False):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_REQUEST,
            f"{ROOT}/functions/slack_app/app.py",
            str(path),
            LIVE_ARN,
            "run" if run_lazy else "record",
            json.dumps(HEAVY),
        ],
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def signed(body, content_type="application/x-www-form-urlencoded", **options):
    return slack_event(
        body, slack_headers(body, SIGNING_SECRET, content_type, **options), FUNCTION_URL_ENVELOPE
    )


def click(action_id, response_url, user=ALASTAIR, value="alr-cold", page=None):
    page = page or {"ts": "1700000000.000100", "text": "page", "blocks": []}
    return signed(button_body(action_id, value, user, page, CHANNEL, response_url))


def command(text, response_url, user=ALASTAIR):
    return signed(slash_command_body(text, user, CHANNEL, "1.2.cold", response_url))


@pytest.mark.parametrize(
    ("what", "lazy"),
    [
        ("alert_acknowledge", "acknowledge_alert"),
        ("alert_real_incident", "declare_from_alert"),
        ("action_done", "mark_action_done"),
        ("status", "run_command"),
        ("note rolled back", "run_command"),
        ("help", None),
        ("note", None),  # a missing argument, answered at once
    ],
)
def test_buttons_and_commands_are_acknowledged_without_bolt_slack_sdk_or_pydantic(
    aws, fake_slack, tmp_path, what, lazy
):
    response_url = f"{fake_slack.url}response_url"
    event = (
        click(what, response_url) if what.startswith(("alert_", "action_")) else command(what, response_url)
    )

    result = first_request_in_a_fresh_process(event, tmp_path)

    assert result["loaded"] == []  # loaded by the lazy invocation, which does the work
    assert result["response"]["statusCode"] == 200
    if lazy is None:
        assert result["handed_off"] == []  # the acknowledgement said it all
        assert result["response"]["body"]
    else:
        ((call),) = result["handed_off"]
        assert (call["FunctionName"], call["InvocationType"]) == (LIVE_ARN, "Event")
        assert call["Payload"]["headers"]["x-slack-bolt-lazy-only"] == "1"
        assert call["Payload"]["headers"]["x-slack-bolt-lazy-function-name"] == lazy
        assert result["response"]["body"] == ""
    if what == "help":
        assert "`/incident` commands" in result["response"]["body"]
    assert fake_slack.calls() == []  # no auth.test, nothing said before the work


@pytest.mark.parametrize(
    "what", ["declare", "view_submission", "thread_reply", "unknown_button", "lazy_only"]
)
def test_everything_else_still_goes_to_bolt_which_hands_off_through_the_same_invoker(
    aws, fake_slack, tmp_path, what
):
    response_url = f"{fake_slack.url}response_url"
    if what == "declare":
        event = command("declare Search is down", response_url)
    elif what == "view_submission":
        values = {"title": {"title": {"value": "Search is down"}}, "impact": {"impact": {"value": "none"}}}
        event = signed(view_submission_body("incident_declare", values, ALASTAIR, "V0COLD", CHANNEL))
    elif what == "thread_reply":
        reply = {"type": "message", "channel": CHANNEL, "user": ALASTAIR, "text": "hi", "ts": "1.2"}
        event = signed(events_body(reply, "Ev0COLD"), "application/json")
    elif what == "unknown_button":
        event = click("alert_snooze", response_url)
    else:
        event = click("alert_acknowledge", response_url)
        event["headers"].update(
            {"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "acknowledge_alert"}
        )
        event["method"] = "NONE"  # the self-invocation's mark (Bolt's and the fast path's payloads)

    result = first_request_in_a_fresh_process(event, tmp_path)

    assert "slack_bolt" in result["loaded"]
    status = result["response"]["statusCode"]
    assert status == (404 if what == "unknown_button" else 200)  # Bolt's "unhandled request"
    if what == "declare":  # Bolt's own hand-off, through the app's one SelfInvoker
        ((call),) = result["handed_off"]
        assert (call["FunctionName"], call["InvocationType"]) == (LIVE_ARN, "Event")
        assert call["Payload"]["headers"]["x-slack-bolt-lazy-function-name"] == "run_command"
        assert [c.method for c in fake_slack.calls("views.open")] == ["views.open"]
    else:
        assert result["handed_off"] == []


@pytest.mark.parametrize("problem", ["forged", "stale", "missing"])
def test_a_forged_or_stale_signature_gets_401_before_anything_is_loaded(aws, fake_slack, tmp_path, problem):
    event = click("alert_acknowledge", f"{fake_slack.url}response_url")
    if problem == "forged":
        event["headers"]["x-slack-signature"] = "v0=" + "a" * 64
    elif problem == "stale":
        body = event["body"]
        event["headers"].update(slack_headers(body, SIGNING_SECRET, timestamp=int(time.time()) - 301))
    else:
        del event["headers"]["x-slack-signature"]

    result = first_request_in_a_fresh_process(event, tmp_path)

    assert result["response"]["statusCode"] == 401
    assert result["handed_off"] == [] and result["loaded"] == []
    assert fake_slack.calls() == []


def test_a_stranger_acknowledged_by_the_fast_path_is_still_refused_by_the_work(aws, fake_slack, tmp_path):
    alert, page = page_alert(fake_slack)
    calls_before = len(fake_slack.calls())
    event = click("alert_acknowledge", f"{fake_slack.url}response_url", STRANGER, alert.alert_id, page)

    result = first_request_in_a_fresh_process(event, tmp_path, run_lazy=True)

    assert result["response"]["statusCode"] == 200 and result["loaded"] == []  # the fast path's ack
    assert [r["statusCode"] for r in result["lazy"]] == [200]
    (said,) = [call.args for call in fake_slack.calls()[calls_before:]]  # nothing else: no chat.update
    assert said["text"].startswith(":no_entry:") and said["response_type"] == "ephemeral"
    stored = AlertStore.from_settings().get(alert.alert_id)
    assert (stored.status, stored.acknowledged_by) == (AlertStatus.OPEN, None)
