"""HTTP steps against real local servers: the bookshop, and servers that fail in every way a site can."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_core.cli.main import main
from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.evidence import DirectoryEvidence
from incident_core.journeys.loader import load_journeys_file, parse_journeys
from incident_core.journeys.redact import MASK
from incident_core.journeys.templating import StaticSecrets
from stand_ins.faulty_web import ClosingServer, FaultyWeb, unused_port

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def faulty():
    server = FaultyWeb().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def faulty_tls():
    server = FaultyWeb(tls=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def closing():
    server = ClosingServer().start()
    yield server
    server.stop()


def demo_journeys(shop, names=None):
    journeys = load_journeys_file(ROOT / "demo/journeys.yaml", environ={"BOOKSHOP_URL": shop.url}).journeys
    return [j for j in journeys if names is None or j.name in names]


def run(journeys, secrets=None, budget=30.0, evidence=None, confirm=True):
    runner = JourneyRunner(secrets=secrets or StaticSecrets({}), evidence=evidence)
    return run_journeys(runner, journeys, now=NOW, time_budget_s=budget, confirm=confirm)


def one_step(url, expect="{}", request_extra="", timeout="2s"):
    return parse_journeys(
        f"""
journeys:
  - name: probe
    steps:
      - name: fetch
        request: {{url: "{url}", timeout: {timeout} {request_extra}}}
        expect: {expect}
"""
    ).journeys


def test_the_bookshop_journeys_pass_and_a_saved_value_reaches_the_next_step(shop):
    results = run(demo_journeys(shop, {"browse-catalogue", "book-viewing-api"}))
    assert [(r.journey, r.ok, len(r.attempts)) for r in results] == [
        ("browse-catalogue", True, 1),
        ("book-viewing-api", True, 1),
    ]
    booked = results[1].final.steps
    assert [(s.name, s.status) for s in booked] == [("book a viewing", 201), ("read the viewing back", 200)]
    viewing_id = list(shop.viewings)[-1]
    assert booked[1].url == f"{shop.url}/api/viewings/{viewing_id}"
    assert all(step.ms > 0 for step in booked)


def test_breaking_the_shop_fails_the_journey_at_the_right_step_with_evidence(shop, tmp_path):
    shop.remove_button()
    shop.fail_api(500)
    results = run(
        demo_journeys(shop, {"browse-catalogue", "book-viewing-api"}), evidence=DirectoryEvidence(tmp_path)
    )
    catalogue, booking = results
    assert (catalogue.ok, len(catalogue.attempts)) == (False, 2)  # confirmed by a re-run
    assert catalogue.failed_step.name == "book page has the button"
    assert catalogue.failed_step.reason == "nothing on the page matches 'button#book-viewing'"
    assert [s.outcome for s in booking.final.steps] == ["failed", "skipped"]
    assert booking.failed_step.reason == "expected status 201, got 500"
    assert booking.failed_step.excerpt == '{"error": "database unavailable"}'
    assert Path(booking.failed_step.body_uri).read_text() == '{"error": "database unavailable"}'


def test_a_slow_page_fails_its_latency_budget(shop):
    shop.slow_page("/books", ms=1200)
    [result] = run(demo_journeys(shop, {"browse-catalogue"}))
    assert result.failed_step.name == "open catalogue"
    assert result.failed_step.reason.startswith("took 1")
    assert result.failed_step.reason.endswith("ms, over its 1000 ms budget")


def test_a_blip_that_passes_on_the_re_run_is_not_a_failure(shop):
    shop.fail_api(503, times=1)
    [result] = run(demo_journeys(shop, {"book-viewing-api"}))
    assert (result.ok, result.passed_on_retry) == (True, True)
    assert result.attempts[0].failed_step.reason == "expected status 201, got 503"


def test_without_confirmation_a_failure_is_reported_after_one_attempt(shop):
    shop.fail_api(503, times=1)
    [result] = run(demo_journeys(shop, {"book-viewing-api"}), confirm=False)
    assert (result.ok, len(result.attempts)) == (False, 1)


FAULTS = {
    "dns": (
        lambda s: "http://nonexistent.invalid/books",
        "{}",
        "",
        lambda s: "DNS lookup failed: nonexistent.invalid does not resolve",
    ),
    "refused": (
        lambda s: f"http://127.0.0.1:{s['port']}/",
        "{}",
        "",
        lambda s: f"connection refused by 127.0.0.1:{s['port']} (nothing is listening)",
    ),
    "tls": (
        lambda s: f"{s['tls'].url}/ok",
        "{}",
        "",
        lambda s: "TLS error with 127.0.0.1: self-signed certificate",
    ),
    "timeout": (
        lambda s: f"{s['web'].url}/slow?ms=3000",
        "{}",
        "",
        lambda s: "no response from 127.0.0.1 within 500ms step timeout",
    ),
    "redirect loop": (
        lambda s: f"{s['web'].url}/loop",
        "{}",
        "",
        lambda s: f"redirect loop: more than 10 redirects (the last to {s['web'].url}/loop)",
    ),
    "closed connection": (
        lambda s: f"{s['closing'].url}/",
        "{}",
        "",
        lambda s: "127.0.0.1 closed the connection before a complete response",
    ),
    "selector on JSON": (
        lambda s: f"{s['web'].url}/json",
        '{selector: "button#book-viewing"}',
        "",
        lambda s: "expected an HTML page to look for 'button#book-viewing', got application/json",
    ),
    "JSONPath on HTML": (
        lambda s: f"{s['web'].url}/ok",
        '{json: {"$.status": "ok"}}',
        "",
        lambda s: "the response is not JSON (text/html), so cannot check $.status",
    ),
    "slow body": (
        lambda s: f"{s['web'].url}/drip?ms=50",
        "{}",
        "",
        lambda s: "the response did not arrive in full within 500ms step timeout",
    ),
    "missing JSON value": (
        lambda s: f"{s['web'].url}/json",
        '{json: {"$.status": "ok", "$.version": 2}}',
        "",
        lambda s: "$.version is missing from the JSON response",
    ),
    "wrong JSON value": (
        lambda s: f"{s['web'].url}/json",
        '{json: {"$.status": "degraded"}}',
        "",
        lambda s: '$.status is "ok", expected "degraded"',
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_a_failed_step_with_a_plain_reason(fault, faulty, faulty_tls, closing):
    servers = {"web": faulty, "tls": faulty_tls, "closing": closing, "port": unused_port()}
    url, expect, extra, reason = FAULTS[fault]
    timeout = "500ms" if fault in ("timeout", "slow body") else "2s"
    [result] = run(one_step(url(servers), expect, extra, timeout=timeout), confirm=False)
    step = result.failed_step
    assert (step.name, step.outcome) == ("fetch", "failed")
    assert step.reason == reason(servers)


def test_one_broken_journey_never_stops_the_others(shop, closing):
    journeys = parse_journeys(
        f"""
