"""The journeys file: models, every problem listed with journey/step/field, vars and placeholders."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from incident_core.journeys.config import format_duration, parse_duration
from incident_core.journeys.loader import JourneyFileError, load_journeys_file, parse_journeys
from incident_core.journeys.redact import MASK
from incident_core.journeys.templating import (
    PlaceholderError,
    Renderer,
    SecretRef,
    SecretUnreadable,
    StaticSecrets,
    parse_placeholder,
)

ROOT = Path(__file__).resolve().parents[2]

ISSUE_EXAMPLE = """
journeys:
  - name: book-viewing            # unique, lowercase letters, digits and dashes
    every: 1m                     # how often it runs; default 1m
    steps:
      - name: open catalogue
        request: {method: GET, url: "https://shop.example.com/books", headers: {}, timeout: 10s}
        expect:
          status: 200             # or a list of accepted codes
          max_ms: 2000            # latency budget for this step
          contains: "Books"       # text (or list of texts) the body must contain
          selector: "button#book-viewing"   # CSS selector (or list) that must match in the HTML
      - name: book a viewing
        request: {method: POST, url: "https://api.example.com/viewings", json: {book: 42}}
        expect: {status: 201, json: {"$.status": "confirmed"}}   # JSONPath -> expected value
        save: {viewing_id: "$.id"}        # later steps use ${viewing_id}
"""


def problems_of(text: str, **kwargs) -> list[str]:
    with pytest.raises(JourneyFileError) as raised:
        parse_journeys(text, "test.yaml", **kwargs)
    return [str(problem) for problem in raised.value.problems]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("10s", 10), ("30s", 30), ("1m", 60), ("5m", 300), ("1h", 3600), ("1.5s", 1.5)],
)
def test_durations_parse_with_their_unit(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", [10, "10", "ten seconds", "5 d", True])
def test_durations_without_a_known_unit_are_refused(value):
    with pytest.raises(ValueError, match="unit"):
        parse_duration(value)


def test_durations_format_back_to_their_shortest_form():
    assert [format_duration(parse_duration(t)) for t in ("1h", "5m", "90s", "250ms")] == [
        "1h",
        "5m",
        "90s",
        "250ms",
    ]


def test_the_issue_example_loads_with_its_meaning():
    journeys = parse_journeys(ISSUE_EXAMPLE)
    journey = journeys.journeys[0]
    first, second = journey.steps
    assert (journey.name, journey.every, journey.kind) == ("book-viewing", timedelta(minutes=1), "http")
    assert first.request.timeout == timedelta(seconds=10)
    assert first.expect.status == [200]
    assert first.expect.contains == ["Books"]
    assert first.expect.selector == ["button#book-viewing"]
    assert second.request.method == "POST"
    assert second.request.json_body == {"book": 42}
    assert second.expect.json_values == {"$.status": "confirmed"}
    assert second.save == {"viewing_id": "$.id"}
    assert journeys.settings.per_journey_metrics is False


def test_defaults_apply_when_keys_are_left_out():
    journey = parse_journeys(
        "journeys: [{name: home, steps: [{name: open, request: {url: 'https://x.example'}}]}]"
    ).journeys[0]
    step = journey.steps[0]
    assert journey.every == timedelta(minutes=1)
    assert journey.timeout == timedelta(seconds=20)
    assert (step.request.method, step.request.timeout, step.expect.status) == (
        "GET",
        timedelta(seconds=10),
        None,
    )


def test_every_problem_in_a_file_is_listed_naming_journey_step_and_field():
    listed = problems_of(
        """
settings: {per_journey_metrics: sometimes}
journeys:
  - name: Book_Viewing
    every: 30s
    steps:
      - name: open
        request: {method: FETCH, url: "shop.example.com/books", timeout: 10}
        expect: {status: [200, 999], selector: "button[", expct: 1}
      - name: open
        request: {url: "https://x.example/${viewing_id}"}
        expect: {json: {"status": 1}}
  - name: book-viewing
    timeout: 2m
    steps:
      - name: browse
        goto: "https://x.example"
        click: "#book"
  - name: book-viewing
    steps: []
  - steps: [{name: type, fill: {selector: "#email"}}]
