"""Property tests of "secrets never leave" (issue 21): random secrets (quotes, %, +, spaces, new lines,
backslashes, non-ASCII; 4 to 200 characters) through the real journey runner's HTTP and Chromium steps,
against a site (stand_ins/echo_site.py `/mirror`) that echoes them in its URL, headers, cookies, a
redirect and its body, in every encoding, after padding that puts them at every offset of the excerpt's
edge. No sink (tests/secret_sinks.py: the stored result, the bus event with the page link, the alert,
the evidence files) holds any form of them.

Each secret holds one of `~äöé€😀`, characters the sinks never hold otherwise, so the oracle's finding is
the secret and not a run id or a word of a reason that happens to spell it."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from incident_core.journeys.browser import BrowserOptions, BrowserSession
from incident_core.journeys.engine import JourneyRunner
from incident_core.journeys.evidence import DirectoryEvidence
from incident_core.journeys.loader import parse_journeys
from incident_core.journeys.redact import MIN_LENGTH
from incident_core.journeys.templating import StaticSecrets
from stand_ins.echo_site import EchoSite
from tests.secret_sinks import NOW, decoded, leaks

REF = "incident-suite/journeys/prop#value"
RARE = "~äöé€😀"
ALPHABET = st.sampled_from([*"aZ09'\"%+ \n\t&<>/=?;:\\", *RARE, "%41", "%2D", "&amp;", "\\n", "%25"])
SECRETS = (
    st.lists(ALPHABET, min_size=2, max_size=80)
    .map("".join)
    .map(lambda text: text[:200])
    .filter(lambda text: len(text) >= 4 and any(c in text for c in RARE))
    .filter(lambda text: len(decoded(text)) >= MIN_LENGTH)
)
PADDING = st.integers(min_value=0, max_value=620)
EXCERPT = st.sampled_from([60, 200, 500])
SETTINGS = settings(
    deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def site() -> Iterator[EchoSite]:
    server = EchoSite().start()
    yield server
    server.stop()


class _SharedChromium:
    """One chromium for the whole module (launching one per example would take most of the time);
    each journey run still gets its own context (cookies) and page, as with its own browser."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        options = BrowserOptions.from_environment()
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=options.executable_path, args=list(options.args), headless=True
        )

    def session(self) -> BrowserSession:
        shared = self

        class Session(BrowserSession):
            @property
            def page(self):
                if self._page is None:
                    self._browser = shared.browser
                    self._page = self.watched(shared.browser.new_context().new_page())
                return self._page

            def close(self) -> None:
                if self._page is not None:
                    self._page.context.close()
                self._page = self._browser = None

        return Session(BrowserOptions(executable_path=None))

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[_SharedChromium]:
    shared = _SharedChromium()
    yield shared
    shared.close()


class _Runner(JourneyRunner):
    chromium: _SharedChromium | None = None

    def _new_browser(self) -> BrowserSession:
        assert self.chromium is not None
        return self.chromium.session()


def run(site: EchoSite, step: dict, secret: str, excerpt_chars: int, chromium=None):
    evidence_dir = Path(tempfile.mkdtemp(prefix="secrets-prop-"))
    text = json.dumps({"journeys": [{"name": "mirror", "steps": [step]}]}).replace("SITE", site.url)
    runner = _Runner(
        secrets=StaticSecrets({f"secret:{REF}": secret}),
        evidence=DirectoryEvidence(evidence_dir),
        excerpt_chars=excerpt_chars,
    )
    runner.chromium = chromium
    try:
        # In this thread (Playwright's sync API stays on the thread that started it): the runner's run,
        # as run_journeys calls it in each journey's thread.
        [journey] = parse_journeys(text).journeys
        result = runner.run(journey, now=NOW, deadline=time.perf_counter() + 30, confirm=False)
        return result, leaks(secret, result, evidence_dir)
    finally:
        shutil.rmtree(evidence_dir, ignore_errors=True)


HTTP_PLACES = {
    "query": lambda pad, hop: {
        "url": "SITE/mirror",
        "params": {"s": f"${{secret:{REF}}}", "pad": str(pad), "hop": str(hop)},
    },
    "form": lambda pad, hop: {
        "method": "POST",
        "url": f"SITE/mirror?pad={pad}",
        "data": {"s": f"${{secret:{REF}}}"},
    },
    "header": lambda pad, hop: {
        "url": f"SITE/mirror?pad={pad}&hop={hop}",
        "headers": {"Authorization": f"Bearer ${{secret:{REF}}}"},
    },
}


@settings(SETTINGS, max_examples=60)
@given(
    secret=SECRETS,
    place=st.sampled_from(sorted(HTTP_PLACES)),
    pad=PADDING,
    hop=st.sampled_from([0, 1]),
    excerpt_chars=EXCERPT,
)
@example(secret="pa%41ss%2Dword-77~", place="query", pad=471, hop=0, excerpt_chars=500)
@example(secret="AKIA€\nwJalrXUtn", place="form", pad=0, hop=0, excerpt_chars=500)
def test_no_http_step_lets_any_form_of_a_random_secret_out(site, secret, place, pad, hop, excerpt_chars):
    step = {"name": "mirror", "request": {**HTTP_PLACES[place](pad, hop), "timeout": "5s"}}
    result, found = run(site, step, secret, excerpt_chars)
    assert not result.ok and not result.failed_step.runner_fault, result.failed_step
    assert found == {}, (result.failed_step, found)


@pytest.mark.browser
@settings(SETTINGS, max_examples=25)
@given(secret=SECRETS, pad=PADDING, hop=st.sampled_from([0, 1]), excerpt_chars=EXCERPT)
@example(secret="k3y'with!quote-99~", pad=0, hop=0, excerpt_chars=500)
def test_no_browser_step_lets_any_form_of_a_random_secret_out(
    site, chromium, secret, pad, hop, excerpt_chars
):
    step = {"name": "mirror", "goto": f"SITE/mirror?pad={pad}&hop={hop}&s=${{secret:{REF}}}", "timeout": "5s"}
    result, found = run(site, step, secret, excerpt_chars, chromium)
    assert not result.ok and not result.failed_step.runner_fault, result.failed_step
    assert found == {}, (result.failed_step, found)
