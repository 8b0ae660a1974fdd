"""Slack's side of the Slack app, locally: signed requests in Lambda's documented event envelopes, and
Bolt's lazy self-invocation run in-process.

- `slack_event(...)` wraps a body the way a Lambda Function URL (or an API Gateway HTTP API) delivers
  it: the documented envelope (tests/fixtures/documented/aws_*.json) made a POST, Slack's headers with a
  correctly computed signature (v0=HMAC-SHA256 of "v0:{timestamp}:{body}").
- Bodies follow Slack's documented payloads: the slash-command form body, a block_actions payload
  (sent form-encoded as `payload=<json>`), the Events API callback.
- `InProcessSelfInvoker` is Lambda for the app's lazy self-invocation: the fast path and Bolt's
  LambdaLazyListenerRunner call lambda:InvokeFunction (InvocationType Event) with the request's event
  plus the `x-slack-bolt-lazy-only` / `x-slack-bolt-lazy-function-name` headers through the app's one
  SelfInvoker; this lambda client behind it checks the call as Lambda would and hands the payload to the
  handler in this process (at once, or queued to run later).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = ROOT / "tests" / "fixtures" / "documented"
CHANNEL = "C0INCIDENTS"
ALASTAIR = "U0ALASTAIR"
# The workspace the fake Slack's bot token belongs to (its auth.test): the app refuses other workspaces.
TEAM = "T0FAKE0001"
FUNCTION_URL_ENVELOPE = "aws_lambda_function_url_browser_get.json"
HTTP_API_ENVELOPE = "aws_apigw_http_api_v2_no_authorizer.json"
FORM = "application/x-www-form-urlencoded"


def documented(name: str) -> Any:
    text = (DOCUMENTED / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


def sign(body: str, signing_secret: str, timestamp: int) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def slack_headers(
    body: str,
    signing_secret: str,
    content_type: str = FORM,
    timestamp: int | None = None,
    retry: int | None = None,
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "content-type": content_type,
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": sign(body, signing_secret, timestamp),
    }
    if retry is not None:
        headers["x-slack-retry-num"] = str(retry)
        headers["x-slack-retry-reason"] = "http_timeout"
    return headers


def slack_event(
    body: str,
    headers: dict[str, str],
    envelope: str = FUNCTION_URL_ENVELOPE,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A documented Lambda HTTP event (payload format 2.0) carrying Slack's POST."""
    event = copy.deepcopy(documented(envelope))
    event["requestContext"]["http"]["method"] = "POST"
    event["requestContext"]["http"]["userAgent"] = headers.get("user-agent", "Slackbot")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/"
    kept = {
        k: v for k, v in event["headers"].items() if k in ("host", "x-forwarded-for", "x-forwarded-proto")
    }
    event["headers"] = {
        **kept,
        **{k.lower(): v for k, v in headers.items()},
        "content-length": str(len(body)),
    }
    event["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
    event["isBase64Encoded"] = base64_body
    return event


# ---------------------------------------------------------------------- bodies, after Slack's documented ones
def slash_command_body(
    text: str,
    user: str,
    channel: str,
    trigger_id: str,
    response_url: str,
    command: str = "/incident",
    team: str = TEAM,
    enterprise: str = "",
) -> str:
    fields = dict(parse_qsl(documented("slack_slash_command_body.txt"), keep_blank_values=True))
    fields.update(
        team_id=team,
        enterprise_id=enterprise,
        command=command,
        text=text,
        user_id=user,
        user_name=user.lower(),
        channel_id=channel,
        trigger_id=trigger_id,
        response_url=response_url,
    )
    return urlencode(fields)


def button_body(
    action_id: str,
    value: str,
    user: str,
    message: dict[str, Any],
    channel: str,
    response_url: str,
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    block_id: str = "page-actions",
    team: str = TEAM,
) -> str:
    payload = documented("slack_block_actions_button.json")
    payload["team"]["id"] = team
    payload["user"].update(id=user, team_id=team)
    payload["container"] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": channel, "name": "incidents"}
    payload["message"] = message
    payload["trigger_id"] = trigger_id
    payload["response_url"] = response_url
    payload["actions"][0].update(action_id=action_id, value=value, block_id=block_id)
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    callback_id: str, values: dict[str, dict], user: str, view_id: str, metadata: str, team: str = TEAM
) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": team, "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0001",
        "token": "verification-token-placeholder",
        "trigger_id": "13345224609.738474920.8088930838d88f008e1",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def thread_message_body(
    channel: str, thread_ts: str, ts: str, user: str, text: str, event_id: str, **changes: Any
) -> str:
    """An Events API callback for a reply in a thread, shaped like the documented thread reply."""
    callback = _in_workspace(documented("slack_event_callback_thread_reply_message.json"), TEAM)
    event = callback["event"]
    event.update(channel=channel, thread_ts=thread_ts, ts=ts, event_ts=ts, user=user, text=text)
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    callback["event_id"] = event_id
    return json.dumps(callback)


