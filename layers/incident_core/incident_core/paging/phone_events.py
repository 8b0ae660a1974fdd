"""What End User Messaging SMS and Voice tells the suite through SNS (pure): a call's outcome (the
configuration set's voice events) and a reply to a text (two-way SMS).

Voice events carry the documented fields of the configuration set's event records (eventType,
eventTimestamp in epoch milliseconds, messageId, destinationPhoneNumber, context, ...); the `context` is
what the adapter attached to the call (`reference`, `person`), so an outcome finds its page and person
without a lookup. A reply carries the documented two-way payload (originationNumber, destinationNumber,
messageBody, inboundMessageId, ...).

Outside input: every field is checked for type and size; anything else is a `PhoneEventRejected` naming
what is wrong (logged, never retried); events the suite does not act on (a call ringing, a text
delivered) are `Ignored` with the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MAX_MESSAGE = 16_384  # an event record is a few hundred bytes; anything far larger is not one
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
REFERENCE = re.compile(
    r"^(?P<page>(?P<alert>[A-Za-z0-9-]{1,64})-p(?P<seq>0|[1-9][0-9]{0,5}))"
    r":(?P<person>[A-Za-z0-9_-]{1,40}):(?P<step>[0-9]{1,3})$"
)


class PhoneEventRejected(ValueError):
    """Not an event this topic carries; the message says which field is wrong."""


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no answer"
    FAILED = "failed"
    EXPIRED = "not placed in time"


# The voice event types that end the question "did the person hear it?" (the service's EventType enum).
OUTCOMES = {
    "VOICE_ANSWERED": CallOutcome.ANSWERED,
    "VOICE_BUSY": CallOutcome.BUSY,
    "VOICE_NO_ANSWER": CallOutcome.NO_ANSWER,
    "VOICE_FAILED": CallOutcome.FAILED,
    "VOICE_TTL_EXPIRED": CallOutcome.EXPIRED,
}
NOT_ACTED_ON = ("VOICE_INITIATED", "VOICE_RINGING", "VOICE_COMPLETED")


@dataclass(frozen=True)
class Reference:
    """The idempotency reference of one (page, person, step): `<page id>:<person>:<step>`."""

    alert_id: str
    page_id: str
    person: str
    step: int

    def __str__(self) -> str:
        return f"{self.page_id}:{self.person}:{self.step}"


def reference_for(page_id: str, person: str, step: int) -> str:
    """The reference the escalation engine gives a text or call (and the adapter puts in its Context)."""
    reference = f"{page_id}:{person}:{step}"
    if parse_reference(reference) is None:
        raise ValueError(f"{reference!r} cannot be a call reference")
    return reference


def parse_reference(value: str) -> Reference | None:
    found = REFERENCE.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    return Reference(found["alert"], found["page"], found["person"], int(found["step"]))


@dataclass(frozen=True)
class CallResult:
    message_id: str
    outcome: CallOutcome
    at: datetime
    destination: str
    reference: Reference

    @property
    def moves_plan_on(self) -> bool:
        """A call nobody answered: the person's plan goes on to its next step at once."""
        return self.outcome is not CallOutcome.ANSWERED


@dataclass(frozen=True)
class InboundText:
    message_id: str
    sender: str  # the person's phone (E.164)
    to: str  # the suite's number
    body: str


@dataclass(frozen=True)
class Ignored:
    why: str


type PhoneEvent = CallResult | InboundText | Ignored


def parse_phone_event(message: str) -> PhoneEvent:
    """One SNS message of the paging events topic."""
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise PhoneEventRejected("the message is not a JSON text of a sensible size")
    try:
        data = json.loads(message)
    except ValueError as error:
        raise PhoneEventRejected(f"the message is not JSON: {error.msg}") from error
    if not isinstance(data, dict):
        raise PhoneEventRejected("the message is not a JSON object")
    if "eventType" in data:
        return _voice_event(data)
    if "inboundMessageId" in data:
        return _inbound_text(data)
    raise PhoneEventRejected("neither a configuration set event (eventType) nor a reply (inboundMessageId)")


def _voice_event(data: dict[str, Any]) -> PhoneEvent:
    event_type = _text(data, "eventType", 64)
    if event_type not in OUTCOMES:
        return Ignored(f"{event_type} says nothing the plan acts on")
    context = data.get("context")
    if not isinstance(context, dict):
        raise PhoneEventRejected("context is missing or not an object")
    reference = parse_reference(context.get("reference"))
    if reference is None:
        return Ignored("a call the suite did not place (no reference of a page)")
    if context.get("person") not in (None, reference.person):
        raise PhoneEventRejected("context.person does not match its reference")
    stamp = data.get("eventTimestamp")
    if not isinstance(stamp, int) or isinstance(stamp, bool) or not 0 < stamp < 32_503_680_000_000:
        raise PhoneEventRejected("eventTimestamp is not epoch milliseconds")
    destination = _text(data, "destinationPhoneNumber", 20)
    if not E164.match(destination):
        raise PhoneEventRejected("destinationPhoneNumber is not an E.164 number")
    return CallResult(
        message_id=_text(data, "messageId", 128),
        outcome=OUTCOMES[event_type],
        at=datetime.fromtimestamp(stamp / 1000, UTC),
        destination=destination,
        reference=reference,
    )


def _inbound_text(data: dict[str, Any]) -> InboundText:
    sender = _text(data, "originationNumber", 20)
    to = _text(data, "destinationNumber", 20)
    if not (E164.match(sender) and E164.match(to)):
        raise PhoneEventRejected("originationNumber and destinationNumber must be E.164 numbers")
    body = data.get("messageBody")
    if not isinstance(body, str) or len(body) > 1600:
        raise PhoneEventRejected("messageBody is not a text of at most 1600 characters")
    return InboundText(message_id=_text(data, "inboundMessageId", 128), sender=sender, to=to, body=body)


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise PhoneEventRejected(f"{name} is missing, not a string, or longer than {limit}")
    return value


# ---------------------------------------------------------------------- replies: "ACK", "ack k7f2"
ACK_REPLY = re.compile(r"^\s*ack(?:\s+(?P<code>[0-9a-z]{4}))?\s*[.!]?\s*$", re.IGNORECASE)


def short_code(alert_id: str) -> str:
    """What a reply names an alert by when several are open: the last four characters of its id."""
    return alert_id[-4:].upper()


def acknowledgement_asked(body: str) -> tuple[bool, str | None]:
    """Whether a reply asks to acknowledge, and the alert's short code if it names one."""
    found = ACK_REPLY.match(body)
    if found is None:
        return False, None
    code = found["code"]
    return True, code.upper() if code else None