journeys:
  - name: broken-dns
    steps: [{{name: a, request: {{url: "http://nonexistent.invalid/"}}}}]
  - name: hangs-up
    steps: [{{name: a, request: {{url: "{closing.url}/"}}}}]
  - name: healthy
    steps: [{{name: a, request: {{url: "{shop.url}/books"}}, expect: {{contains: Books}}}}]
"""
    ).journeys
    results = run(journeys)
    assert [(r.journey, r.ok) for r in results] == [
        ("broken-dns", False),
        ("hangs-up", False),
        ("healthy", True),
    ]


def test_the_journey_deadline_cuts_the_step_that_would_overrun_it(faulty):
    journeys = parse_journeys(
        f"""
journeys:
  - name: slow-pages
    timeout: 1s
    steps:
      - {{name: first, request: {{url: "{faulty.url}/slow?ms=700", timeout: 5s}}}}
      - {{name: second, request: {{url: "{faulty.url}/slow?ms=700", timeout: 5s}}}}
      - {{name: third, request: {{url: "{faulty.url}/ok"}}}}
"""
    ).journeys
    [result] = run(journeys, confirm=False)
    assert [s.outcome for s in result.final.steps] == ["passed", "failed", "skipped"]
    assert result.failed_step.reason == "no response from 127.0.0.1 within 1s journey deadline"


class HangingSecrets:
    """A secrets store that never answers in time (the step cannot enforce a timeout on it)."""

    def resolve(self, ref):
        time.sleep(5)
        return "late"


def test_a_journey_stuck_past_the_runners_budget_is_reported_and_the_rest_return(shop):
    journeys = parse_journeys(
        f"""
