"""The fast path's reading of a signed request (pure): any body, content type or envelope gives an answer or
None (Bolt's), never an error; requests it does not know are left to Bolt."""

import copy
import json
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from incident_core.incidents.quick_ack import LAZY_BY_ACTION, QuickAck, lazy_payload, quick_ack
from tests.helpers import documented

ENVELOPE = documented("aws_lambda_function_url_browser_get.json")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


def event(body, content_type="application/x-www-form-urlencoded", method="POST", **headers):
    built = copy.deepcopy(ENVELOPE)
    built["requestContext"]["http"]["method"] = method
    built["headers"] = {"content-type": content_type, **headers}
    built["body"] = body
    return built


def button(action_id, **changes):
    payload = {"type": "block_actions", "actions": [{"action_id": action_id, "value": "alr-1"}], **changes}
    return urlencode({"payload": json.dumps(payload)})


@given(
    body=st.one_of(
        st.text(max_size=200),
        JSON_VALUES.map(json.dumps),
        JSON_VALUES.map(lambda value: urlencode({"payload": json.dumps(value)})),
        st.dictionaries(st.sampled_from(["command", "text", "type", "ssl_check"]), st.text(max_size=20)).map(
            urlencode
        ),
    ),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
)
def test_any_body_is_answered_or_left_to_bolt_never_an_error(body, content_type):
    answer = quick_ack(event(body, content_type), body)
    assert answer is None or isinstance(answer, QuickAck)
    if answer is not None:
        response = answer.response()
        assert response["statusCode"] == 200 and response["body"] == answer.body


@given(action_id=st.sampled_from(sorted(LAZY_BY_ACTION)), lazy_header=st.sampled_from(["1", "true", ""]))
def test_the_lazy_invocation_itself_is_always_bolts(action_id, lazy_header):
    body = button(action_id)
    assert quick_ack(event(body), body) == QuickAck("", LAZY_BY_ACTION[action_id])
    assert quick_ack(event(body, **{"X-Slack-Bolt-Lazy-Only": lazy_header}), body) is None
    assert quick_ack(event(body, **{"x-slack-bolt-lazy-function-name": "run_command"}), body) is None


def test_what_bolt_must_serve_is_left_to_it():
    def command(text, name="/incident"):
        return urlencode({"command": name, "text": text, "user_id": "U1"})

    for body in (
        command("declare Search is down"),  # opens a form, checked at once
        command("DECLARE"),
        command("status", name="/other"),  # not ours: Bolt's "unhandled request"
        command("status") + "&ssl_check=1",
        button("alert_snooze"),  # an unknown button
        button("alert_acknowledge", actions=[{"action_id": "alert_acknowledge"}] * 2),
        button("alert_acknowledge", type="interactive_message"),
        urlencode({"payload": json.dumps({"type": "view_submission", "view": {}})}),
        json.dumps({"type": "url_verification", "challenge": "c"}),
        json.dumps({"type": "event_callback", "event": {"type": "message"}}),
        "payload=%7Bnot-json",
    ):
        assert quick_ack(event(body), body) is None, body
    body = command("status")
    assert quick_ack(event(body, method="GET"), body) is None
    assert quick_ack(event(body), body) == QuickAck("", "run_command")


def test_the_lazy_payload_is_the_request_marked_for_its_listener_and_the_request_is_untouched():
    request = event(button("alert_acknowledge"))
    kept = copy.deepcopy(request)
    payload = lazy_payload(request, "acknowledge_alert")
    assert request == kept
    assert payload["headers"] == {
        **kept["headers"],
        "cookie": [],
        "x-slack-bolt-lazy-only": "1",
        "x-slack-bolt-lazy-function-name": "acknowledge_alert",
    }
    assert payload["method"] == "NONE" and payload["body"] == kept["body"]
    assert lazy_payload({**request, "cookies": ["a=b"]}, "x")["headers"]["cookie"] == ["a=b"]
