"""The fast path answers as Bolt does: for the same signed request, the handler's answer (status, body,
headers) and its hand-off (function, invocation type, the lazy payload Bolt's LambdaLazyListenerRunner
sends) equal what Bolt's own path gives, for any `/incident` text and any button. One deliberate
difference: an acknowledgement that says it all (help, an unknown subcommand, a missing argument) hands
nothing off, where Bolt starts `run_command`, which returns at once."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_core.incidents.acks import SUBCOMMANDS, parse
from incident_core.incidents.quick_ack import LAZY_BY_ACTION, quick_ack
from incident_core.settings import get_settings
from stand_ins.local_lambda import LambdaContext, function_in_moto
from stand_ins.slack_requests import (
    CHANNEL,
    HTTP_API_ENVELOPE,
    InProcessSelfInvoker,
    button_body,
    load_function,
    slack_event,
    slack_headers,
    slash_command_body,
)
from tests.slack_support import ALASTAIR, SIGNING_SECRET

CHECKED = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30)
TEXTS = st.one_of(
    WORDS,
    st.tuples(
        st.sampled_from([*SUBCOMMANDS, "STATUS", "Note", "reboot"]),
        st.sampled_from(["", " INC-1a2b", " inc-zz"]),
        st.sampled_from(["", " ", " rolled back", " <!channel> & <@U1>", " " + "x" * 160]),
        WORDS,
    ).map("".join),
)
ACTION_IDS = st.one_of(st.sampled_from(sorted(LAZY_BY_ACTION)), st.text(max_size=20))


@pytest.fixture
def app(aws, fake_slack, monkeypatch):
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    get_settings.cache_clear()
    module = load_function("slack_app")
    context = LambdaContext(function_name="incident-suite-test-slack-app", qualifier="live")
    lambda_ = InProcessSelfInvoker(module.lambda_handler, context, defer=True)  # recorded, never run
    module.self_invoker().lambda_client = lambda_
    return module, lambda_, fake_slack


def both_paths(app, event, context=None):
    """(answer, hand-offs) of the handler (the fast path) and of Bolt's adapter, for the same request."""
    module, lambda_, _ = app
    results = []
    for serve in (module.lambda_handler, module.request_handler().handle):
        lambda_.payloads.clear(), lambda_.calls.clear(), lambda_.queued.clear()
        answer = serve(copy.deepcopy(event), context or lambda_.context)
        results.append((answer, list(zip(lambda_.calls, lambda_.payloads, strict=True))))
    return results


def signed(body, envelope="aws_lambda_function_url_browser_get.json", base64_body=False):
    return slack_event(body, slack_headers(body, SIGNING_SECRET), envelope, base64_body)


@CHECKED
@given(text=TEXTS, envelope=st.sampled_from(["aws_lambda_function_url_browser_get.json", HTTP_API_ENVELOPE]))
def test_a_slash_command_is_answered_and_handed_off_as_bolt_does(app, text, envelope):
    response_url = f"{app[2].url}response_url"
    event = signed(slash_command_body(text, ALASTAIR, CHANNEL, "1.2.fast", response_url), envelope)
    if parse(text).name == "declare":  # opens a form, permission-checked at once: Bolt's
        assert quick_ack(event, event["body"]) is None
        return

    (fast, fast_handed), (bolt, bolt_handed) = both_paths(app, event)

    assert fast == bolt
    assert fast["statusCode"] == 200 and fast["headers"]["content-type"].endswith(";charset=utf-8")
    if fast["body"]:  # it said it all: Bolt's run_command would return at once
        assert fast_handed == [] and [
            p["headers"]["x-slack-bolt-lazy-function-name"] for _, p in bolt_handed
        ] == ["run_command"]
    else:
        assert fast_handed == bolt_handed and len(fast_handed) == 1
        call, payload = fast_handed[0]
        assert call == {"FunctionName": app[1].context.invoked_function_arn, "InvocationType": "Event"}
        assert call["FunctionName"].endswith(":live")
        assert payload["headers"]["x-slack-bolt-lazy-function-name"] == "run_command"


@CHECKED
@given(action_id=ACTION_IDS, base64_body=st.booleans())
def test_a_button_is_answered_and_handed_off_as_bolt_does(app, action_id, base64_body):
    response_url = f"{app[2].url}response_url"
    page = {"ts": "1700000000.000100", "text": "page", "blocks": []}
    body = button_body(action_id, "alr-fast", ALASTAIR, page, CHANNEL, response_url)
    event = signed(body, base64_body=base64_body)
    if action_id not in LAZY_BY_ACTION:  # an unknown button: Bolt's "unhandled request"
        assert quick_ack(event, body) is None
        return

    (fast, fast_handed), (bolt, bolt_handed) = both_paths(app, event)

    assert (
        fast
        == bolt
        == {"statusCode": 200, "body": "", "headers": {"content-type": "text/plain;charset=utf-8"}}
    )
    assert fast_handed == bolt_handed and len(fast_handed) == 1
    assert fast_handed[0][1]["headers"]["x-slack-bolt-lazy-function-name"] == LAZY_BY_ACTION[action_id]


def test_a_hand_off_lambda_refuses_is_a_failure_slack_shows_as_bolt_answers_it(app):
    fake_slack = app[2]
    elsewhere = LambdaContext(function_name="another-function")  # Lambda answers ResourceNotFound
    page = {"ts": "1700000000.000100", "text": "page", "blocks": []}
    click = signed(button_body("alert_acknowledge", "alr-x", ALASTAIR, page, CHANNEL, f"{fake_slack.url}r"))
    command = signed(slash_command_body("status", ALASTAIR, CHANNEL, "1.2.x", f"{fake_slack.url}r"))
    for event in (click, command):
        (fast, fast_handed), (bolt, _) = both_paths(app, event, elsewhere)
        assert fast == bolt and fast["statusCode"] == 500  # never a 200 with the work lost
        assert fast_handed == []


def test_one_lambda_client_hands_off_for_both_paths_and_the_role_lets_it_invoke_the_live_alias(
    aws, fake_slack
):

    name = "incident-suite-dev-slack-app"  # the template's function name (Environment dev)
    context = LambdaContext(function_name=name, qualifier="live")
    assert function_in_moto(name, alias="live") == context.invoked_function_arn
    module = load_function("slack_app")
    page = {"ts": "1700000000.000100", "text": "page", "blocks": []}
    click = signed(button_body("alert_acknowledge", "alr-1", ALASTAIR, page, CHANNEL, f"{fake_slack.url}r"))
    declare = signed(
        slash_command_body("declare Search is down", ALASTAIR, CHANNEL, "1.2.d", f"{fake_slack.url}r")
    )

    assert module.lambda_handler(click, context)["statusCode"] == 200  # fast path: invoked, IAM-checked
    assert module.lambda_handler(declare, context)["statusCode"] == 200  # Bolt's runner: the same client

    invoker_client = module.self_invoker().lambda_client  # the container's one lambda client for the work
    assert invoker_client.meta.service_model.service_name == "lambda"
    assert invoker_client.meta.config.read_timeout < 3  # Slack's 3 seconds
    assert (
        module.request_handler().app.listener_runner.lazy_listener_runner.lambda_client
        is module.self_invoker()
    )
