"""The per-step report people read, its JSON twin, and `incidentctl journeys validate`."""

import json
from datetime import UTC, datetime

from incident_core.cli.main import main
from incident_core.journeys.report import render_json, render_text
from incident_core.journeys.results import Attempt, JourneyResult, StepResult

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def passing_step(name, ms=12.0, status=200, kind="http"):
    return StepResult(name=name, kind=kind, outcome="passed", ms=ms, status=status)


FAILED_STEP = StepResult(
    name="booking button shows",
    kind="browser",
    outcome="failed",
    ms=3004.0,
    reason="'button#book-viewing' is not visible on the page (waited 3s step timeout)",
    url="http://127.0.0.1:8000/books",
    excerpt="Books The Hitchhiker's Guide",
    screenshot_uri="s3://evidence/screenshots/book-viewing/run-1/booking-button-shows.png",
)
FAILED = Attempt(
    ok=False,
    duration_ms=3200.0,
    steps=[
        passing_step("open catalogue", 150.0, kind="browser"),
        FAILED_STEP,
        StepResult(name="click book viewing", kind="browser", outcome="skipped"),
    ],
)
PASSED = Attempt(ok=True, duration_ms=60.0, steps=[passing_step("open catalogue"), passing_step("book page")])
RESULTS = [
    JourneyResult(journey="browse", kind="http", run_id="run-0", ran_at=AT, attempts=[PASSED]),
    JourneyResult(
        journey="book-viewing", kind="browser", run_id="run-1", ran_at=AT, attempts=[FAILED, FAILED]
    ),
    JourneyResult(journey="flaky", kind="browser", run_id="run-2", ran_at=AT, attempts=[FAILED, PASSED]),
]


def test_the_text_report_shows_each_step_and_why_a_journey_failed():
    assert render_text(RESULTS).splitlines() == [
        "PASS  browse  (2 steps, 60 ms)",
        "      ok    open catalogue  http    200       12 ms",
        "      ok    book page       http    200       12 ms",
        "",
        'FAIL  book-viewing  at "booking button shows" (failed twice, 3200 ms)',
        "      re-run:",
        "      ok    open catalogue        browser 200      150 ms",
        "      FAIL  booking button shows  browser   -     3004 ms",
        "              'button#book-viewing' is not visible on the page (waited 3s step timeout)",
        "              url: http://127.0.0.1:8000/books",
        "              excerpt: Books The Hitchhiker's Guide",
        "              screenshot: s3://evidence/screenshots/book-viewing/run-1/booking-button-shows.png",
        "      skip  click book viewing",
        "",
        "PASS  flaky  (2 steps, 60 ms)",
        '      passed on the re-run; the first attempt failed at "booking button shows"',
        "      first attempt:",
        "      ok    open catalogue        browser 200      150 ms",
        "      FAIL  booking button shows  browser   -     3004 ms",
        "              'button#book-viewing' is not visible on the page (waited 3s step timeout)",
        "              url: http://127.0.0.1:8000/books",
        "              excerpt: Books The Hitchhiker's Guide",
        "              screenshot: s3://evidence/screenshots/book-viewing/run-1/booking-button-shows.png",
        "      skip  click book viewing",
        "      re-run:",
        "      ok    open catalogue  http    200       12 ms",
        "      ok    book page       http    200       12 ms",
        "",
        "3 journey(s): 2 passed, 1 failed (book-viewing)",
    ]


def test_the_json_report_carries_every_attempt_and_the_verdict():
    document = json.loads(render_json(RESULTS))
    assert (document["passed"], document["failed"]) == (2, ["book-viewing"])
    failed = document["journeys"][1]
    assert (failed["ok"], failed["failing_step"]) == (False, "booking button shows")
    assert failed["reason"].startswith("'button#book-viewing' is not visible")
    assert len(failed["attempts"]) == 2
    assert failed["attempts"][1]["steps"][2]["outcome"] == "skipped"


def test_validate_accepts_a_good_file(tmp_path, capsys):
    good = tmp_path / "journeys.yaml"
    good.write_text(
        "journeys: [{name: home, every: 5m, steps: [{name: open, request: {url: 'https://x.example'}}]}]"
    )
    assert main(["journeys", "validate", str(good)]) == 0
    assert capsys.readouterr().out.strip() == f"{good}: 1 journey(s) OK: home (http, every 5m)"


def test_validate_refuses_a_bad_file_with_exit_2_and_every_problem(tmp_path, capsys):
    bad = tmp_path / "journeys.yaml"
    bad.write_text(
        "journeys:\n  - name: Home\n    every: 10s\n    steps: [{name: open, request: {url: 'x'}}]\n"
    )
    assert main(["journeys", "validate", str(bad)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{bad}: 3 problem(s)",
        "  - journey 'Home', field name: 'Home': use lowercase letters, digits and dashes "
        "(like book-viewing), at most 64 characters",
        "  - journey 'Home', field every: 10s is shorter than the runner's 1-minute schedule; use 1m or more",
        "  - journey 'Home', step 'open', field request.url: must start with http:// or https:// (got 'x')",
    ]


def test_validate_takes_var_overrides(tmp_path, capsys):
    text = (
        "vars: {URL: 'https://x.example'}\n"
        "journeys: [{name: home, steps: [{name: open, request: {url: '${URL}'}}]}]"
    )
    path = tmp_path / "journeys.yaml"
    path.write_text(text)
    assert main(["journeys", "validate", str(path), "--var", "URL=not-a-url"]) == 2
    assert "must start with http:// or https:// (got 'not-a-url')" in capsys.readouterr().err
    assert main(["journeys", "validate", str(path), "--var", "URL=http://127.0.0.1:9"]) == 0