journeys:
  - name: stuck
    steps:
      - name: a
        request: {{url: "{shop.url}/books", headers: {{X: "${{ssm:/incident-suite/journeys/k}}"}}}}
"""
    ).journeys
    [result] = run(journeys, secrets=HangingSecrets(), budget=1.0)
    assert (result.ok, result.failed_step.name) == (False, "(whole journey)")
    assert result.failed_step.reason == "did not finish within the runner's 1 s; a step may hang"


def test_secrets_are_sent_but_never_recorded(shop, tmp_path):
    password = "placeholder-secret-value-123"
    secrets = StaticSecrets({"secret:incident-suite/journeys/shop-login#password": password})
    journeys = parse_journeys(
        f"""
journeys:
  - name: login
    steps:
      - name: book with a secret
        request:
          method: POST
          url: "{shop.url}/api/viewings?key=${{secret:incident-suite/journeys/shop-login#password}}"
          json: {{book: 42, email: "${{secret:incident-suite/journeys/shop-login#password}}"}}
        expect: {{status: 200}}
"""
    ).journeys
    [result] = run(journeys, secrets=secrets, evidence=DirectoryEvidence(tmp_path), confirm=False)
    step = result.failed_step
    assert list(shop.viewings.values())[-1]["email"] == password  # the shop got the real value
    assert password not in step.excerpt and MASK in step.excerpt
    assert step.url == f"{shop.url}/api/viewings?key={MASK}"
    kept = Path(step.body_uri).read_text()
    assert password not in kept and MASK in kept
    assert password not in result.model_dump_json()


def test_an_unreadable_secret_is_a_runner_fault_said_plainly(shop):
    journeys = parse_journeys(
        f"""
journeys:
  - name: login
    steps:
      - name: a
        request: {{url: "{shop.url}/books", headers: {{X: "${{ssm:/incident-suite/journeys/k}}"}}}}
"""
    ).journeys
    [result] = run(journeys, confirm=False)
    assert result.outcome == "runner-fault"  # the suite's set-up failed, not the site
    assert (
        result.runner_fault.reason
        == "could not read ssm:/incident-suite/journeys/k: no value for ssm:/incident-suite/journeys/k"
    )


def test_incidentctl_run_reports_per_step_and_exits_by_outcome(shop, tmp_path, capsys):
    args = ["journeys", "run", str(ROOT / "demo/journeys.yaml"), "--var", f"BOOKSHOP_URL={shop.url}"]
    args += ["--journey", "book-viewing-api", "--evidence-dir", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("PASS  book-viewing-api  (2 steps")
    assert out.rstrip().endswith("1 journey(s): 1 passed, 0 failed")

    shop.fail_api(500)
    assert main([*args, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["failed"] == ["book-viewing-api"]
    assert document["journeys"][0]["reason"] == "expected status 201, got 500"

    assert main([*args[:5], "--journey", "no-such-journey"]) == 2
    assert "no journey named no-such-journey" in capsys.readouterr().err


def test_a_saved_number_goes_into_headers_and_query_as_text_and_into_json_as_a_number(shop):
    journeys = parse_journeys(
        f"""
journeys:
  - name: reuse
    steps:
      - name: book
        request: {{method: POST, url: "{shop.url}/api/viewings", json: {{book: 42}}}}
        expect: {{status: 201}}
        save: {{book: "$.book"}}
      - name: book again
        request:
          method: POST
          url: "{shop.url}/api/viewings"
          headers: {{X-Book: "${{book}}"}}
          params: {{book: "${{book}}"}}
          json: {{book: "${{book}}", email: "book ${{book}}"}}
        expect: {{status: 201, json: {{"$.book": 42, "$.email": "book 42"}}}}
"""
    ).journeys
    [result] = run(journeys, confirm=False)
    # A number in a header would make requests refuse the request (InvalidHeader): it went as text.
    assert result.ok, result.failed_step
    assert list(shop.viewings.values())[-1]["book"] == 42
