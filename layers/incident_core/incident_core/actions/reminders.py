"""The business-day reminder: open and overdue items to #incidents, and each owner's own list by DM.

`plan_reminders` is pure (items + `now` in, messages out); `send_reminders` posts a plan through the
Slack adapter. Items stop appearing the moment they are marked done, so reminders go on until then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from incident_core.actions.render import render_action_list
from incident_core.actions.store import ActionStore, london_today
from incident_core.adapters.slack import SlackPoster, marker_id, outcome_unknown
from incident_core.models import ActionItem, ActionStatus

logger = logging.getLogger(__name__)
# Slack's clock and ours differ a little; a run's posts are searched for from this long before its time.
SEARCH_MARGIN = timedelta(hours=1)
ATTEMPTS = 2  # tries of one message in a run; each looks in Slack first, so none is posted twice


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict]


@dataclass(frozen=True)
class ReminderPlan:
    day: date
    channel: Message | None = None
    # owner (Slack user id) -> that owner's own list
    direct: dict[str, Message] = field(default_factory=dict)
    open_count: int = 0
    overdue_count: int = 0

    @property
    def is_empty(self) -> bool:
        return self.channel is None and not self.direct


def plan_reminders(items: Iterable[ActionItem], now: datetime) -> ReminderPlan | None:
    """What to remind today; None when today is not a London business day (weekend or holiday)."""
    from incident_core.policy.calendar import is_business_day

    today = london_today(now)
    if not is_business_day(today):
        return None
    items = list(items)
    open_items = sorted(
        (item for item in items if item.status == ActionStatus.OPEN),
        key=lambda item: (item.due, item.created_at, item.action_id),
    )
    done_lately = done_since_last_reminder(items, today)
    if not open_items and not done_lately:
        return ReminderPlan(day=today)
    overdue = [item for item in open_items if item.due < today]
    title = f"Action items on {today.strftime('%a %d %b')}"
    text, blocks = render_action_list(open_items, today=today, title=title)
    if done_lately:
        blocks.append(done_block(done_lately, today))
    unowned = [item for item in open_items if not item.owner]
    if unowned:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{len(unowned)} item(s) have no owner: "
                        "`/incident action` with an @owner, or take one.",
                    }
                ],
            }
        )
    by_owner: dict[str, list[ActionItem]] = {}
    for item in open_items:
        if item.owner:
            by_owner.setdefault(item.owner, []).append(item)
    direct = {}
    for owner, owned in by_owner.items():
        owned_text, owned_blocks = render_action_list(owned, today=today, title="Your open action items")
        direct[owner] = Message(owned_text, owned_blocks)
    return ReminderPlan(
        day=today,
        channel=Message(text, blocks),
        direct=direct,
        open_count=len(open_items),
        overdue_count=len(overdue),
    )


def done_since_last_reminder(items: Iterable[ActionItem], today: date) -> list[ActionItem]:
    """Items done since the previous business day began (the last reminder's day): said once more."""
    from incident_core.policy.calendar import add_business_days

    since = add_business_days(today, -1)
    return sorted(
        (
            item
            for item in items
            if item.status == ActionStatus.DONE and item.done_at and london_today(item.done_at) >= since
        ),
        key=lambda item: (item.done_at, item.action_id),
    )


def done_block(items: list[ActionItem], today: date) -> dict:
    from incident_core.actions.render import item_line

    lines = "\n".join(f":white_check_mark: {item_line(item, today)}" for item in items[:10])
    more = f"\n…and {len(items) - 10} more" if len(items) > 10 else ""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"*Done since the last reminder*\n{lines}{more}"[:3000]},
    }


@dataclass
class ReminderResult:
    posted_to_channel: bool = False
    messaged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def send_reminders(plan: ReminderPlan, slack: SlackPoster, channel: str, now: datetime) -> ReminderResult:
    """Post the channel list, then each owner's DM; one owner's failure does not stop the others.

    Each message is named by its day and recipient and posted at most once (`post_marked`): when Slack's
    answer is lost, it is looked for in Slack, here and in the run Lambda retries, before any re-post."""
    result = ReminderResult()
    oldest = f"{(now - SEARCH_MARGIN).timestamp():.6f}"  # the run's own posts come after its `now`

    def post_once(to: str, message: Message, recipient: str) -> None:
        marker = marker_id("reminder", plan.day.isoformat(), recipient)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                slack.post_marked(to, message.text, marker, oldest, blocks=message.blocks)
                return
            except Exception as error:  # looked for and not found: safe to post again
                if attempt == ATTEMPTS or not outcome_unknown(error):
                    raise

    if plan.channel is not None:
        post_once(channel, plan.channel, "channel")
        result.posted_to_channel = True
    for owner, message in plan.direct.items():
        try:
            post_once(slack.open_dm(owner), message, owner)
            result.messaged.append(owner)
        except Exception as error:  # one owner's failure is reported, not fatal
            logger.warning("could not message %s: %s", owner, error)
            result.failed[owner] = str(error)
    return result


def remind(
    store: ActionStore, slack: SlackPoster, channel: str, now: datetime, lease_until: datetime
) -> dict[str, object]:
    """Today's reminder, once per business day: skipped on weekends and holidays and when already sent.
    `lease_until`: when this run's time ends (its claim on the day lasts until then)."""
    from incident_core.policy.calendar import add_business_days

    done_from = add_business_days(london_today(now), -1)
    plan = plan_reminders([*store.list_open(), *store.list_done_since(done_from)], now)
    if plan is None:
        return {"reminded": False, "why": f"{london_today(now):%a %d %b %Y} is not a London business day"}
    if plan.is_empty:
        return {"reminded": False, "why": "no open action items"}
    if not store.claim_reminder_day(plan.day, now, lease_until):
        return {"reminded": False, "why": f"already reminded on {plan.day.isoformat()}"}
    try:
        result = send_reminders(plan, slack, channel, now)
    except Exception:
        store.release_reminder_day(plan.day)  # the channel post failed: let the retry send it
        raise
    store.finish_reminder_day(plan.day, now)
    return {
        "reminded": True,
        "open": plan.open_count,
        "overdue": plan.overdue_count,
        "messaged": result.messaged,
        "failed": result.failed,
    }
