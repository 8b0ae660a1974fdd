"""Secrets never leave the runner: every value that came from `${secret:…}` / `${ssm:…}`, and every value
of a sensitive header or query parameter, is masked in every form a site, a library or a log could turn
it into (docs/journeys.md#secrets-never-leave).

One Redactor per journey attempt learns the values as the steps use them; the runner passes the
attempt's whole result through it (JourneyRunner.attempt) before anything (DynamoDB, the bus, logs,
metrics, Slack, incidentctl) sees it, and the evidence bodies before they are kept.

Two ways of finding a secret, whose matches are all masked:
- what the text says: the text is decoded (canonical.py: URL escapes to a fixed point, HTML character
  references, JSON and Python backslash escapes, so repr, ascii, JSON, quote, quote_plus, twice-encoded,
  either hex case, HTML-escaped and any mix of them) and each secret, decoded the same way, is looked
  for there with any run of whitespace or `+` where it has one; a match masks the span of the original
  text it came from. So forms nobody predicted (Chromium's escaping, a value requests decoded before
  sending) are masked too;
- the common forms as they are (raw, JSON, HTML, quote, quote_plus, requests' requoting), which hold
  even where a neighbouring character would change the decoding, and, for a secret that itself reads
  as escaped, every form once predicted (repr, ascii, bytes repr, twice-encoded, ...); and base64
  (standard and URL-safe, padded or not, and at each of the three alignments inside a longer base64
  text, such as a Basic authorization of `user:password`), which is not an escaping.
Values under MIN_LENGTH characters (decoded, whitespace folded) are not masked: they would mask
ordinary words.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from incident_core.journeys import canonical

MASK = "******"
# Header names whose values are credentials, and name parts that say so (X-Api-Key, X-Auth-Token, ...).
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token"}
)
SENSITIVE_NAME = re.compile(
    r"pass|pwd|secret|token|key|sig|auth|session|cred|cookie|otp|code|private", re.IGNORECASE
)
MIN_LENGTH = 4
MIN_SHIFTED = 6
# What requests (requote_uri) leaves unquoted in a URL it sends: a value in a URL is sent half-encoded.
REQUOTE_SAFE = "!#$&'()*+,/:;=?@[]~"  # base64 of shorter values inside longer texts would match by chance


def is_sensitive_header(name: str) -> bool:
    return name.lower() in SENSITIVE_HEADERS or bool(SENSITIVE_NAME.search(name))


def is_sensitive_param(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name))


def _b64_forms(data: bytes) -> set[str]:
    forms = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        forms |= {whole, whole.rstrip("=")}
        if len(data) < MIN_SHIFTED:
            continue
        for shift in range(3):  # the value's base64 inside a longer text starting `shift` bytes earlier
            encoded = encode(b"\0" * shift + data).decode()
            first = -(-8 * shift // 6)  # the first character made of the value's bits only
            last = 8 * (shift + len(data)) // 6
            forms.add(encoded[first:last])
    return forms


def forms_of(value: str) -> tuple[set[str], set[str]]:
    """(exact forms, URL-encoded forms matched in either hex case) of one secret value, matched in the
    text as it is: the common ones and base64 (not an escaping). A secret that itself reads as escaped
    (`\\n`, `%41`, `&amp;`) loses those characters in canonical.decode; every predicted form of it is
    matched here as well."""
    exact: set[str] = set()
    encoded: set[str] = set()
    thorough = canonical.decode(value).text != value
    for text in {value, value.strip()} - {""}:
        data = text.encode()
        exact |= {text, json.dumps(text)[1:-1], html.escape(text), *_b64_forms(data)}
        once = {quote(text, safe=""), quote(text, safe=REQUOTE_SAFE), quote_plus(text)}
        encoded |= once
        if not thorough:
            continue
        exact |= {
            repr(text)[1:-1],
            ascii(text)[1:-1],
            repr(data)[2:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            json.dumps(text)[1:-1].replace("/", "\\/"),
            html.escape(text, quote=False),
        }
        once |= {quote(text), quote_plus(text, safe="/")}
        twice = {quote(form, safe=safe) for form in once for safe in ("", "/")}
        encoded |= once | twice | {html.escape(form) for form in once}
    return exact - {""}, encoded - exact - {""}


class Redactor:
    """The secret values one attempt used, and their masking. Thread-safe: a step may add while another
    thread of ours reads (the watchdog), and values are only ever added."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._decoded_pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self._values)

    def add(self, value: Any) -> None:
        # Values this short are not credentials, and masking them would mask ordinary words and '/'.
        if not isinstance(value, str) or len(value.strip()) < MIN_LENGTH:
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                self._pattern = None

    def add_header(self, name: str, value: str) -> None:
        if not is_sensitive_header(name):
            return
        self.add(value)
        scheme, _, credentials = value.strip().partition(" ")
        if credentials and scheme.isalpha():  # "Bearer abc", "Basic dXNlcjpwdw=="
            self.add(credentials)
        # Cookie: name=value pairs; Set-Cookie: one pair, then attributes (Path=/, Expires=…) that are not.
        pairs = value.split(";") if name.lower() == "cookie" else value.split(";")[:1]
        if name.lower() in ("cookie", "set-cookie"):
            for part in pairs:
                _, equals, cookie = part.partition("=")
                if equals:
                    self.add(cookie.strip())

    def add_headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in pairs:
            self.add_header(str(name), str(value))

    def add_params(self, params: Mapping[str, Any]) -> None:
        for name, value in params.items():
            if is_sensitive_param(str(name)):
                self.add(str(value))

    def add_url(self, url: str | None) -> None:
        """The values of a URL's sensitive query parameters (and of its user:password, if any)."""
        if not url:
            return
        parts = urlsplit(url)
        self.add(parts.password or "")
        self.add_params(dict(parse_qsl(parts.query, keep_blank_values=False)))

    @property
    def values(self) -> list[str]:
        with self._lock:
            return sorted(self._values)

    def _compiled(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """(the predicted forms, matched in the text as it is; the decoded forms, matched in the text
        decoded by canonical.decode)."""
        with self._lock:
            if self._pattern is None and self._values:
                exact: set[str] = set()
                encoded: set[str] = set()
                decoded: set[str] = set()
                for value in self._values:
                    more_exact, more_encoded = forms_of(value)
                    exact |= more_exact
                    encoded |= more_encoded
                    if len(canonical.folded(value)) >= MIN_LENGTH:
                        decoded.add(canonical.pattern_of(value) or "")
                alternatives = [(len(f), re.escape(f)) for f in exact]
                alternatives += [(len(f), f"(?i:{re.escape(f)})") for f in encoded]
                alternatives.sort(key=lambda pair: -pair[0])  # the longest form first
                # A look-ahead for the forms' first characters lets the engine skip ahead at C speed.
                firsts = {f[0] for f in exact} | {c for f in encoded for c in (f[0].lower(), f[0].upper())}
                lead = "(?=[" + "".join(re.escape(c) for c in sorted(firsts)) + "])"
                self._pattern = re.compile(
                    lead + "(?:" + "|".join(pattern for _, pattern in alternatives) + ")"
                )
                longest_first = sorted(decoded - {""}, key=len, reverse=True)
                self._decoded_pattern = re.compile("|".join(longest_first)) if longest_first else None
            return self._pattern, self._decoded_pattern

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where in `text` a secret is, in any form: sorted, overlapping spans merged."""
        pattern, decoded_pattern = self._compiled()
        if pattern is None or not text:
            return []
        found = [match.span() for match in pattern.finditer(text)]
        if decoded_pattern is not None:
            decoded = canonical.decode(text)
            found += [decoded.span(*match.span()) for match in decoded_pattern.finditer(decoded.text)]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def text(self, text: str) -> str:
        pieces, last = [], 0
        for start, end in self.spans(text):
            pieces += [text[last:start], MASK]
            last = end
        return "".join(pieces) + text[last:] if pieces else text

    def bytes(self, data: bytes) -> bytes:
        if not self.active:
            return data
        # Undecodable bytes become lone surrogates and back, so every other byte is kept as it was,
        # whatever encoding the body claims.
        text = data.decode("utf-8", errors="surrogateescape")
        return self.text(text).encode("utf-8", errors="surrogateescape")

    def scrub(self, value: Any) -> Any:
        """Every string in `value` (a pydantic model, dict, list, str) masked; other values as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        if isinstance(value, dict):
            return {self.scrub(key): self.scrub(item) for key, item in value.items()}
        if hasattr(value, "model_dump") and hasattr(type(value), "model_validate"):
            return type(value).model_validate(self.scrub(value.model_dump()))
        return value
