"""Trackers where the team plans its work (GitHub Issues; Linear is not built): one module per tracker,
each behind the `Tracker` protocol, so the action items' sync (actions/tracking.py) knows none of them.

Errors say what to do next: `TrackerUnavailable` (down, timed out, rate limited: keep the item pending and
try again at `retry_at`), `TrackerRefused` (a lasting failure: a revoked token, a token without issues
write, an unknown repository; said once, raised by `incidentctl doctor`), `TrackerInvalid` (the tracker
refused what was sent: a clear error naming the field, never retried as transient).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field


class TrackerError(Exception):
    """The tracker did not do it; the message says why."""


class TrackerUnavailable(TrackerError):
    """Try again later: the tracker is down, slow or rate limiting (then `retry_at` says from when)."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class TrackerRefused(TrackerError):
    """A lasting failure that trying again will not mend (credentials, permissions, repository)."""


class TrackerInvalid(TrackerError):
    """The tracker refused the request's content (GitHub's 422); the message names the fields."""


class Issue(BaseModel):
    number: int
    url: str  # the page people open
    state: str  # "open" | "closed"
    title: str
    body: str = ""
    assignees: list[str] = Field(default_factory=list)  # tracker logins
    labels: list[str] = Field(default_factory=list)
    updated_at: datetime | None = None


class IssueDraft(BaseModel):
    title: str
    body: str
    labels: list[str]
    assignees: list[str] = Field(default_factory=list)
    state: str = "open"


class Tracker(Protocol):
    name: str

    def ensure_labels(self, labels: list[str]) -> None:
        """Create the labels the suite puts on its issues, when missing."""
        ...

    def find(self, marker: str, since: datetime, labels: list[str]) -> Issue | None:
        """The issue whose body carries `marker`, among those with `labels` changed since `since`."""
        ...

    def create(self, draft: IssueDraft) -> Issue: ...

    def get(self, number: int) -> Issue: ...

    def update(self, number: int, **changes: object) -> Issue: ...

    def check_write(self, label: str) -> str:
        """What the token may do in the repository ("issues write" when it can); raises otherwise."""
        ...
