"""Where a journey's secrets could end up, and an oracle for "any form of it is there" (independent of
the redactor's own code): the exact encodings a site or library makes, and the secret's decoded form in
the sink decoded to a fixed point (URL escapes, HTML entities), whitespace and `+` folded."""

from __future__ import annotations

import base64
import html
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote

from incident_core.alerts.intake import from_journey_failed
from incident_core.journeys.redact import MIN_LENGTH, REQUOTE_SAFE
from incident_core.journeys.results import JourneyResult
from incident_core.journeys.state import next_state

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def exact_forms(value: str) -> set[str]:
    forms = set()
    for text in {value, value.strip()}:
        data = text.encode()
        forms |= {
            text,
            repr(text)[1:-1],
            ascii(text)[1:-1],
            repr(data)[2:-1],
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            quote(text, safe=""),
            quote(text),
            quote(text, safe="").lower(),
            quote_plus(text),
            quote(text, safe=REQUOTE_SAFE),
            html.escape(text),
            base64.b64encode(data).decode().rstrip("="),
            base64.urlsafe_b64encode(data).decode().rstrip("="),
        }
    return {form for form in forms if len(form) >= MIN_LENGTH}


def decoded(text: str) -> str:
    for _ in range(8):
        previous, text = text, unquote(html.unescape(text))
        if text == previous:
            break
    return " ".join(text.replace("+", " ").split())


def leaked(value: str, sink: str) -> list[str]:
    """The forms of `value` found in `sink` (empty when none is)."""
    found = sorted(form for form in exact_forms(value) if form in sink)
    folded = decoded(value)
    if len(folded) >= MIN_LENGTH and folded in decoded(sink):
        found.append(f"decoded: {folded!r}")
    return found


def sinks(result: JourneyResult, evidence_dir: Path | None = None) -> dict[str, str]:
    """What records a failed run: the stored result, the JourneyFailed event (with the page link), the
    alert raised from it, and the evidence files."""
    decision = next_state(None, result, NOW)
    events = [event.model_dump_json() for event in decision.announce]
    alerts = [
        from_journey_failed(event).model_dump_json()
        for event in decision.announce
        if event.detail_type == "JourneyFailed"
    ]
    files = sorted(evidence_dir.rglob("*")) if evidence_dir is not None else []
    evidence = b"".join(path.read_bytes() for path in files if path.is_file())
    return {
        "stored result": result.model_dump_json(),
        "bus event": "\n".join(events),
        "alert": "\n".join(alerts),
        "evidence": evidence.decode("utf-8", errors="surrogateescape"),
    }


def leaks(value: str, result: JourneyResult, evidence_dir: Path | None = None) -> dict[str, list[str]]:
    return {
        sink: found for sink, text in sinks(result, evidence_dir).items() if (found := leaked(value, text))
    }
