"""The escalation plan in the policy file: its defaults, its validation (a clear error naming the field,
for any input), the pages it turns into, and `incidentctl policy who` printing it step by step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from incident_core.cli.main import main
from incident_core.paging.escalation import first_step_channels, step_pages, steps_to_bring_forward
from incident_core.paging.pages import Page, PageKind, PageStatus
from incident_core.policy.model import PolicyFileError, load_policy, parse_policy
from tests.routing_support import POLICY_FILE

POLICY = load_policy(POLICY_FILE)
BASE = (
    "people: {alastair: {name: Alastair, slack: U0ALASTAIR, phone: '+447700900001'}}\n"
    "always_alerted: [alastair]\n"
)
NOW = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)


def with_plan(plan: object, where: str = "escalation") -> str:
    return BASE + yaml.safe_dump({where: {"business_hours": plan}})


def test_the_defaults_follow_the_seed():
    assert [(s.after_minutes, s.channels) for s in POLICY.plan("alastair", "business_hours")] == [
        (0, ["slack"]),
        (5, ["sms", "email"]),
    ]
    assert [(s.after_minutes, s.channels) for s in POLICY.plan("wisen", "traction_off_hours")] == [
        (0, ["slack", "sms"]),
        (3, ["call"]),
        (10, ["call"]),
    ]


@pytest.mark.parametrize(
    ("plan", "named"),
    [
        (
            [{"after_minutes": 5, "channels": ["slack"]}],
            "escalation.business_hours: Value error, the first step",
        ),
        (
            [{"after_minutes": 0, "channels": ["slack"]}, {"after_minutes": 0, "channels": ["sms"]}],
            "steps must come in order: after_minutes 0 follows 0",
        ),
        ([{"after_minutes": 0, "channels": ["pager"]}], "escalation.business_hours.0.channels.0"),
        ([{"after_minutes": 0, "channels": []}], "escalation.business_hours.0.channels"),
        ([{"after_minutes": 0, "channels": ["sms", "sms"]}], "['sms'] named more than once"),
        ([{"after_minutes": 0, "channels": ["slack"], "every": 3}], "escalation.business_hours.0.every"),
        ([], "a plan needs at least one step"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(plan, named):
    with pytest.raises(PolicyFileError, match="policy file is invalid") as refused:
        parse_policy(with_plan(plan))
    assert named in str(refused.value)


def test_a_persons_own_plan_may_only_use_channels_they_have_an_address_for():
    text = BASE.replace(
        "phone: '+447700900001'}",
        "phone: '+447700900001', escalation: {business_hours: "
        "[{after_minutes: 0, channels: [slack]}, {after_minutes: 2, channels: [email]}]}}",
    )
    with pytest.raises(PolicyFileError) as refused:
        parse_policy(text)
    assert "people.alastair" in str(refused.value)
    assert "escalation.business_hours[1].channels names email, but Alastair has no email" in str(
        refused.value
    )


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "after_minutes": st.one_of(st.integers(-5, 2000), st.text(max_size=3)),
                "channels": st.lists(
                    st.sampled_from(["slack", "sms", "email", "call", "fax", ""]), max_size=4
                ),
            }
        ),
        max_size=5,
    )
)
def test_any_plan_is_either_valid_and_ordered_or_refused_with_a_policy_file_error(plan):
    try:
        policy = parse_policy(with_plan(plan))
    except PolicyFileError as error:
        assert "escalation.business_hours" in str(error)
        return
    steps = policy.plan("alastair", "business_hours")
    assert steps[0].after_minutes == 0
    assert all(a.after_minutes < b.after_minutes for a, b in pairwise(steps))


def first_page(people: list[str], plan: str) -> Page:
    return Page(
        page_id="al-0123abcd-p0",
        alert_id="al-0123abcd",
        seq=0,
        kind=PageKind.PAGE,
        due_at=NOW,
        people=people,
        channels=["slack", "sms"],
        person_channels=first_step_channels(POLICY, plan, people),
    )


def test_each_later_step_of_each_persons_plan_is_a_page_due_after_the_page():
    steps = step_pages(first_page(["alastair", "wisen"], "traction_off_hours"), POLICY, "traction_off_hours")
    assert [(p.page_id, p.due_at - NOW, p.channels) for p in steps] == [
        ("al-0123abcd-p0-alastair-s1", timedelta(minutes=3), ["call"]),
        ("al-0123abcd-p0-alastair-s2", timedelta(minutes=10), ["call"]),
        ("al-0123abcd-p0-wisen-s1", timedelta(minutes=3), ["call"]),
        ("al-0123abcd-p0-wisen-s2", timedelta(minutes=10), ["call"]),
    ]


def test_slack_failing_brings_forward_each_persons_next_step_outside_slack_only():
    page = first_page(["alastair", "wisen"], "traction_off_hours")
    steps = step_pages(page, POLICY, "traction_off_hours")
    steps[2] = steps[2].model_copy(update={"status": PageStatus.SENT})  # wisen's first call went out
    chosen = steps_to_bring_forward(page, steps, NOW + timedelta(minutes=2))
    assert [p.page_id for p in chosen] == ["al-0123abcd-p0-alastair-s1", "al-0123abcd-p0-wisen-s2"]


def test_policy_who_prints_the_plan_step_by_step(capsys, monkeypatch):
    monkeypatch.setenv("POLICY_FILE", str(POLICY_FILE))
    code = main(
        [
            "policy",
            "who",
            "--offline",
            "--at",
            "2026-12-05T02:00:00Z",
            "--traction",
            "2026-12-04T00:00:00Z/2026-12-07T00:00:00Z",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "escalation plan (traction off hours), each step only while unacknowledged:" in out
    assert "step 0 at +0 min (02:00 GMT): Alastair by slack (DM and a mention in #incidents), sms" in out
    assert "step 1 at +3 min (02:03 GMT): Wisen by call" in out
    assert "step 2 at +10 min (02:10 GMT): Alastair by call" in out
