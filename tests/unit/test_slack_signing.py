"""Slack's request signature, checked with the path the Slack app uses (the standard library's hmac)."""

from hypothesis import given
from hypothesis import strategies as st

from incident_core.incidents.signing import verify_slack_request
from tests.helpers import documented, documented_text

EXAMPLE = documented("slack_signing_example.json")
BODY = documented_text(EXAMPLE["raw_body_file"])
NOW = int(EXAMPLE["headers"]["X-Slack-Request-Timestamp"])


def test_slacks_documented_example_verifies():
    assert EXAMPLE["raw_body"] == BODY and len(BODY.encode()) == 362
    assert verify_slack_request(EXAMPLE["signing_secret"], BODY, EXAMPLE["headers"], now=NOW)


def test_header_names_are_case_insensitive_as_http_says():
    lowered = {k.lower(): v for k, v in EXAMPLE["headers"].items()}
    assert verify_slack_request(EXAMPLE["signing_secret"], BODY, lowered, now=NOW + 299)


def test_stale_forged_and_missing_signatures_are_refused():
    secret, headers = EXAMPLE["signing_secret"], EXAMPLE["headers"]
    assert not verify_slack_request(secret, BODY, headers, now=NOW + 301)  # replayed after 5 minutes
    assert not verify_slack_request(secret, BODY, headers, now=NOW - 301)  # from the future
    assert not verify_slack_request("another-secret", BODY, headers, now=NOW)
    assert not verify_slack_request(secret, BODY.replace("foobar", "foobaz"), headers, now=NOW)
    forged = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
    assert not verify_slack_request(secret, BODY, forged, now=NOW)
    for missing in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        partial = {k: v for k, v in headers.items() if k != missing}
        assert not verify_slack_request(secret, BODY, partial, now=NOW)


HEADER_TEXT = st.text(max_size=40)


@given(timestamp=HEADER_TEXT, signature=HEADER_TEXT, body=st.text(max_size=200))
def test_any_forged_header_values_are_refused_never_an_error(timestamp, signature, body):
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    assert verify_slack_request(EXAMPLE["signing_secret"], body, headers, now=NOW) is False