"""
    )
    assert listed == [
        "field settings.per_journey_metrics: input should be a valid boolean, unable to interpret input",
        "journey 'Book_Viewing', field name: 'Book_Viewing': use lowercase letters, digits and dashes "
        "(like book-viewing), at most 64 characters",
        "journey 'Book_Viewing', field every: 30s is shorter than the runner's 1-minute schedule; "
        "use 1m or more",
        "journey 'Book_Viewing', step 'open' (#1), field request.method: 'FETCH' is not an HTTP method "
        "(GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)",
        "journey 'Book_Viewing', step 'open' (#1), field request.url: must start with http:// or https:// "
        "(got 'shop.example.com/books')",
        "journey 'Book_Viewing', step 'open' (#1), field request.timeout: give a duration with a unit, "
        "like 10s, 500ms, 1m or 1h (got 10)",
        "journey 'Book_Viewing', step 'open' (#1), field expect.status: 999 is not an HTTP status code "
        "(100-599)",
        "journey 'Book_Viewing', step 'open' (#1), field expect.selector: 'button[' is not a valid CSS "
        "selector: Malformed attribute selector at position 6",
        "journey 'Book_Viewing', step 'open' (#1), field expect.expct: unknown key 'expct' "
        "(allowed: contains, json, max_ms, selector, status, visible)",
        "journey 'Book_Viewing', step 'open' (#2), field expect.json: 'status' is not a JSONPath: "
        "start it with $ (like $.status)",
        "journey 'Book_Viewing', step 'open' (#2), field name: the name is already used by step #1",
        "journey 'Book_Viewing', step 'open' (#2), field request.url: ${viewing_id} is not defined: no "
        'earlier step saves it (save: {viewing_id: "$.path"}) and vars does not declare it',
        "journey 'book-viewing' (#2), field timeout: 2m is too long: a failed journey runs twice within the "
        "runner's minute, so at most 25s",
        "journey 'book-viewing' (#2), step 'browse': a step does one thing: it has goto and click; "
        "split it into steps",
        "journey 'book-viewing' (#3), field steps: needs at least one item",
        "journey 'book-viewing' (#3), field name: the name is already used by journey #2",
        "journey #4, field name: required",
        "journey #4, step 'type', field fill.value: required",
    ]


def test_a_variable_saved_by_an_earlier_step_may_be_used_but_not_one_saved_later():
    listed = problems_of(
        """
journeys:
  - name: booking
    steps:
      - name: read first
        request: {url: "https://x.example/viewings/${viewing_id}"}
      - name: book
        request: {method: POST, url: "https://x.example/viewings", headers: {X-Trace: "${viewing_id}"}}
        save: {viewing_id: "$.id"}
      - name: read after
        request: {url: "https://x.example/viewings/${viewing_id}"}
"""
    )
    assert [p.split(":")[0] for p in listed] == [
        "journey 'booking', step 'read first', field request.url",
        "journey 'booking', step 'book', field request.headers.X-Trace",
    ]


def test_secret_references_must_name_where_the_runner_may_read():
    listed = problems_of(
        """
journeys:
  - name: login
    steps:
      - name: sign in
        request:
          method: POST
          url: "https://shop.example.com/login"
          json:
            user: "${secret:incident-suite/journeys/shop-login#username}"
            password: "${secret:prod/database#password}"
          headers: {X-Api-Key: "${ssm:/other/api-key}", X-Key: "${ssm:/incident-suite/journeys/api-key}"}
      - name: odd
        request: {url: "https://shop.example.com/${not a name}"}
"""
    )
    assert listed == [
        "journey 'login', step 'sign in', field request.json.password: ${secret:prod/database#password}: "
        "secrets must be under incident-suite/journeys/ (the runner may read only those)",
        "journey 'login', step 'sign in', field request.headers.X-Api-Key: ${ssm:/other/api-key}: SSM "
        "parameters must be under /incident-suite/journeys/ (the runner may read only those)",
        "journey 'login', step 'odd', field request.url: ${not a name} is not a placeholder: use ${name}, "
        "${secret:incident-suite/journeys/...#field} or ${ssm:/incident-suite/journeys/...}",
    ]


def test_steps_are_http_or_browser_and_keep_to_their_own_checks():
    listed = problems_of(
        """
journeys:
  - name: mixed
    steps:
      - name: nothing to do
        expect: {contains: "x"}
      - name: http with visible
        request: {url: "https://x.example"}
        expect: {visible: "#a"}
      - name: browser with json
        click: "#a"
        expect: {json: {"$.a": 1}, status: 200}
        save: {a: "$.a"}
      - name: http with step timeout
        request: {url: "https://x.example"}
        timeout: 5s
"""
    )
    assert [p.split(": ", 1)[1] for p in listed] == [
        "a step needs `request` (HTTP) or a browser action: goto, click, fill, or expect.visible",
        "expect.visible needs a browser step (goto/click/fill); "
        "an HTTP step checks HTML with expect.selector",
        "json, save, status: only for HTTP steps (status also fits goto); a browser step checks with "
        "expect.visible and expect.contains",
        "an HTTP step's timeout goes in request.timeout",
    ]


def test_a_journey_with_any_browser_step_is_a_browser_journey():
    journeys = parse_journeys(
        """
