"""The one resolver of template intrinsics the tests share (tests/template_translate.py; tests/iam_guard.py
binds it to the resources a test uses): what it gives is what CloudFormation would give."""

from __future__ import annotations

import pytest

from tests.template_translate import ACCOUNT, REGION, Resolver, statements, translated

T = translated()


def arn(resolver: Resolver, logical_id: str) -> str:
    return resolver.resolve({"Fn::GetAtt": [logical_id, "Arn"]})


def test_a_resources_arn_has_the_shape_cloudformation_gives_its_type() -> None:
    resolver = Resolver(T)
    assert arn(resolver, "DashboardRenderer").startswith(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:")
    assert arn(resolver, "EvidenceBucket").startswith("arn:aws:s3:::")  # S3 ARNs name no region, no account
    assert arn(resolver, "SuiteKey").startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert arn(resolver, "DashboardRendererRole").startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    bus = resolver.resolve({"Ref": "Bus"})
    assert arn(resolver, "Bus") == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"


def test_a_topics_ref_is_its_arn_so_alarm_actions_are_topic_arns() -> None:
    resolver = Resolver(T)
    topic = resolver.resolve(T["Resources"]["WatcherTopic"]["Properties"]["TopicName"])
    actions = resolver.resolve(T["Resources"]["JourneysSilentAlarm"]["Properties"]["AlarmActions"])
    assert actions == [f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"]


@pytest.mark.parametrize("webhook", ["", "https://hooks.example.invalid/write-ups"])
def test_fn_if_follows_its_condition_and_no_value_leaves_the_item_out(webhook: str) -> None:
    resolver = Resolver(T, {"WebhookUrl": webhook})
    [statement] = [s for _, s in statements(T) if s.get("Sid") == "SlackZoomWebhookSecrets"]
    secrets = [resolver.resolve({"Ref": name}) for name in ("SlackSecret", "ZoomSecret", "WebhookSecret")]
    assert resolver.resolve(statement["Resource"]) == (secrets if webhook else secrets[:2])


@pytest.mark.parametrize("snap_start, apply_on", [("Off", "None"), ("On", "PublishedVersions")])
def test_a_property_under_fn_if_takes_the_branch_of_the_parameter(snap_start: str, apply_on: str) -> None:
    properties = T["Resources"]["SlackAppFunction"]["Properties"]
    assert Resolver(T, {"SnapStart": snap_start}).resolve(properties["SnapStart"]) == {"ApplyOn": apply_on}
