"""What a Slack request asks for, in the terms of the permission model (pure, light: loaded for every
request, acknowledgements included). The Slack app's one guard (slack_app.py) decides on it."""

from __future__ import annotations

from typing import Any

from incident_core.incidents.acks import DECLARE_CALLBACK_ID, parse
from incident_core.policy.permissions import Asked

BUTTONS = {
    "alert_acknowledge": ("acknowledge", "the Acknowledge button"),
    "alert_real_incident": ("validate", "the Real incident button"),
    "alert_false_alarm": ("validate", "the False alarm button"),
    "action_done": ("close action item", "the Done button"),
    "change_revert": ("revert", "the Revert button"),
}
COMMANDS = {
    "help": "read",
    "unknown": "read",
    "actions": "read",
    "declare": "declare",
    "note": "note",
    "update": "update",
    "action": "open action item",
    "edit": "close action item",  # an item's change: its owner or a responder, as for its Done button
    "impact": "change impact",
    "lead": "lead",
    "resolve": "resolve",
    "graph": "note",  # adds pictures to the thread, as anyone may add a note
}
WINDOWS = {"silence": "change silences", "traction": "change traction moments"}
# Where each message event kind carries its author: (what it is, in words; the key of the author's message).
EVENT_AUTHORS = {
    "message_changed": ("an edit of a thread reply", "message"),
    "message_deleted": ("a deletion of a thread reply", "previous_message"),
}


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _command_permission(text: str) -> tuple[str, str]:
    command = parse(text)
    label = f"`/incident {command.name}`"
    if command.name == "status":
        return ("change status" if command.words else "read"), label
    if command.name in WINDOWS:
        verb = command.words[0].lower() if command.words else "list"
        label = f"`/incident {command.name} {verb}`"
        return ("read" if verb == "list" else WINDOWS[command.name]), label
    return COMMANDS.get(command.name, "unknown"), label


def what_is_asked(body: dict[str, Any]) -> Asked | None:
    """The permission a request needs, with who asks from which workspace; None for Slack's own
    requests (URL verification, SSL check), which ask nothing."""
    if body.get("command"):
        if body["command"] != "/incident":
            return Asked("unknown", f"`{body['command']}`", body.get("user_id"), body.get("team_id"))
        permission, label = _command_permission(body.get("text") or "")
        command = parse(body.get("text") or "")
        target = command.words[0] if command.name == "edit" and command.words else None
        return Asked(
            permission,
            label,
            body.get("user_id"),
            body.get("team_id"),
            body.get("enterprise_id") or None,
            target=target,
        )
    kind = body.get("type")
    user = body.get("user") or {}
    if kind in ("block_actions", "view_submission"):
        team = _id(body.get("team")) or user.get("team_id")
        enterprise = _id(body.get("enterprise"))
        target = None
        if kind == "block_actions":
            action = (body.get("actions") or [{}])[0]
            action_id, target = action.get("action_id"), action.get("value")
            permission, label = BUTTONS.get(action_id, ("unknown", f"the `{action_id}` button"))
        elif (body.get("view") or {}).get("callback_id") == DECLARE_CALLBACK_ID:
            permission, label = "declare", "the declare form"
        else:
            permission, label = "unknown", "a form"
        return Asked(permission, label, user.get("id"), team, enterprise, target)
    if kind == "event_callback":
        event = body.get("event") or {}
        label, author = EVENT_AUTHORS.get(event.get("subtype"), ("a thread reply", None))
        # In a channel shared with another organisation (Slack Connect) the author's own workspace is the
        # user_team of the message they wrote: an edit carries it in `message`, a deletion in
        # `previous_message`, a reply at the top level. The callback's team_id is the receiving one.
        message = (event.get(author) if author else event) or {}
        team = message.get("user_team") or message.get("team") or event.get("user_team")
        team = team or body.get("team_id")
        user = message.get("user") or event.get("user")
        return Asked("reply", label, user, team, body.get("enterprise_id") or None)
    return None
