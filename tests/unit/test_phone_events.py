"""The paging events topic's messages (paging/phone_events.py): whatever arrives, the parser answers a
call's outcome, a reply, an ignored event, or a rejection naming the field; never another error."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incident_core.paging.phone_events import (
    CallOutcome,
    CallResult,
    Ignored,
    InboundText,
    PhoneEventRejected,
    acknowledgement_asked,
    parse_phone_event,
    parse_reference,
    reference_for,
    short_code,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=5),
    max_leaves=20,
)
FIELDS = ["eventType", "eventTimestamp", "messageId", "destinationPhoneNumber", "context", "messageBody",
          "originationNumber", "destinationNumber", "inboundMessageId"]  # fmt: skip


def voice_event(event_type: str = "VOICE_NO_ANSWER", **changes) -> dict:
    event = {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": 1795658040000,
        "isFinal": True,
        "originationPhoneNumber": "+447700900100",
        "destinationPhoneNumber": "+447700900101",
        "messageId": "b2c1f7d0-0000-4000-8000-000000000001",
        "messageStatus": event_type.removeprefix("VOICE_"),
        "context": {"reference": "al-019ad2c3e4f5a1b2c3-p2:alastair:3", "person": "alastair"},
    }
    return event | changes


@given(st.text(max_size=500) | json_values.map(json.dumps))
def test_anything_is_an_event_or_a_named_rejection(message):
    try:
        parsed = parse_phone_event(message)
    except PhoneEventRejected as rejected:
        assert str(rejected)
    else:
        assert isinstance(parsed, (CallResult, InboundText, Ignored))


@given(st.sampled_from(FIELDS), json_values, st.sampled_from(["voice", "reply"]))
def test_a_documented_event_with_one_field_broken_never_raises_anything_else(field, value, kind):
    base = voice_event() if kind == "voice" else {
        "originationNumber": "+447700900101", "destinationNumber": "+447700900100", "messageKeyword": "K",
        "messageBody": "ACK", "inboundMessageId": "i-1", "previousPublishedMessageId": "p-1",
    }  # fmt: skip
    with contextlib.suppress(PhoneEventRejected):
        parse_phone_event(json.dumps(base | {field: value}))


@pytest.mark.parametrize(
    ("event_type", "outcome"),
    [("VOICE_ANSWERED", CallOutcome.ANSWERED), ("VOICE_BUSY", CallOutcome.BUSY),
     ("VOICE_NO_ANSWER", CallOutcome.NO_ANSWER), ("VOICE_FAILED", CallOutcome.FAILED),
     ("VOICE_TTL_EXPIRED", CallOutcome.EXPIRED)],
)  # fmt: skip
def test_each_final_voice_event_is_an_outcome(event_type, outcome):
    result = parse_phone_event(json.dumps(voice_event(event_type)))
    assert isinstance(result, CallResult) and result.outcome is outcome
    assert result.reference.alert_id == "al-019ad2c3e4f5a1b2c3" and result.reference.person == "alastair"
    assert result.at == datetime.fromtimestamp(1795658040, UTC)
    assert result.moves_plan_on is (outcome is not CallOutcome.ANSWERED)


@pytest.mark.parametrize(
    "event_type", ["VOICE_INITIATED", "VOICE_RINGING", "VOICE_COMPLETED", "TEXT_SUCCESSFUL"]
)
def test_progress_and_text_events_are_ignored(event_type):
    assert isinstance(parse_phone_event(json.dumps(voice_event(event_type))), Ignored)


def test_a_call_someone_else_placed_is_ignored_and_a_mismatched_person_rejected():
    assert isinstance(parse_phone_event(json.dumps(voice_event(context={"reference": "x"}))), Ignored)
    bad = voice_event(context={"reference": "al-1-p1:alastair:1", "person": "wisen"})
    with pytest.raises(PhoneEventRejected, match=r"context\.person"):
        parse_phone_event(json.dumps(bad))


@given(
    st.from_regex(r"al-[0-9a-f]{18}", fullmatch=True),
    st.integers(0, 999_999),
    st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    st.integers(0, 999),
)
def test_references_round_trip(alert_id, seq, person, step):
    parsed = parse_reference(reference_for(f"{alert_id}-p{seq}", person, step))
    assert (parsed.alert_id, parsed.page_id, parsed.person, parsed.step) == (
        alert_id, f"{alert_id}-p{seq}", person, step,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "asked", "code"),
    [("ACK", True, None), ("ack", True, None), (" Ack! ", True, None), ("ACK k7f2", True, "K7F2"),
     ("ACKNOWLEDGE", False, None), ("no", False, None), ("ACK k7", False, None), ("", False, None)],
)  # fmt: skip
def test_what_counts_as_an_acknowledgement(body, asked, code):
    assert acknowledgement_asked(body) == (asked, code)


@given(st.text(max_size=200))
def test_any_reply_is_read_without_error(body):
    asked, code = acknowledgement_asked(body)
    assert code is None or (asked and len(code) == 4)


def test_short_codes_are_the_ids_end():
    assert short_code("al-019ad2c3e4f5a1b2c3") == "B2C3"
