"""Browser steps with Playwright (sync API) driving chromium: what only a browser can see.

A page rendered by JavaScript can lose its "Book viewing" button while its HTML looks the same; these
steps (goto, click, fill, expect a selector visible) catch that. Playwright is imported only when a
journey has a browser step, so the HTTP runner's package does not need it. A failed step leaves a
screenshot in the evidence store (S3 on AWS). A browser that cannot start, or dies under a step, is a
runner fault (faults.py), never a failure of the site.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

from incident_core.journeys.config import Step
from incident_core.journeys.evidence import EvidenceStore
from incident_core.journeys.faults import RunnerFault
from incident_core.journeys.http_steps import excerpt
from incident_core.journeys.redact import Redactor
from incident_core.journeys.results import StepResult
from incident_core.journeys.templating import PlaceholderError, Renderer

# Headless and quiet: no GPU, no first-run UI, no background calls home (the network here and in
# Lambda allows only the journeys' own traffic).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DEBIAN_CHROMIUM = "/usr/bin/chromium"

_NET_ERRORS = {
    "ERR_NAME_NOT_RESOLVED": "DNS lookup failed: {host} does not resolve",
    "ERR_CONNECTION_REFUSED": "connection refused by {host} (nothing is listening)",
    "ERR_CONNECTION_RESET": "{host} closed the connection before a complete response",
    "ERR_EMPTY_RESPONSE": "{host} closed the connection before a complete response",
    "ERR_CONNECTION_CLOSED": "{host} closed the connection before a complete response",
    "ERR_TOO_MANY_REDIRECTS": "redirect loop: the browser gave up following redirects",
    "ERR_CONNECTION_TIMED_OUT": "could not connect to {host}",
    "ERR_TIMED_OUT": "no response from {host}",
}


@dataclass(frozen=True)
class BrowserOptions:
    executable_path: str | None
    args: tuple[str, ...] = CHROMIUM_ARGS

    @classmethod
    def from_environment(cls) -> BrowserOptions:
        """CHROMIUM_PATH (else Debian's chromium if present, else Playwright's own build) and
        CHROMIUM_EXTRA_ARGS (the Lambda image adds --single-process and friends)."""
        path = os.environ.get("CHROMIUM_PATH") or (
            DEBIAN_CHROMIUM if os.path.exists(DEBIAN_CHROMIUM) else None
        )
        extra = tuple(shlex.split(os.environ.get("CHROMIUM_EXTRA_ARGS", "")))
        return cls(executable_path=path, args=CHROMIUM_ARGS + extra)


@dataclass
class BrowserSession:
    """One chromium for one journey run: started at its first browser step, closed at its end."""

    options: BrowserOptions
    _playwright: Any = field(default=None, init=False)
    _browser: Any = field(default=None, init=False)
    _page: Any = field(default=None, init=False)
    # Every URL the page or its frames requested or navigated to (each redirect is a request), and the
    # response headers the browser saw, since the step last looked: what the journey touched.
    _touched_urls: list[str] = field(default_factory=list, init=False)
    _touched_headers: list[dict[str, str]] = field(default_factory=list, init=False)

    @property
    def page(self) -> Any:
        if self._page is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=self.options.executable_path, args=list(self.options.args), headless=True
            )
            self._page = self.watched(self._browser.new_context().new_page())
        return self._page

    def watched(self, page: Any) -> Any:
        page.on("request", lambda request: self._touched_urls.append(request.url))
        page.on("framenavigated", lambda frame: self._touched_urls.append(frame.url))
        page.on("response", lambda response: self._touched_headers.append(response.headers))
        return page

    def teach(self, redactor: Redactor) -> None:
        """Tell the redactor what the browser touched since last asked: the query tokens of every URL
        (a redirect to `/home?session_token=…`), sensitive response headers, the final URL, and the value
        of every cookie the sites set (as Set-Cookie does for HTTP steps)."""
        if self._page is None:
            return
        urls, self._touched_urls = [*self._touched_urls, self._page.url], []
        headers, self._touched_headers = self._touched_headers, []
        for url in urls:
            redactor.add_url(url)
        for answer in headers:
            redactor.add_headers(answer)
        with contextlib.suppress(Exception):  # a browser that died has no cookies to give
            for cookie in self._page.context.cookies():
                redactor.add(cookie.get("value"))

    @property
    def started(self) -> bool:
        return self._page is not None

    @property
    def alive(self) -> bool:
        """False once a started chromium has gone (crashed, killed for memory): then nothing a step saw
        says anything about the site."""
        return self._browser is not None and self._browser.is_connected()

    def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._playwright = self._browser = self._page = None
        self._touched_urls, self._touched_headers = [], []
        # A browser that already died has nothing left to close.
        with contextlib.suppress(Exception):
            if browser is not None:
                browser.close()
        with contextlib.suppress(Exception):
            if playwright is not None:
                playwright.stop()


class _StepFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_browser_step(
    browser: BrowserSession,
    step: Step,
    renderer: Renderer,
    timeout_s: float,
    timeout_label: str,
    *,
    evidence: EvidenceStore | None,
    journey: str,
    run_id: str,
    excerpt_chars: int = 500,
) -> StepResult:
    try:
        from playwright.sync_api import Error as PlaywrightError

        # Started before the clock: launching chromium is the runner's cost, not the site's.
        page = browser.page
    except Exception as error:  # no Playwright (the HTTP runner's package), no chromium, no memory
        raise RunnerFault(f"the browser could not start: {_first_line(error)}") from error
    started = time.perf_counter()
    deadline = started + timeout_s
    status: int | None = None
    redactor = renderer.redactor
    # A goto step's URL is recorded as the journey declares it (secrets by name), not as Chromium
    # serialised it; other steps record where the page is.
    declared = renderer.declared(step.goto) if step.goto is not None else None
    try:
        status = _act(page, step, renderer, deadline, timeout_label)
        browser.teach(redactor)
        _check(page, step, renderer, deadline, timeout_label)
        ms = (time.perf_counter() - started) * 1000
        if step.expect.max_ms is not None and ms > step.expect.max_ms:
            raise _StepFailed(f"took {ms:.0f} ms, over its {step.expect.max_ms} ms budget")
        url = declared or redactor.text(page.url)
        return StepResult(name=step.name, kind="browser", outcome="passed", ms=ms, status=status, url=url)
    except _StepFailed as failure:
        reason = failure.reason
    except PlaceholderError as error:
        reason = str(error)
    except PlaywrightError as error:  # the page crashed under the step, or the browser did
        reason = f"the page failed in the browser: {_first_line(error)}"
    if not browser.alive:
        raise RunnerFault(f"the browser died during the step ({redactor.text(reason)})")
    browser.teach(redactor)
    ms = (time.perf_counter() - started) * 1000
    screenshot_uri, text = _evidence(browser, evidence, journey, run_id, step.name, renderer)
    return StepResult(
        name=step.name,
        kind="browser",
        outcome="failed",
        ms=ms,
        status=status,
        reason=redactor.text(reason),
        url=declared or redactor.text(browser.page.url if browser.started else "") or None,
        excerpt=excerpt(text, excerpt_chars),
        screenshot_uri=screenshot_uri,
    )


def _remaining_ms(deadline: float) -> float:
    return max(1.0, (deadline - time.perf_counter()) * 1000)


def _act(page: Any, step: Step, renderer: Renderer, deadline: float, label: str) -> int | None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if step.goto is not None:
        url = renderer.text(step.goto)
        shown = renderer.declared(step.goto)
        _learn_sent(renderer.redactor, url)
        try:
            response = page.goto(url, timeout=_remaining_ms(deadline), wait_until="load")
        except PlaywrightTimeout:
            raise _StepFailed(f"{shown} did not load within {label}") from None
        except PlaywrightError as error:
            raise _StepFailed(_network_reason(error, shown)) from None
        status = response.status if response is not None else None
        accepted = step.expect.status
        if status is not None and (status not in accepted if accepted else not 200 <= status < 300):
            wanted = " or ".join(map(str, accepted)) if accepted else "a 2xx status"
            raise _StepFailed(f"expected {'status ' if accepted else ''}{wanted}, got {status}")
        return status
    if step.click is not None:
        selector = renderer.text(step.click)
        try:
            page.click(selector, timeout=_remaining_ms(deadline))
        except PlaywrightTimeout:
            raise _StepFailed(
                f"could not click {selector!r}: not on the page, or not clickable, within {label}"
            ) from None
    if step.fill is not None:
        selector = renderer.text(step.fill.selector)
        try:
            page.fill(selector, renderer.text(step.fill.value), timeout=_remaining_ms(deadline))
        except PlaywrightTimeout:
            raise _StepFailed(f"could not fill {selector!r}: no such field within {label}") from None
    return None


def _learn_sent(redactor: Redactor, url: str) -> None:
    """A secret in a URL goes as the browser sends it: URLs lose their tabs and new lines (WHATWG URL),
    so a secret of two lines reaches the site, and its echo, as one."""
    for value in redactor.values:
        if value in url:
            redactor.add(re.sub(r"[\t\n\r]", "", value))


def _check(page: Any, step: Step, renderer: Renderer, deadline: float, label: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for raw in step.expect.visible:
        selector = renderer.text(raw)
        try:
            page.locator(selector).first.wait_for(state="visible", timeout=_remaining_ms(deadline))
        except PlaywrightTimeout:
            raise _StepFailed(f"{selector!r} is not visible on the page (waited {label})") from None
    if step.expect.contains:
        text = page.locator("body").inner_text(timeout=_remaining_ms(deadline))
        for raw in step.expect.contains:
            wanted = renderer.text(raw)
            if wanted not in text:
                raise _StepFailed(f"the page does not show {wanted!r}")


def _evidence(
    browser: BrowserSession,
    evidence: EvidenceStore | None,
    journey: str,
    run_id: str,
    step: str,
    renderer: Renderer,
) -> tuple[str | None, str]:
    """A screenshot (kept in the evidence store) and the page's visible text, masked before it is
    joined, folded and clipped (the runner masks all it records once more), as far as they can be had.

    A screenshot cannot be masked: none is kept of a journey that used a secret (a filled form could
    show it), nor of a page whose text or fields show a value the redactor masks (a token or cookie the
    journey was handed)."""
    if not browser.started:
        return None, ""
    page = browser.page
    try:
        text = page.locator("body").inner_text(timeout=2000)
    except Exception:  # a page that never loaded has no body; the reason already says why
        text = ""
    masked = renderer.redactor.text(text)
    if renderer.used_secret:
        return None, f"(no screenshot: this journey uses a secret) {masked}"
    if renderer.redactor.active and _shows_a_secret(page, renderer.redactor, text, masked):
        return None, f"(no screenshot: the page shows a secret) {masked}"
    if evidence is None:
        return None, masked
    try:
        return evidence.save_screenshot(
            journey, run_id, step, page.screenshot(full_page=True, timeout=5000)
        ), masked
    except Exception as error:  # evidence is a bonus: losing it must not hide the failure
        return None, f"(no screenshot: {_first_line(error)}) {masked}"


def _shows_a_secret(page: Any, redactor: Redactor, text: str, masked: str) -> bool:
    """Whether the page's text or its fields (which show in a screenshot, not in the text) hold a value
    the redactor masks; fields that cannot be read count as holding one."""
    if masked != text:
        return True
    try:
        fields = page.eval_on_selector_all("input, textarea", "all => all.map(field => field.value)")
    except Exception:
        return True
    return any(redactor.text(str(value)) != str(value) for value in fields)


def _first_line(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error)
    return message.strip().splitlines()[0] if message.strip() else type(error).__name__


def _network_reason(error: BaseException, url: str) -> str:
    message = _first_line(error)
    code = re.search(r"net::(ERR_[A-Z_]+)", message)
    host = re.sub(r"^[a-z]+://", "", url).split("/")[0]
    if code and code.group(1) in _NET_ERRORS:
        return _NET_ERRORS[code.group(1)].format(host=host)
    if code and code.group(1).startswith(("ERR_CERT", "ERR_SSL")):
        return f"TLS error with {host}: {code.group(1)}"
    return f"could not open {url}: {message}"
