"""What the Slack app answers at once, in the acknowledgement, with nothing looked up: `/incident`
parsed, help, the declare form (pure).

Kept apart from the models, stores and rendering of incidents, and from Bolt, so that a cold container
acknowledges a request without loading them (pydantic alone is about 0.1 s): Slack waits for the
acknowledgement, the lazy listener that does the work loads the rest. Bolt's listener and the fast path
(quick_ack.py) answer from the same `answer_at_once`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from incident_core.text import MAX_TITLE, as_text, too_long

INCIDENT_ID = re.compile(r"^INC-[0-9a-z]+$", re.IGNORECASE)
DECLARE_CALLBACK_ID = "incident_declare"
SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text
# Subcommands that act on one incident (named, or the only open one).
ON_INCIDENT = ("update", "impact", "note", "lead", "resolve")
SUBCOMMANDS = (
    "help",
    "declare",
    "status",
    *ON_INCIDENT,
    "action",
    "actions",
    "edit",
    "traction",
    "silence",
    "graph",
)


@dataclass(frozen=True)
class Command:
    name: str  # a subcommand, or "unknown"
    words: list[str]
    rest: str  # the text after the subcommand (and after the incident id, when one is named)
    incident_id: str | None = None
    given: str = ""  # what was typed, for "unknown"

    @property
    def problem(self) -> str | None:
        """What is missing, known without looking anything up (answered at once, in the acknowledgement)."""
        if self.name in ("update", "impact", "note") and not self.rest:
            example = f"/incident {self.name} {EXAMPLES[self.name]}"
            return f"`/incident {self.name}` needs a text, for example `{example}`."
        if self.name == "lead" and not self.rest:
            return "Say who leads it: `/incident lead @person`."
        if self.name == "action" and not self.rest:
            return "Say what must be done: `/incident action add a retry to the viewing API @owner`."
        if self.name == "edit" and len(self.words) < 3:
            return "`/incident edit act-… due 2027-01-08`, `… owner @person` or `… text <what to do>`."
        if self.name == "declare":  # the form's title field holds at most MAX_TITLE: say so, never cut
            return too_long("The title", self.rest, MAX_TITLE)
        return None


EXAMPLES = {
    "update": "the fix is rolling out",
    "impact": "users cannot book viewings",
    "note": "restarted the API tasks",
}


def parse(text: str) -> Command:
    text = (text or "").strip()
    if not text:
        return Command("help", [], "")
    head, _, rest = text.partition(" ")
    name = head.lower()
    rest = rest.strip()
    if name not in SUBCOMMANDS:
        return Command("unknown", text.split(), rest, given=head)
    incident_id = None
    first, _, after = rest.partition(" ")
    if name in (*ON_INCIDENT, "status", "action", "graph") and INCIDENT_ID.match(first):
        incident_id, rest = first, after.strip()
    return Command(name, rest.split(), rest, incident_id)


HELP = """*`/incident` commands*
• `/incident declare [title]`: declare an incident (opens a form for the title and the impact)
• `/incident status`: the open incidents
• `/incident status [INC-…] investigating|identified|monitoring`: change an incident's status
• `/incident update [INC-…] <text>`: the latest update, shown at the top of the thread
• `/incident impact [INC-…] <text>`: what users cannot do
• `/incident note [INC-…] <text>`: add a line to the timeline
• `/incident lead [INC-…] @person`: who leads it
• `/incident resolve [INC-…] [summary]`: resolve it (the post-mortem draft follows)
• `/incident action [INC-…] <text> [@owner]`: open an action item (P0, due in 2 business days)
• `/incident actions`: the open action items, each with a Done button
• `/incident edit act-… due <YYYY-MM-DD>` · `owner @person` · `text <what to do>`: change an action item
• `/incident traction add <start> <end> <label>` · `traction list` · `traction end <id>`: traction moments
• `/incident silence add <journey-or-alarm[*]> <until> <reason>` · `silence list` · `silence end <id>`
• `/incident graph [INC-…]`: pictures of the incident window (journeys, golden signals) in its thread
• `/incident help`: this list

*Which incident?* Slack does not tell a slash command which thread it was typed in, so name the
incident (`INC-…`); when exactly one incident is open you can leave it out. Replies in an incident's
thread need nothing: every reply is recorded in its timeline.
*Times* are London time unless they carry an offset: `2026-12-01T18:00`, `now`, or relative: `+4h`, `+2d`."""


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def declare_modal(title: str = "") -> dict:
    title_input: dict = {
        "type": "plain_text_input",
        "action_id": "title",
        "max_length": MAX_TITLE,
        "placeholder": {"type": "plain_text", "text": "What is broken, in a few words"},
    }
    if title:
        title_input["initial_value"] = title
    return {
        "type": "modal",
        "callback_id": DECLARE_CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": title_input,
            },
            {
                "type": "input",
                "block_id": "impact",
                "label": {"type": "plain_text", "text": "Impact: what can users not do?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "impact",
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def help_message(prefix: str = "") -> tuple[str, list[dict]]:
    if not prefix:
        return HELP, [section(HELP)]
    return f"{prefix}\n\n{HELP}", [section(prefix), section(HELP)]


def answer_at_once(command: Command) -> tuple[str, list[dict] | None] | None:
    """What the acknowledgement of `/incident ...` says (help, a missing argument), as text and blocks;
    None when it says nothing and the work follows. Bolt's listener and the fast path both answer this."""
    if command.name == "help":
        return help_message()
    if command.name == "unknown":
        return help_message(f"`{as_text(command.given)}` is not an `/incident` command.")
    if command.problem:
        return command.problem, None
    return None
