"""Acknowledgement links: a short token signed for one alert, one page and one person, expiring with the
alert (pure; `now` is always given).

The token travels in texts (160 GSM-7 characters a segment), so it is compact and URL-safe:

    <alert id>.<page seq>.<person key>.<expiry, base 36 epoch seconds>.<signature>

The signature is HMAC-SHA256 over every field (and a version), with the key the stack generates into
Secrets Manager, cut to 16 base64url characters (96 bits: RFC 2104 allows truncation to half the hash
and no fewer than 80 bits; a forger gets one guess per HTTPS request). Everything the link acts on is in
what is signed, so a link edited to name another person, page or alert is a forged one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = "ack1"
SIGNATURE_CHARS = 16
MAX_TOKEN = 160  # anything longer is refused before it is looked at
_ALERT_ID = r"[A-Za-z0-9-]{1,64}"
_PERSON = r"[A-Za-z0-9_-]{1,40}"
TOKEN = re.compile(
    rf"^(?P<alert>{_ALERT_ID})\.(?P<seq>[1-9][0-9]{{0,5}})\.(?P<person>{_PERSON})"
    rf"\.(?P<expires>[0-9a-z]{{1,7}})\.(?P<signature>[A-Za-z0-9_-]{{{SIGNATURE_CHARS}}})$"
)
PERSON_KEY = re.compile(rf"^{_PERSON}$")
ALERT_ID = re.compile(rf"^{_ALERT_ID}$")


class LinkRefused(Exception):
    """Why a link acts on nothing: the person's sentence, and the HTTP status that says it."""

    status = 403

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status or type(self).status


class MalformedLink(LinkRefused):
    status = 400


class ForgedLink(LinkRefused):
    status = 403


class ExpiredLink(LinkRefused):
    status = 410


class UsedLink(LinkRefused):
    status = 409


@dataclass(frozen=True)
class AckLink:
    alert_id: str
    seq: int
    person: str
    expires_at: datetime  # whole seconds, UTC

    @property
    def page_id(self) -> str:
        return f"{self.alert_id}-p{self.seq}"

    def token(self, key: bytes) -> str:
        return f"{self._unsigned()}.{_signature(key, self._unsigned())}"

    def _unsigned(self) -> str:
        return f"{self.alert_id}.{self.seq}.{self.person}.{_base36(int(self.expires_at.timestamp()))}"


def make_link(alert_id: str, page_id: str, person: str, expires_at: datetime) -> AckLink:
    """The link of one page to one person; a name the token cannot carry is refused here, when the page
    is sent, never silently changed."""
    if not ALERT_ID.match(alert_id):
        raise ValueError(f"alert id {alert_id!r} cannot go into an acknowledgement link")
    prefix, _, seq = page_id.rpartition("-p")
    if prefix != alert_id or not re.fullmatch(r"[1-9][0-9]{0,5}", seq):
        raise ValueError(f"page id {page_id!r} is not a page of alert {alert_id!r}")
    if not PERSON_KEY.match(person):
        raise ValueError(f"person key {person!r}: a link carries only letters, digits, '-' and '_'")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at needs a time zone")
    expires = datetime.fromtimestamp(int(expires_at.timestamp()), UTC)
    return AckLink(alert_id=alert_id, seq=int(seq), person=person, expires_at=expires)


def parse_token(token: str) -> tuple[AckLink, str]:
    """The link a token names and the signature it carries; MalformedLink when it is not a token at all."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise MalformedLink("This is not an acknowledgement link (it is too long).")
    found = TOKEN.match(token)
    if found is None:
        raise MalformedLink("This is not an acknowledgement link (it may have been cut short when copied).")
    expires = int(found["expires"], 36)
    link = AckLink(
        alert_id=found["alert"],
        seq=int(found["seq"]),
        person=found["person"],
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
    return link, found["signature"]


def verify(token: str, key: bytes, now: datetime) -> AckLink:
    """The link, if `key` signed it and it has not expired at `now`; else the refusal saying which."""
    link, signature = parse_token(token)
    if not hmac.compare_digest(_signature(key, link._unsigned()), signature):
        raise ForgedLink(
            "This link is not one the incident suite sent: it was changed, or it is for another person "
            "or alert. Nothing was done."
        )
    if now >= link.expires_at:
        raise ExpiredLink("This link has expired with its alert. Nothing was done.")
    return link


class AckLinkIssuer:
    """`AckLinks` of paging/delivery.py: the URL a text or e-mail carries for one page and one person."""

    def __init__(self, base_url: str, key: bytes) -> None:
        if not base_url.startswith("https://") and not base_url.startswith("http://127.0.0.1"):
            raise ValueError(f"acknowledgement links must be HTTPS, not {base_url!r}")
        self.base_url = base_url.rstrip("/") + "/"
        self.key = key

    def link(self, alert_id: str, page_id: str, person: str, expires_at: datetime) -> str:
        return self.base_url + make_link(alert_id, page_id, person, expires_at).token(self.key)


def _signature(key: bytes, unsigned: str) -> str:
    digest = hmac.new(key, f"{VERSION}|{unsigned}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out
