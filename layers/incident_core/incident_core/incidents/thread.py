"""The incident's thread in the incidents channel: started on IncidentDeclared, kept current after.

On a declaration: the root message (the Live Incident State Document) is posted and linked to the
incident; then the Zoom war room and the checklist lookups run at once, each within its deadline; the
war room link (or why there is none), the checklist and the runbook are posted in the thread; the
root message is edited to show the war room. Each step looks at the stored state first, so a repeated
or resumed delivery only does what is missing. Changes edit the root message in place (never a new
post) and post the change in the thread once.

Every post carries a block id naming it (`incident:<id>:<what>`) and is made with `post_marked`: a post
whose answer was lost (timeout, reset, 5xx) is found in Slack, never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.slack import marker_id
from incident_core.adapters.zoom import MeetingCreator, ZoomError
from incident_core.clock import utc_now
from incident_core.events import AlertRaised, IncidentChanged, IncidentResolved, JourneyRecovered
from incident_core.incidents.checklist import (
    ChecklistResult,
    Lookups,
    checklist_message,
    run_checklist,
    run_with_deadline,
    runbook_message,
)
from incident_core.incidents.render import duration, mrkdwn, root_message, when
from incident_core.incidents.store import EntryExists, IncidentStore, ThreadTaken
from incident_core.incidents.timeline import system_entry
from incident_core.models import Incident, IncidentStatus

logger = logging.getLogger(__name__)
# Slack's clock and ours differ a little: the root is looked for from a minute before the declaration.
_ROOT_SEARCH_MARGIN = timedelta(minutes=1)


@dataclass
class IncidentThread:
    incidents: IncidentStore
    slack: Any  # incident_core.adapters.slack.Slack: post_marked(), update(), .client (chat.delete)
    channel: str
    zoom: Callable[[], MeetingCreator]  # made on first use: reading its secret may fail, and that is fine
    lookups: Lookups
    actions: Any  # incident_core.actions.store.ActionStore
    now: Callable[[], datetime] = utc_now

    # ------------------------------------------------------------------ IncidentDeclared
    def start(self, incident_id: str) -> Incident:
        incident = self.incidents.get(incident_id)
        if incident is None:
            raise LookupError(f"IncidentDeclared for {incident_id}, which is not stored")
        if incident.thread_ts is None:
            incident = self._post_root(incident)
        if incident.war_room_url is None and "revert" not in incident.checklist:
            incident = self._war_room_and_checklist(incident)
        self._refresh_root(incident.incident_id)
        return incident

    def _post_root(self, incident: Incident) -> Incident:
        text, blocks = root_message(incident)
        # The configured channel may be a name; the thread is stored by the id Slack answers with, the
        # one its events carry and chat.update and conversations.replies need.
        oldest = (incident.declared_at or incident.started_at) - _ROOT_SEARCH_MARGIN
        posted = self.slack.post_marked(
            self.channel, text, _marker(incident, "root"), f"{oldest.timestamp():.6f}", blocks=blocks
        )
        try:
            return self.incidents.link_thread(incident.incident_id, posted.channel, posted.ts)
        except ThreadTaken:
            # A concurrent delivery of the same declaration linked its own root first: withdraw ours.
            self.slack.client.chat_delete(channel=posted.channel, ts=posted.ts)
            current = self.incidents.get(incident.incident_id)
            assert current is not None
            return current

    def _war_room_and_checklist(self, incident: Incident) -> Incident:
        topic = f"{incident.incident_id} war room: {incident.title}"
        # Zoom and the checklist lookups run side by side; each has its own deadline.
        results = run_with_deadline(
            {
                "zoom": lambda: self.zoom().create_meeting(topic),
                "checklist": lambda: run_checklist(incident, self.lookups),
            },
            self.lookups.deadline_seconds + 2,
        )
        meeting, checklist = results["zoom"], results["checklist"]
        now = self.now()
        assert incident.channel and incident.thread_ts
        if isinstance(meeting, BaseException):
            reason = (
                str(meeting) if isinstance(meeting, ZoomError) else f"{type(meeting).__name__}: {meeting}"
            )
            logger.warning("no Zoom war room for %s: %s", incident.incident_id, reason)
            self._post(
                incident,
                "war-room",
                f":warning: Zoom could not start a war room ({mrkdwn(reason)}). The incident goes on: "
                "start a call by hand and paste its link here.",
            )
            war_room: dict[str, Any] = {"war_room": {"error": reason}}
            url = None
        else:
            url = meeting.join_url
            self._post(
                incident,
                "war-room",
                f":video_camera: War room: {url} (Zoom meeting {meeting.meeting_id}). "
                "Join to work on it together.",
            )
            self.incidents.add_timeline(
                system_entry(incident.incident_id, now, "zoom", f"Zoom war room started: {url}")
            )
            war_room = {}
        if isinstance(checklist, BaseException):  # run_checklist reports failing sources itself
            logger.exception("checklist failed for %s", incident.incident_id, exc_info=checklist)
            checklist_record: dict[str, Any] = {"revert": {"checked": False, "error": str(checklist)}}
            self._post(
                incident,
                "checklist",
                f":warning: The checklist could not be answered ({mrkdwn(str(checklist))}). Go through it by "
                "hand: revert? AWS or a vendor? runbook?",
            )
        else:
            checklist_record = self._post_checklist(incident, checklist, now)

        def store(current: Incident) -> None:
            current.war_room_url = current.war_room_url or url
            current.checklist = {**current.checklist, **war_room, **checklist_record}

        stored = self.incidents.change(incident.incident_id, store)
        assert stored is not None
        return stored

    def _post_checklist(self, incident: Incident, result: ChecklistResult, now: datetime) -> dict[str, Any]:
        assert incident.channel and incident.thread_ts
        text, blocks = checklist_message(result, incident)
        self._post(incident, "checklist", text, blocks)
        if result.runbook_found is not None:
            runbook_text, runbook_blocks = runbook_message(result.runbook_found)
            self._post(incident, "runbook", runbook_text, runbook_blocks)
        record = result.record(now)
        if result.runbook_missing_for:
            try:
                action = self.actions.open(
                    f"Write a runbook for '{result.runbook_missing_for}': config/runbooks/"
                    f"{record['runbook']['wanted']} (how it looks when broken, how to check, how to fix)",
                    owner=incident.lead,
                    incident_id=incident.incident_id,
                    alert_id=incident.alert_id,
                    source="missing-runbook",
                    by=None,
                    now=now,
                )
                record["runbook"]["action_id"] = action.action_id
            except Exception as error:  # the checklist is posted; the reminder to write one must not undo it
                logger.exception(
                    "could not open the missing-runbook action item for %s", incident.incident_id
                )
                record["runbook"]["action_error"] = str(error)
        return record

    def _post(self, incident: Incident, what: str, text: str, blocks: list[dict] | None = None) -> None:
        """A reply in the incident's thread, at most once whatever happens to Slack's answer."""
        assert incident.channel and incident.thread_ts
        self.slack.post_marked(
            incident.channel,
            text,
            _marker(incident, what),
            incident.thread_ts,
            blocks=blocks,
            thread_ts=incident.thread_ts,
        )

    # ------------------------------------------------------------------ changes
    def _refresh_root(self, incident_id: str) -> Incident | None:
        incident = self.incidents.get(incident_id)
        if incident is None or not (incident.channel and incident.thread_ts):
            return incident  # not started yet: the root is rendered from the stored state when it is
        text, blocks = root_message(incident)
        self.slack.update(incident.channel, incident.thread_ts, text, blocks=blocks)
        return incident

    def _announce(self, incident: Incident, key: str, text: str) -> None:
        if (
            incident.channel
            and incident.thread_ts
            and self.incidents.claim_announcement(incident.incident_id, key)
        ):
            try:
                self._post(incident, f"announce:{key}", text)
            except Exception:
                # Not posted: give the claim back so the retried delivery posts it (at least once).
                self.incidents.release_announcement(incident.incident_id, key)
                raise

    def changed(self, event: IncidentChanged) -> None:
        incident = self._refresh_root(event.incident_id)
        if incident is not None and event.entry_key:
            self._announce(incident, event.entry_key, mrkdwn(event.what))

    def resolved(self, event: IncidentResolved) -> None:
        incident = self._refresh_root(event.incident_id)
        if incident is None:
            return
        lasted = ""
        if incident.resolved_at:
            lasted = f" after {duration((incident.resolved_at - incident.started_at).total_seconds())}"
        self._announce(
            incident,
            "resolved",
            f":large_green_circle: Resolved by <@{event.resolved_by}> {when(event.resolved_at)}{lasted}. "
            "Time to learn from it: the incident document and post-mortem draft are being compiled.",
        )

    def alert_absorbed(self, event: AlertRaised) -> str | None:
        """An alert a declared incident absorbed (alerts/grouping.py): named in its Affected list and its
        timeline (one transaction), and posted in its thread, once however often the event comes."""
        if event.incident_id is None:
            return None
        key = f"absorbed-{event.alert_id}"
        text = f"Also failing: {event.title} (alert {event.alert_id}); part of this incident, nobody paged"

        def affect(incident: Incident) -> bool:
            if incident.status == IncidentStatus.RESOLVED:
                return False
            if event.journey and event.journey not in incident.journeys:
                incident.journeys.append(event.journey)
            if event.alarm_name and event.alarm_name not in incident.alarms:
                incident.alarms.append(event.alarm_name)
            return True

        try:
            incident = self.incidents.change(
                event.incident_id, affect, entry=system_entry(event.incident_id, event.raised_at, key, text)
            )
        except EntryExists:  # an earlier delivery recorded it; the post below is once as well
            incident = self.incidents.get(event.incident_id)
        if incident is None or incident.status == IncidentStatus.RESOLVED:
            return None
        self._announce(incident, key, f":heavy_plus_sign: {mrkdwn(text)}")
        self._refresh_root(incident.incident_id)
        return incident.incident_id

    def journey_recovered(self, event: JourneyRecovered) -> list[str]:
        """A timeline entry (and a reply) on each open incident of that journey; their ids."""
        touched = []
        for incident in self.incidents.list_open():
            if event.journey not in incident.journeys:
                continue
            since = f", failing since {when(event.failing_since)}" if event.failing_since else ""
            key = f"recovered-{event.journey}-{event.run_id}"
            text = f"Journey '{event.journey}' passes again{since}"
            self.incidents.add_timeline(system_entry(incident.incident_id, event.recovered_at, key, text))
            self._announce(
                incident,
                key,
                f":white_check_mark: Journey `{mrkdwn(event.journey)}` passes again "
                f"{when(event.recovered_at)}{since}. If users are fine, "
                f"`/incident resolve {incident.incident_id}`.",
            )
            touched.append(incident.incident_id)
        return touched


def _marker(incident: Incident, what: str) -> str:
    return marker_id("incident", incident.incident_id, what)