def _in_workspace(callback: dict[str, Any], team: str) -> dict[str, Any]:
    """The documented callback as sent to an app installed in `team` (no Enterprise Grid)."""
    callback.update(team_id=team, enterprise_id=None)
    for authorization in callback.get("authorizations") or []:
        authorization.update(team_id=team, enterprise_id=None)
    event = callback["event"]
    event.update(team=team, user_team=team, source_team=team)
    return callback


def events_body(event: dict[str, Any], event_id: str) -> str:
    callback = _in_workspace(documented("slack_event_callback_thread_reply_message.json"), TEAM)
    callback["event"] = event
    callback["event_id"] = event_id
    return json.dumps(callback)


# ---------------------------------------------------------------------- the functions and a paged alert
def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py as a fresh module (its per-container caches empty)."""
    module_name = f"suite_local_functions.{name}.app"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def page_alert(
    fake_slack: Any,
    *,
    journey: str | None = "book-viewing",
    alarm: str | None = None,
    started: datetime | None = None,
    seen_after: timedelta = timedelta(minutes=1),
    alert_id: str | None = None,
    channel: str = CHANNEL,
) -> tuple[Any, dict[str, Any]]:
    """An open alert stored as the router stores it, and its page posted to the channel in the fake Slack
    (the router's own message, with the validation buttons). Returns the alert and the posted message."""
    from incident_core.alerts.store import AlertStore
    from incident_core.models import Alert, AlertEvent, AlertSource
    from incident_core.paging.messages import slack_message
    from incident_core.paging.pages import Page, PageKind
    from incident_core.policy.model import load_policy

    started = started or datetime.now(UTC) - timedelta(minutes=4)
    alert_id = alert_id or f"alr-{uuid.uuid4().hex[:12]}"
    alert = Alert(
        alert_id=alert_id,
        fingerprint=f"journey:{journey}" if journey else f"alarm:{alarm}",
        title=f"Journey '{journey}' is failing" if journey else f"Alarm {alarm}",
        source=AlertSource.JOURNEY if journey else AlertSource.CLOUDWATCH_EVENTBRIDGE,
        journey=journey,
        alarm_name=alarm,
        state_reason="step 'book viewing': the Book viewing button is missing",
        started_at=started,
        first_seen=started + seen_after,
        last_seen=started + seen_after,
    )
    page = Page(
        page_id=f"{alert_id}-p1", alert_id=alert_id, seq=1, kind=PageKind.PAGE, due_at=alert.first_seen
    )
    alerts = AlertStore.from_settings()
    alerts.open(alert, AlertEvent(at=alert.first_seen, what="raised"), [], notification_id=f"n-{alert_id}")
    paged_at = alert.first_seen + timedelta(milliseconds=1)
    alerts.add_event(alert_id, AlertEvent(at=paged_at, what=f"paged <@{ALASTAIR}>"))
    policy = load_policy(ROOT / "config" / "policy.yaml")
    message = slack_message(alert, page, policy, "channel", ["alastair"])
    posted = _slack_call(
        fake_slack, "chat.postMessage", channel=channel, text=message.text, blocks=message.blocks
    )
    return alert, posted["message"]


def _slack_call(fake_slack: Any, method: str, **args: Any) -> dict[str, Any]:
    """A Web API call as the router makes it (the fake answers any placeholder token)."""
    import urllib.request

    request = urllib.request.Request(
        f"{fake_slack.url}{method}",
        data=json.dumps(args).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": "Bearer xoxb-placeholder",
        },
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


# ---------------------------------------------------------------------- Bolt's lazy self-invocation
# Lambda's limit on an asynchronous invocation's payload was 256 KB (1 MB since 2025): held to the lower.
ASYNC_PAYLOAD_LIMIT = 256 * 1024


class InvokeRefused(Exception):
    """What lambda:InvokeFunction answers a request it refuses (boto3 raises a ClientError)."""


@dataclass
class InProcessSelfInvoker:
    """Lambda for the Slack app's lazy self-invocation, in this process: the lambda client behind the
    app's SelfInvoker (`module.self_invoker().lambda_client`), which both the fast path and Bolt's
    LambdaLazyListenerRunner call. Like lambda:InvokeFunction it takes only this function (its name or
    ARN, with the alias it was invoked through), a JSON payload within the asynchronous size limit and an
    asynchronous invocation (the only kind the app makes); it runs the payload through the handler at
    once, or queues it (`defer`) for `drain()`."""

    handler: Callable[[dict[str, Any], Any], Any]
    context: Any
    defer: bool = False
    payloads: list[dict[str, Any]] = field(default_factory=list)
    queued: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def invoke(
        self, *, FunctionName: str, InvocationType: str = "RequestResponse", Payload: Any = b""
    ) -> Any:
        own = self.context.invoked_function_arn
        if FunctionName not in (own, self.context.function_name):
            raise InvokeRefused(f"ResourceNotFoundException: Function not found: {FunctionName}")
        if InvocationType != "Event":
            raise InvokeRefused(f"the Slack app invokes itself asynchronously only, not {InvocationType!r}")
        raw = Payload.encode() if isinstance(Payload, str) else bytes(Payload)
        if len(raw) > ASYNC_PAYLOAD_LIMIT:
            raise InvokeRefused(f"RequestEntityTooLargeException: {len(raw)} bytes")
        payload = json.loads(raw)  # InvalidRequestContentException if it is not JSON
        self.calls.append({"FunctionName": FunctionName, "InvocationType": InvocationType})
        self.payloads.append(payload)
        if self.defer:
            self.queued.append(payload)
        else:
            self.handler(payload, self.context)
        return {"StatusCode": 202, "Payload": b""}

    def lazy_functions(self) -> list[str]:
        return [p["headers"]["x-slack-bolt-lazy-function-name"] for p in self.payloads]

    def drain(self) -> int:
        ran = 0
        while self.queued:
            self.handler(self.queued.pop(0), self.context)
            ran += 1
        return ran


# ---------------------------------------------------------------------- a person using the Slack app
@dataclass
class SlackAppClient:
    """What Slack sends the Slack app function when people use it: signed requests in the documented
    Lambda envelope, with Bolt's lazy listeners run in-process (see InProcessSelfInvoker)."""

    module: ModuleType
    slack_api_url: str
    runner: InProcessSelfInvoker
    signing_secret: str
    channel: str = CHANNEL

    @classmethod
    def start(
        cls, slack_api_url: str, signing_secret: str, defer_lazy: bool = False, channel: str = CHANNEL
    ) -> SlackAppClient:
        from aws_lambda_powertools.utilities.parameters import clear_caches

        from stand_ins.local_lambda import LambdaContext

        clear_caches()  # the app reads its secret afresh, as a new container would
        module = load_function("slack_app")
        context = LambdaContext(function_name="incident-suite-slack-app")
        runner = InProcessSelfInvoker(module.lambda_handler, context, defer=defer_lazy)
        module.self_invoker().lambda_client = runner
        return cls(module, slack_api_url, runner, signing_secret, channel)

    @property
    def context(self) -> Any:
        return self.runner.context

    @property
    def response_url(self) -> str:
        # The fake Slack records any path; the last segment names the "method".
        return f"{self.slack_api_url}response_url"

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.module.lambda_handler(event, self.context)

    def post(
        self,
        body: str,
        content_type: str = FORM,
        envelope: str = FUNCTION_URL_ENVELOPE,
        base64_body: bool = False,
        **header_options: Any,
    ) -> dict[str, Any]:
        headers = slack_headers(body, self.signing_secret, content_type, **header_options)
        response = self.invoke(slack_event(body, headers, envelope, base64_body))
        _check_acknowledgement(response)
        return response

    def command(
        self, text: str, user: str = ALASTAIR, team: str = TEAM, enterprise: str = "", **options: Any
    ) -> dict[str, Any]:
        trigger_id = f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:16]}"
        body = slash_command_body(
            text, user, self.channel, trigger_id, self.response_url, team=team, enterprise=enterprise
        )
        return self.post(body, **options)

    def click(
        self, action_id: str, value: str, message: dict[str, Any], user: str = ALASTAIR, team: str = TEAM
    ) -> dict[str, Any]:
        trigger_id = f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:16]}"
        body = button_body(
            action_id, value, user, message, self.channel, self.response_url, trigger_id=trigger_id, team=team
        )
        return self.post(body)

    def event(self, callback: str, **options: Any) -> dict[str, Any]:
        return self.post(callback, content_type="application/json", **options)


