"""What the first real deploy needs from template.yaml, as tests: two environments side by side in one
account and region, state that outlives the stack, the Slack app's Function URL without relying on the
SAM translator, the config layer where the code reads the policy, and the browser image's pins."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.template_translate import ROOT, Resolver, of_type, sam_template, translated

T = translated()
# Properties that give a resource its physical name, by resource type.
NAME_PROPERTIES = {
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
    "AWS::SecretsManager::Secret": "Name",
}


def physical_names(environment: str) -> dict[tuple[str, str], str]:
    """(type, logical id) -> the name the resource gets in this environment; resources CloudFormation
    names itself (stack name + logical id + random suffix) never clash and are left out."""
    resolver = Resolver(T, {"Environment": environment})
    names = {}
    for logical_id, resource in T["Resources"].items():
        key = NAME_PROPERTIES.get(resource["Type"])
        if key and key in resource.get("Properties", {}):
            names[(resource["Type"], logical_id)] = resolver.resolve(resource["Properties"][key])
    # The dashboard (a custom resource) is named by its DashboardName property.
    dashboard = T["Resources"]["GoldenSignalsDashboard"]["Properties"]["DashboardName"]
    names[("Dashboard", "GoldenSignalsDashboard")] = resolver.resolve(dashboard)
    return names


def test_two_environments_in_one_account_and_region_name_nothing_alike() -> None:
    dev, prod = physical_names("dev"), physical_names("prod")
    assert ("AWS::Scheduler::Schedule", "ActionReminderFunctionBusinessMornings") in dev
    clashes = {(kind, dev[(kind, name)]) for kind, name in dev} & {
        (kind, prod[(kind, name)]) for kind, name in prod
    }
    assert clashes == set()


ENVIRONMENT = re.compile(sam_template()["Parameters"]["Environment"]["AllowedPattern"])


def alarm_prefix(environment: str) -> str:
    router = T["Resources"]["AlertRouterFunction"]["Properties"]["Environment"]["Variables"]
    return Resolver(T, {"Environment": environment}).resolve(router["INCIDENT_ALARM_PREFIX"])


@given(st.from_regex(ENVIRONMENT, fullmatch=True), st.from_regex(ENVIRONMENT, fullmatch=True))
def test_one_environments_alarms_never_page_another(first: str, second: str) -> None:
    if first == second:
        return
    a, b = alarm_prefix(first), alarm_prefix(second)
    # An alarm named for one environment never starts with the other's prefix (the router's test).
    assert not a.startswith(b) and not b.startswith(a)
    suite_alarm = Resolver(T, {"Environment": first}).resolve(
        T["Resources"]["JourneysSilentAlarm"]["Properties"]["AlarmName"]
    )
    assert suite_alarm.startswith(a) and not suite_alarm.startswith(b)


def test_both_incident_thread_and_router_use_the_environment_prefix() -> None:
    for function in ("AlertRouterFunction", "IncidentThreadFunction"):
        variables = T["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert (
            Resolver(T, {"Environment": "prod"}).resolve(variables["INCIDENT_ALARM_PREFIX"])
            == "incident-prod-"
        )


def test_incidents_documents_and_the_key_that_encrypts_them_outlive_the_stack() -> None:
    resources = T["Resources"]
    for name in ("Table", "DocumentsBucket", "EvidenceBucket", "SuiteKey"):
        assert resources[name].get("DeletionPolicy") == "Retain", name
        assert resources[name].get("UpdateReplacePolicy") == "Retain", name
    assert resources["Table"]["Properties"]["DeletionProtectionEnabled"] is True
    # A versioned bucket cannot be deleted by CloudFormation once used: every one is retained.
    for name, bucket in of_type(T, "AWS::S3::Bucket").items():
        if bucket["Properties"].get("VersioningConfiguration", {}).get("Status") == "Enabled":
            assert bucket.get("DeletionPolicy") == "Retain", name


def test_the_function_url_and_both_its_permissions_are_declared_not_left_to_the_translator() -> None:
    source = sam_template()["Resources"]
    assert "FunctionUrlConfig" not in source["SlackAppFunction"]["Properties"]
    [url] = [
        r
        for r in source.values()
        if r["Type"] == "AWS::Lambda::Url"
        and r["Properties"]["TargetFunctionArn"] == {"Ref": "SlackAppFunction"}
    ]
    # On the published alias, which SnapStart (when on) applies to; the permissions name the same alias.
    assert url["Properties"] == {
        "TargetFunctionArn": {"Ref": "SlackAppFunction"},
        "Qualifier": "live",
        "AuthType": "NONE",
    }
    assert source["SlackAppFunction"]["Properties"]["AutoPublishAlias"] == "live"
    permissions = {
        r["Properties"]["Action"]: r["Properties"]
        for r in source.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] == {"Ref": "SlackAppFunction.Alias"}
    }
    assert permissions["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    assert permissions["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
    assert {p["Principal"] for p in permissions.values()} == {"*"}


def test_the_sam_cli_pin_is_one_whose_translator_also_grants_invoke_function() -> None:
    pin = re.search(r"^aws-sam-cli>=([\d.]+)", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pin and tuple(int(p) for p in pin.group(1).split(".")) >= (1, 170)


def test_every_function_whose_code_reads_the_policy_has_the_config_layer() -> None:
    # The Slack app sets action items' due dates, which skip the policy's closed days (/opt/policy.yaml).
    for name in (
        "SlackAppFunction",
        "AlertRouterFunction",
        "PostmortemCompilerFunction",
        "ActionReminderFunction",
    ):
        layers = sam_template()["Resources"][name]["Properties"]["Layers"]
        assert {"Ref": "ConfigLayer"} in layers, name


def test_the_suite_alarms_always_reach_an_email_address() -> None:
    parameter = sam_template()["Parameters"]["AlarmEmail"]
    assert "Default" not in parameter
    assert "Condition" not in T["Resources"]["WatcherEmail"]


def test_the_dashboard_custom_resource_gives_up_within_minutes_not_an_hour() -> None:
    properties: dict[str, Any] = T["Resources"]["GoldenSignalsDashboard"]["Properties"]
    assert 60 < int(properties["ServiceTimeout"]) <= 600


def test_the_browser_image_pins_a_playwright_that_knows_only_shell_and_uses_al2023_names() -> None:
    dockerfile = (ROOT / "browser" / "Dockerfile").read_text()
    assert "--only-shell" in dockerfile
    pin = re.search(r'"playwright>=([\d.]+)', dockerfile)
    assert pin and tuple(int(p) for p in pin.group(1).split(".")) >= (1, 49)
    packages = re.search(r"dnf install -y \\\n(.*?)&&", dockerfile, re.DOTALL)
    assert packages
    names = set(packages.group(1).replace("\\", " ").split())
    assert "mesa-libgbm" in names
    assert not names & {"libgbm", "libgbm1", "libnss3", "libasound2"}  # Debian's names, unknown to dnf


def test_global_aws_health_events_reach_the_suite_from_us_east_1_through_the_forwarder() -> None:
    from stand_ins.aws import load_template

    forwarder = load_template(ROOT / "health" / "forwarder.yaml")
    rule = forwarder["Resources"]["ForwardHealthEvents"]["Properties"]
    router_health = sam_template()["Resources"]["AlertRouterFunction"]["Properties"]["Events"]["AwsHealth"]
    # What it forwards is what the router's default-bus rule in the suite's region records.
    assert rule["EventPattern"] == router_health["Properties"]["Pattern"]
    assert "EventBusName" not in router_health["Properties"]  # the default bus, where forwarded events land
    resolver = Resolver(forwarder, {"SuiteRegion": "eu-west-2"})
    resolver.pseudo["AWS::Region"] = "us-east-1"
    [target] = rule["Targets"]
    assert resolver.resolve(target["Arn"]) == "arn:aws:events:eu-west-2:123456789012:event-bus/default"
    assertions = forwarder["Rules"]["OnlyFromUsEast1ToAnotherRegion"]["Assertions"]
    assert {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]} in [a["Assert"] for a in assertions]
