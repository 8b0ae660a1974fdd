"""incidentctl doctor against a stack deployed into moto with CloudFormation, the fake Slack and the fake
Zoom: a healthy stack passes every check; each thing a first deploy gets wrong fails with its fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incident_core.adapters.aws import client
from incident_core.adapters.dynamo import Table
from incident_core.cli.main import main
from incident_core.journeys.results import Attempt, JourneyResult, StepResult
from incident_core.journeys.store import JourneyStore
from incident_core.settings import get_settings
from stand_ins.fake_zoom import FakeZoom

ROOT = Path(__file__).resolve().parents[2]
STACK = "incident-suite-dev"

# The deployed stack's resources that doctor reads, with the template's logical ids.
TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "Environment": {"Type": "String", "Default": "dev"},
        "IncidentsChannel": {"Type": "String", "Default": "#incidents"},
        "AlarmEmail": {"Type": "String", "Default": ""},
        "IncidentAlarmPrefix": {"Type": "String", "Default": "incident-"},
        "WeeklyDrill": {"Type": "String", "Default": "on"},
        # moto's CloudFormation makes no secrets or alarms: the test makes them, the outputs name the secrets
        "SlackSecretArn": {"Type": "String", "Default": "-"},
        "ZoomSecretArn": {"Type": "String", "Default": "-"},
        "TrackerSecretArn": {"Type": "String", "Default": "-"},
    },
    "Resources": {
        "WatcherTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-watcher"}},
        },
        "AlertRouterDeadLetters": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-router-dlq"}},
        },
        "SlackAppDeadLetters": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-slack-dlq"}},
        },
    },
    "Outputs": {
        "WatcherTopicArn": {"Value": {"Ref": "WatcherTopic"}},
        "SlackSecretArn": {"Value": {"Ref": "SlackSecretArn"}},
        "ZoomSecretArn": {"Value": {"Ref": "ZoomSecretArn"}},
        "TrackerSecretArn": {"Value": {"Ref": "TrackerSecretArn"}},
    },
}


@pytest.fixture
def zoom():
    server = FakeZoom().start()
    yield server
    server.stop()


@pytest.fixture
def deployed(aws, fake_slack, zoom, fake_github, monkeypatch):
    """A healthy deployment: secrets filled, e-mail confirmed, schedule on, queues empty, alarms OK."""
    monkeypatch.setenv("ZOOM_OAUTH_URL", zoom.oauth_url)
    monkeypatch.delenv("POLICY_FILE", raising=False)
    secrets = client("secretsmanager")
    slack_secret = secrets.create_secret(
        Name=f"{STACK}-slack",
        SecretString=json.dumps({"bot_token": "xoxb-0000-1111-placeholdertoken", "signing_secret": "0" * 32}),
    )["ARN"]
    zoom_secret = secrets.create_secret(Name=f"{STACK}-zoom", SecretString=json.dumps(zoom.secret))["ARN"]
    tracker_secret = secrets.create_secret(
        Name=f"{STACK}-tracker", SecretString=json.dumps({"token": fake_github.TOKEN})
    )["ARN"]
    cloudformation = client("cloudformation")
    cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[
            {"ParameterKey": "AlarmEmail", "ParameterValue": "team@example.com"},
            {"ParameterKey": "SlackSecretArn", "ParameterValue": slack_secret},
            {"ParameterKey": "ZoomSecretArn", "ParameterValue": zoom_secret},
            {"ParameterKey": "TrackerSecretArn", "ParameterValue": tracker_secret},
        ],
    )
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    }
    resources |= {"SlackSecret": slack_secret, "ZoomSecret": zoom_secret, "TrackerSecret": tracker_secret}
    # moto confirms e-mail subscriptions at once (AWS waits for the click)
    client("sns").subscribe(TopicArn=resources["WatcherTopic"], Protocol="email", Endpoint="team@example.com")
    client("scheduler").create_schedule(
        Name="incident-suite-dev-journeys",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:lambda:eu-west-2:123456789012:function:runner",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
        },
    )
    client("cloudwatch").put_metric_alarm(  # named as the template names a suite alarm
        AlarmName="incident-dev-suite-alert-router-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    client("cloudwatch").set_alarm_state(
        AlarmName="incident-dev-suite-alert-router-errors", StateValue="OK", StateReason="healthy"
    )
    record_run("book-viewing", datetime.now(UTC) - timedelta(seconds=40))
    return resources


def record_run(journey: str, at: datetime) -> None:
    """A passing run of the journey, recorded by the runner's own store."""
    step = StepResult(name="open catalogue", kind="http", outcome="passed", ms=120.0, status=200)
    result = JourneyResult(
        journey=journey,
        kind="http",
        run_id=f"run-{journey}-{at.timestamp():.0f}",
        ran_at=at,
        attempts=[Attempt(ok=True, duration_ms=120.0, steps=[step])],
    )
    JourneyStore(Table(get_settings().table_name)).record(result, at)


