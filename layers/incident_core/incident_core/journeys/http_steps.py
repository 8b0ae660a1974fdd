"""HTTP steps with requests: send, check what came back, and turn every fault into a plain reason.

A step never raises: DNS failures, refused connections, TLS errors, timeouts, redirect loops and bodies
that cannot be checked all become a failed StepResult that says what went wrong in words.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import urlsplit

import requests
from requests import exceptions as rex
from requests.utils import requote_uri
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from incident_core.journeys.config import Expect, Step
from incident_core.journeys.redact import Redactor
from incident_core.journeys.results import StepResult
from incident_core.journeys.templating import PlaceholderError, Renderer

MAX_REDIRECTS = 10
MAX_BODY_BYTES = 5 * 1024 * 1024  # enough for any page a check looks at; protects the runner's memory
USER_AGENT = "incident-suite-journeys/1.0 (synthetic monitoring)"


def new_session() -> requests.Session:
    """One session per journey run: cookies carry from step to step, as in a user's browser."""
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    return session


class _StepFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _TooSlow(Exception):
    pass


def run_http_step(
    session: requests.Session,
    step: Step,
    renderer: Renderer,
    timeout_s: float,
    timeout_label: str,
    excerpt_chars: int = 500,
    keep_body: Callable[[bytes, str], str] | None = None,
) -> StepResult:
    """Run one HTTP step. `keep_body(body, content_type) -> uri` keeps a failed step's whole response."""
    request = step.request
    if request is None:
        raise TypeError(f"step {step.name!r} is not an HTTP step")
    started = time.perf_counter()
    url: str | None = None
    status: int | None = None
    body, content_type, text = b"", "", ""
    redactor = renderer.redactor
    try:
        url = renderer.text(request.url)
        headers = {name: renderer.text(value) for name, value in request.headers.items()}
        params = {name: renderer.text(value) for name, value in request.params.items()}
        # Credentials the step sends, even when written in the file rather than read from a secret.
        redactor.add_url(url)
        redactor.add_headers(headers)
        redactor.add_params(params)
        body_kwargs: dict[str, Any] = {}
        if request.json_body is not None:
            body_kwargs["json"] = renderer.render(request.json_body)
        elif request.data is not None:
            body_kwargs["data"] = renderer.render(request.data)
            if isinstance(body_kwargs["data"], dict):
                redactor.add_params(body_kwargs["data"])
        with session.request(
            request.method,
            url,
            headers=headers,
            params=params,
            timeout=(timeout_s, timeout_s),
            allow_redirects=request.follow_redirects,
            stream=True,
            **body_kwargs,
        ) as response:
            learn_from(redactor, session, response, sent_url=url)
            status = response.status_code
            content_type = response.headers.get("Content-Type", "")
            body = _read_body(response, deadline=started + timeout_s)
            ms = (time.perf_counter() - started) * 1000
            text = body.decode(response.encoding or "utf-8", errors="replace")
            _check(step.expect, response, text, ms, renderer)
            _save(step.save, response, text, renderer)
        return StepResult(name=step.name, kind="http", outcome="passed", ms=ms, status=status, url=url)
    except _StepFailed as failure:
        reason = failure.reason
    except PlaceholderError as error:
        reason = str(error)
    except _TooSlow:
        reason = f"the response did not arrive in full within {timeout_label}"
    except UnicodeEncodeError:  # http.client sends headers as Latin-1; it names the character, not us
        reason = "the request is not valid: a header holds a character HTTP headers cannot carry"
    except rex.RequestException as error:
        if error.response is not None:  # a redirect loop's responses, say
            learn_from(redactor, session, error.response, sent_url=url)
        reason = describe_request_error(error, url or request.url, timeout_label)
    ms = (time.perf_counter() - started) * 1000
    # Masked before it is reshaped (folded, clipped): a secret cut at the excerpt's edge is masked whole.
    # The runner (JourneyRunner.attempt) masks all it records once more; the body is kept now.
    return StepResult(
        name=step.name,
        kind="http",
        outcome="failed",
        ms=ms,
        status=status,
        reason=redactor.text(reason),
        url=redactor.text(url) if url else url,
        excerpt=excerpt(redactor.text(text), excerpt_chars),
        body_uri=_kept(keep_body, body, content_type, renderer),
    )


