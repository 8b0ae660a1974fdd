"""Each person's escalation plan turned into page intents, and the Slack fallback. Pure.

A page (the plan's step 0) goes to everyone paged; each later step of each person's plan is a page of
its own (kind `step`, one person, that step's channels), written with the page it follows and due
`after_minutes` after it. Like every page it is sent only if the alert is still unacknowledged when it
is due (the router cancels it otherwise), under the same claims, once.

Slack failing is a reason to use the next channel, not to wait: when a page's Slack targets have not
been delivered SLACK_FALLBACK_AFTER after it was first tried, each person's next step that reaches them
outside Slack is brought forward to now (`steps_to_bring_forward`). It is the same step, sent once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from incident_core.paging.pages import Page, PageKind, PageStatus, step_page_id
from incident_core.policy.model import Policy

SLACK_FALLBACK_AFTER = timedelta(minutes=2)
SLACK_TARGETS = ("dm:", "channel")
OUTSIDE_SLACK = frozenset({"sms", "email", "call"})


def first_step_channels(policy: Policy, plan: str | None, people: Iterable[str]) -> dict[str, list[str]]:
    """Each person's channels for the page itself (step 0 of their plan)."""
    if plan is None:
        return {}
    return {person: list(policy.plan(person, plan)[0].channels) for person in people}


def step_pages(origin: Page, policy: Policy, plan: str | None) -> list[Page]:
    """The later steps of the plan of each person `origin` pages, due relative to `origin.due_at`."""
    if plan is None or origin.kind not in (PageKind.PAGE, PageKind.HELD):
        return []
    pages = []
    for person in origin.people or []:
        for index, step in enumerate(policy.plan(person, plan)[1:], start=1):
            pages.append(
                Page(
                    page_id=step_page_id(origin.page_id, person, index),
                    alert_id=origin.alert_id,
                    seq=origin.seq,
                    kind=PageKind.STEP,
                    due_at=origin.due_at + timedelta(minutes=step.after_minutes),
                    people=[person],
                    channels=list(step.channels),
                    step=index,
                    origin=origin.page_id,
                    reason=f"step {index} of the {plan.replace('_', ' ')} plan, "
                    f"{step.after_minutes} minutes after the page if not acknowledged",
                )
            )
    return pages


def slack_undelivered(page: Page, targets: Iterable[str]) -> bool:
    """Has any Slack target of the page (a DM, the channel post) not been delivered yet?"""
    return any(t.startswith(SLACK_TARGETS) and t not in page.delivered for t in targets)


def slack_fallback_due(page: Page, first_tried: datetime) -> datetime:
    return first_tried + SLACK_FALLBACK_AFTER


def steps_to_bring_forward(page: Page, pages: Iterable[Page], now: datetime) -> list[Page]:
    """For each person `page` is for, their next pending plan step that reaches them outside Slack and is
    due later than now: the steps to send now because Slack has failed them."""
    chosen = []
    pending = sorted(
        (p for p in pages if p.kind == PageKind.STEP and p.status == PageStatus.PENDING),
        key=lambda p: (p.due_at, p.step),
    )
    for person in page.people or []:
        mine = [p for p in pending if p.people == [person] and OUTSIDE_SLACK & set(p.channels)]
        if mine and mine[0].due_at > now:
            chosen.append(mine[0])
    return chosen
