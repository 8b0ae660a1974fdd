"""The nine-holes review (issue 21), the journey half: a secret changed by Chromium, requests or the
excerpt code before the redactor sees it, and tokens the site hands out where the runner did not look.
Each through the real journey runner against the local echo site (stand_ins/echo_site.py); the browser
ones in real headless chromium. No sink (tests/secret_sinks.py) holds any form of the value."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.evidence import DirectoryEvidence
from incident_core.journeys.loader import parse_journeys
from incident_core.journeys.redact import MASK
from incident_core.journeys.templating import StaticSecrets
from stand_ins.echo_site import EchoSite
from tests.secret_sinks import NOW, leaks

REF = "incident-suite/journeys/site"
QUOTED_KEY = "k3y'with!quote-99"
TWO_LINES = "AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN_36 = "tok-5b2f0c8e-93d1-4a7e-b1c4-2f6d8e9a"
ESCAPED_PATH = "pa%41ss%2Dword-77"
SECRETS = {"key": QUOTED_KEY, "aws": TWO_LINES, "token": TOKEN_36, "path": ESCAPED_PATH}


@pytest.fixture(scope="module")
def site() -> Iterator[EchoSite]:
    server = EchoSite().start()
    yield server
    server.stop()


def run_one(site: EchoSite, steps: str, tmp_path):
    journeys = parse_journeys(
        f"journeys:\n  - name: tried-harder\n    steps:\n{steps}".replace("SITE", site.url)
    ).journeys
    runner = JourneyRunner(
        secrets=StaticSecrets({f"secret:{REF}#{name}": value for name, value in SECRETS.items()}),
        evidence=DirectoryEvidence(tmp_path),
    )
    [result] = run_journeys(runner, journeys, now=NOW, time_budget_s=30, confirm=False)
    assert not result.ok and result.failed_step is not None and not result.failed_step.runner_fault, result
    return result


# ---------------------------------------------------------------------- HTTP steps
def test_a_secret_of_two_lines_echoed_in_an_error_body(site, tmp_path):
    result = run_one(
        site,
        f"""      - name: post
        request: {{method: POST, url: "SITE/form-echo", data: {{key: "${{secret:{REF}#aws}}"}}}}
""",
        tmp_path,
    )
    assert MASK in result.failed_step.excerpt and "cannot use key" in result.failed_step.excerpt
    assert leaks(TWO_LINES, result, tmp_path) == {}


def test_a_secret_cut_at_the_excerpts_edge(site, tmp_path):
    # 471 dots, then the token: the 500-character excerpt ends 28 characters into it.
    result = run_one(
        site,
        f"""      - name: padded
        request:
          url: "SITE/padded?dots=471"
          headers: {{Authorization: "Bearer ${{secret:{REF}#token}}"}}
""",
        tmp_path,
    )
    excerpt = result.failed_step.excerpt
    assert excerpt == "." * 471 + MASK + " rejected"  # masked, then clipped (it now fits)
    assert leaks(TOKEN_36, result, tmp_path) == {}


def test_the_second_cookie_a_site_sets(site, tmp_path):
    result = run_one(site, '      - {name: cookies, request: {url: "SITE/two-cookies"}}\n', tmp_path)
    assert "has expired" in result.failed_step.excerpt
    assert leaks(site.session_cookie, result, tmp_path) == {}


def test_a_secret_with_percent_escapes_in_a_url_path(site, tmp_path):
    result = run_one(
        site, f'      - {{name: path, request: {{url: "SITE/echo/${{secret:{REF}#path}}"}}}}\n', tmp_path
    )
    assert any(r["path"] == "/echo/paAss-word-77" for r in site.requests)  # requests decoded it
    assert leaks(ESCAPED_PATH, result, tmp_path) == {}
    assert leaks("paAss-word-77", result, tmp_path) == {}


# ---------------------------------------------------------------------- browser steps
@pytest.mark.browser
def test_a_browser_steps_url_carrying_a_secret(site, tmp_path):
    result = run_one(
        site,
        f'      - {{name: search, goto: "SITE/search?api_key=${{secret:{REF}#key}}", timeout: 5s}}\n',
        tmp_path,
    )
    assert any("k3y%27with!quote-99" in r["query"] for r in site.requests)  # as Chromium sent it
    step = result.failed_step
    assert step.reason == "expected a 2xx status, got 404"
    # What the journey declared, with the secret shown by its name.
    assert step.url == f"{site.url}/search?api_key=[secret:{REF}#key]"
    assert "No results for api_key=" in step.excerpt
    assert leaks(QUOTED_KEY, result, tmp_path) == {}


@pytest.mark.browser
def test_a_token_in_a_browser_redirect(site, tmp_path):
    result = run_one(site, '      - {name: sign in, goto: "SITE/sign-in", timeout: 5s}\n', tmp_path)
    step = result.failed_step
    assert step.reason == "expected a 2xx status, got 500" and "home is down" in step.excerpt
    assert leaks(site.session_token, result, tmp_path) == {}
    # The page shows the token: a screenshot, which cannot be masked, would too.
    assert step.screenshot_uri is None and step.excerpt.startswith("(no screenshot: the page shows a secret)")


@pytest.mark.browser
def test_a_page_that_shows_no_secret_keeps_its_screenshot_though_it_set_a_cookie(site, tmp_path):
    result = run_one(site, '      - {name: quiet, goto: "SITE/quiet-cookie", timeout: 5s}\n', tmp_path)
    step = result.failed_step
    assert step.excerpt == "sorry, try again later"
    assert step.screenshot_uri is not None and step.screenshot_uri.endswith(".png")
    assert leaks(site.session_cookie, result, tmp_path) == {}
