"""A drill of the paging path: the router applies the policy to a hypothetical incident alarm, as it would
to a real one, and posts the outcome in the incidents channel marked DRILL. Nobody is mentioned, direct
messaged, texted or called, except the person who asked with `page_me` (only one of the policy's people):
then every step of their plan, marked DRILL (alerts/drill_plan.py), reported in the drill's thread.

`drill_message` is pure; `run_drill` uses the router's own policy, windows and Slack, so a drill passes
only where a real page would get through. The message's block id (`drill-<id>`) is how `incidentctl
drill` finds it, and its context says when the router handled it, for the hop times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from incident_core.adapters.slack import marker_id
from incident_core.events import DrillRequested
from incident_core.paging.messages import mrkdwn_escape
from incident_core.policy.decide import PageDecision, decide
from incident_core.policy.model import Policy

ROUTED_AT_PREFIX = "routed at "


def block_id(drill_id: str) -> str:
    return f"drill-{drill_id}"


def _iso_ms(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def policy_outcome(decision: PageDecision, policy: Policy) -> str:
    """What the policy would do for a real incident alarm now, naming people without mentioning them."""
    if decision.silenced_by:
        return f"a real alarm would be silenced ({decision.silenced_by})"
    if decision.page:
        names = ", ".join(policy.people[key].name for key in decision.page)
        how = ", ".join(channel.value for channel in decision.channels)
        return f"a real alarm would page {names} now, by {how}"
    if decision.hold_until:
        held = policy.calendar.local(decision.hold_until)
        return f"a real alarm would be posted here unmentioned, its page held until {held:%a %d %b %H:%M %Z}"
    return "a real alarm would page nobody"


def pages(drill: DrillRequested, policy: Policy) -> bool:
    """Whether the drill pages its page_me: only one of the policy's people. Whoever can put a drill on
    the bus names page_me; the bot must not become a way to message anyone in the workspace."""
    return drill.page_me in {person.slack for person in policy.people.values()}


def drill_message(
    drill: DrillRequested, decision: PageDecision, policy: Policy, routed_at: datetime
) -> tuple[str, list[dict[str, Any]]]:
    outcome = policy_outcome(decision, policy)
    who = mrkdwn_escape(drill.requested_by)  # a name from outside: never a mention or a link
    paged = "Nobody was paged."
    if drill.page_me and pages(drill, policy):
        paged = f"Only {who} was paged, as asked."
    elif drill.page_me:
        paged = f"Nobody was paged: {drill.page_me} (page_me) is not one of the policy's people."
    text = f"DRILL {drill.drill_id}: the paging path works. {outcome[0].upper()}{outcome[1:]}. {paged}"
    blocks = [
        {
            "type": "section",
            "block_id": block_id(drill.drill_id),
            "text": {"type": "mrkdwn", "text": f"*DRILL* `{drill.drill_id}`: {text.split(': ', 1)[1]}"},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"requested by {who} at {_iso_ms(drill.requested_at)} · "
                    f"{ROUTED_AT_PREFIX}{_iso_ms(routed_at)} · {decision.reason}"[:3000],
                }
            ],
        },
    ]
    return text, blocks


def pages_nobody(message: dict[str, Any]) -> bool:
    """Whether the drill's message says nobody was paged (its page_me is not one of the policy's people)."""
    return "Nobody was paged" in str(message.get("text", ""))


def routed_at(message: dict[str, Any]) -> datetime | None:
    """When the router handled the drill, read back from its message (None if not there)."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            found = re.search(rf"{ROUTED_AT_PREFIX}(\S+Z)", str(element.get("text", "")))
            if found:
                return datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
    return None


@dataclass(frozen=True)
class DrillResult:
    channel: str
    ts: str
    paged: list[str]
    steps: tuple[dict[str, Any], ...] = ()  # page_me's plan, step by step (alerts/drill_plan.py)

    def as_dict(self) -> dict[str, Any]:
        return {"action": "drill", "channel": self.channel, "ts": self.ts, "paged": self.paged} | {
            "steps": list(self.steps)
        }


def run_drill(router: Any, drill: DrillRequested) -> DrillResult:
    """Route a drill with the router's policy, windows, Slack and clock; raises (to be retried) when the
    post fails, as a real page's failure would."""
    now = router.clock()
    policy = router.policy()
    windows, silences = router.windows.current(now)
    decision = decide(now, policy, windows, silences)
    text, blocks = drill_message(drill, decision, policy, now)
    slack = router.pager.slack
    channel = slack.channel_id(router.pager.channel)
    # A retried delivery whose first attempt had posted finds that post rather than posting twice.
    oldest = f"{drill.requested_at.timestamp() - 1:.6f}"
    ts = slack.find_block(channel, block_id(drill.drill_id), oldest) or slack.post(
        channel, text, blocks=blocks
    )
    if not (drill.page_me and pages(drill, policy)):
        return DrillResult(channel=channel, ts=ts, paged=[])
    # Every step of the person's plan, each marked DRILL and sent once (alerts/drill_plan.py).
    from incident_core.alerts.drill_plan import DrillSends, PlanDrill, plan_for, steps_report

    person = next(key for key, who in policy.people.items() if who.slack == drill.page_me)
    plan_name, plan = plan_for(decision, policy, person)
    walker = PlanDrill(router.pager, DrillSends(router.alerts.table), policy, now)
    outcomes, errors = walker.walk(drill, person, plan, oldest)
    if errors:  # retried: what was sent is not sent again
        raise errors[0]
    report = steps_report(drill.drill_id, policy.people[person].name, plan_name, outcomes)
    slack.post_marked(channel, report, marker_id("drill", drill.drill_id, "steps"), oldest, thread_ts=ts)
    steps = tuple(outcome.as_dict() for outcome in outcomes)
    return DrillResult(channel=channel, ts=ts, paged=[drill.page_me], steps=steps)
