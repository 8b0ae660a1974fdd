"""What people do to alerts and incidents from Slack: validate, declare, update, lead, resolve.

Every operation is safe to repeat (a double click, Slack's or Lambda's retries): incidents declared from
an alert get an id derived from the alert, timeline entries have keys, changes are written over the
version read. State changes are announced on the suite's bus; the incident-thread function renders them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incident_core.adapters.bus import EventBus
from incident_core.alerts.grouping import affected_by
from incident_core.clock import utc_now
from incident_core.events import IncidentChanged, IncidentDeclared, IncidentResolved
from incident_core.ids import new_id
from incident_core.incidents.render import mrkdwn
from incident_core.incidents.store import MAX_ENTRIES_PER_CREATE, EntryExists, IncidentExists, IncidentStore
from incident_core.incidents.timeline import ChangeKind, ThreadChange, alert_history_entries, system_entry
from incident_core.models import ActionItem, Alert, AlertEvent, AlertStatus, Incident, IncidentStatus
from incident_core.text import MAX_TEXT, MAX_TITLE, too_long

RESOLVED_KEY = "resolved"
SETTABLE_STATUSES = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING)


class CommandError(Exception):
    """Something a person asked for that cannot be done; the message tells them why (shown only to them)."""


def normalise_incident_id(value: str) -> str:
    prefix, _, rest = value.strip().partition("-")
    return f"{prefix.upper()}-{rest.lower()}"


def incident_id_for_alert(alert_id: str) -> str:
    """One alert, one incident: the id is derived from the alert's, so a second click finds the first."""
    _, _, suffix = alert_id.partition("-")
    if suffix and re.fullmatch(r"[0-9a-z]+", suffix, re.IGNORECASE):
        return f"INC-{suffix.lower()}"
    return "INC-" + hashlib.sha256(alert_id.encode()).hexdigest()[:18]


def default_impact(alert: Alert) -> str:
    if alert.journey:
        reason = f": {alert.state_reason}" if alert.state_reason else ""
        return f"Users cannot complete the '{alert.journey}' journey{reason}"
    if alert.alarm_name:
        reason = f": {alert.state_reason}" if alert.state_reason else ""
        return f"Alarm {alert.alarm_name} is in ALARM{reason}"
    return ""


@dataclass(frozen=True)
class Declared:
    incident: Incident
    created: bool  # False: it already existed (a repeated click)


