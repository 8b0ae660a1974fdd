"""Sending a claimed page: a Slack DM to each person, a post in the incidents channel mentioning them,
and, as each person's plan step says, a text, an e-mail or a phone call.

Each target is recorded (through `record`) right after it is sent, so a retry after a failure sends
only the targets still missing. One target failing does not stop the others (Slack down must not stop
the text); the failures are raised together at the end. A retry after a crash (the page was left
`sending`) first looks in Slack for the message the interrupted attempt may have posted, by the block id
that names the page. A channel that nothing is configured to send (no phone caller yet, say) is recorded
as skipped with the reason, never silently dropped.

Targets: `dm:<person>`, `channel`, `urgent:<person>` (SNS: the person's subscribed phone and e-mail),
`sms:<person>` (a TextSender, when one is configured: then texts go through it, not SNS), `call:<person>`.
The `reference` given to a TextSender or Caller is `<page id>:<person>:<step>` (a plan step's page is
named by the page it follows): stable for (page, person, step), so a provider that de-duplicates on it
never sends twice, and a call's outcome names the step it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from incident_core.models.alerts import Alert
from incident_core.paging.messages import call_script, page_block_id, slack_message, urgent_message
from incident_core.paging.pages import Page
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


class TextSender(Protocol):
    def text(self, person: str, phone: str, message: str, reference: str) -> str: ...  # provider message id


class Caller(Protocol):
    def call(self, person: str, phone: str, ssml: str, reference: str) -> str: ...


class AckLinks(Protocol):
    def link(self, alert_id: str, page_id: str, person: str, expires_at: datetime) -> str: ...


SKIPPED = "skipped: "
# A link in a text or e-mail acknowledges for this long after it is sent (a day: longer than any night).
ACK_LINK_LIFETIME = timedelta(hours=24)


class DeliveryFailed(RuntimeError):
    """Some targets could not be sent (the others were, and are recorded); `errors` says which and why."""

    def __init__(self, errors: dict[str, Exception]) -> None:
        self.errors = errors
        by_error: dict[int, list[str]] = {}
        for target, error in errors.items():
            by_error.setdefault(id(error), []).append(target)
        first = {id(error): error for error in errors.values()}
        super().__init__(
            "; ".join(
                f"{type(first[key]).__name__}: {first[key]} ({', '.join(names)})"
                for key, names in by_error.items()
            )
        )


def is_slack(target: str) -> bool:
    return target == CHANNEL_TARGET or target.startswith("dm:")


def targets(page: Page, policy: Policy, with_texts: bool = False) -> list[str]:
    """Everything a page goes to, in sending order: DMs first (they wake people), then the channel, then
    each person's other channels (their plan's step when the page has one per person)."""
    people = page.people or []
    channels = {person: page.person_channels.get(person, page.channels) for person in people}
    by_slack = [person for person in people if "slack" in channels[person]]
    found = [f"dm:{person}" for person in by_slack]
    if by_slack or not people:  # a notice is the channel post alone
        found.append(CHANNEL_TARGET)
    for person in people:
        wanted = set(channels[person])
        if "sms" in wanted and with_texts:
            found.append(f"sms:{person}")
            if "email" in wanted:
                found.append(f"urgent:{person}")  # the e-mail, through SNS
        elif wanted & {"sms", "email"}:
            found.append(f"urgent:{person}")  # SNS: the person's subscribed phone and e-mail
        if "call" in wanted:
            found.append(f"call:{person}")
    return found


class Pager:
    def __init__(
        self,
        slack: Callable[[], SlackOps],
        urgent: UrgentOps | None,
        channel: str,
        texts: TextSender | None = None,
        caller: Caller | None = None,
        ack_links: AckLinks | None = None,
    ) -> None:
        self._slack_factory = slack
        self._slack: SlackOps | None = None
        self.urgent = urgent
        self.channel = channel
        self.texts = texts
        self.caller = caller
        self.ack_links = ack_links
        self._dm_channels: dict[str, str] = {}  # Slack user id -> DM channel id, per container

    @property
    def slack(self) -> SlackOps:
        if self._slack is None:
            self._slack = self._slack_factory()
        return self._slack

    def targets(self, page: Page, policy: Policy) -> list[str]:
        return targets(page, policy, with_texts=self.texts is not None)

    def deliver(
        self,
        page: Page,
        alert: Alert,
        policy: Policy,
        record: Callable[[str, str], None],
        recover_since: datetime | None = None,
        now: datetime | None = None,
        slack_only: bool = False,
    ) -> list[str]:
        """Send the targets not yet delivered (`slack_only`: its Slack ones); return those sent now.
        Every target is tried; if any failed, DeliveryFailed is raised after the others were sent."""
        sent: list[str] = []
        errors: dict[str, Exception] = {}
        slack_failure: Exception | None = None  # Slack itself failing: its other targets wait too
        for target in self.targets(page, policy):
            if target in page.delivered or (slack_only and not is_slack(target)):
                continue
            if slack_failure is not None and is_slack(target):
                errors[target] = slack_failure
                continue
            try:
                reference = self._already_posted(page, target, policy, recover_since)
                if reference is None:
                    reference = self._send(page, alert, policy, target, now)
                    if not reference.startswith(SKIPPED):
                        sent.append(target)
            except Exception as error:  # this target failed; the others still go out
                errors[target] = error
                if is_slack(target) and slack_down(error):
                    slack_failure = error
                continue
            record(target, reference)
        if errors:
            raise DeliveryFailed(errors)
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
    def _send(self, page: Page, alert: Alert, policy: Policy, target: str, now: datetime | None) -> str:
        kind, _, person = target.partition(":")
        if kind == "dm":
            message = slack_message(alert, page, policy, target, mention=[])
            return self.slack.post(self._dm(policy.slack_id(person)), message.text, message.blocks)
        if kind == CHANNEL_TARGET:
            mention = [p for p in page.people or [] if f"dm:{p}" in self.targets(page, policy)]
            message = slack_message(alert, page, policy, CHANNEL_TARGET, mention=mention)
            return self.slack.post(self.channel, message.text, message.blocks)
        reference = f"{page.origin or page.page_id}:{person}:{page.step}"
        phone = policy.people[person].phone
        if kind == "call":
            if self.caller is None:
                return SKIPPED + "no phone caller is configured"
            if phone is None:
                return SKIPPED + f"{person} has no phone number"
            return self.caller.call(person, phone, call_script(alert, policy), reference)
        subject, body = urgent_message(alert, policy, self._ack_link(alert, page, person, now))
        if kind == "sms":
            assert self.texts is not None  # targets() names sms: only with a TextSender
            if phone is None:
                return SKIPPED + f"{person} has no phone number"
            return self.texts.text(person, phone, body, reference)
        if self.urgent is None:
            return SKIPPED + "no SMS/e-mail topic is configured"
        if not (phone or policy.people[person].email):
            return SKIPPED + f"{person} has no phone number or e-mail address"
        return self.urgent.notify(person, subject, body)

    def _ack_link(self, alert: Alert, page: Page, person: str, now: datetime | None) -> str | None:
        if self.ack_links is None or now is None:
            return None
        # A plan step's link acknowledges the page it follows, for that person.
        origin = page.origin or page.page_id
        return self.ack_links.link(alert.alert_id, origin, person, now + ACK_LINK_LIFETIME)

    def _already_posted(
        self, page: Page, target: str, policy: Policy, recover_since: datetime | None
    ) -> str | None:
        kind, _, person = target.partition(":")
        if recover_since is None or not is_slack(target):
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


# Slack answers that mean every call will fail for now, not just this target's.
_SLACK_DOWN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "ratelimited",
        "service_unavailable",
        "internal_error",
        "fatal_error",
        "request_timeout",
    }
)


def slack_down(error: Exception) -> bool:
    """Is Slack itself failing (no answer, a 5xx, a 429 past its retry, the token refused), rather than
    one target (a person who left, a channel the bot is not in)? Then its other targets are not tried."""
    from slack_sdk.errors import SlackApiError

    if not isinstance(error, SlackApiError):
        return True  # a timeout or a connection error
    status = getattr(error.response, "status_code", 200)
    code = error.response.get("error") if hasattr(error.response, "get") else None
    return status >= 500 or status == 429 or code in _SLACK_DOWN_ERRORS
