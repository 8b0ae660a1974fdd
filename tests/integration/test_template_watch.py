"""Who watches the watcher, from the translated template: the alarms, where they go, the log group, and
the dashboard custom resource (its body rendered from the template's own properties and put into moto)."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from incident_core.adapters.aws import client
from incident_core.dashboard import dashboard_problems, parse_params, render_dashboard
from incident_core.dashboard.resource import CFN_ONLY_PROPERTIES
from tests.template_translate import (
    BROWSER_TEMPLATE,
    REGION,
    Resolver,
    as_list,
    of_type,
    ref_name,
    sam_template,
    translated,
)

T = translated()
ALARMS = of_type(T, "AWS::CloudWatch::Alarm")
FUNCTIONS = of_type(T, "AWS::Lambda::Function")
QUEUES = of_type(T, "AWS::SQS::Queue")
RESOLVER = Resolver(T)


def alarm_names() -> dict[str, str]:
    return {name: RESOLVER.resolve(alarm["Properties"]["AlarmName"]) for name, alarm in ALARMS.items()}


def dimension(alarm: dict[str, Any], name: str) -> Any:
    [value] = [d["Value"] for d in alarm["Properties"].get("Dimensions", []) if d["Name"] == name]
    return value


def invoked_asynchronously() -> set[str]:
    """Functions invoked asynchronously: by EventBridge rules, Scheduler, SNS, S3 or CloudFormation."""
    functions: set[str] = set()
    for rule in of_type(T, "AWS::Events::Rule").values():
        functions |= {ref_name(target["Arn"]) for target in rule["Properties"].get("Targets", [])}
    for schedule in of_type(T, "AWS::Scheduler::Schedule").values():
        functions.add(ref_name(schedule["Properties"]["Target"]["Arn"]))
    for subscription in of_type(T, "AWS::SNS::Subscription").values():
        if subscription["Properties"]["Protocol"] == "lambda":
            functions.add(ref_name(subscription["Properties"]["Endpoint"]))
    for permission in of_type(T, "AWS::Lambda::Permission").values():
        if permission["Properties"]["Principal"] in ("sns.amazonaws.com", "s3.amazonaws.com"):
            functions.add(ref_name(permission["Properties"]["FunctionName"]))
    for resource in T["Resources"].values():
        if (
            resource["Type"].startswith("Custom::")
            or resource["Type"] == "AWS::CloudFormation::CustomResource"
        ):
            functions.add(ref_name(resource["Properties"]["ServiceToken"]))
    return {name for name in functions if name in FUNCTIONS}


def dead_letter_queue(function: str) -> str | None:
    properties = FUNCTIONS[function]["Properties"]
    if "DeadLetterConfig" in properties:
        return ref_name(properties["DeadLetterConfig"]["TargetArn"])
    for config in of_type(T, "AWS::Lambda::EventInvokeConfig").values():
        if ref_name(config["Properties"]["FunctionName"]) == function:
            failure = config["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
            return ref_name(failure.get("Destination"))
    return None


def test_every_alarm_is_heard_without_the_suite_by_the_watcher_topic_on_alarm_and_on_recovery() -> None:
    assert ALARMS
    for name, alarm in ALARMS.items():
        actions = {ref_name(action) for action in alarm["Properties"].get("AlarmActions", [])}
        ok_actions = {ref_name(action) for action in alarm["Properties"].get("OKActions", [])}
        assert "WatcherTopic" in actions, name
        assert "WatcherTopic" in ok_actions, name


def test_every_suite_alarm_is_named_with_the_incident_prefix_so_the_router_pages_on_it() -> None:
    router = T["Resources"]["AlertRouterFunction"]["Properties"]["Environment"]["Variables"]
    prefix = RESOLVER.resolve(router["INCIDENT_ALARM_PREFIX"])
    assert prefix == "incident-dev-"
    for name, alarm_name in alarm_names().items():
        assert alarm_name.startswith(f"{prefix}suite-"), (name, alarm_name)
    assert len(set(alarm_names().values())) == len(ALARMS)


def test_the_journey_runner_going_quiet_for_five_minutes_alarms_with_missing_data_breaching() -> None:
    alarm = ALARMS["JourneysSilentAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("IncidentSuite", "JourneyRuns")
    assert dimension(ALARMS["JourneysSilentAlarm"], "service") == "incident-suite"
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 300
    assert alarm["DatapointsToAlarm"] == alarm["EvaluationPeriods"]
    assert alarm["TreatMissingData"] == "breaching"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)


def test_every_function_has_an_errors_alarm_that_fires_on_the_first_error() -> None:
    watched = {}
    for alarm in ALARMS.values():
        properties = alarm["Properties"]
        if (properties.get("Namespace"), properties.get("MetricName")) == ("AWS/Lambda", "Errors"):
            watched[ref_name(dimension(alarm, "FunctionName"))] = properties
    assert set(watched) == set(FUNCTIONS)
    for function, properties in watched.items():
        assert properties["Statistic"] == "Sum", function
        assert (properties["ComparisonOperator"], properties["Threshold"]) == (
            "GreaterThanOrEqualToThreshold", 1,
        ), function  # fmt: skip
        assert properties["Period"] * properties["EvaluationPeriods"] <= 600, function
        assert properties["TreatMissingData"] == "notBreaching", function


def test_every_asynchronous_function_has_a_dead_letter_queue_whose_depth_is_alarmed() -> None:
    # Detected from the triggers, plus any function that declares a queue (e.g. one invoking itself).
    declared = {name for name in FUNCTIONS if dead_letter_queue(name)}
    asynchronous = invoked_asynchronously() | declared
    assert "DashboardRenderer" in asynchronous
    depth_alarms = {
        ref_name(dimension(alarm, "QueueName")): alarm["Properties"]
        for alarm in ALARMS.values()
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    for function in sorted(asynchronous):
        queue = dead_letter_queue(function)
        assert queue in QUEUES, f"{function} has no dead-letter queue"
        assert queue in depth_alarms, f"{function}'s dead-letter queue {queue} has no depth alarm"
        alarm = depth_alarms[queue]
        assert alarm["Namespace"] == "AWS/SQS"
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Maximum", "GreaterThanOrEqualToThreshold", 1,
        )  # fmt: skip
        # A dead letter waits for a person: keep it the longest SQS allows.
        assert QUEUES[queue]["Properties"]["MessageRetentionPeriod"] == 1209600


def test_the_watcher_topic_is_encrypted_mails_the_alarm_address_and_only_our_alarms_publish() -> None:
    topic = T["Resources"]["WatcherTopic"]["Properties"]
    assert ref_name(topic["KmsMasterKeyId"]) == "SuiteKey"
    mail = T["Resources"]["WatcherEmail"]
    assert "Condition" not in mail  # AlarmEmail is required: the suite's own alarms always reach someone
    assert mail["Properties"]["Protocol"] == "email"
    assert mail["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    [allow] = [
        s for s in T["Resources"]["WatcherTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]  # fmt: skip
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    # CloudWatch can publish to an encrypted topic only if the key lets it.
    key_statements = T["Resources"]["SuiteKey"]["Properties"]["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in key_statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_the_suite_log_group_is_the_one_every_function_logs_to_with_retention_and_encryption() -> None:
    group = T["Resources"]["SuiteLogGroup"]["Properties"]
    assert RESOLVER.resolve(group["LogGroupName"]) == "/aws/lambda/incident-suite-dev"
    assert group["RetentionInDays"] == 90
    assert ref_name(group["KmsKeyId"]) == "SuiteKey"
    for name, function in FUNCTIONS.items():
        assert function["Properties"]["LoggingConfig"] == {
            "LogFormat": "JSON",
            "LogGroup": {"Ref": "SuiteLogGroup"},
        }, name
    [logs] = [
        s for s in T["Resources"]["SuiteKey"]["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "LogsEncryptTheSuitesLogGroup"
    ]  # fmt: skip
    context = RESOLVER.resolve(logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"])
    assert context == f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/incident-suite-dev"


def dashboard_properties(parameters: dict[str, Any]) -> dict[str, Any]:
    resolver = Resolver(T, parameters)
    properties = resolver.resolve(T["Resources"]["GoldenSignalsDashboard"]["Properties"])
    return {k: v for k, v in properties.items() if k not in CFN_ONLY_PROPERTIES}


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"ProductHttpApiId": "a1b2c3d4e5", "ProductFunctionNames": "bookshop-api,bookshop-viewings",
         "ProductTableNames": "bookshop-orders", "Environment": "prod"},
    ],
    ids=["template defaults", "a whole product"],
)  # fmt: skip
def test_the_dashboard_the_template_deploys_is_valid_and_accepted_by_cloudwatch(
    aws: Any, parameters: dict[str, Any]
) -> None:
    properties = dashboard_properties(parameters)
    params = parse_params(properties)
    body = render_dashboard(params)

    assert dashboard_problems(body) == []
    client("cloudwatch").put_dashboard(DashboardName=params.name, DashboardBody=json.dumps(body))
    assert json.loads(client("cloudwatch").get_dashboard(DashboardName=params.name)["DashboardBody"]) == body
    env = parameters.get("Environment", "dev")
    assert params.name == f"incident-suite-{env}-golden-signals"
    assert params.log_group == f"/aws/lambda/incident-suite-{env}"


def test_the_dashboard_is_wired_to_the_template_parameters_and_shows_every_watcher_alarm() -> None:
    properties = T["Resources"]["GoldenSignalsDashboard"]["Properties"]
    assert ref_name(properties["ServiceToken"]) == "DashboardRenderer"
    for parameter in ("ProductHttpApiId", "ProductFunctionNames", "ProductTableNames", "Environment"):
        assert properties[parameter] == {"Ref": parameter}
    assert properties["Region"] == {"Ref": "AWS::Region"}
    assert properties["SuiteLogGroup"] == {"Ref": "SuiteLogGroup"}
    assert {ref_name(arn) for arn in properties["WatcherAlarmArns"]} == set(ALARMS)


def test_the_renderer_may_only_put_and_delete_its_own_dashboard() -> None:
    role = T["Resources"][ref_name(FUNCTIONS["DashboardRenderer"]["Properties"]["Role"])]
    statements = [
        s for p in role["Properties"]["Policies"] for s in as_list(p["PolicyDocument"]["Statement"])
    ]
    [dashboard] = [s for s in statements if any(a.startswith("cloudwatch:") for a in as_list(s["Action"]))]
    assert sorted(dashboard["Action"]) == ["cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard"]
    name = RESOLVER.resolve(T["Resources"]["GoldenSignalsDashboard"]["Properties"]["DashboardName"])
    pattern = RESOLVER.resolve(dashboard["Resource"])
    assert pattern == "arn:aws:cloudwatch::123456789012:dashboard/incident-suite-*-golden-signals"
    assert fnmatch.fnmatchcase(f"arn:aws:cloudwatch::123456789012:dashboard/{name}", pattern)


def test_sam_template_declares_the_alarm_email_and_product_parameters() -> None:
    parameters = sam_template()["Parameters"]
    assert (
        "Default" not in parameters["AlarmEmail"]
    )  # sam deploy --guided asks; a plain deploy without it fails
    pattern = re.compile(parameters["AlarmEmail"]["AllowedPattern"])
    assert pattern.fullmatch("oncall@example.com")
    assert not pattern.fullmatch("") and not pattern.fullmatch("not an address")
    assert parameters["ProductFunctionNames"]["Type"] == "CommaDelimitedList"
    assert parameters["ProductTableNames"]["Type"] == "CommaDelimitedList"
    assert parameters["ProductHttpApiId"]["Type"] == "String"


def test_the_browser_runners_own_stack_alarms_on_its_errors_and_dead_letters_to_the_watcher_topic() -> None:
    browser = translated(BROWSER_TEMPLATE)
    resolver = Resolver(browser, {"WatcherTopicArn": "arn:aws:sns:eu-west-2:123456789012:watcher"})
    alarms = of_type(browser, "AWS::CloudWatch::Alarm")
    [function] = of_type(browser, "AWS::Lambda::Function")
    [queue] = of_type(browser, "AWS::SQS::Queue")
    watched = {
        (alarm["Properties"]["MetricName"], ref_name(alarm["Properties"]["Dimensions"][0]["Value"]))
        for alarm in alarms.values()
    }
    assert watched == {("Errors", function), ("ApproximateNumberOfMessagesVisible", queue)}
    assert ref_name(browser["Resources"][function]["Properties"]["DeadLetterConfig"]["TargetArn"]) == queue
    for alarm in alarms.values():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == properties["OKActions"] == [{"Ref": "WatcherTopicArn"}]
        name = resolver.resolve(properties["AlarmName"])
        assert name.startswith("incident-dev-suite-browser-journey-runner-")


def test_pages_still_undelivered_alarm_reads_the_sweeps_metric() -> None:
    """The router catches a page's delivery failures (its Errors alarm stays OK): the sweep's count of
    overdue pages is what raises the suite's own alarm (functions/alert_router/app.py, PagesUndelivered)."""
    alarm = ALARMS["PagesUndeliveredAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("IncidentSuite", "PagesUndelivered")
    assert dimension(ALARMS["PagesUndeliveredAlarm"], "service") == "incident-suite"
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
