"""What a call's outcome and a reply to a text do to an alert (issue 17), for the alert router.

- A call's outcome (answered, busy, no answer, failed) is a line of the alert's history ("called
  Alastair 02:14: no answer") and a reply in the alert's #incidents thread when it has one. A call
  nobody answered is handed to `on_unanswered` (the escalation engine's hook: the person's plan moves on
  to its next step at once).
- A reply `ACK` (any case; `ACK <code>` with the alert's short code when several alerts are open)
  from a policy person's phone acknowledges as that person, after the same permission check as Slack's
  button, and says so in the thread.

Every step is safe to repeat (SNS delivers at least once): history lines land on the same item, thread
replies are posted at most once (marked, looked for first), acknowledging twice changes nothing. Slack
failing does not lose the outcome: the history has it, the failure is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_core.models import AlertEvent
from incident_core.paging.messages import mrkdwn_escape
from incident_core.paging.phone_events import (
    CallResult,
    Ignored,
    InboundText,
    PhoneEvent,
    acknowledgement_asked,
    short_code,
)
from incident_core.policy.model import Policy
from incident_core.policy.permissions import Asked, Installed, refusal

logger = logging.getLogger(__name__)
BY_REPLY = " by text reply"
PHONE_WORKSPACE = "phone"  # not a Slack request: the responder check applies, not the workspace check
_LOOK_BACK = timedelta(minutes=15)


@dataclass
class PhoneOutcomes:
    alerts: Any  # incident_core.alerts.store.AlertStore
    policy: Callable[[], Policy]
    slack: Callable[[], Any]  # incident_core.adapters.slack.Slack (post_marked)
    now: Callable[[], datetime]
    on_unanswered: Callable[[CallResult], None] | None = None

    def handle(self, event: PhoneEvent) -> dict[str, str]:
        if isinstance(event, CallResult):
            return self.record_call(event)
        if isinstance(event, InboundText):
            return self.acknowledge_by_reply(event)
        assert isinstance(event, Ignored)
        return {"action": "ignored", "detail": event.why}

    def record_call(self, result: CallResult) -> dict[str, str]:
        alert_id = result.reference.alert_id
        alert = self.alerts.get(alert_id)
        if alert is None:
            return {"action": "ignored", "detail": f"no alert {alert_id} (expired?)"}
        policy = self.policy()
        person = policy.people.get(result.reference.person)
        name = person.name if person else result.reference.person
        clock = policy.calendar.local(result.at).strftime("%H:%M")
        line = f"called {name} {clock}: {result.outcome}"
        self.alerts.add_event(alert_id, AlertEvent(at=result.at, what=mrkdwn_escape(line)))
        icon = ":telephone_receiver:" if not result.moves_plan_on else ":no_mobile_phones:"
        self._tell_thread(
            alert, f"{icon} Called {mrkdwn_escape(name)} at {clock}: {result.outcome}.", result.at,
            ("call", result.message_id),
        )  # fmt: skip
        if result.moves_plan_on and self.on_unanswered is not None:
            self.on_unanswered(result)
        return {"action": "call-recorded", "detail": line}

    def acknowledge_by_reply(self, text: InboundText) -> dict[str, str]:
        asked, code = acknowledgement_asked(text.body)
        if not asked:
            return {"action": "ignored", "detail": "a reply that is not ACK"}
        policy = self.policy()
        person = next((key for key, p in policy.people.items() if p.phone == text.sender), None)
        if person is None:
            return {"action": "refused", "detail": "ACK from a number that is not a policy person's"}
        slack_id = policy.slack_id(person)
        asked_for = Asked("acknowledge", "a text reply", slack_id, PHONE_WORKSPACE)
        reason = refusal(policy, asked_for, Installed(team=PHONE_WORKSPACE))
        if reason is not None:
            return {"action": "refused", "detail": reason}
        waiting = [a for a in self.alerts.list_open() if a.pages and a.acknowledged_at is None]
        if code:
            waiting = [a for a in waiting if short_code(a.alert_id) == code]
        if len(waiting) != 1:
            codes = ", ".join(short_code(a.alert_id) for a in waiting) or "none"
            return {
                "action": "refused",
                "detail": f"ACK{f' {code}' if code else ''} matches {len(waiting)} open alerts ({codes})",
            }
        now = self.now()
        alert = self.alerts.acknowledge(waiting[0].alert_id, slack_id, now, BY_REPLY)
        if alert.acknowledged_by == slack_id:
            self._tell_thread(
                alert, f":eyes: Acknowledged by <@{slack_id}>{BY_REPLY}: re-paging stopped.", now,
                ("reply", text.message_id),
            )  # fmt: skip
        return {"action": "acknowledged", "detail": f"{alert.alert_id} by {person}{BY_REPLY}"}

    def _tell_thread(self, alert: Any, text: str, at: datetime, marker: tuple[str, str]) -> None:
        if not (alert.slack_channel and alert.slack_ts):
            return
        from incident_core.adapters.slack import marker_id

        oldest = f"{(at - _LOOK_BACK).timestamp():.6f}"
        try:
            self.slack().post_marked(
                alert.slack_channel, text, marker_id(*marker), oldest, thread_ts=alert.slack_ts
            )
        except Exception:  # the history has it; Slack being down is why phones are used at all
            logger.exception("could not say it in the alert's thread", extra={"alert_id": alert.alert_id})
