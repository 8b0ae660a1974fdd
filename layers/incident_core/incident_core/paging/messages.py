"""What a page says: the Slack message (DM and #incidents post) and the SMS/e-mail text. Pure.

The Slack message carries the validation step's buttons (action_id alert_acknowledge,
alert_real_incident, alert_false_alarm; value = alert_id) that the Slack app handles. Its first block's
block_id names the page, which is how a retried delivery recognises a message already posted.

Slack reads `&`, `<` and `>` as control characters in mrkdwn: every piece of text that did not come from
the suite itself (titles, alarm reasons, journey page excerpts, link names, people's labels and
reasons) is escaped, so a stray `<` cannot swallow the rest of a message and `<!channel>` in an excerpt
notifies nobody. The SMS/e-mail text is plain and left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from xml.sax.saxutils import escape as xml_escape

from incident_core.models.alerts import Alert
from incident_core.paging.group_message import group_blocks
from incident_core.paging.pages import Page, PageKind
from incident_core.policy.model import Policy

ACKNOWLEDGE = "alert_acknowledge"
REAL_INCIDENT = "alert_real_incident"
FALSE_ALARM = "alert_false_alarm"
_TEXT_LIMIT = 2900  # a section block's text may hold 3000 characters


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the notification text (and what screen readers say)
    blocks: list[dict]


def mrkdwn_escape(text: str) -> str:
    """Text shown as itself in Slack mrkdwn (Slack's formatting reference: escape &, <, >)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page_block_id(page: Page, target: str) -> str:
    return f"page:{page.page_id}:{target}"[:255]


def slack_message(alert: Alert, page: Page, policy: Policy, target: str, mention: list[str]) -> SlackMessage:
    """The message for one target: `dm` (a person's DM) or `channel` (mentioning `mention`)."""
    local_start = policy.calendar.local(alert.started_at)
    mentions = " ".join(f"<@{policy.slack_id(person)}>" for person in mention)
    title = mrkdwn_escape(alert.title)
    headline = {
        PageKind.PAGE: f":rotating_light: {title}",
        PageKind.HELD: f":rotating_light: {title} (held since outside business hours)",
        PageKind.REPAGE: f":rotating_light: Not acknowledged yet (page {page.seq}): {title}",
        PageKind.NOTICE: f":warning: {title}",
        PageKind.STEP: f":rotating_light: Not acknowledged yet (step {page.step} of the plan): {title}",
    }[page.kind]
    if target == "channel" and mentions:
        intro = f"{mentions} you are paged."
    elif page.kind == PageKind.NOTICE:
        intro = "Outside business hours: nobody is paged now."
    else:
        intro = "You are paged."
    facts = [
        f"*Source:* {alert.source.value}",
        f"*Started:* {local_start:%a %d %b %H:%M} {local_start.tzname()}",
        f"*Seen:* {alert.count} time{'s' if alert.count != 1 else ''}",
    ]
    if alert.journey:
        facts.append(f"*Journey:* {mrkdwn_escape(alert.journey)}")
    if alert.alarm_name:
        facts.append(f"*Alarm:* {mrkdwn_escape(alert.alarm_name)}")
    state_reason = mrkdwn_escape(alert.state_reason)
    blocks: list[dict] = [
        {
            "type": "section",
            "block_id": page_block_id(page, target),
            "text": {"type": "mrkdwn", "text": _clip(f"*{headline}*\n{intro}")},
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": fact} for fact in facts]},
        *group_blocks(alert),
    ]
    if state_reason:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(f">{state_reason}")}})
    context = [
        _link(url, name) for name, url in alert.links.items() if url.startswith(("https://", "http://"))
    ]
    context.append(f"Policy: {mrkdwn_escape(alert.reason or page.reason)}")
    context.append(f"Alert {alert.alert_id}")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(part)} for part in context]}
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": f"alert:{alert.alert_id}",
            "elements": [
                _button("Acknowledge", ACKNOWLEDGE, alert.alert_id, "primary"),
                _button("Real incident", REAL_INCIDENT, alert.alert_id, "danger"),
                _button("False alarm", FALSE_ALARM, alert.alert_id, None),
            ],
        }
    )
    text = f"{headline} - {intro}" if target == "channel" else f"{headline} - {state_reason or intro}"
    return SlackMessage(text=_clip(text), blocks=blocks)


def resolution_text(alert: Alert, policy: Policy) -> str:
    resolved = policy.calendar.local(alert.resolved_at or alert.last_seen)
    title = mrkdwn_escape(alert.title)
    return f":white_check_mark: Resolved at {resolved:%H:%M} {resolved.tzname()}: {title}"


def unrecovered_text(alert: Alert, policy: Policy, silent: timedelta) -> str:
    """The thread reply for an alert closed because its recovery never arrived (a new failure came in)."""
    last = policy.calendar.local(alert.last_seen)
    return (
        f":grey_question: Closed without a recovery: nothing was heard of this after "
        f"{last:%a %d %b %H:%M} {last.tzname()}, and it failed again {silent.total_seconds() / 3600:.0f} h "
        f"later, which is a new alert. {mrkdwn_escape(alert.title)}"
    )


def urgent_message(alert: Alert, policy: Policy, ack_link: str | None = None) -> tuple[str, str]:
    """Subject and body for SMS/e-mail: short enough for an SMS, with how to respond (the page's signed
    acknowledgement link when there is one, else Slack)."""
    local_start = policy.calendar.local(alert.started_at)
    subject = f"INCIDENT: {alert.title}"
    how = (
        f"Acknowledge: {ack_link}"
        if ack_link
        else f"Acknowledge in Slack #incidents (alert {alert.alert_id})."
    )
    since = f"Since {local_start:%H:%M} {local_start.tzname()}."
    body = f"{alert.title}\n{since} {alert.state_reason[:200]}\n{how}"
    return subject, body


def call_script(alert: Alert, policy: Policy) -> str:
    """What a phone call says (SSML): the alert and how to acknowledge, twice, slowly."""
    local_start = policy.calendar.local(alert.started_at)
    said = xml_escape(f"Incident alert. {alert.title[:200]}. Failing since {local_start:%H:%M}.")
    how = "To acknowledge, open the link in the text message, or press Acknowledge in Slack."
    once = f"<p>{said}</p><p>{how}</p>"
    return f'<speak><prosody rate="slow">{once}<break time="1s"/>{once}</prosody></speak>'


def _button(text: str, action_id: str, value: str, style: str | None) -> dict:
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _link(url: str, name: str) -> str:
    # Inside <url|name>, a `|` in the URL would end it early; `&`, `<` and `>` are escaped as elsewhere.
    return f"<{mrkdwn_escape(url.replace('|', '%7C'))}|{mrkdwn_escape(name)}>"


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"
