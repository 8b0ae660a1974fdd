"""Action items kept in step with the team's tracker (policy `tracker:`), both ways.

Each item is one issue, labelled (the policy's labels, `incident` and `P0`), assigned to its owner's
tracker login (policy `people.<key>.github`), its body linking the incident's thread and document and
saying when it is due in business days. The body carries the item's id in a hidden HTML comment: before
creating, the suite looks for an issue carrying it, so a retry or a create whose answer was lost never
makes a second issue.

`TrackerSync.push` makes or updates an item's issue (after a change in Slack, and for items still pending:
the tracker was down, rate limiting, or refusing); `apply_issue` takes a change made in the tracker
(webhook or nightly reconciliation) into the item. The issue's state as last seen (`tracker_state`)
tells which side moved: the tracker's state differing from it is a change made there; the item's
differing from it is one made in the suite.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from incident_core.actions.store import ActionStore, london_today
from incident_core.adapters.trackers import (
    Issue,
    IssueDraft,
    Tracker,
    TrackerError,
    TrackerInvalid,
    TrackerUnavailable,
)
from incident_core.models import ActionItem, ActionStatus

logger = logging.getLogger(__name__)
MARKER = "<!-- incident-suite:action-item={action_id} -->"
_MARKER = re.compile(r"<!-- incident-suite:action-item=(act-[A-Za-z0-9-]{1,60}) -->")
_DUE = re.compile(r"^\*\*Due\*\*: (\d{4}-\d{2}-\d{2})\b", re.MULTILINE)
MAX_TITLE = 256  # GitHub's limit on an issue's title
SETTLED = timedelta(days=30)
CLAIM = timedelta(minutes=2)  # one run's hold on an item while it talks to the tracker
# Issues changed this long before the item was made are not looked at (clocks differ a little).
FIND_MARGIN = timedelta(minutes=10)


def announce_action_change(bus: Any, action_id: str, change: str, at: datetime, by: str | None) -> None:
    """Tell the tracker sync (functions/tracker_sync) that an item changed in the suite."""
    from incident_core.events import ActionItemChanged

    bus.put(ActionItemChanged(action_id=action_id, change=change, changed_at=at, by=by))


def marker(action_id: str) -> str:
    return MARKER.format(action_id=action_id)


def action_id_in(body: str | None) -> str | None:
    """The suite's item id hidden in an issue's body, or None for an issue the suite did not make."""
    found = _MARKER.findall(body or "")
    return found[0] if len(found) == 1 else None  # two markers: copied by hand, not the suite's issue


def due_in(body: str | None) -> date | None:
    """The due date as the body says it (edited there, it moves the item's)."""
    found = _DUE.search(body or "")
    if not found:
        return None
    try:
        return date.fromisoformat(found.group(1))
    except ValueError:
        return None


@dataclass(frozen=True)
class Links:
    thread: str | None = None
    document: str | None = None


@dataclass(frozen=True)
class People:
    """Slack user id <-> tracker login, from the policy's people."""

    logins: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_policy(cls, policy: Any) -> People:
        return cls({p.slack: p.github for p in policy.people.values() if getattr(p, "github", None)})

    def login(self, slack_user: str | None) -> str | None:
        return self.logins.get(slack_user or "")

    def slack_user(self, login: str | None) -> str | None:
        return next(
            (user for user, known in self.logins.items() if known.lower() == (login or "").lower()), None
        )


def business_days_phrase(due: date, today: date, business_days: Callable[[date, date], int]) -> str:
    days = business_days(today, due)
    if days > 0:
        return f"in {days} business day{'s' if days != 1 else ''}"
    if days == 0:
        return "today"
    return f"overdue by {-days} business day{'s' if days != -1 else ''}"


def issue_draft(
    item: ActionItem,
    labels: list[str],
    people: People,
    links: Links,
    today: date,
    business_days: Callable[[date, date], int],
) -> IssueDraft:
    title = item.text if len(item.text) <= MAX_TITLE else item.text[: MAX_TITLE - 1] + "…"
    login = people.login(item.owner)
    where = f"incident `{item.incident_id}`" if item.incident_id else f"`{item.source}`"
    lines = [
        f"**{item.priority}** action item from {where}: it comes before product work.",
        "",
        f"**Due**: {item.due.isoformat()} ({item.due:%a %d %b}, "
        f"{business_days_phrase(item.due, today, business_days)} when this was written)",
        f"**Owner**: @{login}" if login else "**Owner**: nobody yet",
    ]
    if links.thread:
        lines.append(f"**Incident thread**: {links.thread}")
    if links.document:
        lines.append(f"**Incident document**: {links.document}")
    lines += [
        "",
        "Closing this issue marks the item done in the incident suite (and stops its reminders); "
        "reopening it reopens the item. Title, assignee and the due date above are kept in step.",
        "",
        marker(item.action_id),
    ]
    state = "closed" if item.status == ActionStatus.DONE else "open"
    return IssueDraft(
        title=title, body="\n".join(lines), labels=labels, assignees=[login] if login else [], state=state
    )


@dataclass
class Change:
    """What a tracker change did to an item (for the thread and the logs)."""

    item: ActionItem
    closed: bool = False
    reopened: bool = False
    edited: list[str] = field(default_factory=list)
    issue_updated_at: datetime | None = None  # names the change (a reopen said once per reopen)


def apply_issue(
    store: ActionStore, item: ActionItem, issue: Issue, people: People, by: str, now: datetime
) -> Change:
    """Take the issue's state, title, assignee and due date into the item (changes made in the tracker)."""
    change = Change(item, issue_updated_at=issue.updated_at)
    if issue.state != item.tracker_state:  # moved in the tracker since the suite last saw it
        if issue.state == "closed":
            if item.status == ActionStatus.OPEN:
                change.item = store.mark_done(item.action_id, by=by, now=now)
            # Said when closed there: also when an earlier delivery closed it and could not say so.
            change.closed = (change.item.done_by or "").startswith(
                "github"
            ) or item.status == ActionStatus.OPEN
        elif issue.state == "open":
            change.reopened = item.status == ActionStatus.DONE or item.tracker_state == "closed"
            if item.status == ActionStatus.DONE:
                change.item = store.reopen(item.action_id)
    edits: dict[str, Any] = {}
    if (
        issue.title
        and issue.title != item.text
        and not (item.text.startswith(issue.title.rstrip("…")) and issue.title.endswith("…"))
    ):
        edits["text"] = issue.title
    owner = people.slack_user(issue.assignees[0]) if issue.assignees else None
    if owner and owner != item.owner:
        edits["owner"] = owner
    due = due_in(issue.body)
    if due and due != item.due:
        edits["due"] = due
    if edits:
        change.item = store.edit(item.action_id, **edits)
        change.edited = sorted(edits)
    # The issue itself is linked now; its state is recorded once the change was said (settle_issue), so
    # a delivery that failed before saying it is taken again in full.
    change.item = store.record_tracker(item.action_id, issue=issue.number, url=issue.url)
    return change


def settle_issue(store: ActionStore, change: Change, issue: Issue) -> ActionItem:
    change.item = store.record_tracker(change.item.action_id, state=issue.state)
    return change.item


Say = Callable[[ActionItem, str, str], None]  # (item, text, key): said once in the item's incident thread


@dataclass
class TrackerSync:
    store: ActionStore
    tracker: Tracker | None  # None where changes are only taken in (the webhook)
    repository: str
    labels: list[str]
    people: People
    links: Callable[[ActionItem], Links]
    say: Say
    business_days: Callable[[date, date], int]
    # The item's issue or state changed: its incident's document is compiled again to show it.
    document_changed: Callable[[ActionItem, datetime], None] = lambda item, now: None
    _labels_ready: bool = False

    def push(self, item: ActionItem, now: datetime) -> str:
        """Make the item's issue, or bring it in step with the item; the outcome in a word or two."""
        if item.tracker_retry_at and item.tracker_retry_at > now:
            return "waiting for the rate limit"
        if not self.store.claim_tracker(item.action_id, now, now + CLAIM):
            return "another run has it"
        try:
            return self._push(item, now)
        except TrackerUnavailable as error:
            retry_at = error.retry_at.isoformat() if error.retry_at else None
            self.store.record_tracker(item.action_id, error=str(error), retry_at=retry_at)
            raise
        except TrackerError as error:  # lasting: said once in the thread; retried by the pending runs
            self._lasting(item, str(error))
            return f"refused: {error}"
        finally:
            self.store.release_tracker(item.action_id)

    def _push(self, item: ActionItem, now: datetime) -> str:
        if self.tracker is None:
            raise TrackerError("this function takes tracker changes in; it has no tracker token")
        today = london_today(now)
        draft = issue_draft(item, self.labels, self.people, self.links(item), today, self.business_days)
        if item.tracker_issue is None:
            if item.status == ActionStatus.DONE:
                return "done before it had an issue"
            self._ensure_labels()
            found = self.tracker.find(marker(item.action_id), item.created_at - FIND_MARGIN, self.labels)
            issue = found or self._create(draft, item)
            linked = self.store.record_tracker(
                item.action_id,
                issue=issue.number,
                url=issue.url,
                state=issue.state,
                error=None,
                retry_at=None,
            )
            self.document_changed(linked, now)
            return f"found issue #{issue.number}" if found else f"created issue #{issue.number}"
        issue = self.tracker.get(item.tracker_issue)
        if issue.state != item.tracker_state:  # the tracker moved meanwhile (a webhook not yet here)
            change = apply_issue(self.store, item, issue, self.people, "the tracker", now)
            self._tell(change, now)
            settle_issue(self.store, change, issue)
            return f"took issue #{issue.number}'s changes"
        changes: dict[str, object] = {}
        if draft.state != issue.state:
            changes["state"] = draft.state
        if draft.title != issue.title:
            changes["title"] = draft.title
        if sorted(draft.assignees) != sorted(issue.assignees) and draft.assignees:
            changes["assignees"] = draft.assignees
        if due_in(issue.body) != item.due:
            changes["body"] = draft.body
        if changes:
            issue = self.tracker.update(issue.number, **changes)
        current = self.store.record_tracker(item.action_id, state=issue.state, error=None, retry_at=None)
        if "state" in changes:
            self.document_changed(current, now)
        return f"updated issue #{issue.number} ({', '.join(sorted(changes))})" if changes else "in step"

    def _create(self, draft: IssueDraft, item: ActionItem) -> Issue:
        """The issue; when the owner's login may not be assigned there (not a collaborator), it is made
        unassigned and the thread is told, rather than the item waiting for a policy fix."""
        try:
            return self.tracker.create(draft)
        except TrackerInvalid as error:
            if not draft.assignees or "assignees" not in str(error):
                raise
            issue = self.tracker.create(draft.model_copy(update={"assignees": []}))
            self.say(
                item,
                f":warning: Issue #{issue.number} for action item `{item.action_id}` is unassigned: "
                f"{', '.join(draft.assignees)} cannot be assigned in {self.repository} ({error}).",
                f"unassigned-{issue.number}",
            )
            return issue

    def _ensure_labels(self) -> None:
        if not self._labels_ready:
            self.tracker.ensure_labels(self.labels)
            self._labels_ready = True

    def _lasting(self, item: ActionItem, error: str) -> None:
        current = self.store.record_tracker(item.action_id, error=error)
        if not current.tracker_failure_said:
            self.say(
                current,
                f":warning: Action item `{item.action_id}` could not be put in the tracker: {error}. "
                "It is kept here and tried again; `incidentctl doctor` checks the tracker's token.",
                "tracker-failure",
            )
            self.store.record_tracker(item.action_id, failure_said=True)

    def _tell(self, change: Change, now: datetime) -> None:
        item = change.item
        if change.closed or change.reopened or change.edited:
            self.document_changed(item, now)
        link = f"<{item.tracker_url}|#{item.tracker_issue}>" if item.tracker_url else "its issue"
        if change.closed:
            self.say(
                item,
                f":white_check_mark: Action item `{item.action_id}` is done: {link} was closed "
                "in the tracker. Its reminders stop.",
                f"closed-{item.done_at}",
            )
        if change.reopened:
            self.say(
                item,
                f":arrows_counterclockwise: Action item `{item.action_id}` is open again: {link} "
                "was reopened in the tracker.",
                f"reopened-{change.issue_updated_at}",
            )

    # ------------------------------------------------------------------ runs
    def take(self, issue: Issue, by: str, now: datetime) -> Change | None:
        """A change made in the tracker (the webhook's issue): None for an issue the suite did not make."""
        action_id = action_id_in(issue.body)
        item = self.store.get(action_id) if action_id else None
        if item is None or (item.tracker_issue is not None and item.tracker_issue != issue.number):
            return None
        change = apply_issue(self.store, item, issue, self.people, by, now)
        self._tell(change, now)
        settle_issue(self.store, change, issue)
        return change

    def pending(self, now: datetime) -> dict[str, str]:
        """Make the issues of open items that have none (the tracker was down or refusing)."""
        outcomes: dict[str, str] = {}
        for item in self.store.list_open():
            if item.tracker_pending:
                try:
                    outcomes[item.action_id] = self.push(item, now)
                except TrackerUnavailable as error:
                    outcomes[item.action_id] = f"later: {error}"
                    break  # the tracker is down or limiting: the rest waits for the next run
        return outcomes

    def reconcile(self, now: datetime) -> dict[str, str]:
        """The nightly run: every item with an issue checked against it (a webhook may have been missed),
        then the pending ones made."""
        outcomes: dict[str, str] = {}
        settled = now - SETTLED
        for item in [*self.store.list_open(), *self.store.list_done()]:
            if item.tracker_issue is None:
                continue
            if item.status == ActionStatus.DONE and item.tracker_state == "closed" and item.done_at < settled:
                continue  # done and closed a month ago: no longer asked about each night
            try:
                outcomes[item.action_id] = self.push(item, now)
            except TrackerUnavailable as error:
                outcomes[item.action_id] = f"later: {error}"
                return outcomes
        return {**outcomes, **self.pending(now)}