@dataclass
class IncidentService:
    incidents: IncidentStore
    alerts: Any  # incident_core.alerts.store.AlertStore
    actions: Any  # incident_core.actions.store.ActionStore
    bus: EventBus
    now: Callable[[], datetime] = utc_now

    # ------------------------------------------------------------------ validation (the page's buttons)
    def _alert(self, alert_id: str) -> Alert:
        alert = self.alerts.get(alert_id)
        if alert is None:
            raise CommandError(f"There is no alert `{alert_id}` (it may have expired).")
        return alert

    def acknowledge(self, alert_id: str, by: str, how: str = "") -> Alert:
        before = self._alert(alert_id)
        now = self.now()
        alert = self.alerts.acknowledge(alert_id, by, now, how)
        if before.acknowledged_at is None and alert.acknowledged_by == by:
            # A responder may take someone else's page; the history says so, for the timeline and review.
            paged = {
                user
                for event in self.alerts.history(alert_id)
                if event.what.startswith(("paged ", "re-paged "))
                for user in re.findall(r"<@([UW][A-Z0-9]+)>", event.what)
            }
            if paged and by not in paged:
                addressed = ", ".join(f"<@{user}>" for user in sorted(paged))
                self.alerts.add_event(
                    alert_id, AlertEvent(at=now, what=f"<@{by}> acknowledged a page addressed to {addressed}")
                )
        return alert

    def false_alarm(self, alert_id: str, by: str) -> tuple[Alert, ActionItem]:
        """Close the alert as false and open the action item to find out why it was raised and fix it."""
        alert = self._alert(alert_id)
        if alert.incident_id:
            raise CommandError(
                f"This alert is already incident `{alert.incident_id}`; resolve the incident instead."
            )
        if alert.status != AlertStatus.FALSE_ALARM:
            alert = self.alerts.mark_false_alarm(alert_id, by, self.now())
        # Also when it was already marked: an attempt stopped between the two writes left no action item.
        # ActionStore.open makes one item per false alarm, so a repeat finds the first one.
        owner = alert.false_alarm_by or by
        action = self.actions.open(
            f"Find out why the false alert '{alert.title}' was raised, and fix it",
            owner=owner,
            incident_id=None,
            alert_id=alert_id,
            source="false-alarm",
            by=owner,
            now=alert.false_alarm_at or self.now(),
        )
        return alert, action

    # ------------------------------------------------------------------ declaring
    def declare_from_alert(self, alert_id: str, by: str) -> Declared:
        alert = self._alert(alert_id)
        if alert.status == AlertStatus.FALSE_ALARM:
            who = f" by <@{alert.false_alarm_by}>" if alert.false_alarm_by else ""
            raise CommandError(
                f"This alert was marked a false alarm{who}. If it is real after all, "
                "declare with `/incident declare`."
            )
        incident_id = alert.incident_id or incident_id_for_alert(alert_id)
        existing = self.incidents.get(incident_id)
        if existing is not None:
            return self._already_declared(existing, alert_id)
        now = self.now()
        if alert.acknowledged_at is None:  # calling it real is seeing it: re-paging stops
            alert = self.alerts.acknowledge(alert_id, by, now)
        history = self.alerts.history(alert_id)
        incident = Incident(
            incident_id=incident_id,
            title=alert.title[:MAX_TITLE],
            impact=default_impact(alert),
            lead=by,
            declared_by=by,
            started_at=alert.started_at,
            detected_at=alert.first_seen,
            acknowledged_at=alert.acknowledged_at,
            declared_at=now,
            alert_id=alert_id,
            # A group's incident is about every member: its Affected list, its thread's journey
            # recoveries and its post-mortem name them all (alerts/grouping.py).
            **affected_by(self._group_of(alert)),
            responders=[by],
        )
        entries = alert_history_entries(incident_id, history, limit=MAX_ENTRIES_PER_CREATE - 1)
        entries.append(system_entry(incident_id, now, "declared", f"Incident declared by <@{by}>", author=by))
        try:
            self.incidents.create(incident, entries)
        except IncidentExists:
            return self._already_declared(self.incidents.get(incident_id), alert_id)
        self.alerts.link_incident(alert_id, incident_id, now)
        self._announce_declared(incident)
        return Declared(incident, created=True)

    def _group_of(self, alert: Alert) -> list[Alert]:
        """The alert and, when it leads a group, its members (those not expired)."""
        members = [self.alerts.get(m) for m in sorted(set(alert.members) - {alert.alert_id})]
        return [alert, *(member for member in members if member is not None)]

    def _already_declared(self, incident: Incident | None, alert_id: str) -> Declared:
        if incident is None:  # pragma: no cover - create() reported it exists
            raise CommandError("The incident is being declared; try again in a moment.")
        now = self.now()
        self.alerts.link_incident(alert_id, incident.incident_id, now)
        if incident.thread_ts is None:
            # No thread yet: the first declaration may have stopped before its event went out. Announcing
            # again is safe (the thread function makes one thread per incident).
            self._announce_declared(incident)
        return Declared(incident, created=False)

    def declare(self, title: str, impact: str, by: str, request_key: str | None = None) -> Incident:
        """Declare an incident somebody found without an alert (from the dashboard, a user's report)."""
        title = " ".join(title.split())
        if not title:
            raise CommandError("An incident needs a title: what is broken, in a few words.")
        if len(title) > MAX_TITLE:
            raise CommandError(f"The title is {len(title)} characters; keep it within {MAX_TITLE}.")
        impact = impact.strip()
        if problem := too_long("The impact", impact, MAX_TEXT):
            raise CommandError(problem)
        now = self.now()
        incident_id = new_id("INC", now) if request_key is None else _id_from_key(request_key, now)
        incident = Incident(
            incident_id=incident_id,
            title=title,
            impact=impact,
            lead=by,
            declared_by=by,
            started_at=now,
            detected_at=now,
            acknowledged_at=now,
            declared_at=now,
            responders=[by],
        )
        entry = system_entry(incident_id, now, "declared", f"Incident declared by <@{by}>", author=by)
        try:
            self.incidents.create(incident, [entry])
        except IncidentExists:
            existing = self.incidents.get(incident_id) or incident
            if existing.thread_ts is None:  # the first attempt may have stopped before announcing it
                self._announce_declared(existing)
            return existing
        self._announce_declared(incident)
        return incident

    def _announce_declared(self, incident: Incident) -> None:
        self.bus.put(
            IncidentDeclared(
                incident_id=incident.incident_id,
                title=incident.title,
                declared_at=incident.declared_at,
                declared_by=incident.declared_by,
                alert_id=incident.alert_id,
            )
        )

    # ------------------------------------------------------------------ running it
    def open_incident(self, incident_id: str | None) -> Incident:
        """The incident a command is about: the one named, or the only open one."""
        if incident_id:
            incident = self.incidents.get(normalise_incident_id(incident_id))
            if incident is None:
                raise CommandError(f"There is no incident `{incident_id}`. `/incident status` lists them.")
            return incident
        open_incidents = self.incidents.list_open()
        if len(open_incidents) == 1:
            return open_incidents[0]
        if not open_incidents:
            raise CommandError("No incident is open. Declare one with `/incident declare`.")
        names = ", ".join(f"`{i.incident_id}` ({mrkdwn(i.title)})" for i in open_incidents)
        raise CommandError(
            f"{len(open_incidents)} incidents are open: {names}. Say which one, for example "
            f"`/incident note {open_incidents[0].incident_id} your text`."
        )

    def _change(
        self,
        incident: Incident,
        by: str,
        key: str,
        what: str,
        mutate: Callable[[Incident], bool | None],
        unchanged: str = "Nothing to change.",
    ) -> Incident:
        """Apply a change (`mutate` returns False when there is nothing to change), record it in the
        timeline under `key` and announce it. A repeated request (same key) completes what an
        interrupted one left undone and changes nothing twice."""
        if not incident.is_open:
            raise CommandError(f"`{incident.incident_id}` is resolved; it can no longer change.")
        now = self.now()
        outcome = {"changed": False}

        def apply(current: Incident) -> bool | None:
            if not current.is_open:
                raise CommandError(f"`{current.incident_id}` was resolved meanwhile.")
            outcome["changed"] = mutate(current) is not False
            if not outcome["changed"]:
                return False
            if by not in current.responders:
                current.responders.append(by)
            return True

        # The change and its timeline entry are written together, so an entry under `key` means this
        # request's change is made: a repeat only completes the announcement.
        changed: Incident | None
        if self.incidents.has_entry(incident.incident_id, key):
            changed = self.incidents.get(incident.incident_id)
        else:
            entry = system_entry(incident.incident_id, now, key, what, author=by)
            try:
                changed = self.incidents.change(incident.incident_id, apply, entry=entry)
            except EntryExists:  # a concurrent delivery of this same request wrote it first
                changed = self.incidents.get(incident.incident_id)
            else:
                if changed is not None and not outcome["changed"]:
                    raise CommandError(unchanged)
        if changed is None:
            raise CommandError(f"There is no incident `{incident.incident_id}`.")
        if not self.incidents.is_announced(incident.incident_id, key):
            self.bus.put(
                IncidentChanged(incident_id=incident.incident_id, changed_at=now, what=what, entry_key=key)
            )
        return changed

    def update(self, incident: Incident, text: str, by: str, key: str) -> Incident:
        text = _required(text, "an update", "/incident update the fix is rolling out")
        return self._change(
            incident, by, key, f"Update from <@{by}>: {text}", lambda i: setattr(i, "latest_update", text)
        )

    def set_impact(self, incident: Incident, text: str, by: str, key: str) -> Incident:
        text = _required(text, "the impact", "/incident impact users cannot book viewings")
        return self._change(
            incident, by, key, f"Impact set by <@{by}>: {text}", lambda i: setattr(i, "impact", text)
        )

    def note(self, incident: Incident, text: str, by: str, key: str) -> Incident:
        text = _required(text, "a note", "/incident note restarted the API tasks")
        return self._change(incident, by, key, f"Note from <@{by}>: {text}", lambda i: None)

    def set_lead(self, incident: Incident, lead: str, by: str, key: str) -> Incident:
        def mutate(current: Incident) -> bool:
            if current.lead == lead:
                return False
            current.lead = lead
            if lead not in current.responders:
                current.responders.append(lead)
            return True

        what = f"<@{lead}> leads the incident (set by <@{by}>)"
        return self._change(incident, by, key, what, mutate, unchanged=f"<@{lead}> already leads it.")

    def set_status(self, incident: Incident, status: IncidentStatus, by: str, key: str) -> Incident:
        if status not in SETTABLE_STATUSES:
            raise CommandError(
                "Resolve with `/incident resolve`; the other statuses: investigating, identified, monitoring."
            )

        def mutate(current: Incident) -> bool:
            if current.status == status:
                return False
            current.status = status
            return True

        what = f"Status changed to {status.value} by <@{by}>"
        return self._change(incident, by, key, what, mutate, unchanged=f"It is already {status.value}.")

    def resolve(self, incident: Incident, by: str, summary: str = "") -> Incident:
        """Resolve; IncidentResolved goes on the bus (the root message is updated, the post-mortem made)."""
        summary = " ".join(summary.split())
        if problem := too_long("The summary", summary, MAX_TEXT):
            raise CommandError(problem)
        if not incident.is_open:
            if self.incidents.has_entry(
                incident.incident_id, RESOLVED_KEY
            ) and not self.incidents.is_announced(incident.incident_id, RESOLVED_KEY):
                # Resolved, but its event may never have gone out (stopped in between): send it now.
                self._announce_resolved(incident, by)
                return incident
            raise CommandError(f"`{incident.incident_id}` is already resolved.")
        now = self.now()

        def mutate(current: Incident) -> bool:
            if not current.is_open:
                return False
            current.status = IncidentStatus.RESOLVED
            current.resolved_at = now
            if summary:
                current.latest_update = summary
            if by not in current.responders:
                current.responders.append(by)
            return True

        text = f"Resolved by <@{by}>" + (f": {summary}" if summary else "")
        entry = system_entry(incident.incident_id, now, RESOLVED_KEY, text, author=by)
        try:  # resolved and its timeline entry together: a resolved incident always has its entry
            resolved = self.incidents.change(incident.incident_id, mutate, entry=entry)
        except EntryExists:
            resolved = None
        if resolved is None or resolved.resolved_at != now:
            raise CommandError(f"`{incident.incident_id}` was resolved meanwhile.")
        self._announce_resolved(resolved, by)
        return resolved

    def _announce_resolved(self, incident: Incident, by: str) -> None:
        at = incident.resolved_at or self.now()
        self.bus.put(IncidentResolved(incident_id=incident.incident_id, resolved_at=at, resolved_by=by))

    # ------------------------------------------------------------------ the thread (Events API)
    def record_thread_change(self, change: ThreadChange) -> bool:
        """Record a reply, edit or deletion in an incident thread; False when nothing changed."""
        incident_id = self.incidents.by_thread(change.channel, change.thread_ts)
        if incident_id is None:
            return False
        if change.kind == ChangeKind.REPLY:
            return self.incidents.add_timeline(change.entry(incident_id))
        if change.kind == ChangeKind.EDIT:
            changed = self.incidents.edit_timeline(incident_id, change.key, change.text, change.at)
        else:
            changed = self.incidents.delete_timeline(incident_id, change.key, change.at)
        # An edit or deletion can arrive before the reply itself: record the reply as it now stands.
        return changed or self.incidents.add_timeline(change.entry(incident_id))


def _required(text: str, what: str, example: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise CommandError(f"Say {what}, for example `{example}`.")
    if len(text) > MAX_TEXT:
        raise CommandError(f"That is {len(text)} characters; keep it within {MAX_TEXT}.")
    return text


def _id_from_key(request_key: str, now: datetime) -> str:
    """An incident id that a repeated request (same key) gets again: the key's hash, after the day."""
    digest = hashlib.sha256(request_key.encode()).hexdigest()[:12]
    return f"INC-{now.strftime('%y%m%d')}{digest}"
