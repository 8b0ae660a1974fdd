"""Acknowledgement links: a short token signed for one alert, one page and one person, expiring with the
alert (pure; `now` is always given).

The token travels in texts (160 GSM-7 characters a segment), so it is compact and URL-safe:

    <alert id>.<page seq>.<person key>.<expiry, base 36 hours since the epoch>.<signature>

The suite's own alert ids (`al-` and 18 hex digits) travel as `~` and their 9 bytes in base64url (13
characters instead of 21); the expiry is whole hours, rounded down (never later than asked). A link is
about 115 characters: with a short title it fits one text.

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
_SUITE_ALERT_ID = re.compile(r"^al-([0-9a-f]{18})$")
_COMPACT_ALERT_ID = r"~[A-Za-z0-9_-]{12}"
_PERSON = r"[A-Za-z0-9_-]{1,40}"
TOKEN = re.compile(
    rf"^(?P<alert>{_COMPACT_ALERT_ID}|{_ALERT_ID})\.(?P<seq>0|[1-9][0-9]{{0,5}})\.(?P<person>{_PERSON})"
    rf"\.(?P<expires>[0-9a-z]{{1,5}})\.(?P<signature>[A-Za-z0-9_-]{{{SIGNATURE_CHARS}}})$"
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
    expires_at: datetime  # a whole hour, UTC

    @property
    def page_id(self) -> str:
        return f"{self.alert_id}-p{self.seq}"

    def token(self, key: bytes) -> str:
        hours = _base36(int(self.expires_at.timestamp()) // 3600)
        compact = f"{_compact(self.alert_id)}.{self.seq}.{self.person}.{hours}"
        return f"{compact}.{_signature(key, self._unsigned())}"

    def _unsigned(self) -> str:
        """What is signed: every field, the alert id in full."""
        return f"{self.alert_id}.{self.seq}.{self.person}.{int(self.expires_at.timestamp()) // 3600}"


def make_link(alert_id: str, page_id: str, person: str, expires_at: datetime) -> AckLink:
    """The link of one page to one person; a name the token cannot carry is refused here, when the page
    is sent, never silently changed."""
    if not ALERT_ID.match(alert_id):
        raise ValueError(f"alert id {alert_id!r} cannot go into an acknowledgement link")
    prefix, _, seq = page_id.rpartition("-p")
    if prefix != alert_id or not re.fullmatch(r"0|[1-9][0-9]{0,5}", seq):
        raise ValueError(f"page id {page_id!r} is not a page of alert {alert_id!r}")
    if not PERSON_KEY.match(person):
        raise ValueError(f"person key {person!r}: a link carries only letters, digits, '-' and '_'")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at needs a time zone")
    expires = datetime.fromtimestamp(int(expires_at.timestamp()) // 3600 * 3600, UTC)
    return AckLink(alert_id=alert_id, seq=int(seq), person=person, expires_at=expires)


def parse_token(token: str) -> tuple[AckLink, str]:
    """The link a token names and the signature it carries; MalformedLink when it is not a token at all."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise MalformedLink("This is not an acknowledgement link (it is too long).")
    found = TOKEN.match(token)
    if found is None:
        raise MalformedLink("This is not an acknowledgement link (it may have been cut short when copied).")
    try:
        expires_at = datetime.fromtimestamp(int(found["expires"], 36) * 3600, UTC)
    except (OverflowError, ValueError, OSError) as error:
        raise MalformedLink("This is not an acknowledgement link (its expiry is not a date).") from error
    link = AckLink(
        alert_id=_full(found["alert"]),
        seq=int(found["seq"]),
        person=found["person"],
        expires_at=expires_at,
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


def _compact(alert_id: str) -> str:
    found = _SUITE_ALERT_ID.match(alert_id)
    if found is None:
        return alert_id
    return "~" + base64.urlsafe_b64encode(bytes.fromhex(found[1])).decode()


def _full(alert: str) -> str:
    if not alert.startswith("~"):
        return alert
    return "al-" + base64.urlsafe_b64decode(alert[1:]).hex()


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out
