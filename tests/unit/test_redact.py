"""The runner's one redaction step (pure): any secret, in any form a site or library turns it into."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

from hypothesis import example, given, settings
from hypothesis import strategies as st

from incident_core.journeys.redact import MASK, REQUOTE_SAFE, Redactor
from incident_core.journeys.results import Attempt, StepResult

FORMS = {
    "raw": lambda s: s,
    "stripped": str.strip,
    "repr": lambda s: repr(s)[1:-1],
    "bytes repr": lambda s: repr(s.encode())[2:-1],
    "json": lambda s: json.dumps(s)[1:-1],
    "json non-ascii": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "quote": lambda s: quote(s, safe=""),
    # Percent-escapes with lowercase hex digits (as some clients write them); the rest of the text as is.
    "quote lower": lambda s: re.sub(r"%[0-9A-F]{2}", lambda escape: escape[0].lower(), quote(s, safe="")),
    "quote_plus": quote_plus,
    "requoted": lambda s: quote(s, safe=REQUOTE_SAFE),
    "html": html.escape,
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64 url unpadded": lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
}
secrets = st.text(min_size=6, max_size=24).filter(lambda s: len(s.strip()) >= 6)


@settings(max_examples=200, deadline=None)
@given(secrets, st.sampled_from(sorted(FORMS)), st.text(max_size=10), st.text(max_size=10))
@example("00000A", "quote lower", "", "")  # letters outside the escapes keep their case
def test_any_secret_in_any_form_is_masked(secret, form, before, after):
    redactor = Redactor()
    redactor.add(secret)
    shown = FORMS[form](secret)
    masked = redactor.text(f"{before}\x00{shown}\x00{after}")
    assert f"\x00{shown}\x00" not in masked
    assert redactor.bytes(f"\x00{shown}\x00".encode()) == f"\x00{MASK}\x00".encode()


def test_sensitive_headers_query_parameters_and_cookies_are_learned():
    redactor = Redactor()
    redactor.add_headers(
        {"Authorization": "Basic dXNlcjpwdw==", "Accept": "text/html", "X-Api-Key": "k-123456"}
    )
    redactor.add_headers([("Set-Cookie", "session=abc123def; Path=/; HttpOnly")])
    redactor.add_url("https://user:hunter2-pw@shop.example.com/cb?code=xyz789&page=2&signature=s1g-value")
    text = "dXNlcjpwdw== k-123456 abc123def hunter2-pw xyz789 s1g-value page=2 text/html"
    assert redactor.text(text) == " ".join([MASK] * 6) + " page=2 text/html"


def test_the_whole_attempt_is_scrubbed():
    redactor = Redactor()
    redactor.add("p äss\n")
    step = StepResult(
        name="log in", kind="http", outcome="failed", reason="header 'p äss\\n'", url="/?pw=p+%C3%A4ss%0A"
    )
    scrubbed = redactor.scrub(Attempt(ok=False, duration_ms=1.0, steps=[step]))
    assert scrubbed.steps[0].reason == f"header '{MASK}'" and scrubbed.steps[0].url == f"/?pw={MASK}"


# Encodings a site, a browser or a library applies, in any order: none of these mixes is a predicted form.
ENCODINGS = {
    "quote": lambda s: quote(s, safe=""),
    "quote lower": lambda s: re.sub(r"%[0-9A-F]{2}", lambda escape: escape[0].lower(), quote(s, safe="")),
    "quote_plus": quote_plus,
    "as Chromium sends a query": lambda s: quote(s, safe="!$&()*+,;=:@/?~"),
    "html": html.escape,
    "html, decimal references": lambda s: "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in s),
    "json": lambda s: json.dumps(s)[1:-1],
    "repr": lambda s: repr(s)[1:-1],
    "bytes repr": lambda s: repr(s.encode())[2:-1],
}


@settings(max_examples=300, deadline=None)
@given(
    secrets,
    st.lists(st.sampled_from(sorted(ENCODINGS)), min_size=1, max_size=3),
    st.text(max_size=10),
    st.text(max_size=10),
)
@example("k3y'with!quote-99", ["as Chromium sends a query"], "", "")
@example("pa%41ss%2Dword-77", ["quote"], "", "")
@example("two\nlines-secret", ["json", "quote", "html"], "", "")
def test_any_secret_under_any_mix_of_encodings_is_masked(secret, encodings, before, after):
    redactor = Redactor()
    redactor.add(secret)
    shown = secret
    for name in encodings:
        shown = ENCODINGS[name](shown)
    masked = redactor.text(f"{before}\x00{shown}\x00{after}")
    assert f"\x00{MASK}\x00" in masked, (shown, masked)
    if redactor.text(before) == before and redactor.text(after) == after:  # nothing else is masked
        assert masked.startswith(f"{before}\x00") and masked.endswith(f"\x00{after}")
