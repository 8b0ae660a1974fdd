"""What a text says, whatever it was escaped with: the redactor matches secrets here, so a form of a
secret it did not predict (Chromium's escaping of a URL, requests decoding `%41`, a JSON error page that
re-escapes a URL-encoded value) is still found (docs/journeys.md#secrets-never-leave).

`decode(text)` undoes URL escapes (`%XX`, runs of them read as UTF-8), HTML character references
(`&amp;`, `&#39;`, `&#x27;`, `&lt`), and backslash escapes (JSON's and Python's: `\\n`, `\\"`, `\\u00e4`,
`\\xc3\\xa4`), again and again until nothing changes (a value escaped twice, or escaped one way then
another, comes out whole). Whitespace and `+` are left as they are: a secret's pattern (`pattern_of`)
accepts any run of them where the secret has one, as a form-encoded or re-wrapped value has.

Each character of the decoded text knows the span of the original it came from (`Decoded.span`), so a
match is masked where it is in the text the runner records. Text with nothing to decode costs one
regex scan.
"""

from __future__ import annotations

import html
import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import unquote

MAX_ROUNDS = 6  # escaped more times than this is not a form anyone sends
# Each branch starts with its own character and the whole with a look-ahead for them: the regex engine
# then skips to the next candidate at C speed (several times faster on a long page).
ESCAPE = re.compile(
    r"(?=[%&\\])(?:%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*"
    r"|&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};?)"
    r"|\\(?:u[0-9A-Fa-f]{4}(?:\\u[0-9A-Fa-f]{4})*|x[0-9A-Fa-f]{2}(?:\\x[0-9A-Fa-f]{2})*|U[0-9A-Fa-f]{8}"
    r"|[nrtbf\"'\\/]))"
)
_CHAR = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\", "/": "/"}
SPACE = r"[\s+]+"
_SPACES = re.compile(SPACE)


def _bytes_as_text(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return data.decode("latin-1")  # a Python str's repr escapes Latin-1 characters this way


def _decoded(token: str) -> str:
    if token[0] == "%":
        return unquote(token)
    if token[0] == "&":
        if token[1] == "#":  # any character by number, control ones too (HTML would drop those)
            code = int(token[3:].rstrip(";"), 16) if token[2] in "xX" else int(token[2:].rstrip(";"))
            return chr(code) if code <= 0x10FFFF else token
        return html.unescape(token)
    kind = token[1]
    if kind == "u":
        try:
            return json.loads(f'"{token}"')  # joins surrogate pairs
        except ValueError:
            return token
    if kind == "x":
        return _bytes_as_text(bytes.fromhex(token.replace("\\x", "")))
    if kind == "U":
        code = int(token[2:], 16)
        return chr(code) if code <= 0x10FFFF else token
    return _CHAR[kind]


class _Tokens(dict[str, str]):
    """Decoded tokens, each worked out once per text (a page repeats the same few a great many times)."""

    def __missing__(self, token: str) -> str:
        decoded = self[token] = _decoded(token)
        return decoded


@dataclass
class _Round:
    """One round of decoding: where each decoded token sits in the output and came from in the input."""

    out_starts: list[int]
    out_ends: list[int]
    in_starts: list[int]
    in_ends: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The input span the output characters [start, end) came from (whole tokens at the edges)."""
        return self._where(start)[0], self._where(end - 1)[1]

    def _where(self, at: int) -> tuple[int, int]:
        index = bisect_right(self.out_starts, at) - 1
        if index < 0:
            return at, at + 1
        if at < self.out_ends[index]:
            return self.in_starts[index], self.in_ends[index]
        shifted = self.in_ends[index] + (at - self.out_ends[index])
        return shifted, shifted + 1


def _mapped_round(text: str, tokens: _Tokens) -> _Round:
    """Where the round's tokens went: worked out only for a text in which a secret was found."""
    in_starts, in_ends, out_starts, out_ends = [], [], [], []
    shift = 0
    for match in ESCAPE.finditer(text):
        start, end = match.span()
        out_start = start + shift
        shift += len(tokens[match.group()]) - (end - start)
        in_starts.append(start)
        in_ends.append(end)
        out_starts.append(out_start)
        out_ends.append(end + shift)
    return _Round(out_starts, out_ends, in_starts, in_ends)


@dataclass
class Decoded:
    text: str
    _inputs: list[str]  # the text before each round
    _tokens: _Tokens

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the decoded text's [start, end) came from."""
        for text in reversed(self._inputs):
            start, end = _mapped_round(text, self._tokens).span(start, end)
        return start, end


def decode(text: str) -> Decoded:
    tokens = _Tokens()
    inputs: list[str] = []

    def decoded(match: re.Match[str]) -> str:
        return tokens[match.group()]

    for _ in range(MAX_ROUNDS):
        after = ESCAPE.sub(decoded, text)
        if after == text:
            break
        inputs.append(text)
        text = after
    return Decoded(text, inputs, tokens)


def pattern_of(value: str) -> str | None:
    """The regex of a secret's decoded form: its runs of whitespace or `+` matching any such run (at its
    ends too, so an escaped trailing new line goes with it). None when nothing but whitespace is left."""
    text = decode(value).text
    words = [word for word in _SPACES.split(text) if word]
    if not words:
        return None
    edge = SPACE.replace("+]+", "+]*")
    before = edge if _SPACES.match(text) else ""
    after = edge if _SPACES.fullmatch(text[-1]) else ""
    return before + SPACE.join(re.escape(word) for word in words) + after


def folded(value: str) -> str:
    """The secret as the canonical space sees it (decoded, whitespace and `+` runs as one space)."""
    return " ".join(word for word in _SPACES.split(decode(value).text) if word)
