"""Who may do what from Slack: the one decision every button, form, command and thread reply goes
through (pure; the table is in docs/policy.md#who-may-do-what).

- anyone in the workspace: declare, reply in a thread, add a note or an update, open an action item,
  read (`status`, `help`, `actions`, the lists of silences and traction moments);
- responders (the policy's people, or `permissions.responders`, and the members of
  `permissions.responder_group`, a Slack user group): acknowledge, validate (real / false
  alarm), lead, change the status or the impact, resolve, mark an action item done (its owner may too);
- admins (`permissions.admins`; the responders when none is named): add or end silences and traction
  moments.
Requests from another workspace or Enterprise Grid organisation than the installed one are refused,
whatever is asked, unless `permissions.other_workspaces` names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # light at import: the Slack app's acknowledgements load this module, not pydantic
    from incident_core.policy.model import Policy


class Who(StrEnum):
    ANYONE = "anyone in the workspace"
    RESPONDERS = "responders"
    ADMINS = "admins"


# Each permission, and who has it. A request that names none is treated as a responders' one.
PERMISSIONS: dict[str, Who] = {
    "read": Who.ANYONE,
    "declare": Who.ANYONE,
    "reply": Who.ANYONE,
    "note": Who.ANYONE,
    "update": Who.ANYONE,
    "open action item": Who.ANYONE,
    "acknowledge": Who.RESPONDERS,
    "validate": Who.RESPONDERS,
    "lead": Who.RESPONDERS,
    "change status": Who.RESPONDERS,
    "change impact": Who.RESPONDERS,
    "resolve": Who.RESPONDERS,
    "close action item": Who.RESPONDERS,
    "revert": Who.RESPONDERS,
    "change silences": Who.ADMINS,
    "change traction moments": Who.ADMINS,
}


@dataclass(frozen=True)
class Asked:
    """What a Slack request asks (`permission`, a key of PERMISSIONS), by whom and from where."""

    permission: str
    label: str  # what the person did, in words: "/incident silence add", "the Acknowledge button"
    user: str | None
    team: str | None
    enterprise: str | None = None
    target: str | None = None  # what a button acts on (its value: an alert or action item id)


@dataclass(frozen=True)
class Installed:
    """The workspace (and Enterprise Grid organisation, if any) the app is installed in."""

    team: str | None
    enterprise: str | None = None


def refusal(
    policy: Policy,
    asked: Asked,
    installed: Installed,
    group: Callable[[], frozenset[str]] | None = None,
    owner: Callable[[], str | None] | None = None,
) -> str | None:
    """Why `asked` is refused (a sentence for the person), or None when it is allowed. `group` gives the
    members of the policy's responder user group, `owner` the owner of the action item a Done button
    closes; each is asked only when the answer depends on it."""
    allowed_teams = {installed.team, installed.enterprise, *policy.permissions.other_workspaces} - {None}
    foreign = [value for value in (asked.team, asked.enterprise) if value and value not in allowed_teams]
    if foreign or not asked.team:
        return (
            f"This app serves its own workspace only; {asked.label} from workspace "
            f"`{(foreign or ['(none)'])[0]}` is refused."
        )
    who = PERMISSIONS.get(asked.permission, Who.RESPONDERS)
    if who is Who.ANYONE:
        return None
    members = policy.responder_ids if who is Who.RESPONDERS else policy.admin_ids
    if asked.user in members:
        return None
    if asked.permission == "close action item" and owner is not None and owner() == asked.user:
        return None  # an item's owner may close it, responder or not
    in_group = who is Who.RESPONDERS or not policy.permissions.admins  # admins default to responders
    if in_group and policy.permissions.responder_group and group is not None and asked.user in group():
        return None
    if who is Who.ADMINS and policy.permissions.admins:
        return f"Only the policy's admins may {asked.permission} ({asked.label})."
    return (
        f"Only responders (the people of the incident policy) may {asked.permission} ({asked.label}). "
        "Ask one of them, or reply in the incident's thread: everyone's replies are recorded."
    )
