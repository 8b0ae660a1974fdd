"""The acknowledgement link's token (paging/ack_links.py): signed for one alert, page and person,
expiring; its parser takes anything from the internet and answers a link or a refusal, never an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incident_core.paging.ack_links import (
    AckLinkIssuer,
    ExpiredLink,
    ForgedLink,
    LinkRefused,
    MalformedLink,
    make_link,
    parse_token,
    verify,
)

KEY = b"k" * 48
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
alert_ids = st.from_regex(r"al-[0-9a-f]{18}", fullmatch=True)
people = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
seqs = st.integers(min_value=0, max_value=999_999)  # the router numbers pages from 0
lifetimes = st.integers(min_value=1, max_value=400 * 24)  # hours: links expire on the hour


@given(alert_ids, seqs, people, lifetimes)
def test_a_link_verifies_as_itself_until_it_expires(alert_id, seq, person, lifetime):
    expires = NOW + timedelta(hours=lifetime, minutes=59)  # rounded down to the hour
    token = make_link(alert_id, f"{alert_id}-p{seq}", person, expires).token(KEY)
    link = verify(token, KEY, NOW)
    assert (link.alert_id, link.seq, link.person) == (alert_id, seq, person)
    assert link.page_id == f"{alert_id}-p{seq}"
    assert link.expires_at == NOW + timedelta(hours=lifetime)
    with pytest.raises(ExpiredLink):
        verify(token, KEY, link.expires_at)
    with pytest.raises(ForgedLink):
        verify(token, b"another key", NOW)


@given(alert_ids, seqs, people, st.data())
def test_any_one_character_changed_is_refused(alert_id, seq, person, data):
    token = make_link(alert_id, f"{alert_id}-p{seq}", person, NOW + timedelta(days=1)).token(KEY)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != token[position]))
    changed = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(LinkRefused):
        verify(changed, KEY, NOW)


@given(st.text(max_size=300))
def test_anything_else_is_a_refusal_never_an_error(text):
    try:
        verify(text, KEY, NOW)
    except LinkRefused as refused:
        assert refused.status in (400, 403, 410)
    else:  # only a token signed with KEY verifies
        pytest.fail(f"{text!r} verified")


WELL_FORMED = (
    r"(~[A-Za-z0-9_-]{12}|[A-Za-z0-9-]{1,64})\.(0|[1-9][0-9]{0,5})"
    r"\.[a-z]{1,10}\.[0-9a-z]{1,5}\.[A-Za-z0-9_-]{16}"
)


@given(st.from_regex(WELL_FORMED, fullmatch=True))
def test_well_formed_tokens_parse_and_unsigned_ones_are_forged_or_expired(token):
    link, signature = parse_token(token)
    assert len(signature) == 16 and link.expires_at.tzinfo is UTC
    with pytest.raises((ForgedLink, ExpiredLink)):
        verify(token, KEY, NOW)


def test_a_link_fits_a_text_with_room_for_the_alert():
    """A Function URL (69 characters) and a token of the suite's alert id: under 120 of a text's 160."""
    base = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-2.on.aws/"
    url = AckLinkIssuer(base, KEY).link(
        "al-019ad2c3e4f5a1b2c3", "al-019ad2c3e4f5a1b2c3-p12", "alastair", NOW + timedelta(days=400)
    )
    assert url.startswith(base) and len(url) < 120
    assert verify(url.removeprefix(base), KEY, NOW).alert_id == "al-019ad2c3e4f5a1b2c3"


@pytest.mark.parametrize(
    ("alert_id", "page_id", "person", "problem"),
    [
        ("al-1", "al-2-p1", "alastair", "is not a page of alert"),
        ("al-1", "al-1-p01", "alastair", "is not a page of alert"),
        ("al 1", "al 1-p1", "alastair", "cannot go into"),
        ("al-1", "al-1-p1", "alastair.smith", "a link carries only"),
    ],
)
def test_names_a_link_cannot_carry_are_refused_when_it_is_made(alert_id, page_id, person, problem):
    with pytest.raises(ValueError, match=problem):
        make_link(alert_id, page_id, person, NOW)


def test_links_are_https():
    with pytest.raises(ValueError, match="HTTPS"):
        AckLinkIssuer("http://example.com/", KEY)
    with pytest.raises(MalformedLink):
        parse_token("x" * 161)
