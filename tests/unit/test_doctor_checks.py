"""The doctor's judgements (incident_core.doctor), pure: each failure names what is wrong and its fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from incident_core.doctor import (
    alarm_email_check,
    checklist,
    exit_status,
    journey_runs_check,
    prefix_overlap_check,
    scopes_check,
    secret_check,
    sms_check,
    weekly_drill_check,
)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WANTED = ["chat:write", "commands", "users:read"]


def test_secrets_left_as_the_docs_examples_are_not_filled_in():
    check = secret_check(
        "Slack secret",
        {"bot_token": "xoxb-...", "signing_secret": ""},
        ["bot_token", "signing_secret"],
        "fix it",
    )
    assert (
        not check.ok and check.detail == "not filled in: bot_token, signing_secret" and check.fix == "fix it"
    )
    assert not secret_check("Zoom secret", {"client_id": "<client id>"}, ["client_id"], "f").ok
    assert secret_check("Slack secret", {"bot_token": "xoxb-1-2-abc"}, ["bot_token"], "f").ok


@given(
    st.lists(st.sampled_from([*WANTED, "im:write", "groups:read"]), unique=True), st.sampled_from([",", ", "])
)
def test_scopes_header_parsing_finds_exactly_the_missing_scopes(granted, separator):
    check = scopes_check(separator.join(granted), WANTED)
    missing = sorted(set(WANTED) - set(granted))
    assert check.ok == (not missing)
    if missing:
        assert check.detail == f"the bot token lacks {', '.join(missing)}" and "reinstall" in check.fix


def test_no_scopes_header_means_every_scope_is_missing():
    assert scopes_check(None, WANTED).detail == "the bot token lacks chat:write, commands, users:read"


def test_sms_in_the_sandbox_or_at_the_default_limit_never_arrives():
    phones = {"alastair": "+440000000000"}
    assert sms_check({}, None, None).ok
    assert "could not read" in sms_check(phones, None, None).detail
    assert "sandbox" in sms_check(phones, True, "100").detail
    assert "$1" in sms_check(phones, False, None).detail
    assert sms_check(phones, False, "20").ok


def test_overlapping_alarm_prefixes_page_twice():
    others = {"incident-suite-prod": ("prod", "incident-"), "incident-suite-dev": ("dev", "incident-")}
    check = prefix_overlap_check("incident-suite-dev", "dev", "incident-", others)
    assert not check.ok and "incident-suite-prod (prod, prefix 'incident-')" in check.detail
    # a longer prefix inside the other's still overlaps: incident- matches incident-dev-*
    assert not prefix_overlap_check("a", "dev", "incident-dev-", {"b": ("prod", "incident-")}).ok
    assert prefix_overlap_check("a", "dev", "incident-dev-", {"b": ("prod", "incident-prod-")}).ok


def test_journey_runs_must_be_recent_and_passing():
    age = timedelta(minutes=5)
    assert journey_runs_check({}, {}, NOW, age).detail == "no journey has run yet"
    stale = journey_runs_check({}, {"a": NOW - timedelta(minutes=6), "b": NOW}, NOW, age)
    assert stale.detail == "no run in the last 5 minutes: a"
    failing = journey_runs_check({"b": "button missing"}, {"b": NOW}, NOW, age)
    assert failing.detail == "failing now: b (button missing)" and "journeys run" in failing.fix
    assert journey_runs_check({}, {"b": NOW}, NOW, age).ok


def test_the_checklist_lists_fixes_and_the_exit_status_follows():
    checks = [sms_check({}, None, None), scopes_check("", ["commands"])]
    text = checklist("incident-suite-dev", checks)
    assert "[ok] SMS pages" in text and "[FAIL] Slack scopes" in text and "fix: add the scopes" in text
    assert text.endswith("1 of 2 checks passed; 1 to fix")
    assert exit_status(checks) == 1 and exit_status(checks[:1]) == 0


def test_the_alarm_email_must_be_set_and_confirmed():
    assert "AlarmEmail is empty" in alarm_email_check("", []).detail
    pending = [
        {"Protocol": "email", "Endpoint": "team@example.com", "SubscriptionArn": "PendingConfirmation"}
    ]
    check = alarm_email_check("team@example.com", pending)
    assert check.detail == "team@example.com waits for confirmation" and "click the link" in check.fix
    assert alarm_email_check("team@example.com", []).detail == "team@example.com is not subscribed"
    confirmed = [{**pending[0], "SubscriptionArn": "arn:aws:sns:eu-west-2:123456789012:watcher:1"}]
    assert alarm_email_check("team@example.com", confirmed).ok


def test_the_weekly_drill_is_the_paging_paths_heartbeat():
    deployed_long_ago = NOW - timedelta(days=30)
    assert weekly_drill_check(False, None, deployed_long_ago, NOW).ok
    assert weekly_drill_check(True, NOW - timedelta(days=7), deployed_long_ago, NOW).ok
    assert "first runs on Monday" in weekly_drill_check(True, None, NOW - timedelta(days=2), NOW).detail
    silent = weekly_drill_check(True, NOW - timedelta(days=9), deployed_long_ago, NOW)
    assert not silent.ok and "8 days" in silent.detail and "incidentctl drill" in silent.fix
