"""The Slack app's fast path (pure): the acknowledgements that need nothing looked up, answered without
Bolt, slack_sdk or pydantic (their imports and the Bolt app are most of a cold acknowledgement).

After the handler has checked the signature, `quick_ack` recognises
- a page's button or an action item's Done button (block_actions with one action of `LAZY_BY_ACTION`):
  an empty 200, the lazy listener handed off;
- `/incident <sub>` other than `declare` (whose acknowledgement opens a form and is permission-checked at
  once): help, an unknown subcommand or a missing argument are answered as Bolt's listener answers them,
  nothing handed off (the lazy listener would return at once); any other an empty 200 and `run_command`
  handed off;
and gives None for everything else, which Bolt serves as before. Each answer is what Bolt's AWS Lambda
adapter returns for the same request (`to_aws_response`: status, body, first headers), and the hand-off
is Bolt's documented lazy self-invocation (`lazy_payload`), so that Bolt, in the invocation that does the
work, runs the same listener, permission guard first, as if it had acknowledged the request itself.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from incident_core.incidents.acks import answer_at_once, parse

# Bolt's lazy listeners (their function names in slack_app.py) by the button that starts them.
LAZY_BY_ACTION = {
    "alert_acknowledge": "acknowledge_alert",
    "alert_real_incident": "declare_from_alert",
    "alert_false_alarm": "mark_false_alarm",
    "action_done": "mark_action_done",
    "change_revert": "request_revert",
}
RUN_COMMAND = "run_command"
COMMAND = "/incident"
LAZY_ONLY = "x-slack-bolt-lazy-only"
LAZY_FUNCTION_NAME = "x-slack-bolt-lazy-function-name"


@dataclass(frozen=True)
class QuickAck:
    body: str
    lazy_function: str | None  # the lazy listener to hand the work to, if any

    def response(self) -> dict[str, Any]:
        """Bolt's answer for this body (BoltResponse's content type rule, to_aws_response's shape)."""
        json_body = self.body.startswith("{")
        content_type = "application/json;charset=utf-8" if json_body else "text/plain;charset=utf-8"
        return {"statusCode": 200, "body": self.body, "headers": {"content-type": content_type}}


def quick_ack(event: dict[str, Any], body: str) -> QuickAck | None:
    """The fast answer to a signed request (`body` is its decoded body), or None when Bolt answers it."""
    headers = {str(name).lower(): value for name, value in (event.get("headers") or {}).items()}
    if LAZY_ONLY in headers or LAZY_FUNCTION_NAME in headers or _method(event) != "POST":
        return None
    payload = _payload(body, headers.get("content-type"))
    if payload is None or "ssl_check" in payload:
        return None
    if "command" in payload:
        return _command(payload) if payload["command"] == COMMAND else None
    if payload.get("type") == "block_actions":
        return _button(payload)
    return None


def _method(event: dict[str, Any]) -> Any:
    """The HTTP method as Bolt's adapter reads it (payload format 2.0, then 1.0)."""
    context = event.get("requestContext") or {}
    if not isinstance(context, dict):
        return None
    http = context.get("http")
    method = http.get("method") if isinstance(http, dict) else None
    return context.get("httpMethod") if method is None else method


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request's body: JSON (Events API), an interaction's form field `payload` (JSON), or the form
    itself (slash commands). Bolt's own parser (slack_bolt.request.internals.parse_body) takes any form
    containing the text "payload" for an interaction's, so `/incident note the payload was too big`, or a
    command from a channel named so, parses as {} and gets a 404: the Bolt app is given this one."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return json.loads(body)
    form = dict(parse_qsl(body, keep_blank_values=True))
    return json.loads(form["payload"]) if "payload" in form else form


def _payload(body: str, content_type: Any) -> dict[str, Any] | None:
    """The body as the Bolt app parses it (parse_body); None if it cannot be parsed."""
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else None
    try:
        parsed = parse_body(body, content_type if isinstance(content_type, str) else None)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _command(payload: dict[str, Any]) -> QuickAck | None:
    text = payload.get("text", "")
    if not isinstance(text, str):
        return None
    command = parse(text)
    if command.name == "declare":
        return None
    answer = answer_at_once(command)
    if answer is None:
        return QuickAck("", RUN_COMMAND)
    text, blocks = answer
    return QuickAck(json.dumps({"text": text, "blocks": blocks}) if blocks else text, None)


def _button(payload: dict[str, Any]) -> QuickAck | None:
    actions = payload.get("actions")
    if not (isinstance(actions, list) and len(actions) == 1 and isinstance(actions[0], dict)):
        return None
    action_id = actions[0].get("action_id")
    lazy = LAZY_BY_ACTION.get(action_id) if isinstance(action_id, str) else None
    return QuickAck("", lazy) if lazy else None


def lazy_payload(event: dict[str, Any], lazy_function: str) -> dict[str, Any]:
    """What Bolt's LambdaLazyListenerRunner sends to lambda:InvokeFunction for `lazy_function`: the request's
    event with the cookie header Bolt's adapter adds, marked lazy-only for that listener."""
    payload = copy.deepcopy(event)
    headers = payload.setdefault("headers", {})
    cookies = payload.get("cookies") or []
    if not cookies:  # payload format 1.0 keeps them in the multi-value headers
        multi = payload.get("multiValueHeaders") or {}
        cookies = multi.get("cookie") or multi.get("Cookie") or []
    headers["cookie"] = cookies
    headers[LAZY_ONLY] = "1"
    headers[LAZY_FUNCTION_NAME] = lazy_function
    payload["method"] = "NONE"
    return payload
