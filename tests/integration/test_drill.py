"""incidentctl drill against a stack in moto: the drill alert goes on the suite's bus, the template's rule
delivers it to the real alert router (stand_ins.local_lambda), the router applies the policy and posts a
DRILL message in #incidents of the fake Slack; nobody is paged unless they ask."""

from __future__ import annotations

import json

import pytest

from incident_core.adapters.aws import client
from incident_core.alerts.drill import block_id
from incident_core.cli import drill as drill_cli
from incident_core.cli.main import build_parser, main
from incident_core.settings import get_settings
from stand_ins.local_lambda import LocalSuite
from tests import routing_support
from tests.routing_support import ALASTAIR, CHANNEL

routing_env = routing_support.routing_env
urgent_inbox = routing_support.urgent_inbox
STACK = "incident-suite-dev"

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "IncidentsChannel": {"Type": "String"},
        "BusName": {"Type": "String"},
        "SlackSecretArn": {"Type": "String"},
    },
    "Resources": {"AlertRouterDeadLetters": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "EventBusName": {"Value": {"Ref": "BusName"}},
        "SlackSecretArn": {"Value": {"Ref": "SlackSecretArn"}},
    },
}


@pytest.fixture
def stack(routing_env, fake_slack):
    settings = get_settings()
    client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[
            {"ParameterKey": "IncidentsChannel", "ParameterValue": CHANNEL},
            {"ParameterKey": "BusName", "ParameterValue": settings.bus_name},
            {"ParameterKey": "SlackSecretArn", "ParameterValue": settings.slack_secret_id},
        ],
    )
    return LocalSuite(settings.bus_name).wire()


def drill(capsys, suite: LocalSuite | None, *argv: str) -> tuple[int, dict]:
    """The command, with the deployed router running while it waits (each poll's pause delivers)."""
    args = build_parser().parse_args(["drill", "--stack", STACK, "--json", "--timeout", "5", *argv])
    code = drill_cli.run_drill(args, sleep=lambda _seconds: suite.deliver() if suite else None)
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # after the router's logs


def test_a_drill_reaches_incidents_through_the_router_and_pages_nobody(
    stack, fake_slack, urgent_inbox, capsys
):
    code, report = drill(capsys, stack)
    assert code == 0 and report["arrived"]
    assert [hop["hop"] for hop in report["hops"]] == [
        "requested -> routed by the alert router",
        "routed -> posted in Slack",
        "posted -> seen here",
        "total",
    ]
    assert all(hop["seconds"] >= -1 for hop in report["hops"])  # the router's clock is this machine's here
    assert [logical for logical, _ in stack.delivered] == ["AlertRouterFunction"]
    [posted] = fake_slack.messages(CHANNEL)
    assert posted["text"].startswith(f"DRILL {report['drill_id']}: the paging path works.")
    assert "Nobody was paged" in posted["text"] and "<@" not in json.dumps(posted)
    assert posted["blocks"][0]["block_id"] == block_id(report["drill_id"])
    assert fake_slack.calls("conversations.open") == []
    assert all(queue.drain() == [] for queue in urgent_inbox.values())


def test_page_me_pages_only_the_person_who_asked(stack, fake_slack, urgent_inbox, capsys):
    """Every step of their plan (tests/integration/test_drill_plan.py): here texts and e-mails through
    the SNS topic, each marked DRILL; nobody else gets anything."""
    code, report = drill(capsys, stack, "--page-me", ALASTAIR)
    assert code == 0
    assert [call.args["users"] for call in fake_slack.calls("conversations.open")] == [ALASTAIR]
    [dm] = fake_slack.messages("D0ALASTAIR")
    assert dm["text"].startswith(f"DRILL {report['drill_id']}: you asked to be paged")
    assert all(f"DRILL {report['drill_id']}" in json.dumps(m) for m in urgent_inbox["alastair"].drain())
    assert urgent_inbox["wisen"].drain() == []


