"""Which plan a drill with page_me walks, and how its steps are reported (alerts/drill_plan.py, pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from incident_core.alerts.drill_plan import StepOutcome, plan_for, steps_report
from incident_core.policy.decide import decide
from incident_core.policy.model import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[2] / "config" / "policy.yaml")
MONDAY_MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SATURDAY_NIGHT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def test_in_business_hours_the_drill_walks_the_business_hours_plan():
    name, steps = plan_for(decide(MONDAY_MORNING, POLICY, [], []), POLICY, "alastair")
    assert name == "business_hours"
    assert [(s.after_minutes, s.channels) for s in steps] == [(0, ["slack"]), (5, ["sms", "email"])]


def test_when_nobody_would_be_paged_the_drill_walks_the_night_plan_with_its_calls():
    name, steps = plan_for(decide(SATURDAY_NIGHT, POLICY, [], []), POLICY, "wisen")
    assert name == "traction_off_hours"
    night = [(0, ["slack", "sms"]), (3, ["call"]), (10, ["call"])]
    assert [(s.after_minutes, s.channels) for s in steps] == night


def test_the_report_lists_every_step_and_its_outcome_skipped_ones_included():
    outcomes = [
        StepOutcome(1, 0, "slack", "sent"),
        StepOutcome(2, 3, "call", "skipped: no phone caller is configured"),
    ]
    report = steps_report("d1", "Alastair", "traction_off_hours", outcomes)
    assert report.splitlines() == [
        "DRILL d1: every step of Alastair's plan (traction moment off hours), at once:",
        "• step 1 (at once) slack: sent",
        "• step 2 (+3 min) call: skipped: no phone caller is configured",
    ]
