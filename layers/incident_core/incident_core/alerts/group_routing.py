"""The router's side of alert grouping (alerts/grouping.py holds the pure rules): where a new paging alert
goes, whether a group's re-pages go on, and its page's messages edited in place as it grows or recovers.

Called by AlertRouter at a few named points (place, joined, keeps_paging, member_recovered, sweep_set);
the exactly-once rules stay the router's: a member is written by the same opening transaction as any
alert (with the join as one more conditional item), and the group's pages are the leader's pages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_core.alerts.group_store import GroupStore, absorb_item, join_item
from incident_core.alerts.grouping import as_leader, choose_group, choose_incident, leads_group, still_failing
from incident_core.models.alerts import Alert, AlertStatus
from incident_core.paging.delivery import Pager
from incident_core.paging.messages import mrkdwn_escape
from incident_core.paging.store import PageStore
from incident_core.policy.model import Policy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placement:
    alert: Alert  # as it is to be written (leading its own group, or a member of `leader`'s)
    leader: Alert | None = None  # the group it joins; None: it leads its own and pages
    join: dict[str, Any] | None = None  # the transaction item that adds it to that group

    def opening_note(self) -> str:
        if self.leader is None:
            return ""
        if self.alert.incident_id:
            return f"; absorbed by incident {self.alert.incident_id}: posted in its thread, nobody paged"
        title = mrkdwn_escape(self.leader.title)
        return f"; grouped with {title} (alert {self.leader.alert_id}): paged once, with its group"


class GroupRouting:
    def __init__(self, alerts: Any, pages: PageStore, pager: Pager) -> None:
        self.alerts = alerts  # AlertStore
        self.pages = pages
        self.pager = pager
        self.store = GroupStore(alerts.table)

    def place(self, alert: Alert, policy: Policy, passed_over: frozenset[str] = frozenset()) -> Placement:
        """A paging alert joins the open group the policy finds for it, or leads a new one. Alerts that
        page nobody, and every alert when grouping is off, are left as they are."""
        rules = policy.grouping
        if not alert.pages or not rules.enabled:
            return Placement(alert)
        since = alert.started_at - timedelta(minutes=rules.window_minutes)
        candidates = [a for a in self.store.open_since(since) if a.alert_id not in passed_over]
        leader = choose_group(candidates, alert, rules)
        if leader is None:
            return self._absorbed(alert, policy, passed_over) or Placement(as_leader(alert))
        member = alert.model_copy(update={"group_id": leader.alert_id})
        return Placement(
            member, leader, join_item(self.alerts.table.name, leader.alert_id, member, rules.max_size)
        )

    def _absorbed(self, alert: Alert, policy: Policy, passed_over: frozenset[str]) -> Placement | None:
        """An open incident declared from a group takes the alert into its thread: it pages nobody (no page
        intents; its group, acknowledged, re-pages no more) and AlertRaised carries the incident's id."""
        rules = policy.grouping
        candidates = [a for a in self.alerts.list_open() if a.alert_id not in passed_over]
        leader = choose_incident(candidates, alert, rules)
        if leader is None:
            return None
        member = alert.model_copy(update={"group_id": leader.alert_id, "incident_id": leader.incident_id})
        join = absorb_item(self.alerts.table.name, leader, member, rules.max_size)
        return Placement(member, leader, join)

    def joined(self, leader_id: str, policy: Policy) -> None:
        """A member joined: the group's page, edited in place, lists it."""
        self._refresh(self.alerts.get(leader_id), policy)

    def keeps_paging(self, alert: Alert) -> bool:
        """A group's leader that recovered while others of its group still fail, nobody having answered:
        its re-pages go on (they speak for the group)."""
        if not leads_group(alert) or alert.status != AlertStatus.RESOLVED or alert.acknowledged_at:
            return False
        others = [self.alerts.get(m) for m in sorted(alert.members) if m != alert.alert_id]
        return still_failing(m for m in others if m is not None)

    def member_recovered(self, alert: Alert, at: datetime, policy: Policy) -> None:
        """A member (or the leader) recovered: its line in the group's page says so; when it was the last,
        the group's thread says the whole group has. A courtesy: failures are logged, never raised."""
        if alert.group_id is None:
            return
        try:
            leader = self.store.mark_recovered(alert.group_id, alert.alert_id, at)
            if leader is None or len(leader.members) < 2:
                return
            self._refresh(leader, policy)
            everyone = all(m.recovered_at for m in leader.members.values())
            if everyone and leader.slack_ts and self.store.claim_all_recovered(leader.alert_id, at):
                self.pager.post_resolution(
                    leader.slack_ts,
                    f":white_check_mark: All {len(leader.members)} alerts of this group recovered.",
                )
        except Exception:
            logger.exception("could not show a group member's recovery", extra={"alert_id": alert.alert_id})

    def member_reopened(self, alert: Alert, policy: Policy) -> None:
        """A member back in ALARM (flapping, re-opened without a page): its line fails again."""
        if alert.group_id is None:
            return
        try:
            leader = self.store.mark_recovered(alert.group_id, alert.alert_id, None)
            if leader is not None and len(leader.members) > 1:
                self._refresh(leader, policy)
        except Exception:
            logger.exception("could not show a member failing again", extra={"alert_id": alert.alert_id})

    def sweep_set(self, open_alerts: Iterable[Alert]) -> list[Alert]:
        """The open alerts, and the leaders (resolved already) of groups whose members still fail: the
        sweep moves their re-pages along too."""
        found = list(open_alerts)
        known = {a.alert_id for a in found}
        for leader_id in sorted({a.group_id for a in found if a.group_id} - known):
            leader = self.alerts.get(leader_id)
            if leader is not None:
                found.append(leader)
        return found

    def _refresh(self, leader: Alert | None, policy: Policy) -> None:
        if leader is None:
            return
        for page in self.pages.for_alert(leader.alert_id):
            if not page.delivered:
                continue
            try:
                self.pager.refresh(page, leader, policy)
            except Exception:  # the page was sent; its list is a courtesy the next change redraws
                logger.exception("could not edit the group's page", extra={"page_id": page.page_id})
