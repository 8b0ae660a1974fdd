"""Which plan a drill with page_me walks, and how its steps are reported (alerts/drill_plan.py, pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from incident_core.alerts.drill_plan import PlanDrill, StepOutcome, plan_for, steps_report
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


class Recorder:
    """The pager's senders as the drill sees them: SNS only (no SMS and Voice number), Slack answering."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.texts = self.caller = None
        self.urgent = self
        self.slack = self

    def notify(self, person: str, subject: str, message: str) -> str:
        self.sent.append(("sns", person, message))
        return f"m-{len(self.sent)}"

    def open_dm(self, user_id: str) -> str:
        return "D" + user_id

    def post_marked(self, channel: str, text: str, marker: str, oldest: str) -> None:
        self.sent.append(("slack", channel, text))


class Claims:
    def __init__(self) -> None:
        self.claimed: set[str] = set()

    def claim(self, drill_id: str, target: str, now: datetime) -> bool:
        fresh = target not in self.claimed
        self.claimed.add(target)
        return fresh

    def settle(self, drill_id: str, target: str, status: str, reference: str = "") -> None:
        pass


def test_without_a_number_one_sns_message_carries_a_steps_text_and_e_mail_and_calls_are_skipped():
    from incident_core.events import DrillRequested

    pager, claims = Recorder(), Claims()
    drill = DrillRequested(drill_id="d3", requested_by="alastair", requested_at=MONDAY_MORNING)
    walker = PlanDrill(pager, claims, POLICY, MONDAY_MORNING)
    _, business = plan_for(decide(MONDAY_MORNING, POLICY, [], []), POLICY, "alastair")
    _, night = plan_for(decide(SATURDAY_NIGHT, POLICY, [], []), POLICY, "alastair")
    outcomes, errors = walker.walk(drill, "alastair", business + night[1:], "0")
    assert errors == []
    assert [(o.step, o.channel, o.outcome) for o in outcomes] == [
        (1, "slack", "sent"),
        (2, "sms", "sent"),
        (2, "email", "with the sms (SNS)"),
        (3, "call", "skipped: no phone caller is configured"),
        (4, "call", "skipped: no phone caller is configured"),
    ]
    assert [kind for kind, _, _ in pager.sent] == ["slack", "sns"]
    assert all(text.startswith("DRILL d3: ") for _, _, text in pager.sent)
    again, _ = walker.walk(drill, "alastair", business, "0")  # a retry: claimed, not sent again
    assert again[1].outcome == "sent before (a retried drill)" and len(pager.sent) == 3  # the marked DM
