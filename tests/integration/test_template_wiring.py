"""Each function's triggers, from the translated template: which rule, schedule, topic, URL or custom
resource invokes it, and that every suite-bus rule listens for events the suite defines."""

from __future__ import annotations

from typing import Any

from incident_core.events import ALL_EVENTS
from tests.template_translate import function_of, of_type, ref_name, translated

T = translated()
FUNCTIONS = of_type(T, "AWS::Lambda::Function")
SUITE_DETAIL_TYPES = {event.detail_type for event in ALL_EVENTS}

INCIDENT_EVENTS = ("IncidentDeclared", "IncidentChanged", "IncidentResolved", "JourneyRecovered")
# function -> its triggers, each as a tuple: ("bus", bus, source, detail-types) for an EventBridge rule,
# ("schedule", expression, timezone), ("sns", topic), ("url", auth type), ("custom-resource", resource).
EXPECTED: dict[str, set[tuple[Any, ...]]] = {
    "JourneyRunnerFunction": {
        ("schedule", "rate(1 minute)", None),
        ("bus", "Bus", ("incident-suite",), ("RevertFinished",)),  # the journeys again after a revert
    },
    "AlertRouterFunction": {
        ("sns", "IncidentAlarmTopic"),
        ("sns", "PagingEventsTopic"),  # calls' outcomes and replies to texts (issue 17)
        ("bus", "default", ("aws.cloudwatch",), ("CloudWatch Alarm State Change",)),
        ("bus", "default", ("aws.health",), ("AWS Health Event",)),
        (
            "bus",
            "Bus",
            ("incident-suite",),
            ("JourneyFailed", "JourneyRecovered", "PageDue", "DrillRequested"),
        ),
        ("schedule", "rate(2 minutes)", None),  # the page sweep
    },
    "SlackAppFunction": {("url", "NONE")},
    "PageAckFunction": {("url", "NONE")},  # acknowledgement links (issue 17)
    "IncidentThreadFunction": {
        ("bus", "Bus", ("incident-suite",), INCIDENT_EVENTS),
        ("bus", "Bus", ("incident-suite",), ("RevertFinished", "JourneyRechecked")),
        ("bus", "Bus", ("incident-suite",), ("AlertRaised",)),  # absorbed by an incident (alert grouping)
    },
    "RevertFunction": {("bus", "Bus", ("incident-suite",), ("RevertRequested", "DeployFinished"))},
    "PostmortemCompilerFunction": {
        ("bus", "Bus", ("incident-suite",), ("IncidentResolved", "PostmortemRequested")),
    },
    "ActionReminderFunction": {("schedule", "cron(30 9 ? * MON-FRI *)", "Europe/London")},
    "DashboardRenderer": {("custom-resource", "GoldenSignalsDashboard")},
    "TrackerSyncFunction": {
        ("bus", "Bus", ("incident-suite",), ("ActionItemChanged",)),
        ("schedule", "rate(15 minutes)", None),  # issues still pending
        ("schedule", "cron(15 2 * * ? *)", "Europe/London"),  # the nightly reconciliation
    },
    "TrackerWebhookFunction": {("url", "NONE")},
}


def triggers() -> dict[str, set[tuple[Any, ...]]]:
    found: dict[str, set[tuple[Any, ...]]] = {name: set() for name in FUNCTIONS}
    for rule in of_type(T, "AWS::Events::Rule").values():
        properties = rule["Properties"]
        pattern = properties.get("EventPattern")
        for target in properties.get("Targets", []):
            function = function_of(T, target["Arn"])
            if pattern is None:
                found[function].add(("schedule", properties["ScheduleExpression"], None))
                continue
            bus = ref_name(properties["EventBusName"]) if "EventBusName" in properties else "default"
            found[function].add(("bus", bus, tuple(pattern["source"]), tuple(pattern["detail-type"])))
    for schedule in of_type(T, "AWS::Scheduler::Schedule").values():
        properties = schedule["Properties"]
        if ref_name(properties["Target"]["Arn"]) == "Bus":  # the weekly drill: its bus rule counts
            continue
        found[function_of(T, properties["Target"]["Arn"])].add(
            ("schedule", properties["ScheduleExpression"], properties.get("ScheduleExpressionTimezone"))
        )
    for subscription in of_type(T, "AWS::SNS::Subscription").values():
        properties = subscription["Properties"]
        if properties["Protocol"] == "lambda":
            found[function_of(T, properties["Endpoint"])].add(("sns", ref_name(properties["TopicArn"])))
    for url in of_type(T, "AWS::Lambda::Url").values():
        properties = url["Properties"]
        found[function_of(T, properties["TargetFunctionArn"])].add(("url", properties["AuthType"]))
    for name, resource in T["Resources"].items():
        if resource["Type"].startswith("Custom::"):
            found[ref_name(resource["Properties"]["ServiceToken"])].add(("custom-resource", name))
    return found


def test_each_function_is_triggered_by_exactly_what_its_step_needs() -> None:
    assert triggers() == EXPECTED


def test_suite_bus_rules_listen_only_for_events_the_suite_defines() -> None:
    for name, rule in of_type(T, "AWS::Events::Rule").items():
        properties = rule["Properties"]
        if ref_name(properties.get("EventBusName")) != "Bus":
            continue
        assert properties["EventPattern"]["source"] == ["incident-suite"], name
        assert set(properties["EventPattern"]["detail-type"]) <= SUITE_DETAIL_TYPES, name


def test_every_event_rule_may_invoke_its_function_and_no_other_rule_may() -> None:
    rules = {name for name, rule in of_type(T, "AWS::Events::Rule").items()}
    permitted = {
        (ref_name(p["Properties"]["FunctionName"]), ref_name(p["Properties"]["SourceArn"]))
        for p in of_type(T, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    }
    for rule in rules:
        for target in T["Resources"][rule]["Properties"]["Targets"]:
            assert (ref_name(target["Arn"]), rule) in permitted, rule
    assert {source for _, source in permitted} <= rules


def test_every_function_runs_arm64_python_3_13_with_the_shared_layer() -> None:
    for name, function in FUNCTIONS.items():
        properties = function["Properties"]
        assert (properties["Runtime"], properties["Architectures"]) == ("python3.13", ["arm64"]), name
        assert any(ref_name(layer).startswith("SharedLayer") for layer in properties["Layers"]), name


def test_the_slack_app_has_the_policy_it_checks_permissions_with():
    # Who may do what is in /opt/policy.yaml (ConfigLayer); without it every change is refused.
    slack_app = FUNCTIONS["SlackAppFunction"]["Properties"]
    layers = [ref_name(layer) or "" for layer in slack_app["Layers"]]
    assert any(name.startswith("ConfigLayer") for name in layers), layers  # SAM adds a version hash
    assert slack_app["Environment"]["Variables"]["INCIDENT_ALARM_PREFIX"]
