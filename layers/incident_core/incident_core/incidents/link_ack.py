"""Acknowledging from anywhere: what the acknowledgement link's page shows (GET) and does (POST).

A GET changes nothing (phones and mail scanners open links on their own): it shows the alert and an
Acknowledge button, a form POST to the same address. The POST acknowledges as the link's person exactly
as Slack's Acknowledge button does (IncidentService.acknowledge: the same history, the same "took someone
else's page" line, re-paging stops for everyone because the alert is acknowledged), after the same
permission check (policy/permissions.py), then edits the page's post in the incidents channel as a click
would. A link acts once: its use is recorded after the acknowledgement (which is idempotent), so a crash
between the two leaves a link that acknowledges again harmlessly, never a used link with no acknowledgement.

Every refusal says what is wrong and changes nothing; its HTTP status says it too (400 not a link, 403
forged or not this person's, 404 no such alert, 409 used, 410 expired).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from incident_core.alerts.store import alert_expires_at
from incident_core.models import Alert
from incident_core.paging.ack_links import AckLink, LinkRefused, UsedLink, verify
from incident_core.paging.pages import Page
from incident_core.policy.model import Policy
from incident_core.policy.permissions import Asked, Installed, refusal

logger = logging.getLogger(__name__)
HOW = " by link"
# The link is not a Slack request: the workspace check of the permission model does not apply to it (the
# signature is what says who it is); the responder check does.
LINK_WORKSPACE = "acknowledgement-link"
KEEP_AFTER_ACK = ("alert_real_incident", "alert_false_alarm")


class SlackEdits(Protocol):
    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> None: ...


@dataclass(frozen=True)
class Answer:
    status: int
    title: str
    body: str  # HTML, escaped where it quotes anything
    changed: bool = False


@dataclass
class LinkAcknowledger:
    """`key` verifies links; `service` is the Slack app's IncidentService (its acknowledge), `pages` the
    PageStore, `used` the UsedLinks; `slack` is made only when a page post is edited."""

    key: bytes
    policy: Policy
    service: Any  # incident_core.incidents.service.IncidentService
    pages: Any  # incident_core.paging.store.PageStore
    used: Any  # incident_core.paging.used_links.UsedLinks
    slack: Callable[[], SlackEdits]
    now: Callable[[], datetime]

    def view(self, token: str) -> Answer:
        """GET: the alert and the button. Reads only."""
        try:
            link, alert, _ = self._checked(token)
        except LinkRefused as refused:
            return refusal_answer(refused)
        name = self.policy.people[link.person].name or link.person
        if alert.acknowledged_at is not None:
            who = self._name_of(alert.acknowledged_by)
            note = f"Already acknowledged by {who} at {_clock(self.policy, alert.acknowledged_at)}."
            return Answer(200, "Already acknowledged", _alert_html(self.policy, alert) + _p(note))
        form = (
            '<form method="post">'
            '<input type="hidden" name="acknowledge" value="yes">'
            f'<button type="submit">Acknowledge as {html.escape(name)}</button></form>'
        )
        return Answer(200, "Acknowledge this alert?", _alert_html(self.policy, alert) + form)

    def acknowledge(self, token: str) -> Answer:
        """POST: acknowledge as the link's person, once."""
        try:
            link, alert, page = self._checked(token)
        except LinkRefused as refused:
            return refusal_answer(refused)
        by = self.policy.slack_id(link.person)
        before = alert.acknowledged_at
        alert = self.service.acknowledge(link.alert_id, by, HOW)
        self.used.mark(link.alert_id, link.page_id, link.person, self.now(), alert_expires_at(alert))
        if before is not None or alert.acknowledged_by != by:
            who = self._name_of(alert.acknowledged_by)
            at = _clock(self.policy, alert.acknowledged_at)
            note = f"Already acknowledged by {who} at {at}: nothing more to do."
            return Answer(200, "Already acknowledged", _alert_html(self.policy, alert) + _p(note))
        edited = self._edit_page_post(alert, page, by)
        note = "Acknowledged: re-paging has stopped for everyone."
        if not edited:
            note += " The page in Slack could not be updated; the suite's history has it."
        return Answer(200, "Acknowledged", _alert_html(self.policy, alert) + _p(note), changed=True)

    # ------------------------------------------------------------------ internals
    def _checked(self, token: str) -> tuple[AckLink, Alert, Page]:
        link = verify(token, self.key, self.now())
        alert = self.service.alerts.get(link.alert_id)
        if alert is None:
            raise LinkRefused("There is no such alert any more. Nothing was done.", status=404)
        page = self.pages.get(link.alert_id, link.page_id)
        if page is None or link.person not in (page.people or []) or link.person not in self.policy.people:
            raise LinkRefused("This link was not sent to that person for this alert. Nothing was done.")
        asked = Asked(
            permission="acknowledge",
            label="the acknowledgement link",
            user=self.policy.slack_id(link.person),
            team=LINK_WORKSPACE,
            target=link.alert_id,
        )
        reason = refusal(self.policy, asked, Installed(team=LINK_WORKSPACE))
        if reason is not None:
            raise LinkRefused(f"{reason} Nothing was done.")
        if self.used.used(link.alert_id, link.page_id, link.person):
            raise UsedLink("This link has already been used; a link acknowledges once. Nothing was done.")
        return link, alert, page

    def _edit_page_post(self, alert: Alert, page: Page, by: str) -> bool:
        """Show on the page's post in the incidents channel who acknowledged, as a click on it would.
        Slack being down must not undo the acknowledgement: a failure is logged and said."""
        from incident_core.incidents.render import page_after_click, when
        from incident_core.paging.delivery import CHANNEL_TARGET
        from incident_core.paging.messages import slack_message

        ts = page.delivered.get(CHANNEL_TARGET)
        if not (alert.slack_channel and ts):
            return True  # nothing was posted in Slack for this page: nothing to edit
        message = slack_message(alert, page, self.policy, CHANNEL_TARGET, mention=page.people or [])
        outcome = (
            f":eyes: Acknowledged by <@{by}> {when(alert.acknowledged_at)} by link: re-paging stopped. "
            "Is it real?"
        )
        blocks = page_after_click(message.blocks, outcome, KEEP_AFTER_ACK)
        try:
            self.slack().update(alert.slack_channel, ts, message.text, blocks)
        except Exception:
            logger.exception("could not edit the page's post for alert %s", alert.alert_id)
            return False
        return True

    def _name_of(self, slack_id: str | None) -> str:
        for key, person in self.policy.people.items():
            if person.slack == slack_id:
                return person.name or key
        return "someone else"


def refusal_answer(refused: LinkRefused) -> Answer:
    return Answer(refused.status, "This link cannot be used", _p(refused.message))


def render(answer: Answer) -> str:
    """The whole page: small, readable on a phone, no script, nothing loaded from elsewhere."""
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(answer.title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;"
        "line-height:1.5}button{font-size:1.25rem;padding:.75rem 1.5rem}</style></head>"
        f"<body><main><h1>{html.escape(answer.title)}</h1>{answer.body}</main></body></html>"
    )


def _alert_html(policy: Policy, alert: Alert) -> str:
    rows = [("Alert", alert.title), ("Started", _clock(policy, alert.started_at)), ("Status", alert.status)]
    if alert.state_reason:
        rows.append(("Why", alert.state_reason))
    cells = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows)
    return f"<dl>{cells}</dl>"


def _p(text: str) -> str:
    return f'<p role="status">{html.escape(text)}</p>'


def _clock(policy: Policy, at: datetime | None) -> str:
    if at is None:
        return "an unknown time"
    return policy.calendar.local(at).strftime("%a %d %b %H:%M %Z")
