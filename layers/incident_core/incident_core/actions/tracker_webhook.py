"""GitHub's issue webhooks at the tracker webhook's Function URL: checked, then taken into the items.

A delivery is believed only when `X-Hub-Signature-256` is `sha256=` + the HMAC-SHA256 of the raw body
with the webhook's secret (compared in constant time). A delivery id (`X-GitHub-Delivery`) is remembered
with a conditional write for REMEMBER; a delivery seen before is a replay, refused. A delivery about an
issue last changed longer ago than MAX_AGE is refused too, so a replay cannot outlive the memory.
Issues the suite did not create (no item marker in the body) and other repositories are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.trackers import Issue

MAX_BODY_BYTES = 1024 * 1024  # an issues event is a few kB; GitHub caps payloads at 25 MB
MAX_AGE = timedelta(days=3)  # GitHub offers redelivery of a delivery for 3 days
REMEMBER = timedelta(days=4)  # longer than MAX_AGE: a delivery is refused as a replay or as too old
ACTIONS = ("opened", "closed", "reopened", "edited", "assigned", "unassigned")
_DELIVERY = re.compile(r"^[0-9A-Fa-f-]{8,64}$")
_EVENT = re.compile(r"^[a-z_]{1,64}$")


class WebhookRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    event: str
    delivery_id: str
    action: str
    repository: str
    sender: str
    issue: Issue | None


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """GitHub's X-Hub-Signature-256, checked in constant time."""
    if not secret or not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode("utf-8", "surrogateescape"))


def parse_delivery(headers: dict[str, str], body: bytes) -> Delivery:
    """The delivery's headers (lower-cased names) and JSON body; WebhookRefused(400) naming the problem."""
    event = headers.get("x-github-event", "")
    delivery_id = headers.get("x-github-delivery", "")
    if not _EVENT.match(event):
        raise WebhookRefused(400, "X-GitHub-Event is missing or not an event name")
    if not _DELIVERY.match(delivery_id):
        raise WebhookRefused(400, "X-GitHub-Delivery is missing or not a delivery id")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRefused(
            400, "the body is not JSON (the webhook's content type must be application/json)"
        ) from None
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "the body is not a JSON object")
    repository = payload.get("repository") or {}
    sender = payload.get("sender") or {}
    full_name = repository.get("full_name") if isinstance(repository, dict) else None
    login = sender.get("login") if isinstance(sender, dict) else None
    action = payload.get("action")
    issue = None
    if event == "issues":
        if not isinstance(action, str) or not isinstance(full_name, str):
            raise WebhookRefused(400, "an issues event needs an action and a repository.full_name")
        issue = _issue(payload.get("issue"))
    return Delivery(
        event=event,
        delivery_id=delivery_id,
        action=action if isinstance(action, str) else "",
        repository=full_name if isinstance(full_name, str) else "",
        sender=login if isinstance(login, str) else "",
        issue=issue,
    )


def _issue(raw: Any) -> Issue:
    from pydantic import ValidationError

    if not isinstance(raw, dict):
        raise WebhookRefused(400, "an issues event needs an issue object")
    if raw.get("state") not in ("open", "closed"):
        raise WebhookRefused(400, "the issue's state is neither open nor closed")
    try:
        return Issue(
            number=raw.get("number"),
            url=raw.get("html_url") or "",
            state=raw["state"],
            title=raw.get("title") or "",
            body=raw.get("body") or "",
            assignees=[a.get("login") for a in raw.get("assignees") or [] if isinstance(a, dict)],
            labels=[label.get("name") for label in raw.get("labels") or [] if isinstance(label, dict)],
            updated_at=raw.get("updated_at"),
        )
    except (ValidationError, TypeError, AttributeError) as error:
        raise WebhookRefused(400, f"the issue is malformed: {str(error).splitlines()[0]}") from None


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


def handle(
    method: str,
    headers: dict[str, str],
    body: bytes,
    *,
    secret: str,
    repository: str,
    remember: Any,
    forget: Any,
    take: Any,
    now: datetime,
) -> Answer:
    """One request at the Function URL. `remember(delivery_id, now) -> bool` (False: seen before),
    `forget(delivery_id)` (the work failed: GitHub's redelivery may try again), `take(issue, by, now)`."""
    if method != "POST":
        return Answer(405, "only GitHub's POSTed deliveries are taken; nothing was changed")
    if len(body) > MAX_BODY_BYTES:
        return Answer(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    if not signature_ok(secret, body, headers.get("x-hub-signature-256")):
        return Answer(401, "X-Hub-Signature-256 does not match the webhook's secret")
    try:
        delivery = parse_delivery(headers, body)
    except WebhookRefused as refused:
        return Answer(refused.status, refused.reason)
    if delivery.event == "ping":
        return Answer(200, "pong")
    if delivery.event != "issues" or delivery.issue is None:
        return Answer(200, f"ignored: {delivery.event} events are not used")
    if delivery.repository.lower() != repository.lower():
        return Answer(200, f"ignored: {delivery.repository} is not the policy's repository")
    if delivery.action not in ACTIONS:
        return Answer(200, f"ignored: issues.{delivery.action} changes nothing the suite keeps")
    updated = delivery.issue.updated_at
    if updated is None or updated < now - MAX_AGE:
        return Answer(400, f"the issue's updated_at is older than {MAX_AGE.days} days: refused as a replay")
    if not remember(delivery.delivery_id, now):
        return Answer(409, f"delivery {delivery.delivery_id} was already taken: refused as a replay")
    try:
        change = take(delivery.issue, f"github:{delivery.sender}" if delivery.sender else "github", now)
    except Exception:
        forget(delivery.delivery_id)
        raise
    if change is None:
        return Answer(200, f"ignored: issue #{delivery.issue.number} was not made by the suite")
    return Answer(200, f"taken into action item {change.item.action_id}")
