"""Alert grouping's pure rules (issue 22): the policy's defaults, which group an alert joins, and what the
group's page lists within Block Kit's limits."""

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block

from incident_core.alerts.grouping import as_leader, choose_group, explain, group_key, why_not
from incident_core.dashboard.params import DashboardParams
from incident_core.dashboard.render import ALERTS_GROUPED, render_dashboard
from incident_core.models.alerts import Alert, AlertStatus, GroupMember
from incident_core.paging.group_message import group_blocks
from incident_core.policy.model import Grouping, PolicyFileError, load_policy, parse_policy
from tests.routing_support import POLICY_FILE

T0 = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)


def alert(alert_id: str, at: datetime = T0, alarm: str | None = None, journey: str | None = None) -> Alert:
    return Alert(
        alert_id=alert_id,
        fingerprint=f"fp-{alert_id}",
        title=f"Alarm {alarm or journey or alert_id}",
        source="cloudwatch-sns",
        alarm_name=alarm,
        journey=journey,
        started_at=at,
        first_seen=at,
        last_seen=at,
    )


def test_the_shipped_policy_groups_with_the_defaults_a_small_team_needs():
    rules = load_policy(POLICY_FILE).grouping
    assert rules == Grouping()
    assert (rules.enabled, rules.window_minutes, rules.max_size, rules.by) == (True, 5, 25, "everything")


def test_grouping_by_service_needs_services_named():
    text = POLICY_FILE.read_text().replace("by: everything", "by: service")
    with pytest.raises(PolicyFileError, match=r"grouping\.by is service but grouping\.services names none"):
        parse_policy(text, "policy.yaml")


def test_an_alert_joins_the_earliest_open_unacknowledged_group_within_the_window():
    rules = Grouping()
    first, second = as_leader(alert("a1")), as_leader(alert("a2", T0 + timedelta(minutes=1)))
    new = alert("a3", T0 + timedelta(minutes=4))
    assert choose_group([second, first], new, rules) == first
    assert choose_group([first.model_copy(update={"status": AlertStatus.ACKNOWLEDGED})], new, rules) is None
    late = alert("a4", T0 + timedelta(minutes=5, seconds=1))
    assert why_not(first, late, rules) == "it started more than 5 minutes from the group's first alert"
    assert choose_group([first], new, rules.model_copy(update={"enabled": False})) is None


def test_a_full_group_takes_no_more_members():
    rules = Grouping(max_size=2)
    leader = as_leader(alert("a1"))
    leader = leader.model_copy(
        update={"members": {**leader.members, "a2": GroupMember(title="x", started_at=T0)}}
    )
    assert why_not(leader, alert("a3"), rules) == "its group is full (2 alerts)"


def test_group_keys_by_alarm_prefix_and_by_declared_service():
    by_prefix = Grouping(by="alarm_prefix", prefix_parts=2)
    db, api = alert("a1", alarm="incident-db-cpu"), alert("a2", alarm="incident-api-5xx")
    assert group_key(db, by_prefix) == "alarm:incident-db" != group_key(api, by_prefix)
    assert choose_group([as_leader(db)], api, by_prefix) is None
    by_service = Grouping(by="service", services={"checkout": ["incident-api-*", "checkout"]})
    journey = alert("a3", journey="checkout")
    assert group_key(api, by_service) == group_key(journey, by_service) == "service:checkout"
    assert choose_group([as_leader(api)], journey, by_service) is not None
    assert choose_group([as_leader(db)], journey, by_service) is None


def test_policy_who_explains_whether_an_alert_at_that_time_would_join():
    leader = as_leader(alert("a1"))
    rules = Grouping()
    [inside] = explain([leader], T0 + timedelta(minutes=3), rules)
    assert inside.endswith("would join it")
    [outside] = explain([leader], T0 + timedelta(minutes=9), rules)  # the CLI reads only recent ones
    assert "would not join: it started more than 5 minutes" in outside
    assert explain([], T0, rules) == [
        "no open group started within 5 min of that time: an alert then leads a new group and pages at once"
    ]


def test_the_group_page_lists_the_first_ten_then_says_how_many_more_within_block_kit_limits():
    leader = as_leader(alert("a00"))
    members = {
        f"a{i:02}": GroupMember(
            title="<!channel> " + "x" * 400,
            started_at=T0 + timedelta(seconds=i),
            recovered_at=T0 if i == 3 else None,
        )
        for i in range(1, 30)
    }
    leader = leader.model_copy(update={"members": {**leader.members, **members}})
    [block] = group_blocks(leader)
    text = block["text"]["text"]
    assert text.startswith("*30 alerts in this group: 29 failing, 1 recovered*")
    assert len(text) <= 3000 and "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert text.count("• ") == 10 and text.endswith("and 20 more")
    Block.parse(block).validate_json()
    small = as_leader(alert("b1")).model_copy(
        update={
            "members": {
                "b1": GroupMember(title="b", started_at=T0),
                "b2": GroupMember(title="c", started_at=T0),
            }
        }
    )
    assert group_blocks(small)[0]["text"]["text"] == "*2 alerts in this group: 2 failing*\n• b\n• c"
    assert group_blocks(as_leader(alert("c1"))) == []


def test_the_dashboard_draws_alerts_grouped():
    body = render_dashboard(DashboardParams(region="eu-west-2"))
    lines = [line for w in body["widgets"] for line in w.get("properties", {}).get("metrics", [])]
    drawn = [line[1] for line in lines if len(line) > 1]
    assert ALERTS_GROUPED in drawn
