"""A revert's outcome and its proof in the incident's thread (the incident-thread function's part).

RevertFinished: the outcome posted once (with an Undo button when it was done), a timeline entry.
JourneyRechecked: "passes again 40 s after the revert", or that it still fails (look elsewhere); a
timeline entry; the revert's `recovered_at` for the post-mortem's measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from incident_core.changes.reverts import UNDO, RevertStore
from incident_core.events import JourneyRechecked, RevertFinished
from incident_core.incidents.render import duration, mrkdwn
from incident_core.incidents.timeline import REVERTED_KEY, system_entry


def seconds_after(seconds: float) -> str:
    return f"{max(int(seconds), 0)} s" if seconds < 120 else duration(seconds)


@dataclass
class RevertThread:
    thread: Any  # incident_core.incidents.thread.IncidentThread
    reverts: RevertStore

    def finished(self, event: RevertFinished) -> str | None:
        incident = self.thread.incidents.get(event.incident_id)
        if incident is None:
            return None
        key = f"{REVERTED_KEY}-{event.revert_id}" if event.ok else f"revert-failed-{event.revert_id}"
        who = f"<@{event.requested_by}>"
        if event.ok:
            text = f"Reverted by {who}: {event.what}" + (f" ({event.reason})" if event.reason else "")
        else:
            text = f"Revert asked by {who} failed: {event.what}. Why: {event.reason}"
        self.thread.incidents.add_timeline(
            system_entry(incident.incident_id, event.finished_at, key, text, author=event.requested_by)
        )
        self._measure(
            incident.incident_id,
            event.revert_id,
            what=event.what,
            by=event.requested_by,
            at=event.finished_at.isoformat(),
            ok=event.ok,
            reason=event.reason,
        )
        blocks: list[dict] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": self._said(event, text)}}
        ]
        revert = self.reverts.get(event.incident_id, event.revert_id)
        undoable = revert is not None and revert.plan.undoable
        if event.ok and undoable and not event.revert_id.endswith(UNDO):
            blocks[0]["accessory"] = {
                "type": "button",
                "action_id": "change_revert",
                "text": {"type": "plain_text", "text": "Undo revert"},
                "value": f"{incident.incident_id}|{event.revert_id}{UNDO}",
                "confirm": {
                    "title": {"type": "plain_text", "text": "Undo this revert?"},
                    "text": {"type": "mrkdwn", "text": "Put the change back as it was before the revert."},
                    "confirm": {"type": "plain_text", "text": "Undo"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }
        self._say(incident, key, text, blocks)
        return key

    def _say(self, incident: Any, key: str, text: str, blocks: list[dict]) -> None:
        """Post once in the thread (the timeline entry's text as the message's text, so the document
        does not count it twice)."""
        if not (incident.channel and incident.thread_ts):
            return
        if not self.thread.incidents.claim_announcement(incident.incident_id, key):
            return
        try:
            self.thread._post(incident, f"announce:{key}", mrkdwn(text), blocks)
        except Exception:  # not posted: the retried delivery posts it
            self.thread.incidents.release_announcement(incident.incident_id, key)
            raise

    @staticmethod
    def _said(event: RevertFinished, text: str) -> str:
        if not event.ok:
            return f":x: {mrkdwn(text)}"
        journeys = ", ".join(f"`{j}`" for j in event.journeys) or "the journeys"
        return f":rewind: {mrkdwn(text)}. Running {journeys} again now."

    def _measure(self, incident_id: str, revert_id: str, **facts: Any) -> None:
        """The revert in the incident's record (`checklist.reverts`), for the document and post-mortem."""

        def record(current: Any) -> bool:
            reverts = dict(current.checklist.get("reverts") or {})
            merged = {**reverts.get(revert_id, {}), **facts}
            if reverts.get(revert_id) == merged:
                return False
            current.checklist = {**current.checklist, "reverts": {**reverts, revert_id: merged}}
            return True

        self.thread.incidents.change(incident_id, record)

    def rechecked(self, event: JourneyRechecked) -> str | None:
        incident = self.thread.incidents.get(event.incident_id)
        revert = self.reverts.get(event.incident_id, event.revert_id)
        if incident is None or revert is None:
            return None
        after = seconds_after(
            (event.checked_at - (revert.finished_at or revert.requested_at)).total_seconds()
        )
        if event.failed:
            why = "; ".join(f"`{j}`: {mrkdwn(reason)}" for j, reason in sorted(event.failed.items()))
            text = f"Still failing {after} after the revert: {why}. The cause may be elsewhere."
            emoji = ":warning:"
            self.reverts.move(event.incident_id, event.revert_id, ("done",), still_failing=event.failed)
        else:
            names = ", ".join(f"`{j}`" for j in event.passed) or "The journeys"
            text = f"{names} passes again {after} after the revert."
            emoji = ":white_check_mark:"
            self.reverts.move(event.incident_id, event.revert_id, ("done",), recovered_at=event.checked_at)
        seconds = (event.checked_at - (revert.finished_at or revert.requested_at)).total_seconds()
        if event.failed:
            self._measure(event.incident_id, event.revert_id, still_failing=sorted(event.failed))
        else:
            self._measure(event.incident_id, event.revert_id, recovered_after_seconds=round(seconds))
        key = f"recheck-{event.revert_id}"
        self.thread.incidents.add_timeline(system_entry(incident.incident_id, event.checked_at, key, text))
        self._say(
            incident, key, text, [{"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} {text}"}}]
        )
        return key
