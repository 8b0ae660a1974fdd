"""A drill of one person's whole escalation plan (`incidentctl drill --page-me U…`): every step of the
plan, at once rather than at its delay, each of its channels marked DRILL: a Slack DM, a text, an e-mail,
a phone call. Only the person who asked (one of the policy's people) is reached; nobody else is.

Which plan: the one a real page would follow now (business hours, or a traction moment off hours); when
the policy would page nobody now, the person's traction-moment night plan, the one that wakes people.

Exactly once: the Slack DMs are marked posts (a retry finds them); each text, e-mail and call is claimed
first with a conditional write (ALERT#drill-<id> / DRILLSEND#<step>#<target>: the drill's hypothetical
alert), so a retried drill does not send it again. A send that fails outright releases its claim (the
retry sends it); a crash between the send and its record leaves the claim, and the retry reports it as
"sent before" rather than risk a second call. A channel nothing is configured to send is reported as
skipped, with the reason, never dropped in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.dynamo import Table, serialize
from incident_core.adapters.slack import marker_id
from incident_core.alerts.keys import alert_pk, iso
from incident_core.events import DrillRequested
from incident_core.paging.phone_scripts import call_ssml
from incident_core.policy.decide import PageDecision
from incident_core.policy.model import PlanStep, Policy

SEND_PREFIX = "DRILLSEND#"
RECORD_LIFETIME = timedelta(days=1)  # a retried drill comes within hours; then the records expire
NIGHT_PLAN = "traction_off_hours"
PLAN_NAMES = {"business_hours": "business hours", NIGHT_PLAN: "traction moment off hours"}
SENT, SENT_BEFORE, SKIPPED, REFUSED = "sent", "sent before (a retried drill)", "skipped: ", "refused: "


@dataclass(frozen=True)
class StepOutcome:
    step: int  # 1-based, as `incidentctl policy who` numbers them
    after_minutes: int
    channel: str
    outcome: str

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "after_minutes": self.after_minutes, "channel": self.channel} | {
            "outcome": self.outcome
        }

    def line(self) -> str:
        when = "at once" if self.after_minutes == 0 else f"+{self.after_minutes} min"
        return f"step {self.step} ({when}) {self.channel}: {self.outcome}"


def plan_for(decision: PageDecision, policy: Policy, person: str) -> tuple[str, list[PlanStep]]:
    """The plan the drill walks: the one a real page follows now, else the night plan."""
    name = decision.plan if decision.page and decision.plan in PLAN_NAMES else NIGHT_PLAN
    return name, policy.plan(person, name)


def drill_text(drill_id: str, name: str, step: int, channel: str) -> str:
    return (
        f"DRILL {drill_id}: you asked to be paged. {name}, this is step {step} of your escalation plan "
        f"({channel}). A real page would name the alert and carry an acknowledgement link. Nothing to do."
    )


def steps_report(drill_id: str, name: str, plan: str, outcomes: list[StepOutcome]) -> str:
    lines = "\n".join(f"• {outcome.line()}" for outcome in outcomes)
    return f"DRILL {drill_id}: every step of {name}'s plan ({PLAN_NAMES[plan]}), at once:\n{lines}"


class DrillSends:
    """The claims that make each text, e-mail and call of a drill go out once."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def claim(self, drill_id: str, target: str, now: datetime) -> bool:
        """True when this attempt may send (no earlier attempt did, or it failed outright)."""
        dynamodb = self.table.dynamodb
        try:
            dynamodb.put_item(
                TableName=self.table.name,
                Item=serialize(
                    {
                        "pk": alert_pk(f"drill-{drill_id}"),
                        "sk": SEND_PREFIX + target,
                        "status": "sending",
                        "claimed_at": iso(now),
                        "expires_at": int((now + RECORD_LIFETIME).timestamp()),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR #status = :failed",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize({":failed": "failed"}),
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def settle(self, drill_id: str, target: str, status: str, reference: str = "") -> None:
        """`sent` (with the provider's id), `refused` (final) or `failed` (the retry may send again)."""
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=serialize({"pk": alert_pk(f"drill-{drill_id}"), "sk": SEND_PREFIX + target}),
            UpdateExpression="SET #status = :status, provider_id = :provider_id",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=serialize({":status": status, ":provider_id": reference[:200]}),
        )


class PlanDrill:
    """Walks one person's plan through the router's pager (its Slack, TextSender, Caller, SNS topic)."""

    def __init__(self, pager: Any, sends: DrillSends, policy: Policy, now: datetime) -> None:
        self.pager, self.sends, self.policy, self.now = pager, sends, policy, now

    def walk(
        self, drill: DrillRequested, person: str, steps: list[PlanStep], oldest: str
    ) -> tuple[list[StepOutcome], list[Exception]]:
        """Every step's channels in order; the outcomes, and the errors worth a retry (raised by the
        caller after everything else was tried, as a real page's delivery does)."""
        outcomes, errors = [], []
        for index, step in enumerate(steps, start=1):
            for channel in step.channels:
                if channel == "email" and "sms" in step.channels and self.pager.texts is None:
                    # As a real page does: one SNS message reaches the person's phone and e-mail.
                    outcomes.append(StepOutcome(index, step.after_minutes, channel, "with the sms (SNS)"))
                    continue
                try:
                    outcome = self._send(drill, person, index, channel, oldest)
                except Exception as error:  # this channel failed for now; the others still go
                    errors.append(error)
                    outcome = f"failed, to be tried again: {type(error).__name__}"
                outcomes.append(StepOutcome(index, step.after_minutes, channel, outcome))
        return outcomes, errors

    def _send(self, drill: DrillRequested, person: str, step: int, channel: str, oldest: str) -> str:
        from incident_core.adapters.sms_voice import DeliveryRefused

        who = self.policy.people[person]
        text = drill_text(drill.drill_id, who.name, step, channel)
        if channel == "slack":
            # The first step's DM keeps the drill's original marker (a retry of an older drill finds it).
            parts = ("drill", drill.drill_id, "page-me") + (() if step == 1 else (f"step-{step}",))
            dm = self.pager.slack.open_dm(who.slack)
            self.pager.slack.post_marked(dm, text, marker_id(*parts), oldest)
            return SENT
        send = self._sender(channel, person, text, drill.drill_id, step)
        if isinstance(send, str):
            return send
        target = f"{step}#{channel}:{person}"
        if not self.sends.claim(drill.drill_id, target, self.now):
            return SENT_BEFORE
        try:
            reference = send()
        except DeliveryRefused as refused:  # waiting does not fix it: say why, do not retry
            self.sends.settle(drill.drill_id, target, "refused", str(refused))
            return REFUSED + str(refused)
        except Exception:
            self.sends.settle(drill.drill_id, target, "failed")
            raise
        self.sends.settle(drill.drill_id, target, "sent", reference)
        return SENT

    def _sender(self, channel: str, person: str, text: str, drill_id: str, step: int) -> Any:
        """A function that sends the channel's DRILL message, or why it cannot (a 'skipped: ...')."""
        pager, who = self.pager, self.policy.people[person]
        # Not a page's `<page>:<person>:<step>`: the call's outcome, when it comes back, moves no plan.
        reference = f"drill/{drill_id}/{person}/{step}"
        if channel == "call":
            if pager.caller is None:
                return SKIPPED + "no phone caller is configured"
            if who.phone is None:
                return SKIPPED + f"{who.name} has no phone number"
            ssml = call_ssml(who.name, f"drill {drill_id}", "do nothing: this is only a drill", drill=True)
            return lambda: pager.caller.call(person, who.phone, ssml, reference)
        if channel == "sms" and pager.texts is not None:
            if who.phone is None:
                return SKIPPED + f"{who.name} has no phone number"
            return lambda: pager.texts.text(person, who.phone, text, reference)
        texting = channel == "sms"
        if pager.urgent is None:
            return SKIPPED + f"no {'SMS sender or ' if texting else ''}SMS/e-mail topic is configured"
        if (who.phone if texting else who.email) is None:
            return SKIPPED + f"{who.name} has no {'phone number' if texting else 'e-mail address'}"
        return lambda: pager.urgent.notify(person, f"DRILL {drill_id}", text)
