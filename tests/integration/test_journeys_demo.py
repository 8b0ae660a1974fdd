"""The journeys demo end to end: bookshop, moto, both runners, three ways of breaking the shop."""

import io

import pytest

from demo.journeys_demo import run_journeys_demo

pytestmark = pytest.mark.browser


def test_the_demo_detects_each_breakage_once_and_each_recovery(tmp_path):
    narration = io.StringIO()
    result = run_journeys_demo(out=narration, workdir=tmp_path)
    seen = [
        (
            scenario["title"].strip(),
            sorted(scenario["failed"]),
            [(event["detail-type"], event["detail"]["journey"]) for event in scenario["events"]],
        )
        for scenario in result["scenarios"]
    ]
    failed, recovered = "JourneyFailed", "JourneyRecovered"
    shop, api, browser = "browse-catalogue", "book-viewing-api", "book-viewing-browser"
    assert seen == [
        ("1. All is well", [], []),
        (
            '2. A bad deploy removes the "Book viewing" button',
            [browser, shop],
            [(failed, shop), (failed, browser)],
        ),
        ("a minute later, still broken: recorded, not announced again", [browser, shop], []),
        ("fixed", [], [(recovered, shop), (recovered, browser)]),
        ("3. The booking API fails (500)", [api, browser], [(failed, api), (failed, browser)]),
        ("fixed", [], [(recovered, api), (recovered, browser)]),
        ("4. The catalogue page slows down (1.5 s)", [shop], [(failed, shop)]),
        ("fixed", [], [(recovered, shop)]),
    ]
    text = narration.getvalue()
    assert "'button#book-viewing' is not visible on the page" in text
    assert "nothing on the page matches 'button#book-viewing'" in text
    assert "expected status 201, got 500" in text
    assert "over its 1000 ms budget" in text
    assert (tmp_path / "journey-runner.log").read_text().count('"JourneyRuns"') >= 16  # EMF, 2 runners x 8
