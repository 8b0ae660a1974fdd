"""Sending a claimed page: a Slack DM to each person, a post in the incidents channel mentioning them,
and, when the policy says so, SMS/e-mail through SNS.

Each target is recorded (through `record`) right after it is sent, so a retry after a failure sends
only the targets still missing. A retry after a crash (the page was left `sending`) first looks in
Slack for the message the interrupted attempt may have posted, by the block id that names the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from incident_core.models.alerts import Alert
from incident_core.paging.messages import page_block_id, slack_message, urgent_message
from incident_core.paging.pages import Page
from incident_core.policy.decide import Channel
from incident_core.policy.model import Policy

CHANNEL_TARGET = "channel"
# Slack's clock and ours differ a little; look a minute further back for an interrupted attempt's post.
_RECOVERY_MARGIN = timedelta(minutes=1)


class SlackOps(Protocol):
    def open_dm(self, user_id: str) -> str: ...

    def post(
        self, channel: str, text: str, blocks: list[dict] | None = None, thread_ts: str | None = None
    ) -> str: ...

    def find_block(self, channel: str, block_id: str, oldest: str) -> str | None: ...

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> None: ...

    def channel_id(self, channel: str) -> str: ...


class UrgentOps(Protocol):
    def notify(self, person: str, subject: str, message: str) -> str: ...


def targets(page: Page, policy: Policy, with_urgent: bool) -> list[str]:
    """Everything a page goes to, in sending order: DMs first (they wake people), then the channel."""
    people = page.people or []
    found = [f"dm:{person}" for person in people]
    found.append(CHANNEL_TARGET)
    urgent = {Channel.SMS.value, Channel.EMAIL.value} & set(page.channels)
    if with_urgent and urgent:
        found += [
            f"urgent:{person}"
            for person in people
            if policy.people[person].phone or policy.people[person].email
        ]
    return found


class Pager:
    def __init__(self, slack: Callable[[], SlackOps], urgent: UrgentOps | None, channel: str) -> None:
        self._slack_factory = slack
        self._slack: SlackOps | None = None
        self.urgent = urgent
        self.channel = channel
        self._dm_channels: dict[str, str] = {}  # Slack user id -> DM channel id, per container

    @property
    def slack(self) -> SlackOps:
        if self._slack is None:
            self._slack = self._slack_factory()
        return self._slack

    def deliver(
        self,
        page: Page,
        alert: Alert,
        policy: Policy,
        record: Callable[[str, str], None],
        recover_since: datetime | None = None,
    ) -> list[str]:
        """Send the targets not yet delivered; return those sent now. Raises on the first failure."""
        sent = []
        for target in targets(page, policy, with_urgent=self.urgent is not None):
            if target in page.delivered:
                continue
            reference = self._already_posted(page, target, policy, recover_since)
            if reference is None:
                reference = self._send(page, alert, policy, target)
                sent.append(target)
            record(target, reference)
        return sent

    def post_resolution(self, thread_ts: str, text: str) -> None:
        self.slack.post(self.channel, text, thread_ts=thread_ts)

    def refresh(self, page: Page, alert: Alert, policy: Policy) -> None:
        """Edit the page's Slack messages in place (chat.update: no new notification) to show the alert
        as it is now, e.g. its group grown by a member. SMS/e-mail cannot be edited and are left."""
        for target, reference in page.delivered.items():
            kind, _, person = target.partition(":")
            if kind == "dm":
                channel, mention = self._dm(policy.slack_id(person)), []
            elif target == CHANNEL_TARGET:
                channel, mention = self._channel_id(), page.people or []
            else:
                continue
            message = slack_message(alert, page, policy, target, mention=mention)
            self.slack.update(channel, reference, message.text, message.blocks)

    # ------------------------------------------------------------------ internals
    def _send(self, page: Page, alert: Alert, policy: Policy, target: str) -> str:
        kind, _, person = target.partition(":")
        if kind == "urgent":
            assert self.urgent is not None
            subject, body = urgent_message(alert, policy)
            return self.urgent.notify(person, subject, body)
        if kind == "dm":
            message = slack_message(alert, page, policy, target, mention=[])
            return self.slack.post(self._dm(policy.slack_id(person)), message.text, message.blocks)
        message = slack_message(alert, page, policy, CHANNEL_TARGET, mention=page.people or [])
        return self.slack.post(self.channel, message.text, message.blocks)

    def _already_posted(
        self, page: Page, target: str, policy: Policy, recover_since: datetime | None
    ) -> str | None:
        kind, _, person = target.partition(":")
        if recover_since is None or kind == "urgent":
            return None  # SNS cannot be asked what it sent: see docs/policy.md, "The delivery guarantee"
        channel = self._dm(policy.slack_id(person)) if kind == "dm" else self.channel
        oldest = f"{(recover_since - _RECOVERY_MARGIN).timestamp():.6f}"
        return self.slack.find_block(channel, page_block_id(page, target), oldest)

    def _channel_id(self) -> str:
        if self.channel not in self._dm_channels:  # chat.update takes the channel's id, not its name
            self._dm_channels[self.channel] = self.slack.channel_id(self.channel)
        return self._dm_channels[self.channel]

    def _dm(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            self._dm_channels[user_id] = self.slack.open_dm(user_id)
        return self._dm_channels[user_id]
