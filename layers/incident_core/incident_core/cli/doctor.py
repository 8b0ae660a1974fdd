"""incidentctl doctor: after `sam deploy`, check what a template cannot, against the deployed stack."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from incident_core.doctor import Check

# The suite's JourneysSilentAlarm allows five minutes without a run; so does doctor.
JOURNEY_RUN_MAX_AGE = timedelta(minutes=5)
SLACK_FIX = (
    "aws secretsmanager put-secret-value --secret-id {id} --secret-string "
    '\'{{"bot_token": "xoxb-…", "signing_secret": "…"}}\' (docs/slack.md#install-the-app)'
)
TRACKER_FIX = (
    "make a fine-grained GitHub token with Issues read and write on {repo} only, then aws secretsmanager "
    'put-secret-value --secret-id {id} --secret-string \'{{"token": "github_pat_…"}}\' '
    "(docs/trackers.md)"
)
ZOOM_FIX = (
    "aws secretsmanager put-secret-value --secret-id {id} --secret-string "
    '\'{{"account_id": "…", "client_id": "…", "client_secret": "…", "user_id": "…"}}\' '
    "(docs/slack.md#the-zoom-war-room)"
)


def register(commands: argparse._SubParsersAction) -> None:
    from incident_core.cli.policy import _policy_argument
    from incident_core.cli.stack import stack_argument

    parser = commands.add_parser(
        "doctor",
        help="check a deployed stack: secrets, Slack, Zoom, SMS, alarm e-mail, schedules, queues, alarms",
        description="Checks the deployed stack (found by name with your AWS credentials) for what a template "
        "cannot: secrets filled in, the Slack token, its scopes, the bot in the incidents channel, the "
        "policy's people in Slack, Zoom credentials, SMS sandbox and spend limit, the alarm e-mail "
        "subscription, the journeys schedule, empty dead-letter queues, the suite's alarms, and alarm "
        "prefixes no other stack shares. Exit 1 if any check fails.",
    )
    stack_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    _policy_argument(parser)
    parser.set_defaults(run=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from incident_core import doctor
    from incident_core.cli.policy import fail, policy_path
    from incident_core.cli.stack import Stack
    from incident_core.policy.model import PolicyFileError, load_policy

    try:
        policy = load_policy(policy_path(args))
        stack = Stack.read(args.stack)
    except PolicyFileError as error:
        return fail("doctor", str(error))
    except (ClientError, BotoCoreError) as error:
        return fail(
            "doctor", f"could not read stack {args.stack!r}: {error} (is it deployed in this region?)"
        )
    checks = Doctor(stack, policy, getattr(args, "config", None)).run()
    if args.json:
        print(json.dumps(doctor.as_json(args.stack, checks), indent=2))
    else:
        print(doctor.checklist(args.stack, checks))
    return doctor.exit_status(checks)


class Doctor:
    """Reads each fact from AWS, Slack and Zoom and judges it with incident_core.doctor."""

    def __init__(self, stack: Any, policy: Any, config: str | None = None) -> None:
        from incident_core.settings import get_settings

        self.stack = stack
        self.policy = policy
        self.config = config
        self.settings = get_settings()
        self.secret_values: list[str] = []

    def secret(self, logical: str) -> tuple[str, dict | None]:
        """The stack's secret, its values remembered so that no check's text can print them."""
        secret_id, secret = self.stack.secret(logical)
        self.secret_values += [str(value) for value in (secret or {}).values()]
        return secret_id, secret

    def run(self) -> list[Check]:
        checks: list[Check] = []
        steps: list[tuple[str, Callable[[], list[Check]]]] = [
            ("secrets and Slack", self.slack),
            ("Zoom", self.zoom),
            ("tracker", self.tracker),
            ("SMS pages", self.sms),
            ("alarm e-mail", self.alarm_email),
            ("journeys schedule", self.journeys_schedule),
            ("dead-letter queues", self.dead_letters),
            ("suite alarms", self.alarms),
            ("alarm prefix", self.prefix),
            ("texts and calls", self.phone_paging),  # issue 17
        ]
        for name, step in steps:
            try:
                checks.extend(step())
            except Exception as error:  # one unreadable fact is a failed check, never a crashed doctor
                checks.append(Check(name, False, f"could not check: {type(error).__name__}: {error}", ""))
        return self.redacted(checks)

    def redacted(self, checks: list[Check]) -> list[Check]:
        """Every check's text, masked of each secret value in every form (an HTTP library refusing a
        token pasted across two lines quotes it; so may Slack's or Zoom's answers): one step for all."""
        from dataclasses import replace

        from incident_core.journeys.redact import Redactor

        redactor = Redactor()
        for value in self.secret_values:
            redactor.add(value)
        return [replace(c, detail=redactor.text(c.detail), fix=redactor.text(c.fix)) for c in checks]

    # ------------------------------------------------------------------ Slack
    def slack(self) -> list[Check]:
        from slack_sdk.errors import SlackApiError

        from incident_core.adapters.slack import Slack, slack_web_client
        from incident_core.doctor import scopes_check, secret_check

        secret_id, secret = self.secret("SlackSecret")
        filled = secret_check(
            "Slack secret", secret, ("bot_token", "signing_secret"), SLACK_FIX.format(id=secret_id)
        )
        if not filled.ok or secret is None:
            return [filled]
        web = slack_web_client(self.settings.slack_api_url, str(secret["bot_token"]))
        try:
            identity = web.auth_test()
        except SlackApiError as error:
            return [
                filled,
                Check(
                    "Slack token",
                    False,
                    f"auth.test answered {error.response.get('error')}",
                    "reinstall the app and put its current bot token into the Slack secret",
                ),
            ]
        checks = [
            filled,
            Check(
                "Slack token", True, f"valid: bot {identity.get('user_id')} in team {identity.get('team_id')}"
            ),
            scopes_check(identity.headers.get("x-oauth-scopes"), manifest_scopes(self.config)),
        ]
        channel = self.stack.parameters.get("IncidentsChannel") or self.settings.incidents_channel
        try:
            channel_id = Slack(web).channel_id(channel)
            member = web.conversations_info(channel=channel_id)["channel"].get("is_member")
        except (SlackApiError, LookupError) as error:
            member, channel_id = False, f"{channel} ({getattr(error, 'response', {}).get('error', error)})"
        checks.append(
            Check("bot in the incidents channel", True, f"a member of {channel}")
            if member
            else Check(
                "bot in the incidents channel",
                False,
                f"not a member of {channel_id}: pages and threads would fail with not_in_channel",
                f"in Slack, open {channel} and type /invite @incident-suite",
            )
        )
        if member:
            checks.append(self.weekly_drill(web, channel_id))
        unknown = []
        for key, person in self.policy.people.items():
            try:
                web.users_info(user=person.slack)
            except SlackApiError as error:
                unknown.append(f"{key} ({person.slack}: {error.response.get('error')})")
        checks.append(
            Check("policy people in Slack", True, f"all {len(self.policy.people)} found")
            if not unknown
            else Check(
                "policy people in Slack",
                False,
                f"not in the workspace: {', '.join(unknown)}",
                "put each person's Slack member id (profile > ... > Copy member ID) into config/policy.yaml "
                "and sam deploy",
            )
        )
        return checks

    def weekly_drill(self, web: Any, channel_id: str) -> Check:
        from datetime import UTC, datetime

        from incident_core.alerts.drill import block_id
        from incident_core.doctor import WEEKLY_DRILL_MAX_AGE, weekly_drill_check

        now = datetime.now(UTC)
        weekly = block_id("weekly-")
        last_drill, cursor = None, None
        while last_drill is None:
            history = web.conversations_history(
                channel=channel_id, oldest=f"{(now - WEEKLY_DRILL_MAX_AGE).timestamp():.6f}", cursor=cursor
            )
            for message in history["messages"]:  # newest first
                if any(str(b.get("block_id", "")).startswith(weekly) for b in message.get("blocks") or []):
                    last_drill = datetime.fromtimestamp(float(message["ts"]), UTC)
                    break
            cursor = (history.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        enabled = self.stack.parameters.get("WeeklyDrill", "off") == "on"
        return weekly_drill_check(enabled, last_drill, self.stack.created, now)

    # ------------------------------------------------------------------ Zoom
    def zoom(self) -> list[Check]:
        from incident_core.adapters.zoom import SECRET_FIELDS, Zoom, ZoomCredentials, ZoomError
        from incident_core.doctor import secret_check

        secret_id, secret = self.secret("ZoomSecret")
        filled = secret_check("Zoom secret", secret, SECRET_FIELDS, ZOOM_FIX.format(id=secret_id))
        if not filled.ok or secret is None:
            return [filled]
        zoom = Zoom(ZoomCredentials.from_secret(secret), oauth_url=self.settings.zoom_oauth_url)
        try:
            zoom.access_token()
        except ZoomError as error:
            return [
                filled,
                Check(
                    "Zoom credentials",
                    False,
                    str(error),
                    "check the Server-to-Server OAuth app is activated, and its account id, client id "
                    "and secret",
                ),
            ]
        return [filled, Check("Zoom credentials", True, "a token was granted")]

    # ------------------------------------------------------------------ the tracker (GitHub Issues)
    def tracker(self) -> list[Check]:
        """The token can write issues in the policy's repository (it makes the suite's labels if missing,
        as the sync would on its first run)."""
        from incident_core.adapters.trackers import TrackerError
        from incident_core.adapters.trackers.github import GitHubIssues
        from incident_core.doctor import secret_check

        if self.policy.tracker is None:
            return []  # the items stay in the suite: nothing to check
        repository = self.policy.tracker.repository
        secret_id, secret = self.secret("TrackerSecret")
        fix = TRACKER_FIX.format(id=secret_id, repo=repository)
        filled = secret_check("tracker secret", secret, ("token",), fix)
        if not filled.ok or secret is None:
            return [filled]
        github = GitHubIssues(str(secret["token"]), repository, api_url=self.settings.github_api_url)
        try:
            what = github.check_write(self.policy.tracker.labels[0])
        except TrackerError as error:
            return [filled, Check("tracker token", False, str(error), fix)]
        return [filled, Check("tracker token", True, what)]

    # ------------------------------------------------------------------ SNS
    def sms(self) -> list[Check]:
        from incident_core.adapters.aws import client
        from incident_core.doctor import sms_check

        phones = {key: person.phone for key, person in self.policy.people.items() if person.phone}
        if not phones:
            return [sms_check(phones, None, None)]
        sns = client("sns")
        try:
            in_sandbox = bool(sns.get_sms_sandbox_account_status()["IsInSandbox"])
        except Exception:  # denied, or not answered (botocore's parser errors are no ClientError)
            in_sandbox = None
        limit = (
            sns.get_sms_attributes(attributes=["MonthlySpendLimit"])
            .get("attributes", {})
            .get("MonthlySpendLimit")
        )
        return [sms_check(phones, in_sandbox, limit)]

    def alarm_email(self) -> list[Check]:
        from incident_core.adapters.aws import client
        from incident_core.doctor import alarm_email_check

        address = self.stack.parameters.get("AlarmEmail", "")
        subscriptions = []
        if address:
            topic = self.stack.physical("WatcherTopic") or self.stack.outputs.get("WatcherTopicArn", "")
            paginator = client("sns").get_paginator("list_subscriptions_by_topic")
            for page in paginator.paginate(TopicArn=topic):
                subscriptions += page["Subscriptions"]
        return [alarm_email_check(address, subscriptions)]

    # ------------------------------------------------------------------ schedules, queues, alarms
    def journeys_schedule(self) -> list[Check]:
        from incident_core.adapters.aws import client

        environment = self.stack.parameters.get("Environment", "dev")
        schedule_name = f"incident-suite-{environment}-journeys"
        schedule = client("scheduler").get_schedule(Name=schedule_name)
        if schedule.get("State") != "ENABLED":
            enabled = Check(
                "journeys schedule",
                False,
                f"{schedule_name} is {schedule.get('State')}: nothing watches the site",
                f"aws scheduler update-schedule --name {schedule_name} --state ENABLED "
                "(with its other settings)",
            )
        else:
            expression = schedule.get("ScheduleExpression")
            enabled = Check("journeys schedule", True, f"{schedule_name} enabled ({expression})")
        return [enabled, self.journey_runs()]

    def journey_runs(self) -> Check:
        from datetime import UTC, datetime

        from incident_core.adapters.dynamo import Table
        from incident_core.doctor import journey_runs_check
        from incident_core.journeys.store import JourneyStore

        store = JourneyStore(Table(self.stack.outputs.get("TableName") or self.settings.table_name))
        last_runs, failing = {}, {}
        for state in store.states():
            latest = store.runs(state.journey, limit=1)
            last_runs[state.journey] = latest[0].ran_at if latest else None
            if state.status == "failing":
                failing[state.journey] = state.reason or f"at {state.failing_step}"
        return journey_runs_check(failing, last_runs, datetime.now(UTC), JOURNEY_RUN_MAX_AGE)

    def dead_letters(self) -> list[Check]:
        from incident_core.adapters.aws import client

        sqs = client("sqs")
        waiting = {}
        queues = self.stack.of_type("AWS::SQS::Queue")
        for logical, url in queues:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )
            count = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
            if count:
                waiting[logical] = count
        if waiting:
            listed = ", ".join(f"{logical} ({count})" for logical, count in sorted(waiting.items()))
            return [
                Check(
                    "dead-letter queues",
                    False,
                    f"events that failed every retry wait in {listed}",
                    "read them (aws sqs receive-message), fix the cause in the function's logs, "
                    "then replay or purge them",
                )
            ]
        return [Check("dead-letter queues", True, f"all {len(queues)} empty")]

    def alarms(self) -> list[Check]:
        from incident_core.adapters.aws import client

        # The template names every suite alarm <IncidentAlarmPrefix><Environment>-suite-...
        found = []
        paginator = client("cloudwatch").get_paginator("describe_alarms")
        for page in paginator.paginate(AlarmNamePrefix=f"{self.stack.alarm_prefix}suite-"):
            found += page["MetricAlarms"]
        not_ok = sorted(f"{a['AlarmName']} ({a['StateValue']})" for a in found if a["StateValue"] != "OK")
        if not_ok:
            return [
                Check(
                    "suite alarms",
                    False,
                    f"not OK: {', '.join(not_ok)}",
                    "each alarm's description says what it watches; look at that function's logs and metrics",
                )
            ]
        return [Check("suite alarms", True, f"all {len(found)} OK")]

    def prefix(self) -> list[Check]:
        from incident_core.adapters.aws import client
        from incident_core.cli.stack import alarm_prefix
        from incident_core.doctor import prefix_overlap_check

        others = {}
        for page in client("cloudformation").get_paginator("describe_stacks").paginate():
            for stack in page["Stacks"]:
                parameters = {
                    p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
                }
                if "IncidentAlarmPrefix" in parameters:
                    environment = parameters.get("Environment", "dev")
                    others[stack["StackName"]] = (environment, alarm_prefix(parameters))
        environment = self.stack.parameters.get("Environment", "dev")
        return [prefix_overlap_check(self.stack.name, environment, self.stack.alarm_prefix, others)]

    def phone_paging(self) -> list[Check]:
        from incident_core.cli.phone_doctor import phone_paging_checks

        return phone_paging_checks(self.stack, self.policy)


def manifest_scopes(config: str | None) -> list[str]:
    """The bot scopes the project's slack/manifest.yaml (beside config/) asks for."""
    import yaml

    from incident_core.cli.project import find_config_dir

    folder = find_config_dir(config)
    if folder is None:
        raise FileNotFoundError("no config/ found, so no slack/manifest.yaml beside it: give --config DIR")
    manifest = yaml.safe_load((folder.resolve().parent / "slack" / "manifest.yaml").read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])