def doctor(capsys, tmp_path, phones: bool = False) -> tuple[int, dict]:
    policy = (ROOT / "config" / "policy.yaml").read_text()
    if not phones:
        policy = "\n".join(line for line in policy.splitlines() if "phone:" not in line)
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    code = main(
        ["--config", str(ROOT / "config"), "doctor", "--stack", STACK, "--policy", str(path), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    return code, {check["name"]: check for check in report["checks"]}


def test_a_healthy_stack_passes_every_check(deployed, fake_slack, capsys, tmp_path):
    last_monday = datetime.now(UTC) - timedelta(days=3)
    weekly = {
        "type": "message",
        "ts": f"{last_monday.timestamp():.6f}",
        "bot_id": fake_slack.BOT_ID,
        "text": "DRILL weekly-1: the paging path works.",
        "blocks": [
            {"type": "section", "block_id": "drill-weekly-1", "text": {"type": "mrkdwn", "text": "x"}}
        ],
    }
    fake_slack.load_messages("#incidents", [weekly])
    code, checks = doctor(capsys, tmp_path)
    assert [name for name, check in checks.items() if not check["ok"]] == []
    assert code == 0
    assert checks["weekly drill"]["detail"] == f"the last one arrived {last_monday:%a %d %b %H:%M} UTC"
    assert set(checks) == {
        "Slack secret",
        "Slack token",
        "Slack scopes",
        "bot in the incidents channel",
        "weekly drill",
        "policy people in Slack",
        "Zoom secret",
        "Zoom credentials",
        "tracker secret",
        "tracker token",
        "SMS pages",
        "alarm e-mail",
        "journeys schedule",
        "journeys' last runs",
        "dead-letter queues",
        "suite alarms",
        "alarm prefix",
        "Texts and calls",  # issue 17: no PagingOriginationIdentity in this stack, so not used
    }
    assert checks["tracker token"]["detail"] == "issues read and write on example-org/product"


@pytest.mark.parametrize(
    ("break_it", "said"),
    [
        ("revoke", "Bad credentials"),
        ("read_only", "Resource not accessible by personal access token"),
    ],
)
def test_a_tracker_token_that_cannot_write_issues_is_raised(
    deployed, fake_github, capsys, tmp_path, break_it, said
):
    getattr(fake_github, break_it)()
    code, checks = doctor(capsys, tmp_path)
    assert code == 1
    assert checks["tracker secret"]["ok"] and not checks["tracker token"]["ok"]
    assert said in checks["tracker token"]["detail"]
    assert "Issues read and write on example-org/product" in checks["tracker token"]["fix"]
    assert fake_github.TOKEN not in json.dumps(checks)


def test_a_first_deploy_gets_a_fix_for_each_thing_left_to_do(deployed, fake_slack, capsys, tmp_path):
    secrets = client("secretsmanager")
    secrets.put_secret_value(
        SecretId=deployed["ZoomSecret"], SecretString='{"account_id": "...", "client_id": ""}'
    )
    fake_slack.state.scopes.remove("im:write")
    fake_slack.add_channel("#incidents", bot_member=False)
    fake_slack.state.users.pop("U0WISEN")
    client("sqs").send_message(QueueUrl=deployed["AlertRouterDeadLetters"], MessageBody="{}")
    client("cloudwatch").set_alarm_state(
        AlarmName="incident-dev-suite-alert-router-errors", StateValue="ALARM", StateReason="errors"
    )
    client("scheduler").update_schedule(
        Name="incident-suite-dev-journeys",
        State="DISABLED",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:lambda:eu-west-2:123456789012:function:runner",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
        },
    )
    record_run("checkout", datetime.now(UTC) - timedelta(minutes=20))  # the runner stopped long ago
    client("cloudformation").create_stack(
        StackName="incident-suite-dev-copy",  # a second stack of the same environment: same alarms
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[{"ParameterKey": "Environment", "ParameterValue": "dev"}],
    )
    code, checks = doctor(capsys, tmp_path, phones=True)
    assert code == 1
    failed = {name: check for name, check in checks.items() if not check["ok"]}
    assert set(failed) == {
        "Zoom secret",
        "Slack scopes",
        "bot in the incidents channel",
        "policy people in Slack",
        "SMS pages",
        "journeys schedule",
        "journeys' last runs",
        "dead-letter queues",
        "suite alarms",
        "alarm prefix",
    }
    assert "no run in the last 5 minutes: checkout" in failed["journeys' last runs"]["detail"]
    assert "account_id, client_id, client_secret, user_id" in failed["Zoom secret"]["detail"]
    assert "im:write" in failed["Slack scopes"]["detail"]
    assert "/invite" in failed["bot in the incidents channel"]["fix"]
    assert "wisen (U0WISEN: user_not_found)" in failed["policy people in Slack"]["detail"]
    assert "AlertRouterDeadLetters (1)" in failed["dead-letter queues"]["detail"]
    assert "ALARM" in failed["suite alarms"]["detail"]
    assert "incident-suite-dev-copy (dev" in failed["alarm prefix"]["detail"]
    assert "DISABLED" in failed["journeys schedule"]["detail"]
    # moto has no GetSMSSandboxAccountStatus: doctor says it could not tell, rather than guessing
    assert "sandbox" in failed["SMS pages"]["detail"]
    assert all(check["fix"] for check in failed.values())


def test_unfilled_secrets_and_no_alarm_email(deployed, capsys, tmp_path):
    client("secretsmanager").put_secret_value(
        SecretId=deployed["SlackSecret"], SecretString="r4nd0m-not-json"
    )
    client("cloudformation").update_stack(
        StackName=STACK,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[
            {"ParameterKey": "AlarmEmail", "ParameterValue": ""},
            {"ParameterKey": "SlackSecretArn", "UsePreviousValue": True},
            {"ParameterKey": "ZoomSecretArn", "UsePreviousValue": True},
            {"ParameterKey": "TrackerSecretArn", "UsePreviousValue": True},
        ],
    )
    code, checks = doctor(capsys, tmp_path)
    assert code == 1
    assert checks["Slack secret"]["detail"] == "not filled in: it holds no JSON object yet"
    assert "put-secret-value" in checks["Slack secret"]["fix"]
    assert "Slack token" not in checks  # nothing to try before the secret is filled in
    assert "AlarmEmail is empty" in checks["alarm e-mail"]["detail"]


def test_the_checklist_and_a_missing_stack(deployed, capsys):
    assert main(["--config", str(ROOT / "config"), "doctor", "--stack", "no-such-stack"]) == 2
    assert "could not read stack 'no-such-stack'" in capsys.readouterr().err


@pytest.mark.parametrize("json_output", [True, False])
def test_doctor_never_prints_a_secret_value(deployed, fake_slack, capsys, tmp_path, json_output):
    """A token pasted across two lines (a common slip) makes the HTTP library refuse the header, quoting
    it: doctor says what is wrong without printing any form of the value."""
    token, signing = "xoxb-4242-9876\nRea1LookingT0ken", "f00dfeed" * 4
    client("secretsmanager").put_secret_value(
        SecretId=deployed["SlackSecret"],
        SecretString=json.dumps({"bot_token": token, "signing_secret": signing}),
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text((ROOT / "config" / "policy.yaml").read_text())
    argv = ["--config", str(ROOT / "config"), "doctor", "--stack", STACK, "--policy", str(policy)]
    assert main([*argv, "--json"] if json_output else argv) == 1
    printed = capsys.readouterr()
    output = printed.out + printed.err
    assert "Slack" in output
    for value in (token, signing, "Rea1LookingT0ken"):
        for form in (value, repr(value)[1:-1], json.dumps(value)[1:-1]):
            assert form not in output, form