journeys:
  - name: browse
    steps:
      - {name: open, goto: "https://x.example/books", expect: {status: 200}}
      - {name: button shows, expect: {visible: "button#book-viewing"}}
      - {name: call api, request: {url: "https://x.example/api"}}
"""
    )
    assert journeys.journeys[0].kind == "browser"
    assert [step.kind for step in journeys.journeys[0].steps] == ["browser", "browser", "http"]


def test_yaml_errors_and_wrong_shapes_are_reported_not_raised():
    # libyaml and pure-Python PyYAML word it differently; both say where.
    [problem] = problems_of("journeys:\n  - name: a\n    steps: [\n")
    assert re.fullmatch(r"not valid YAML \(line \d, column \d+\): .*node content.*", problem)
    assert problems_of("- a list") == ["the file must be a mapping with a `journeys:` list"]
    assert problems_of("journeys: {name: x}") == ["field journeys: should be a list"]
    assert problems_of("journeys: [nope]") == ["journey #1: should be a mapping (key: value)"]


def test_vars_come_from_overrides_then_environment_then_the_file():
    text = """
vars: {SHOP_URL: "https://shop.example.com", API_URL: "https://api.example.com"}
journeys:
  - name: home
    steps:
      - {name: shop, request: {url: "${SHOP_URL}/books"}}
      - {name: api, request: {url: "${API_URL}/health"}}
"""
    environ = {"SHOP_URL": "http://127.0.0.1:8000", "API_URL": "http://127.0.0.1:9000", "UNRELATED": "x"}
    journeys = parse_journeys(text, overrides={"API_URL": "http://127.0.0.1:9999"}, environ=environ)
    assert [s.request.url for s in journeys.journeys[0].steps] == [
        "http://127.0.0.1:8000/books",
        "http://127.0.0.1:9999/health",
    ]
    assert (
        parse_journeys(text, environ={}).journeys[0].steps[0].request.url == "https://shop.example.com/books"
    )


def test_an_override_for_an_undeclared_var_is_a_problem():
    assert problems_of("vars: {A: x}\njourneys: []", overrides={"B": "y"}, environ={}) == [
        "B is given a value, but the file's vars does not declare it"
    ]


def test_a_missing_file_is_a_problem(tmp_path):
    with pytest.raises(JourneyFileError) as raised:
        load_journeys_file(tmp_path / "nope.yaml")
    assert "cannot read the file: No such file or directory" in str(raised.value)


@pytest.mark.parametrize("path", ["config/journeys.yaml", "demo/journeys.yaml"])
def test_the_shipped_journey_files_are_valid(path):
    journeys = load_journeys_file(ROOT / path, environ={})
    assert journeys.journeys, f"{path} should hold example journeys"


def test_placeholders_parse_into_variables_and_secret_references():
    assert parse_placeholder("viewing_id") == "viewing_id"
    assert parse_placeholder("secret:incident-suite/journeys/shop-login#password") == SecretRef(
        "secret", "incident-suite/journeys/shop-login", "password"
    )
    assert parse_placeholder("secret:incident-suite/journeys/token") == SecretRef(
        "secret", "incident-suite/journeys/token"
    )
    assert parse_placeholder("ssm:/incident-suite/journeys/api-key") == SecretRef(
        "ssm", "/incident-suite/journeys/api-key"
    )
    with pytest.raises(PlaceholderError):
        parse_placeholder("secret:incident-suite/journeys/")


def test_the_renderer_fills_values_keeps_json_types_and_masks_secrets():
    renderer = Renderer(
        StaticSecrets({"secret:incident-suite/journeys/login#password": "hunter2-placeholder"})
    )
    renderer.saved.update({"book_id": 42, "viewing_id": "v-0001"})
    body = renderer.render(
        {
            "book": "${book_id}",
            "note": "book ${book_id}, viewing ${viewing_id}",
            "password": "${secret:incident-suite/journeys/login#password}",
        }
    )
    assert body == {"book": 42, "note": "book 42, viewing v-0001", "password": "hunter2-placeholder"}
    assert renderer.redact("echo: hunter2-placeholder!") == f"echo: {MASK}!"
    with pytest.raises(SecretUnreadable, match="could not read ssm:/incident-suite/journeys/nope"):
        renderer.render("${ssm:/incident-suite/journeys/nope}")
