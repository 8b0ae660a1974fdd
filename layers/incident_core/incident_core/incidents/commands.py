"""`/incident <subcommand> ...`: parsing (pure) and running against the stores.

Which incident a command is about: Slack sends no thread with a slash command, so a command names
its incident (`/incident note INC-… text`) or, when exactly one incident is open, acts on that one;
otherwise it says which are open and how to name one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from incident_core.incidents.acks import Command, help_message
from incident_core.incidents.render import mrkdwn, status_list, when
from incident_core.incidents.service import CommandError, IncidentService
from incident_core.models import Incident, IncidentStatus

LONDON = ZoneInfo("Europe/London")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
RELATIVE = re.compile(r"^\+(\d+)([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Paging is the point of the suite: a silence or a traction window cannot quietly last for ever. Longer
# needs are a change to config/policy.yaml (reviewed), or a new window when this one ends.


def user_id(value: str) -> str:
    match = MENTION.match(value.strip())
    if not match:
        raise CommandError(f"`{value}` is not a person: mention them, like `@alastair`.")
    return match.group(1)


def parse_when(value: str, now: datetime, base: datetime | None = None) -> datetime:
    """`now`, `+30m` / `+4h` / `+2d` / `+1w` (after `base` or now), or ISO-8601 (London time if no offset)."""
    text = value.strip()
    if text.lower() == "now":
        return now
    relative = RELATIVE.match(text.lower())
    if relative:
        amount, unit = int(relative.group(1)), UNITS[relative.group(2)]
        return (base or now) + timedelta(**{unit: amount})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"`{value}` is not a time: use `now`, `+4h`, `+2d` or `2026-12-01T18:00` (London time)."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)  # wall-clock time in London, BST or GMT as it falls
    return parsed.astimezone(UTC)


@dataclass
class Reply:
    text: str
    blocks: list[dict] | None = None
    # Also said in the incidents channel, for everybody (who changed paging, and how).
    announce: str | None = None


@dataclass
class Commands:
    service: IncidentService
    policy: Any  # incident_core.policy.store.PolicyStore
    actions: Any  # incident_core.actions.store.ActionStore
    permalinks: Callable[[list[Incident]], dict[str, str]] = field(default=lambda incidents: {})
    # `/incident graph`: made on first use (CloudWatch and the pictures' modules load only then).
    pictures: Callable[[], Any] | None = None

    @property
    def now(self) -> datetime:
        return self.service.now()

    def run(self, command: Command, user: str, key: str) -> Reply:
        """Run a parsed command for `user`; `key` identifies the request (a retry has the same key)."""
        if command.name in ("help", "unknown"):
            prefix = f"`{command.given}` is not an `/incident` command." if command.name == "unknown" else ""
            return Reply(*help_message(prefix))
        if command.problem:
            raise CommandError(command.problem)
        handler = getattr(self, "_" + command.name)
        return handler(command, user, key)

    # ------------------------------------------------------------------ incidents
    def _declare(self, command: Command, user: str, key: str) -> Reply:
        raise CommandError("`/incident declare` opens a form; if none appeared, try again.")

    def _status(self, command: Command, user: str, key: str) -> Reply:
        if command.incident_id and not command.words:  # one incident's state
            incident = self.service.open_incident(command.incident_id)
            links = self.permalinks([incident])
            return Reply(*status_list([incident], links, self.now, heading=incident.incident_id))
        if command.words:
            if len(command.words) != 1:
                raise CommandError("Say the new status: `/incident status identified`.")
            try:
                status = IncidentStatus(command.words[0].lower())
            except ValueError:
                raise CommandError(
                    f"`{command.words[0]}` is not a status: investigating, identified or monitoring."
                ) from None
            incident = self.service.open_incident(command.incident_id)
            changed = self.service.set_status(incident, status, user, f"status-{key}")
            return Reply(f"`{changed.incident_id}` is now {status.value}.")
        incidents = self.service.incidents.list_open()
        return Reply(*status_list(incidents, self.permalinks(incidents), self.now))

    def _update(self, command: Command, user: str, key: str) -> Reply:
        incident = self.service.update(
            self.service.open_incident(command.incident_id), command.rest, user, f"update-{key}"
        )
        return Reply(f"Updated `{incident.incident_id}`: the top of its thread shows it now.")

    def _impact(self, command: Command, user: str, key: str) -> Reply:
        incident = self.service.open_incident(command.incident_id)
        incident = self.service.set_impact(incident, command.rest, user, f"impact-{key}")
        return Reply(f"Impact of `{incident.incident_id}` recorded.")

    def _note(self, command: Command, user: str, key: str) -> Reply:
        incident = self.service.note(
            self.service.open_incident(command.incident_id), command.rest, user, f"note-{key}"
        )
        return Reply(f"Noted in the timeline of `{incident.incident_id}`.")

    def _lead(self, command: Command, user: str, key: str) -> Reply:
        lead = user if command.rest.lower() in ("me", "myself") else user_id(command.rest)
        incident = self.service.set_lead(
            self.service.open_incident(command.incident_id), lead, user, f"lead-{key}"
        )
        return Reply(f"<@{lead}> leads `{incident.incident_id}`.")

    def _resolve(self, command: Command, user: str, key: str) -> Reply:
        incident = self.service.resolve(self.service.open_incident(command.incident_id), user, command.rest)
        return Reply(f"`{incident.incident_id}` is resolved. The post-mortem draft follows in its thread.")

    def _graph(self, command: Command, user: str, key: str) -> Reply:
        if self.pictures is None:
            raise CommandError("Pictures of the incident window are not set up here.")
        incident = self.service.open_incident(command.incident_id)
        posted, problems = self.pictures().post(incident, user, self.now)
        said = f" Not drawn: {' '.join(mrkdwn(problem) for problem in problems)}" if problems else ""
        if not posted:
            return Reply(f"No picture of `{incident.incident_id}` could be drawn.{said}")
        pictures = "1 picture" if posted == 1 else f"{posted} pictures"
        return Reply(f"{pictures} of `{incident.incident_id}`'s window posted in its thread.{said}")

    # ------------------------------------------------------------------ action items
    def _action(self, command: Command, user: str, key: str) -> Reply:
        words = command.rest.split()
        owner = user_id(words[-1]) if words and words[-1].startswith("<@") else None
        text = " ".join(words[:-1] if owner else words)
        if not text:
            raise CommandError(command.problem or "Say what must be done.")
        incident_id, note = None, ""
        if command.incident_id:
            incident_id = self.service.open_incident(command.incident_id).incident_id
        else:
            open_incidents = self.service.incidents.list_open()
            if len(open_incidents) == 1:
                incident_id = open_incidents[0].incident_id
            elif open_incidents:
                self.service.open_incident(None)  # raises: several are open, name one
            else:
                note = " It is not linked to an incident: none is open (name one with `INC-…` to link it)."
        try:
            item = self.actions.open(
                text,
                owner=owner,
                incident_id=incident_id,
                alert_id=None,
                source="manual",
                by=user,
                now=self.now,
                request_key=key,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        from incident_core.actions.tracking import announce_action_change

        announce_action_change(self.service.bus, item.action_id, "opened", self.now, user)
        owner_text = f"<@{item.owner}>" if item.owner else "nobody yet"
        linked = f" for `{incident_id}`" if incident_id else ""
        return Reply(
            f"Action item `{item.action_id}`{linked}: {mrkdwn(item.text)} · owner {owner_text} · "
            f"{item.priority}, due {item.due:%a %d %b}.{note}"
        )

    def _edit(self, command: Command, user: str, key: str) -> Reply:
        """An item's due date, owner or text changed in Slack; the tracker sync brings its issue in step."""
        from datetime import date

        from incident_core.actions.store import london_today
        from incident_core.actions.tracking import announce_action_change

        action_id, what, value = command.words[0], command.words[1].lower(), " ".join(command.words[2:])
        if self.actions.get(action_id) is None:
            raise CommandError(
                f"There is no action item `{mrkdwn(action_id)}`: `/incident actions` lists them."
            )
        try:
            if what == "due":
                due = date.fromisoformat(value)
                if due < london_today(self.now):
                    raise ValueError(f"{due} is in the past")
                item = self.actions.edit(action_id, due=due)
            elif what == "owner":
                item = self.actions.edit(action_id, owner=value)
            elif what == "text":
                item = self.actions.edit(action_id, text=value)
            else:
                raise ValueError(f"say `due`, `owner` or `text`, not `{what}`")
        except ValueError as error:
            raise CommandError(f"Action item `{action_id}` was not changed: {mrkdwn(str(error))}.") from None
        announce_action_change(self.service.bus, item.action_id, "edited", self.now, user)
        owner_text = f"<@{item.owner}>" if item.owner else "nobody yet"
        due = f"{item.due:%a %d %b}"
        return Reply(f"Action item `{item.action_id}`: {mrkdwn(item.text)} · owner {owner_text} · due {due}.")

    def _actions(self, command: Command, user: str, key: str) -> Reply:
        from incident_core.actions.render import render_action_list
        from incident_core.actions.store import london_today

        items = self.actions.list_open()
        return Reply(*render_action_list(items, today=london_today(self.now)))

    # ------------------------------------------------------------------ the policy's windows
    def _traction(self, command: Command, user: str, key: str) -> Reply:
        from incident_core.policy.store import PolicyError

        verb = command.words[0].lower() if command.words else "list"
        now = self.now
        try:
            if verb == "add":
                if len(command.words) < 4:
                    raise CommandError(
                        "`/incident traction add <start> <end> <label>`, e.g. `add now +4h launch email`."
                    )
                start = parse_when(command.words[1], now)
                end = parse_when(command.words[2], now, base=start)
                window = self.policy.add_traction(start, end, " ".join(command.words[3:]), user, now, key)
                text = (
                    f"Traction moment `{window.window_id}` *{mrkdwn(window.label)}*: {when(window.start)} to "
                    f"{when(window.end)}. Off-hours alerts page Alastair and Wisen at once in it."
                )
                return Reply(text, announce=f":rocket: <@{user}> set a traction moment. {text}")
            if verb == "list":
                windows = self.policy.list_traction(now)
                if not windows:
                    return Reply("No traction moment is set: business as usual.")
                lines = [
                    f"• `{w.window_id}` *{mrkdwn(w.label)}*: {when(w.start)} to {when(w.end)}"
                    + (" (now)" if w.covers(now) else "")
                    for w in windows
                ]
                return Reply("*Traction moments*\n" + "\n".join(lines))
            if verb == "end" and len(command.words) == 2:
                window = self.policy.end_traction(command.words[1], now)
                text = f"Traction moment `{window.window_id}` ({mrkdwn(window.label)}) ended."
                return Reply(text, announce=f":rocket: <@{user}> ended a traction moment. {text}")
        except (PolicyError, LookupError, ValueError) as error:
            raise CommandError(str(error).strip("'\"")) from None
        raise CommandError(
            "`/incident traction add <start> <end> <label>`, `traction list` or `traction end <id>`."
        )

    def _silence(self, command: Command, user: str, key: str) -> Reply:
        from incident_core.policy.store import PolicyError

        verb = command.words[0].lower() if command.words else "list"
        now = self.now
        try:
            if verb == "add":
                if len(command.words) < 4:
                    raise CommandError(
                        "`/incident silence add <journey-or-alarm[*]> <until> <reason>`, "
                        "e.g. `add book-viewing +2h database upgrade`."
                    )
                match = command.words[1]
                end = parse_when(command.words[2], now)
                silence = self.policy.add_silence(match, end, " ".join(command.words[3:]), user, now, key)
                text = (
                    f"Silence `{silence.silence_id}`: alerts for `{mrkdwn(silence.match)}` are recorded, "
                    f"not paged, until {when(silence.end)} ({mrkdwn(silence.reason)})."
                )
                return Reply(text, announce=f":no_bell: <@{user}> silenced paging. {text}")
            if verb == "list":
                silences = self.policy.list_silences(now)
                if not silences:
                    return Reply("No silence is active.")
                lines = [
                    f"• `{s.silence_id}` `{mrkdwn(s.match)}` until {when(s.end)}: {mrkdwn(s.reason)}"
                    for s in silences
                ]
                return Reply("*Silences*\n" + "\n".join(lines))
            if verb == "end" and len(command.words) == 2:
                silence = self.policy.end_silence(command.words[1], now)
                text = f"Silence `{silence.silence_id}` for `{mrkdwn(silence.match)}` ended: paging again."
                return Reply(text, announce=f":bell: <@{user}> ended a silence. {text}")
        except (PolicyError, LookupError, ValueError) as error:
            raise CommandError(str(error).strip("'\"")) from None
        raise CommandError(
            "`/incident silence add <journey-or-alarm[*]> <until> <reason>`, `silence list` "
            "or `silence end <id>`."
        )
