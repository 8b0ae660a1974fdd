"""What a group's page adds to its leader's message: how many things fail, and which (pure).

Within Block Kit's limits: one section (3000 characters), the first LISTED_MEMBERS members (oldest
first, then by title), then "and K more". Titles come from outside and are escaped like every other
outside text.
"""

from __future__ import annotations

from incident_core.models.alerts import Alert

LISTED_MEMBERS = 10
_TITLE_LIMIT = 250  # each listed title, so that ten of them and "and K more" fit one section
_TEXT_LIMIT = 2900


def group_blocks(alert: Alert, listed: int = LISTED_MEMBERS) -> list[dict]:
    """Nothing for an alert alone; for a group's leader, the list of its members."""
    if alert.group_id != alert.alert_id or len(alert.members) < 2:
        return []
    # Oldest first; the same instant by title, so the list reads the same whatever order they arrived in.
    members = sorted(alert.members.values(), key=lambda member: (member.started_at, member.title))
    recovered = sum(1 for member in members if member.recovered_at is not None)
    head = f"*{len(members)} alerts in this group: {len(members) - recovered} failing"
    head += f", {recovered} recovered*" if recovered else "*"
    lines = [head]
    for member in members[:listed]:
        title = member.title if len(member.title) <= _TITLE_LIMIT else member.title[: _TITLE_LIMIT - 1] + "…"
        lines.append(f"• {_escape(title)}" + (" (recovered)" if member.recovered_at else ""))
    if len(members) > listed:
        lines.append(f"and {len(members) - listed} more")
    text = "\n".join(lines)
    if len(text) > _TEXT_LIMIT:
        text = text[: _TEXT_LIMIT - 1] + "…"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