def learn_from(
    redactor: Redactor, session: requests.Session, response: requests.Response, sent_url: str | None
) -> None:
    """Everything the journey touched: each response of the redirect chain (every Set-Cookie header, not
    requests' joined one, and where it redirected), each request as it was sent (its URL as requests
    re-quoted it, its Cookie header), and the cookies the session holds."""
    for answer in (*response.history, response):
        redactor.add_headers(_all_headers(answer))
        redactor.add_url(answer.headers.get("Location"))
        redactor.add_url(answer.url)
        if answer.request is not None:
            redactor.add_url(answer.request.url)
            redactor.add_headers(answer.request.headers)
    for cookie in session.cookies:
        redactor.add(cookie.value)
    # A secret in the URL is sent as requests re-quotes it (`pa%41ss` goes as `paAss`): learned so.
    for value in redactor.values:
        if sent_url and value in sent_url:
            redactor.add(requote_uri(value))


def _all_headers(response: requests.Response) -> list[tuple[str, str]]:
    """Each header line as the site sent it: requests joins repeated ones (two Set-Cookie become one
    line that reads as the first cookie only)."""
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "getlist"):  # urllib3's HTTPHeaderDict keeps each line
        return [(str(name), str(value)) for name in set(raw.keys()) for value in raw.getlist(name)]
    return list(response.headers.items())


