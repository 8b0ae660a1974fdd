"""The second round's attacker review (issue 10 follow-ups), through the real handlers: what a person
types that is quoted back to them, a form opened from another workspace, a runner fault outside any step,
the same signed request twice, Zoom's answers quoted in the incident thread."""

from __future__ import annotations

import json

import pytest

from incident_core.journeys.templating import StaticSecrets
from incident_core.settings import get_settings
from stand_ins.fake_zoom import ZoomFault
from tests.integration.test_slack_thread import (  # noqa: F401  (fixtures)
    declare,
    replies,
    root_of,
    status_server,
    world,
    zoom_server,
)
from tests.slack_support import SlackApp

OTHER_TEAM = "T0OTHERORG"
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^S0ALL>")
DECEPTIVE = "<https://evil.example|https://status.example.com>"


@pytest.fixture
def app(aws, fake_slack, monkeypatch) -> SlackApp:
    monkeypatch.setenv("INCIDENTS_CHANNEL", "C0INCIDENTS")
    get_settings.cache_clear()
    return SlackApp.start(fake_slack)


def shown(text: str) -> list[str]:
    """Slack tokens in `text` that would ping people or show one link while opening another."""
    return [token for token in (*BROADCASTS, "<https://evil.example") if token in text]


def everything_said(app: SlackApp, answer: dict) -> str:
    """The acknowledgement and every ephemeral answer, as Slack would render them."""
    return json.dumps([answer.get("body"), *app.responses()])


@pytest.mark.parametrize(
    "typed",
    [
        f"{BROADCASTS[0]}now",  # an unknown subcommand, quoted back in the acknowledgement
        f"lead {BROADCASTS[2]}",  # not a person: quoted back
        f"silence add book-viewing {BROADCASTS[3]}{DECEPTIVE} a reason",  # not a time: quoted back
        f"traction add {DECEPTIVE} +2d launch",
    ],
)
def test_what_a_person_typed_is_quoted_back_neutralised(app, typed):
    answer = app.command(typed)
    said = everything_said(app, answer)
    assert app.responses() or answer.get("body"), "something was answered"
    assert shown(said) == [], said


def test_declare_from_another_workspace_opens_no_form(app, fake_slack):
    answer = app.command("declare the API is down", team=OTHER_TEAM)
    assert answer["statusCode"] == 200
    assert fake_slack.calls("views.open") == []
    (refusal,) = app.responses()
    assert refusal["response_type"] == "ephemeral" and OTHER_TEAM in refusal["text"]
    # From its own workspace, anyone may still declare: the form opens at once.
    app.command("declare the API is down", user="U0STRANGER")
    assert len(fake_slack.calls("views.open")) == 1


# ---------------------------------------------------------------------- a fault of the runner itself
TOKEN = "tök/en+&= 42=="


class ClosingBreaks:
    """A requests session whose close fails quoting what it sent (a bug of ours outside any step)."""

    def __init__(self) -> None:
        import requests

        self.session = requests.Session()
        self.sent: list[str] = []

    def request(self, *args, **kwargs):
        self.sent.append(str(kwargs.get("headers")))
        return self.session.request(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.session, name)

    def close(self) -> None:
        self.session.close()
        raise RuntimeError(f"could not close the session that sent {self.sent!r}")


def test_a_runner_fault_outside_any_step_holds_no_form_of_a_secret(caplog):
    from datetime import UTC, datetime

    from incident_core.journeys.engine import JourneyRunner, run_journeys
    from incident_core.journeys.loader import parse_journeys
    from incident_core.journeys.redact import MASK
    from stand_ins.echo_site import EchoSite
    from tests.integration.test_secrets_never_leave import forms

    site = EchoSite().start()
    try:
        journeys = parse_journeys(
            "journeys:\n  - name: closes-badly\n    steps:\n      - name: page\n        request:\n"
            f"          url: {site.url}/echo\n"
            '          headers: {X-Trace: "Bearer ${secret:incident-suite/journeys/echo#token}"}\n'
        ).journeys
        runner = JourneyRunner(
            secrets=StaticSecrets({"secret:incident-suite/journeys/echo#token": TOKEN}),
            session_factory=ClosingBreaks,
        )
        (result,) = run_journeys(runner, journeys, now=datetime.now(UTC), time_budget_s=20, confirm=False)
    finally:
        site.stop()
    assert any(TOKEN.strip() in str(r["headers"]) for r in site.requests), "the secret was used"
    fault = result.runner_fault
    assert fault is not None and "RuntimeError" in fault.reason and MASK in fault.reason
    sinks = {"result": result.model_dump_json(), "logs": caplog.text}
    for sink, text in sinks.items():
        assert [name for name, form in forms(TOKEN).items() if form in text] == [], sink


# ---------------------------------------------------------------------- the same request twice
def stored_windows_and_items() -> int:
    from datetime import UTC, datetime

    from incident_core.actions.store import ActionStore
    from incident_core.policy.store import PolicyStore

    windows, now = PolicyStore.from_settings(), datetime.now(UTC)
    return len(
        windows.list_silences(now) + windows.list_traction(now) + ActionStore.from_settings().list_open()
    )


@pytest.mark.parametrize(
    "typed",
    [
        "silence add book-viewing +2h database upgrade",
        "traction add now +4h launch email",
        "action add a retry to the viewing API",
    ],
)
def test_a_repeated_request_adds_one_window_or_item(app, fake_slack, typed):
    """Lambda retries a failed lazy invocation with the same signed request, and a captured request can
    be replayed within Slack's 5 minutes: the same trigger adds one window or action item, announced
    at most once."""
    from stand_ins.slack_requests import ALASTAIR, slash_command_body

    body = slash_command_body(typed, ALASTAIR, app.channel, "1234.5678.abcdef", app.response_url)
    app.post(body)
    app.post(body)
    assert stored_windows_and_items() == 1
    announced = [c for c in fake_slack.calls("chat.postMessage") if c.args.get("channel") == "C0INCIDENTS"]
    assert len(announced) <= 1


# ---------------------------------------------------------------------- outside systems' text in the thread
def test_zooms_answer_is_shown_in_the_thread_as_text(world, fake_slack):  # noqa: F811
    """Zoom's error message can quote what it was sent (the meeting topic carries the incident's title):
    the thread reply shows it as text, as the root message does."""
    world.zoom.inject("meetings", ZoomFault(400, {"code": 300, "message": f"Invalid topic: {BROADCASTS[0]}"}))
    _, _, incident = declare(world, fake_slack)
    said = json.dumps([*replies(fake_slack, incident), root_of(fake_slack, incident)])
    assert "Invalid topic" in said
    assert shown(said) == [], said[:800]
