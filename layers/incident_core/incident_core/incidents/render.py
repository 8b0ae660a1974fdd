"""Block Kit for the incident in Slack (pure): the root message, the page after a click, the status
list. Each function returns (fallback text, blocks). The declare form and help are in acks.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from incident_core.incidents.acks import clip
from incident_core.incidents.acks import section as _section
from incident_core.models import Incident, IncidentStatus

LONDON = ZoneInfo("Europe/London")
ALERT_ACTION_IDS = ("alert_acknowledge", "alert_real_incident", "alert_false_alarm")
STATUS_EMOJI = {
    IncidentStatus.INVESTIGATING: ":red_circle:",
    IncidentStatus.IDENTIFIED: ":large_orange_circle:",
    IncidentStatus.MONITORING: ":large_yellow_circle:",
    IncidentStatus.RESOLVED: ":large_green_circle:",
}
# Slack's tokens in text people typed: mentions of one person or channel and dates stay (Slack sends
# `@alastair` typed in a command as <@U…|alastair>); broadcasts (<!channel>, <!here>, <!everyone>,
# <!subteam^…>, a user group) would notify everybody when the suite repeats the text, so they become
# plain words; a link is shown as text with its real address (<https://evil.example|https://status…>
# would show one address and open another). Everything else is escaped as Slack's formatting rules ask:
# & < > as &amp; &lt; &gt;.
# Of Slack's date tokens only the suite's own shape (`when()`) stays: any other may carry a link
# (`<!date^…^…^https://evil.example|status>` shows as a live link), and shows as its fallback text.
_TOKEN = re.compile(
    r"<(?:(?P<keep>[@#][A-Z0-9]+(?:\|[^<>]*)?|!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>^|]*)"
    r"|!date\^[^<>|]*(?:\|(?P<date_fallback>[^<>]*))?"
    r"|(?P<url>(?:https?://|mailto:)[^<>|\s]+)(?:\|(?P<label>[^<>]*))?"
    r"|!(?P<broadcast>channel|here|everyone)(?:\|[^<>]*)?"
    r"|!subteam\^[A-Z0-9]+(?:\|@?(?P<group>[^<>]*))?)>"
)
_ENTITY = re.compile(r"&(?:amp|lt|gt);")


def _escape(text: str) -> str:
    parts = _ENTITY.split(text)
    entities = _ENTITY.findall(text)
    escaped = [part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for part in parts]
    return "".join(e for pair in zip(escaped, [*entities, ""], strict=True) for e in pair)


def mrkdwn(text: str) -> str:
    """Text people typed, made safe for mrkdwn: mentions of one person, channel links and the suite's own
    dates stay (any other date token shows as its fallback text);
    broadcast mentions become plain (non-notifying) words; links become text showing their address;
    & < > are escaped. Already escaped text (&lt; and the like) stays as it is."""
    out, last = [], 0
    for token in _TOKEN.finditer(text):
        out.append(_escape(text[last : token.start()]))
        if token.group("keep"):
            out.append(token.group(0))
        elif token.group("url"):
            url, label = token.group("url"), token.group("label")
            shown = url if not label or label == url else f"{label} ({url})"
            out.append(_escape(shown))
        elif token.group(0).startswith("<!date^"):
            out.append(_escape(token.group("date_fallback") or "a date"))
        elif token.group("broadcast"):
            out.append("@" + token.group("broadcast"))
        else:
            out.append("@" + _escape(token.group("group") or "group"))
        last = token.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def when(at: datetime | None) -> str:
    """A time each reader sees in their own zone (Slack's date token), London time as the fallback."""
    if at is None:
        return "not known"
    local = at.astimezone(LONDON)
    fallback = local.strftime("%a %d %b %H:%M %Z")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days {hours % 24} h"


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def war_room_line(incident: Incident) -> str:
    if incident.war_room_url:
        return f"<{incident.war_room_url}|Join the Zoom war room>"
    failure = (incident.checklist.get("war_room") or {}).get("error")
    if failure:
        return f":warning: Zoom could not start one ({mrkdwn(str(failure))}): share a link in the thread"
    return "starting…"


def root_message(incident: Incident) -> tuple[str, list[dict]]:
    """The Live Incident State Document: the thread's root message, edited in place as things change."""
    status = incident.status
    emoji = STATUS_EMOJI[status]
    state = "RESOLVED" if status == IncidentStatus.RESOLVED else status.value.upper()
    header = f"{incident.incident_id} {state}: {incident.title}"
    fields = [
        f"*Status*\n{emoji} {status.value}",
        f"*Lead*\n{f'<@{incident.lead}>' if incident.lead else 'nobody yet: `/incident lead @you`'}",
        f"*Started*\n{when(incident.started_at)}",
        f"*Detected*\n{when(incident.detected_at)}",
        f"*Declared*\n{when(incident.declared_at)} by <@{incident.declared_by}>",
        f"*War room*\n{war_room_line(incident)}",
    ]
    if incident.resolved_at:
        lasted = duration((incident.resolved_at - incident.started_at).total_seconds())
        fields.append(f"*Resolved*\n{when(incident.resolved_at)} (after {lasted})")
    affected = [f"journey `{j}`" for j in incident.journeys] + [f"alarm `{a}`" for a in incident.alarms]
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(header, 150), "emoji": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(f, 1900)} for f in fields]},
        _section(
            "*Impact*\n"
            + (
                mrkdwn(incident.impact)
                if incident.impact
                else "_not described yet: `/incident impact <text>`_"
            )
        ),
        _section("*Affected*\n" + (", ".join(affected) if affected else "_no journey or alarm named_")),
        _section(
            "*Latest update*\n"
            + (
                mrkdwn(incident.latest_update)
                if incident.latest_update
                else "_none yet: `/incident update <text>`_"
            )
        ),
    ]
    if incident.is_open:
        blocks.append(
            _context(
                "Live Incident State Document: this message is kept up to date. Reply in this thread "
                "with what you see and do; every reply goes into the timeline. "
                f"`/incident help` · `{incident.incident_id}`"
            )
        )
    else:
        blocks.append(
            _context("Resolved. The incident document and post-mortem draft follow in this thread.")
        )
    # The fallback text is mrkdwn (and is what notifications show): what people typed is escaped there too.
    impact = mrkdwn(incident.impact) if incident.impact else "not described yet"
    text = f"{emoji} {incident.incident_id} {state}: {mrkdwn(incident.title)} (impact: {impact})"
    return text, blocks