def _kept(
    keep_body: Callable[[bytes, str], str] | None, body: bytes, content_type: str, renderer: Renderer
) -> str | None:
    if keep_body is None or not body:
        return None
    try:
        return keep_body(renderer.redactor.bytes(body), content_type or "application/octet-stream")
    except Exception:  # evidence is a bonus: failing to keep it must not hide the step's failure
        return None


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """The body, within the deadline. Socket timeouts bound each wait, not the whole: a server that
    drips its body a byte at a time would keep a read going for ever, so a timer hangs up on it."""
    watchdog = threading.Timer(max(0.0, deadline - time.perf_counter()), _hang_up, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BODY_BYTES:
                break
    except (rex.RequestException, OSError):
        if time.perf_counter() >= deadline:
            raise _TooSlow from None
        raise
    finally:
        watchdog.cancel()
    if time.perf_counter() > deadline:
        raise _TooSlow
    return b"".join(chunks)


def _hang_up(response: requests.Response) -> None:
    # Reaches into urllib3/http.client for the socket (kept by the connection, or only by the response's
    # file once http.client has let go of a connection that will close); shutting it ends a blocked read.
    connection = getattr(response.raw, "_connection", None)
    body_file = getattr(getattr(response.raw, "_fp", None), "fp", None)
    sock = getattr(connection, "sock", None) or getattr(getattr(body_file, "raw", None), "_sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _check(expect: Expect, response: requests.Response, text: str, ms: float, renderer: Renderer) -> None:
    status = response.status_code
    if expect.status is None:
        if not 200 <= status < 300:
            raise _StepFailed(f"expected a 2xx status, got {status}")
    elif status not in expect.status:
        accepted = " or ".join(str(code) for code in expect.status)
        raise _StepFailed(f"expected status {accepted}, got {status}")
    for needle in expect.contains:
        wanted = renderer.text(needle)
        if wanted not in text:
            raise _StepFailed(f"the response does not contain {wanted!r}")
    if expect.selector:
        _check_selectors([renderer.text(s) for s in expect.selector], response, text)
    if expect.json_values:
        data = _json_body(response, text, "check " + ", ".join(expect.json_values))
        for path, expected in expect.json_values.items():
            found = _find(path, data)
            wanted = renderer.render(expected)
            if found is _MISSING:
                raise _StepFailed(f"{path} is missing from the JSON response")
            if not _same(found, wanted):
                raise _StepFailed(f"{path} is {json.dumps(found)}, expected {json.dumps(wanted)}")
    if expect.max_ms is not None and ms > expect.max_ms:
        raise _StepFailed(f"took {ms:.0f} ms, over its {expect.max_ms} ms budget")


def _check_selectors(selectors: list[str], response: requests.Response, text: str) -> None:
    content_type = response.headers.get("Content-Type", "")
    is_html = "html" in content_type or "xml" in content_type
    if not content_type:
        is_html = text.lstrip()[:1] == "<"
    if not is_html:
        raise _StepFailed(
            f"expected an HTML page to look for {selectors[0]!r}, "
            f"got {content_type.split(';')[0] or 'a body that is not HTML'}"
        )
    from bs4 import BeautifulSoup  # deferred: only journeys with selector checks pay for it

    page = BeautifulSoup(text, "html.parser")
    for selector in selectors:
        if page.select_one(selector) is None:
            raise _StepFailed(f"nothing on the page matches {selector!r}")


def _save(save: dict[str, str], response: requests.Response, text: str, renderer: Renderer) -> None:
    if not save:
        return
    data = _json_body(response, text, "save " + ", ".join(save))
    for name, path in save.items():
        found = _find(path, data)
        if found is _MISSING:
            raise _StepFailed(f"cannot save {name}: {path} is missing from the JSON response")
        renderer.saved[name] = found


def _json_body(response: requests.Response, text: str, purpose: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        content_type = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
        raise _StepFailed(f"the response is not JSON ({content_type}), so cannot {purpose}") from None


_MISSING = object()


@lru_cache(maxsize=256)
def _compiled(path: str) -> Any:
    from jsonpath_ng.ext import parse

    return parse(path)


def _find(path: str, data: Any) -> Any:
    matches = _compiled(path).find(data)
    return matches[0].value if matches else _MISSING


def _same(found: Any, wanted: Any) -> bool:
    """Equal; a string in the file also matches the same value as JSON text ("42" matches 42)."""
    if isinstance(wanted, str) and not isinstance(found, str):
        return not isinstance(found, dict | list) and json.dumps(found) == wanted
    if isinstance(found, bool) or isinstance(wanted, bool):
        return found is wanted  # true is not 1
    return found == wanted


def excerpt(text: str, limit: int) -> str:
    squeezed = " ".join(text.split())
    return squeezed if len(squeezed) <= limit else squeezed[: limit - 1] + "…"


# ---------------------------------------------------------------- faults in plain words


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (requests -> urllib3 -> socket/ssl), each once."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]


def describe_request_error(error: rex.RequestException, url: str, timeout_label: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    causes = list(_causes(error))
    if isinstance(error, rex.TooManyRedirects):
        last = error.response.url if error.response is not None else url
        return f"redirect loop: more than {MAX_REDIRECTS} redirects (the last to {last})"
    if isinstance(error, rex.ConnectTimeout):
        return f"could not connect to {host}:{port} within {timeout_label}"
    if isinstance(error, rex.Timeout) or any(isinstance(c, ReadTimeoutError | TimeoutError) for c in causes):
        return f"no response from {host} within {timeout_label}"
    tls = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
    if isinstance(error, rex.SSLError) or tls is not None:
        detail = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(error)
        return f"TLS error with {host}: {detail}"
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"DNS lookup failed: {host} does not resolve"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"connection refused by {host}:{port} (nothing is listening)"
    if any(isinstance(c, RemoteDisconnected | ConnectionResetError | ProtocolError) for c in causes):
        return f"{host} closed the connection before a complete response"
    if isinstance(error, rex.ChunkedEncodingError | rex.ContentDecodingError):
        return f"the response from {host} was cut off or could not be decoded"
    if isinstance(error, rex.InvalidURL | rex.MissingSchema | rex.InvalidSchema | rex.InvalidHeader):
        return f"the request is not valid: {error}"
    return f"request to {host} failed: {error}"
