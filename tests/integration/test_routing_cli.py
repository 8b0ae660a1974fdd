"""incidentctl policy who / check / subscribe, traction and silence, against moto (and without AWS)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.aws import client
from incident_core.cli.main import main
from incident_core.policy.store import PolicyStore
from tests.routing_support import POLICY_FILE


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def no_aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("POLICY_FILE", str(POLICY_FILE))


def test_who_pages_on_christmas_morning_without_aws(capsys, no_aws):
    code, out, err = run(capsys, "policy", "who", "--at", "2026-12-25T10:00:00Z", "--json")
    assert code == 0
    assert json.loads(out) == {
        "mode": "business-as-usual",
        "business_hours": False,
        "page": [],
        "hold_until": "2026-12-29T09:00:00Z",
    }
    assert "no AWS credentials configured" in err


def test_who_with_a_traction_window_on_the_command_line(capsys, no_aws):
    code, out, _ = run(
        capsys,
        "policy",
        "who",
        "--at",
        "2026-12-25T10:00:00Z",
        "--traction",
        "2026-12-24T18:00:00Z/2026-12-27T09:00:00Z",
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "mode": "traction",
        "business_hours": False,
        "page": ["alastair", "wisen"],
        "hold_until": None,
    }


def test_who_in_words(capsys, no_aws):
    code, out, _ = run(capsys, "policy", "who", "--at", "2026-06-08T10:00:00+01:00")
    assert code == 0
    assert "At Mon 08 Jun 2026 10:00 BST (2026-06-08T09:00:00Z)" in out
    assert "paged now: Alastair (<@U0ALASTAIR>) by slack" in out


def test_who_refuses_unclear_input(capsys, no_aws):
    code, _, err = run(capsys, "policy", "who", "--at", "2026-12-25T10:00:00", "--json")
    assert code == 2 and "has no time zone" in err
    code, _, err = run(capsys, "policy", "who", "--traction", "2026-12-24T18:00:00Z", "--json")
    assert code == 2 and "give FROM/TO" in err
    code, _, err = run(capsys, "policy", "who", "--traction", "2026-12-27T18:00Z/2026-12-24T09:00Z")
    assert code == 2 and "is not after start" in err


def test_who_adds_the_stored_windows(capsys, aws, monkeypatch):
    monkeypatch.setenv("POLICY_FILE", str(POLICY_FILE))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    PolicyStore.from_settings().add_traction(
        datetime(2026, 12, 24, 18, tzinfo=UTC), datetime(2026, 12, 27, 9, tzinfo=UTC), "xmas ads", "a", now
    )
    code, out, err = run(capsys, "policy", "who", "--at", "2026-12-25T10:00:00Z", "--json")
    assert code == 0 and "traction windows" not in err  # read from the table, no warning
    assert json.loads(out)["page"] == ["alastair", "wisen"]
    code, out, _ = run(capsys, "policy", "who", "--at", "2026-12-25T10:00:00Z", "--json", "--offline")
    assert json.loads(out)["page"] == []


def test_traction_add_list_end(capsys, aws):
    start = datetime.now(UTC) + timedelta(hours=1)
    end = start + timedelta(days=1)
    code, out, _ = run(
        capsys,
        "traction",
        "add",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--label",
        "ads",
        "--by",
        "a",
    )
    assert code == 0
    window_id = out.split(":")[0]
    code, out, _ = run(capsys, "traction", "list", "--json")
    assert [w["window_id"] for w in json.loads(out)] == [window_id]
    code, out, _ = run(capsys, "traction", "end", window_id)
    assert code == 0 and "ended" in out
    code, out, _ = run(capsys, "traction", "list")
    assert out.strip() == "no traction windows now or ahead"
    code, _, err = run(capsys, "traction", "end", window_id)
    assert code == 2 and f"no traction window with id {window_id}" in err
    code, _, err = run(
        capsys, "traction", "add", "--start", "tomorrow", "--end", end.isoformat(), "--label", "x"
    )
    assert code == 2 and "not an ISO-8601 time" in err


def test_silence_add_list_end(capsys, aws):
    code, out, _ = run(
        capsys, "silence", "add", "--match", "book-viewing", "--for", "1h30m", "--reason", "upgrade"
    )
    assert code == 0 and "'book-viewing' silenced until" in out
    silence_id = out.split(":")[0]
    code, out, _ = run(capsys, "silence", "list", "--json")
    [listed] = json.loads(out)
    assert listed["silence_id"] == silence_id and listed["reason"] == "upgrade"
    assert datetime.fromisoformat(listed["end"]) - datetime.fromisoformat(listed["start"]) == timedelta(
        minutes=90
    )
    code, out, _ = run(capsys, "silence", "end", silence_id)
    assert code == 0
    code, out, _ = run(capsys, "silence", "list")
    assert out.strip() == "no silences"
    code, _, err = run(capsys, "silence", "add", "--match", "x", "--for", "soon", "--reason", "r")
    assert code == 2 and "duration 'soon'" in err


def test_policy_check_and_subscribe(capsys, aws, monkeypatch):
    monkeypatch.setenv("POLICY_FILE", str(POLICY_FILE))
    code, out, _ = run(capsys, "policy", "check")
    assert code == 0 and "always alerted: Alastair" in out and "traction standby: Alastair, Wisen" in out

    topic = client("sns").create_topic(Name="urgent")["TopicArn"]
    code, out, _ = run(capsys, "policy", "subscribe", "--topic-arn", topic)
    assert code == 0
    subscriptions = client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", "alastair@example.com"),
        ("sms", "+447700900001"),
        ("sms", "+447700900002"),
    ]
    filters = {
        s["Endpoint"]: json.loads(
            client("sns").get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"][
                "FilterPolicy"
            ]
        )
        for s in subscriptions
    }
    assert filters["+447700900002"] == {"person": ["wisen"]}
    code, out, _ = run(capsys, "policy", "subscribe", "--topic-arn", topic)  # again: nothing new
    assert out.count("already subscribed") == 3


def test_policy_subscribe_email_only_when_texts_go_through_the_stacks_number(capsys, aws, monkeypatch):
    """With SMS and Voice v2 sending the texts, an SMS subscription would text everyone twice."""
    monkeypatch.setenv("POLICY_FILE", str(POLICY_FILE))
    topic = client("sns").create_topic(Name="urgent")["TopicArn"]
    code, _, _ = run(capsys, "policy", "subscribe", "--topic-arn", topic, "--email-only")
    subscriptions = client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert code == 0 and [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("email", "alastair@example.com")
    ]
