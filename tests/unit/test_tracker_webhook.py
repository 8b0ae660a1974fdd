"""The tracker webhook's parser and signature check against anything the internet may send."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.actions.tracker_webhook import (
    MAX_AGE,
    WebhookRefused,
    handle,
    parse_delivery,
    signature_ok,
)
from incident_core.actions.tracking import action_id_in, due_in, marker

SECRET = "webhook-secret-placeholder"
NOW = datetime(2026, 12, 21, 12, tzinfo=UTC)
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(**issue) -> bytes:
    return json.dumps(
        {
            "action": "closed",
            "issue": {
                "number": 1,
                "html_url": "https://github.com/example-org/product/issues/1",
                "state": "closed",
                "title": "t",
                "body": marker("act-0123456789abcde"),
                "assignees": [],
                "labels": [],
                "updated_at": NOW.isoformat(),
                **issue,
            },
            "repository": {"full_name": "example-org/product"},
            "sender": {"login": "wisen-gh"},
        }
    ).encode()


@given(st.binary(max_size=2048), st.text(max_size=80))
def test_only_the_exact_hmac_of_the_raw_body_is_believed(body, header):
    assert signature_ok(SECRET, body, signed(body))
    assert signature_ok(SECRET, body, header) is (header == signed(body))
    assert not signature_ok(SECRET, body, signed(body, SECRET + "x"))
    assert not signature_ok("", body, signed(body, ""))  # no secret configured: nothing is believed


@given(
    st.binary(max_size=2048),
    st.dictionaries(st.sampled_from(["x-github-event", "x-github-delivery"]), st.text(max_size=70)),
)
def test_any_body_and_headers_parse_or_are_refused_with_a_reason(body, headers):
    try:
        delivery = parse_delivery(headers, body)
    except WebhookRefused as refused:
        assert refused.status == 400 and refused.reason
    else:
        assert delivery.event == headers["x-github-event"]


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_issue_is_taken_or_refused_never_crashes(issue):
    body = json.dumps({"action": "closed", "issue": issue, "repository": {"full_name": "o/r"}}).encode()
    headers = {"x-github-event": "issues", "x-github-delivery": DELIVERY}
    try:
        parse_delivery(headers, body)
    except WebhookRefused as refused:
        assert refused.status == 400


def answer(body: bytes, method: str = "POST", seen: set | None = None, **headers):
    seen = set() if seen is None else seen
    taken = []

    def remember(delivery_id, now):
        if delivery_id in seen:
            return False
        seen.add(delivery_id)
        return True

    result = handle(
        method,
        {
            "x-github-event": "issues",
            "x-github-delivery": DELIVERY,
            "x-hub-signature-256": signed(body),
            **headers,
        },
        body,
        secret=SECRET,
        repository="example-org/product",
        remember=remember,
        forget=seen.discard,
        take=lambda issue, by, now: taken.append((issue.number, by)) or None,
        now=NOW,
    )
    return result, taken


def test_replays_and_stale_deliveries_are_refused_and_get_changes_nothing():
    body = payload()
    seen: set = set()
    first, taken = answer(body, seen=seen)
    assert first.status == 200 and taken == [(1, "github:wisen-gh")]
    again, taken = answer(body, seen=seen)
    assert again.status == 409 and taken == []
    stale, taken = answer(payload(updated_at=(NOW - MAX_AGE - timedelta(minutes=1)).isoformat()))
    assert stale.status == 400 and taken == []
    got, taken = answer(body, method="GET")
    assert got.status == 405 and taken == []
    other, taken = answer(body.replace(b"example-org/product", b"someone/else"))
    assert other.status == 200 and "ignored" in other.text and taken == []


@given(st.text(max_size=300))
def test_the_item_marker_and_due_line_are_read_only_when_well_formed(text):
    assert action_id_in(text + marker("act-0123456789abcde")) in (None, "act-0123456789abcde")
    assert action_id_in(marker("act-0123456789abcde") * 2) is None  # copied by hand: not the suite's
    due_in(text)  # never raises
    assert due_in("**Due**: 2027-01-08 (Fri 08 Jan)") == datetime(2027, 1, 8).date()
    assert due_in("**Due**: 2027-02-30") is None
