"""The drill's message (alerts/drill.py), pure: marked DRILL, names people without mentioning them, and
carries the router's time for the hop report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from incident_core.alerts.drill import block_id, drill_message, routed_at
from incident_core.events import DrillRequested
from incident_core.policy.decide import decide
from incident_core.policy.model import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[2] / "config" / "policy.yaml")
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, 0, 250000, tzinfo=UTC)


def test_in_business_hours_it_says_who_would_be_paged_without_mentioning_them():
    drill = DrillRequested(drill_id="d1", requested_by="<!channel> bob", requested_at=MONDAY_MORNING)
    text, blocks = drill_message(drill, decide(MONDAY_MORNING, POLICY, [], []), POLICY, MONDAY_MORNING)
    assert text == (
        "DRILL d1: the paging path works. A real alarm would page Alastair now, by slack. Nobody was paged."
    )
    assert blocks[0]["block_id"] == block_id("d1") and blocks[0]["text"]["text"].startswith("*DRILL* `d1`")
    context = blocks[1]["elements"][0]["text"]
    assert "requested by &lt;!channel&gt; bob" in context and "<!" not in context and "<@" not in text
    assert routed_at({"blocks": blocks}) == datetime(2026, 12, 7, 10, 0, 0, 250000, tzinfo=UTC)


def test_page_me_says_only_the_requester_was_paged():
    drill = DrillRequested(
        drill_id="d2", requested_by="alastair", requested_at=MONDAY_MORNING, page_me="U0ALASTAIR"
    )
    night = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    text, _ = drill_message(drill, decide(night, POLICY, [], []), POLICY, night)
    assert "held until Mon 07 Dec 09:00 GMT" in text and text.endswith("Only alastair was paged, as asked.")


def test_a_message_without_the_routers_time_gives_none():
    assert routed_at({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}) is None