def test_a_drill_that_never_arrives_exits_1_and_says_what_to_check(stack, fake_slack, capsys):
    code = main(["drill", "--stack", STACK, "--timeout", "0"])
    assert code == 1
    out = capsys.readouterr().out
    assert "no message in C0INCIDENTS after 0 s" in out and "incidentctl doctor" in out
    assert fake_slack.messages(CHANNEL) == []


def test_a_bad_page_me_is_refused_before_anything_is_sent(stack, fake_slack, capsys):
    assert main(["drill", "--stack", STACK, "--page-me", "alastair"]) == 2
    assert "is not a Slack user id" in capsys.readouterr().err
    assert stack.deliver() == []


def test_the_weekly_schedule_puts_the_same_drill_the_router_posts(stack, fake_slack, capsys):
    from stand_ins.aws import load_template

    template = load_template()
    schedule = template["Resources"]["WeeklyDrillSchedule"]
    assert (
        schedule["Condition"] == "HasWeeklyDrill" and template["Parameters"]["WeeklyDrill"]["Default"] == "on"
    )
    properties = schedule["Properties"]
    assert properties["GroupName"] == {"Ref": "PageScheduleGroup"}  # PageSchedulerRole's trust covers it
    assert properties["ScheduleExpressionTimezone"] == "Europe/London"
    target = properties["Target"]
    assert target["Arn"] == {"Fn::GetAtt": "Bus.Arn"} and target["RoleArn"] == {
        "Fn::GetAtt": "PageSchedulerRole.Arn"
    }
    # What Scheduler puts on the bus, its context attributes filled in
    detail = (
        target["Input"]
        .replace("<aws.scheduler.execution-id>", "a1b2c3d4-0000-4000-8000-0123456789ab")
        .replace("<aws.scheduler.scheduled-time>", "2026-12-07T10:00:00Z")
    )
    parameters = target["EventBridgeParameters"]
    client("events").put_events(
        Entries=[
            {
                "EventBusName": get_settings().bus_name,
                "Source": parameters["Source"],
                "DetailType": parameters["DetailType"],
                "Detail": detail,
            }
        ]
    )
    results = stack.deliver()
    assert [logical for logical, _ in results] == ["AlertRouterFunction"]
    [posted] = fake_slack.messages(CHANNEL)
    assert posted["text"].startswith(
        "DRILL weekly-a1b2c3d4-0000-4000-8000-0123456789ab: the paging path works."
    )
    assert "requested by the weekly drill schedule" in json.dumps(posted["blocks"])


def test_when_slack_refuses_the_drill_the_router_fails_so_the_suite_alarms_count_it(
    stack, fake_slack, capsys
):
    # Lambda retries a raised error twice, then the dead-letter queue: AlertRouterErrorsAlarm and
    # AlertRouterDeadLettersAlarm are the scheduled drill's failure signal.
    fake_slack.add_channel(CHANNEL, bot_member=False)  # someone removed the bot from #incidents
    client("events").put_events(
        Entries=[
            {
                "EventBusName": get_settings().bus_name,
                "Source": "incident-suite",
                "DetailType": "DrillRequested",
                "Detail": json.dumps(
                    {
                        "drill_id": "weekly-1",
                        "requested_by": "the weekly drill schedule",
                        "requested_at": "2026-12-07T10:00:00Z",
                    }
                ),
            }
        ]
    )
    with pytest.raises(Exception, match="not_in_channel"):
        stack.deliver()
    assert fake_slack.messages(CHANNEL) == []


def test_a_drill_pages_none_but_the_policys_people(stack, fake_slack, urgent_inbox, capsys):
    """Anyone who can put DrillRequested on the bus names page_me: a workspace member who is not one of
    the policy's people is not messaged (a drill is no way to DM strangers as the incident bot)."""
    fake_slack.add_user("U0STRANGER", "Stranger")
    code, report = drill(capsys, stack, "--page-me", "U0STRANGER")
    assert code == 0 and report["arrived"]
    assert fake_slack.calls("conversations.open") == []
    [posted] = fake_slack.messages(CHANNEL)
    assert "not one of the policy's people" in posted["text"] and "<@" not in json.dumps(posted)