def _check_acknowledgement(response: dict[str, Any]) -> None:
    """A message in the app's acknowledgement is held to what Slack accepts, as the fake Slack holds
    every Web API payload (stand_ins/slack_rules.py); Slack would show the person an error instead."""
    from stand_ins.slack_rules import check_message

    try:
        answer = json.loads(response.get("body") or "")
    except ValueError:
        return  # an empty or plain-text acknowledgement
    if not isinstance(answer, dict) or "response_action" in answer or not ({"text", "blocks"} & set(answer)):
        return
    refusal = check_message(answer)
    if refusal:
        raise AssertionError(f"Slack would refuse this acknowledgement ({refusal.error}): {refusal.reason}")


# ---------------------------------------------------------------------- re-signing an event
def resign(event: dict[str, Any], signing_secret: str, timestamp: int | None = None) -> dict[str, Any]:
    """The event with a fresh Slack timestamp and signature (Slack refuses signatures older than 5 min)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    signed = copy.deepcopy(event)
    content_type = signed["headers"].get("content-type", FORM)
    signed["headers"].update(slack_headers(body, signing_secret, content_type, timestamp))
    return signed


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m stand_ins.slack_requests",
        description="Re-sign a Slack app event (events/slack_app_*.json) with a signing secret, for "
        "`sam local invoke SlackAppFunction -e -`.",
    )
    parser.add_argument("event", type=Path)
    parser.add_argument("--signing-secret", required=True)
    args = parser.parse_args(argv)
    print(json.dumps(resign(json.loads(args.event.read_text()), args.signing_secret), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
