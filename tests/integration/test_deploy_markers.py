"""Deploy markers: `incidentctl deploys record` puts DeployFinished on the stack's bus, the revert function
stores it once, the checklist finds it; a marker's revert hook is called with a signed request."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.aws import client
from incident_core.adapters.dynamo import Table
from incident_core.adapters.revert_targets import RevertHooks
from incident_core.changes.markers import DeployMarkers
from incident_core.cli.deploys import run_record
from incident_core.settings import get_settings
from stand_ins.local_lambda import LocalSuite
from stand_ins.webhook_receiver import WebhookReceiver

STACK = "incident-suite-markers"


def record_args(**values: str | None) -> argparse.Namespace:
    defaults = {
        "stack": STACK,
        "service": "bookshop-frontend",
        "version": "2026.12.06-2",
        "previous_version": "2026.12.06-1",
        "commit": "0a1b2c3d4e5f",
        "author": "alice",
        "revert_hook": "https://ci.example.com/hooks/revert-frontend",
    }
    return argparse.Namespace(**(defaults | values))


@pytest.fixture
def stack(aws, monkeypatch):
    client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(
            {
                "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"EventBusName": {"Value": get_settings().bus_name}},
            }
        ),
    )
    suite = LocalSuite(get_settings().bus_name)
    function = suite.functions["RevertFunction"]
    suite.functions = {"RevertFunction": function}
    real = function.invoke
    monkeypatch.setattr(function, "invoke", lambda event: real({"account": "123456789012", **event}))
    return suite.wire()


def test_a_recorded_deploy_is_stored_once_and_found_with_who_and_from_what_to_what(stack, capsys):
    finished = datetime.now(UTC)
    assert run_record(record_args(), now=finished) == 0
    delivered = stack.deliver()
    assert [name for name, _ in delivered] == ["RevertFunction"]
    stack.function("RevertFunction").invoke(delivered[0][1])  # EventBridge delivers again: stored once
    markers = DeployMarkers(Table(get_settings().table_name))
    (change,) = markers.changed_between(finished - timedelta(minutes=1), finished + timedelta(minutes=1))
    assert (change.who, change.before, change.after) == ("alice", "2026.12.06-1", "2026.12.06-2")
    assert change.revert is not None and change.revert.target.startswith("https://ci.example.com/")
    assert "bookshop-frontend 2026.12.06-1 -> 2026.12.06-2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"commit": "not-a-commit"}, "--commit"),
        ({"revert_hook": "http://ci.example.com/hook"}, "--revert-hook"),
        ({"service": "bookshop frontend; rm -rf"}, "--service"),
    ],
)
def test_a_bad_marker_is_refused_naming_what_is_wrong(aws, values, named, capsys):
    assert run_record(record_args(**values)) == 2
    assert named in capsys.readouterr().err


def test_a_revert_hook_is_called_with_a_signed_request_and_a_refusal_is_an_error():
    receiver = WebhookReceiver("hook-secret-placeholder").start()
    try:
        payload = {"incident_id": "INC-1", "service": "bookshop-frontend", "to_version": "2026.12.06-1"}
        RevertHooks("hook-secret-placeholder").call(receiver.url, payload, "INC-1:chg-1")
        (delivery,) = receiver.deliveries()
        assert delivery.accepted and delivery.payload == payload
        with pytest.raises(RuntimeError, match="answered HTTP 401"):
            RevertHooks("another-secret").call(receiver.url, payload, "INC-1:chg-1")
    finally:
        receiver.stop()
