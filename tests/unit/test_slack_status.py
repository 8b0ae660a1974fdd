"""Slack's status API answer (outside input) turned into a vendor status: any JSON either parses or is
refused with a StatusPageError that says what is wrong; nothing else escapes."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from incident_core.adapters.statuspage import StatusPageError, slack_status

URL = "https://slack-status.com/api/v2.0.0/current"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
incident = st.fixed_dictionaries(
    {"title": json_values, "type": json_values, "status": json_values},
    optional={"url": json_values, "date_created": json_values},
)


@given(
    st.fixed_dictionaries(
        {"status": json_values}, optional={"active_incidents": st.lists(incident | json_values, max_size=3)}
    )
)
def test_any_answer_parses_or_is_refused_clearly(body: dict[str, Any]) -> None:
    try:
        status = slack_status(URL, body)
    except StatusPageError as error:
        assert URL in str(error)
    else:
        assert status.indicator in ("none", "minor", "major", "maintenance")
        assert status.operational == (status.indicator == "none" and not status.incidents)


def test_the_documented_ok_answer_is_operational() -> None:
    body = {"status": "ok", "active_incidents": [], "date_created": "2018-09-07T18:34:15-07:00",
            "date_updated": "2018-09-07T18:34:15-07:00"}  # fmt: skip
    assert slack_status(URL, body).operational


def test_an_answer_without_a_status_is_refused_naming_it() -> None:
    try:
        slack_status(URL, {"active_incidents": []})
    except StatusPageError as error:
        assert "status" in str(error)
    else:
        raise AssertionError("accepted an answer without a status")