def page_after_click(blocks: Sequence[dict], outcome: str, keep: Sequence[str] = ()) -> list[dict]:
    """The page message after a click: the alert's buttons except `keep` removed, and who did what added."""
    updated: list[dict] = []
    for block in blocks:
        if block.get("type") == "actions":
            elements = [
                e
                for e in block.get("elements", [])
                if e.get("action_id") not in ALERT_ACTION_IDS or e.get("action_id") in keep
            ]
            if elements:
                updated.append({**block, "elements": elements})
            continue
        updated.append(block)
    updated.append(_context(outcome))
    return updated


def status_list(
    incidents: Sequence[Incident], links: dict[str, str], now: datetime, heading: str | None = None
) -> tuple[str, list[dict]]:
    if not incidents:
        text = "No incident is open."
        return text, [_section(text)]
    text = heading or f"{len(incidents)} open incident{'s' if len(incidents) != 1 else ''}"
    blocks: list[dict] = [_section(f"*{text}*")]
    for incident in incidents[:40]:
        link = links.get(incident.incident_id)
        name = f"<{link}|{incident.incident_id}>" if link else f"`{incident.incident_id}`"
        lead = f"<@{incident.lead}>" if incident.lead else "no lead"
        age = duration((now - incident.declared_at).total_seconds())
        update = f"\n> {mrkdwn(incident.latest_update)}" if incident.latest_update else ""
        blocks.append(
            _section(
                f"{STATUS_EMOJI[incident.status]} {name} *{mrkdwn(incident.title)}*: "
                f"{incident.status.value}, led by {lead}, declared {age} ago{update}"
            )
        )
    return text, blocks
