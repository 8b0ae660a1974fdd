"""The permission model (pure): who may do what, from which workspace, and what each Slack request asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.adapters.dynamo import Table
from incident_core.incidents.asks import what_is_asked
from incident_core.policy.model import PolicyFileError, load_policy, parse_policy
from incident_core.policy.permissions import PERMISSIONS, Asked, Installed, Who, refusal
from incident_core.policy.store import PolicyError, PolicyStore

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(ROOT / "config" / "policy.yaml")
HOME = Installed(team="T0HOME")
ALASTAIR, WISEN, STRANGER = "U0ALASTAIR", "U0WISEN", "U0STRANGER"


def ask(permission: str, user: str, team: str | None = "T0HOME", enterprise: str | None = None) -> Asked:
    return Asked(permission, "it", user, team, enterprise)


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_the_permission_table(permission):
    who = PERMISSIONS[permission]
    assert refusal(POLICY, ask(permission, ALASTAIR), HOME) is None
    assert refusal(POLICY, ask(permission, WISEN), HOME) is None
    stranger = refusal(POLICY, ask(permission, STRANGER), HOME)
    assert (stranger is None) == (who is Who.ANYONE)
    # From another workspace nothing is allowed, not even reading.
    assert "its own workspace" in refusal(POLICY, ask(permission, ALASTAIR, team="T0OTHER"), HOME)
    assert refusal(POLICY, ask(permission, ALASTAIR, enterprise="E0OTHER"), HOME) is not None


def test_defaults_need_no_editing_and_options_narrow_them():
    assert POLICY.responder_ids == {ALASTAIR, WISEN} and POLICY.admin_ids == POLICY.responder_ids
    text = (ROOT / "config" / "policy.yaml").read_text()
    narrowed = parse_policy(text + "permissions: {responders: [alastair], admins: [wisen]}\n")
    assert refusal(narrowed, ask("acknowledge", WISEN), HOME) is not None
    assert refusal(narrowed, ask("change silences", ALASTAIR), HOME).startswith("Only the policy's admins")
    assert refusal(narrowed, ask("change silences", WISEN), HOME) is None
    with pytest.raises(PolicyFileError, match=r"permissions\.admins names \['nobody'\]"):
        parse_policy(text + "permissions: {admins: [nobody]}\n")
    grid = parse_policy(text + "permissions: {other_workspaces: [E0PARTNER]}\n")
    assert refusal(grid, ask("read", STRANGER, team="T0PARTNER", enterprise="E0PARTNER"), HOME) is not None
    assert refusal(grid, ask("read", STRANGER, team="E0PARTNER"), HOME) is None


def test_the_responder_group_is_asked_only_when_it_decides():
    text = (ROOT / "config" / "policy.yaml").read_text()
    grouped = parse_policy(text + "permissions: {responder_group: S0ONCALL, admins: [alastair]}\n")
    asked: list[int] = []

    def group() -> frozenset[str]:
        asked.append(1)
        return frozenset({STRANGER})

    assert refusal(grouped, ask("acknowledge", WISEN), HOME, group) is None and asked == []
    assert refusal(grouped, ask("acknowledge", STRANGER), HOME, group) is None and asked == [1]
    assert refusal(grouped, ask("change silences", STRANGER), HOME, group) is not None  # admins named
    assert refusal(grouped, ask("acknowledge", "U0OTHER"), HOME, group) is not None
    with pytest.raises(PolicyFileError, match="responder_group"):
        parse_policy(text + "permissions: {responder_group: oncall}\n")


def test_an_unknown_request_needs_a_responder():
    assert refusal(POLICY, ask("something new", STRANGER), HOME) is not None
    assert (
        what_is_asked({"command": "/other", "user_id": STRANGER, "team_id": "T0HOME"}).permission == "unknown"
    )
    button = {"type": "block_actions", "user": {"id": STRANGER}, "team": {"id": "T0HOME"}, "actions": [{}]}
    assert what_is_asked(button).permission == "unknown"


@pytest.mark.parametrize(
    ("text", "permission"),
    [
        ("", "read"),
        ("status", "read"),
        ("status INC-1 identified", "change status"),
        ("silence list", "read"),
        ("silence add x +1h y", "change silences"),
        ("SILENCE END si-1", "change silences"),
        ("traction", "read"),
        ("traction end tw-1", "change traction moments"),
        ("resolve", "resolve"),
        ("note INC-1 x", "note"),
        ("action fix it", "open action item"),
        ("lead me", "lead"),
    ],
)
def test_what_each_command_asks(text, permission):
    body = {"command": "/incident", "text": text, "user_id": STRANGER, "team_id": "T0HOME"}
    assert what_is_asked(body).permission == permission


slack_ids = st.text("TEU0123456789ABCXYZ", max_size=12) | st.none()
values = st.recursive(
    st.none() | st.text(max_size=20) | st.integers() | slack_ids,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["block_actions", "view_submission", "event_callback", "url_verification"]),
        "command": st.sampled_from(["/incident", "/other"]),
        "text": st.text(max_size=60),
        "user": st.fixed_dictionaries({}, optional={"id": slack_ids, "team_id": slack_ids}),
        "user_id": slack_ids,
        "team_id": slack_ids,
        "team": st.fixed_dictionaries({}, optional={"id": slack_ids}) | st.none(),
        "enterprise": st.fixed_dictionaries({}, optional={"id": slack_ids}) | st.none(),
        "actions": st.lists(
            st.fixed_dictionaries({}, optional={"action_id": st.text(max_size=20)}), max_size=2
        ),
        "event": st.dictionaries(st.sampled_from(["user", "team", "user_team", "text"]), slack_ids),
        "view": st.dictionaries(st.sampled_from(["callback_id", "id"]), values),
    },
)


@settings(max_examples=300, deadline=None)
@given(bodies)
def test_any_request_body_is_classified_and_a_stranger_gets_no_more_than_anyone(body):
    asked = what_is_asked(body)
    if asked is None:
        return
    decided = refusal(
        POLICY, Asked(asked.permission, asked.label, STRANGER, asked.team, asked.enterprise), HOME
    )
    if asked.team != "T0HOME" or asked.enterprise:
        assert decided is not None  # a request that does not say it is from here is refused
    elif PERMISSIONS.get(asked.permission) is not Who.ANYONE:
        assert decided is not None


def test_no_silence_may_cover_every_journey_or_incident_alarm():
    store = PolicyStore(Table("unused"), journeys=["shop-catalogue", "shop-viewing"])
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    for match in ("shop-*", "shop*", "incident*", "incident-*", "abc*", "sh*op*"):
        with pytest.raises(PolicyError):
            store.add_silence(match, now + timedelta(hours=1), "x", None, now)
