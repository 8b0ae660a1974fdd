"""What a page says by phone (paging/phone_scripts.py): whatever an alert's title holds, the call's SSML
is well-formed, says the title and the way to acknowledge twice, slowly, within the service's limit."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from incident_core.paging.ack_links import AckLinkIssuer
from incident_core.paging.phone_scripts import SSML_LIMIT, TEXT_LIMIT, call_ssml, page_text, spoken


@given(st.text(max_size=2000), st.text(max_size=80))
def test_any_title_makes_well_formed_ssml_within_the_limit(title, name):
    ssml = call_ssml(name, title, "reply ACK to the text")
    assert len(ssml) <= SSML_LIMIT
    root = ElementTree.fromstring(ssml)  # never broken by the title
    assert root.tag == "speak"
    assert root.find("lang/prosody").get("rate") == "slow"
    said = "".join(root.itertext())
    assert said.count("reply ACK to the text") == 2
    title_said = ElementTree.fromstring(f"<t>{spoken(title)}</t>").text or ""
    assert said.count(f"Alert: {title_said}.") == 2


@given(st.text(max_size=500))
def test_a_text_always_carries_the_whole_link(title):
    link = "https://x.lambda-url.eu-west-2.on.aws/al-1.1.alastair.t5x8k2.AbCdEfGhIjKlMnOp"
    text = page_text(title, link)
    assert link in text and len(text) <= TEXT_LIMIT


def test_a_short_alert_and_its_link_fit_one_text():
    base = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-2.on.aws/"
    link = AckLinkIssuer(base, b"k" * 48).link(
        "al-019ad2c3e4f5a1b2c3", "al-019ad2c3e4f5a1b2c3-p1", "alastair", datetime(2027, 12, 1, tzinfo=UTC)
    )
    text = page_text("Checkout errors", link, code="K7")
    assert len(text) <= 160 and all(ch.isascii() for ch in text)  # one GSM-7 segment
