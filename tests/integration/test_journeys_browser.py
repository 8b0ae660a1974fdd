"""Browser steps in real headless chromium (Debian's), against the bookshop whose button is drawn by
JavaScript: only a browser sees it go. Screenshots of failures land in the (moto) S3 evidence bucket."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_core.adapters.aws import client
from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.evidence import S3Evidence
from incident_core.journeys.loader import load_journeys_file, parse_journeys
from incident_core.journeys.templating import StaticSecrets
from stand_ins.faulty_web import unused_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BUCKET = "incident-suite-test-evidence"


@pytest.fixture
def evidence(aws):
    client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return S3Evidence(BUCKET)


def browser_journey(shop):
    journeys = load_journeys_file(ROOT / "demo/journeys.yaml", environ={"BOOKSHOP_URL": shop.url})
    return [journeys.journey("book-viewing-browser")]


def run(journeys, evidence=None, confirm=False):
    runner = JourneyRunner(secrets=StaticSecrets({}), evidence=evidence)
    return run_journeys(runner, journeys, now=NOW, time_budget_s=40, confirm=confirm)


def test_a_visitor_books_a_viewing_through_the_page(shop):
    [result] = run(browser_journey(shop))
    assert result.ok, result.failed_step
    assert [(s.name, s.outcome) for s in result.final.steps] == [
        ("open catalogue", "passed"),
        ("booking button shows", "passed"),
        ("click book viewing", "passed"),
        ("enter e-mail", "passed"),
        ("confirm", "passed"),
        ("confirmation shows", "passed"),
    ]
    assert result.final.steps[0].status == 200
    assert list(shop.viewings.values())[-1]["email"] == "demo@example.com"  # typed in by the fill step


def test_a_missing_button_fails_with_a_screenshot_in_the_evidence_bucket(shop, evidence):
    shop.remove_button()
    [result] = run(browser_journey(shop), evidence=evidence, confirm=True)
    step = result.failed_step
    assert (result.ok, len(result.attempts), step.name) == (False, 2, "booking button shows")
    assert step.reason == "'button#book-viewing' is not visible on the page (waited 3s step timeout)"
    assert step.excerpt == "Books The Hitchhiker's Guide to the Galaxy Brighton Rock"
    prefix = f"s3://{BUCKET}/screenshots/book-viewing-browser/{result.run_id}/"
    assert step.screenshot_uri == prefix + "booking-button-shows.png"
    stored = client("s3").get_object(Bucket=BUCKET, Key=step.screenshot_uri.removeprefix(f"s3://{BUCKET}/"))
    assert stored["ContentType"] == "image/png"
    assert stored["Body"].read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.evidence().screenshot_uri == step.screenshot_uri


def test_an_api_error_shows_on_the_page_and_fails_the_last_step(shop):
    shop.fail_api(500)
    [result] = run(browser_journey(shop))
    assert result.failed_step.name == "confirmation shows"
    assert "Sorry, we could not book your viewing." in result.failed_step.excerpt


def test_browser_faults_are_plain_reasons(shop):
    port = unused_port()
    journeys = parse_journeys(
        f"""
journeys:
  - name: refused
    steps: [{{name: open, goto: "http://127.0.0.1:{port}/", timeout: 5s}}]
  - name: missing-page
    steps: [{{name: open, goto: "{shop.url}/no-such-page", timeout: 5s}}]
  - name: no-field
    steps:
      - {{name: open, goto: "{shop.url}/books", timeout: 5s}}
      - {{name: type, fill: {{selector: "#nope", value: "x"}}, timeout: 1s}}
"""
    ).journeys
    refused, missing, no_field = run(journeys)
    assert refused.failed_step.reason == "connection refused by 127.0.0.1:" + f"{port} (nothing is listening)"
    assert missing.failed_step.reason == "expected a 2xx status, got 404"
    assert no_field.failed_step.reason == "could not fill '#nope': no such field within 1s step timeout"


def test_a_journey_that_used_a_secret_keeps_no_screenshot_and_masks_the_page(shop, evidence):
    secret = "monitor+ä@example.com"
    ref = "${secret:incident-suite/journeys/shop#email}"
    journeys = parse_journeys(
        f"""
journeys:
  - name: secret-browser
    steps:
      - {{name: open, goto: "{shop.url}/books", timeout: 5s}}
      - {{name: click, click: "button#book-viewing", timeout: 3s}}
      - {{name: type, fill: {{selector: "input#email", value: "{ref}"}}}}
      - {{name: echo, goto: "{shop.url}/no-such-page?who={ref}"}}
"""
    ).journeys
    runner = JourneyRunner(
        secrets=StaticSecrets({"secret:incident-suite/journeys/shop#email": secret}), evidence=evidence
    )
    [result] = run_journeys(runner, journeys, now=NOW, time_budget_s=40, confirm=False)
    step = result.failed_step
    assert step.name == "echo" and step.screenshot_uri is None
    assert step.excerpt.startswith("(no screenshot: this journey uses a secret)")
    assert client("s3").list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    recorded = result.model_dump_json()
    assert secret not in recorded and "monitor%2B%C3%A4" not in recorded
    # The URL as the journey declares it: the secret by its name.
    assert step.url == f"{shop.url}/no-such-page?who=[secret:incident-suite/journeys/shop#email]"
