"""What a page says by phone: the text with its acknowledgement link, and the call's SSML (pure).

The call is read by Amazon Polly's British English voice (AMY): slowly (`<prosody rate="slow">`), the
alert and how to acknowledge said twice, with a pause between. Everything from outside (the alert's
title) is XML-escaped and stripped of characters XML cannot carry, so a title can never end the speech
or inject a tag. SendVoiceMessage takes at most 6000 characters of SSML (tags included) and
SendTextMessage at most 1600 characters; titles are cut long before either.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

SSML_LIMIT = 6000
TEXT_LIMIT = 1600
TITLE_SPOKEN = 200
TITLE_TEXTED = 60
_NOT_XML = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def spoken(text: str, limit: int = TITLE_SPOKEN) -> str:
    cleaned = " ".join(_NOT_XML.sub(" ", text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return escape(cleaned, {'"': "&quot;", "'": "&apos;"})


def call_ssml(name: str, title: str, how_to_acknowledge: str, drill: bool = False) -> str:
    """The call: who it is for, the alert, how to acknowledge; then the alert and the way again."""
    opening = "This is a drill. " if drill else ""
    once = (
        f'Alert: {spoken(title)}. <break time="700ms"/>'
        f'To acknowledge, {spoken(how_to_acknowledge)}. <break time="1500ms"/>'
    )
    ssml = (
        '<speak><lang xml:lang="en-GB"><prosody rate="slow">'
        f'Hello {spoken(name, 60)}. {opening}This is the incident suite. <break time="700ms"/>'
        f"{once}Again. {once}Goodbye.</prosody></lang></speak>"
    )
    assert len(ssml) <= SSML_LIMIT
    return ssml


def page_text(title: str, link: str, code: str | None = None, drill: bool = False) -> str:
    """The text: short enough that the alert and its link fit one 160-character GSM-7 segment where
    possible; `code` is the alert's short code for replying `ACK <code>` when several are open."""
    plain = " ".join(_NOT_XML.sub(" ", title).split())
    if len(plain) > TITLE_TEXTED:
        plain = plain[: TITLE_TEXTED - 1].rstrip() + "…"
    reply = f" or reply ACK {code}" if code else " or reply ACK"
    prefix = "DRILL " if drill else ""
    return f"{prefix}{plain}. Ack {link}{reply}"[:TEXT_LIMIT]
