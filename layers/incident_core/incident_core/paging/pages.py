"""A page: the intent to tell people about an alert, recorded before anything is sent.

A page is written `pending` (in the same transaction as whatever decided it), claimed with a conditional
update (`sending`, with a lease) by whoever delivers it, and finished `sent` or `cancelled`. Each target
(a DM, the channel post, an SMS/e-mail) is recorded in `delivered` as soon as it is sent, so a retried
delivery sends only what is missing.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field


class PageKind(StrEnum):
    PAGE = "page"  # page people now
    NOTICE = "notice"  # post in the incidents channel without mentioning anyone (outside hours)
    HELD = "held"  # page when the next business period (or traction window) starts
    REPAGE = "repage"  # not acknowledged in time: page again, escalating in a traction moment
    STEP = "step"  # a later step of one person's escalation plan (an SMS, an e-mail, a call...)


class PageStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class Page(BaseModel):
    page_id: str
    alert_id: str
    seq: int
    kind: PageKind
    due_at: datetime
    status: PageStatus = PageStatus.PENDING
    # Person keys from the policy file. None until decided: held pages and re-pages decide at their time.
    people: list[str] | None = None
    channels: list[str] = Field(default_factory=list)  # "slack", "sms", "email", "call"
    # Each person's own channels for this page (their plan's step), when it differs from `channels`.
    person_channels: dict[str, list[str]] = Field(default_factory=dict)
    # A plan step: which step of whose plan (people has that one person), and the page it follows.
    step: int = 0
    origin: str | None = None
    reason: str = ""
    repage: int = 0  # which re-page this is (1, 2, ...); 0 for the others
    previous_people: list[str] = Field(default_factory=list)  # who the page before it went to
    attempts: int = 0
    claim_token: str | None = None
    claimed_until: datetime | None = None
    # When it was first claimed: any later attempt looks in Slack from then on (an earlier attempt's
    # outcome may be unknown: a lost answer, a timeout, a crash).
    first_claimed_at: datetime | None = None
    delivered: dict[str, str] = Field(default_factory=dict)  # target -> Slack ts or SNS message id
    scheduled_for: datetime | None = None  # the due time a wake-up schedule exists for
    last_error: str | None = None
    sent_at: datetime | None = None

    @property
    def unfinished(self) -> bool:
        return self.status in (PageStatus.PENDING, PageStatus.SENDING)


# Longer than one invocation can spend on a delivery (the function times out at 30 s).
CLAIM_LEASE = timedelta(seconds=90)


def claimed_now(page: Page, now: datetime) -> Page:
    """The page as claimed by the invocation writing it (the claim is part of that write)."""
    return page.model_copy(
        update={
            "status": PageStatus.SENDING,
            "claim_token": secrets.token_hex(8),
            "claimed_until": now + CLAIM_LEASE,
            "first_claimed_at": page.first_claimed_at or now,
            "attempts": page.attempts + 1,
        }
    )


def page_id_for(alert_id: str, seq: int) -> str:
    return f"{alert_id}-p{seq}"


def step_page_id(origin_page_id: str, person: str, step: int) -> str:
    """A plan step's page: never one of the `-p<seq>` ids re-pages take."""
    return f"{origin_page_id}-{person}-s{step}"
