"""A whole incident, on one machine, through the real handlers.

`Rehearsal` starts the outside world locally (moto server for AWS, the fake Slack and Zoom APIs, fake
vendor status pages, the bookshop site being watched), creates the suite's resources in moto, wires the
suite bus from template.yaml (stand_ins.local_lambda.LocalSuite) and then plays an incident step by step:
the journeys pass, the "Book viewing" button disappears, the runner confirms it, the router applies the
support-hours policy, a person validates the page, the thread and war room appear, people reply, the
site is repaired, the incident is resolved, the document is compiled and an action item opened.

Time is the rehearsal's own (incident_core.clock.frozen_at): it starts at a chosen instant (now, or
2 a.m. on a Saturday) and moves on by the minutes each step takes, so the policy, the timeline and the
document see a real incident's clock. `make demo` narrates it; tests/integration/test_e2e_incident.py
asserts every step.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incident_core.adapters.aws import client, reset_clients
from incident_core.clock import frozen_at
from incident_core.settings import get_settings
from stand_ins.api_metrics import ApiGatewayMetrics
from stand_ins.aws import MotoServer, create_tables
from stand_ins.bookshop import Bookshop
from stand_ins.fake_cloudtrail import FakeCloudTrail
from stand_ins.fake_github import FakeGitHub
from stand_ins.fake_slack import FakeSlack
from stand_ins.fake_sms_voice import FakeSmsVoice
from stand_ins.fake_statuspage import FakeStatusPages
from stand_ins.fake_zoom import FakeZoom
from stand_ins.local_lambda import LocalSuite
from stand_ins.product_deploys import REVERT_TAG, ProductDeploys
from stand_ins.slack_requests import TEAM, SlackAppClient, thread_message_body

ROOT = Path(__file__).resolve().parent.parent
NAME = "incident-suite-demo"
CHANNEL = "C0INCIDENTS"
SCHEDULE_GROUP = f"{NAME}-pages"
SIGNING_SECRET = "demo-signing-secret-placeholder"
SCHEDULED_EVENT = ROOT / "events" / "journey_runner_scheduled.json"
PRODUCT_API_ID = "bookshop0demo"  # the HTTP API the bookshop plays (AWS/ApiGateway metrics)
VALIDATION_BUTTONS = ("alert_acknowledge", "alert_real_incident", "alert_false_alarm")
GITHUB_WEBHOOK_SECRET = "demo-github-webhook-secret-placeholder"
# The bookshop's frontend release: a Lambda function behind the alias `live` (moto), tagged for revert.
FRONTEND = "bookshop-frontend"
# Texts and calls (issue 17): the suite's number (Ofcom's drama range, never a real person), its
# configuration set, whose events SNS brings to the router, and the acknowledgement links' Function URL.
PAGING_NUMBER = "+447700900100"
PAGING_CONFIGURATION_SET = f"{NAME}-paging"
PAGING_EVENTS_TOPIC = f"arn:aws:sns:eu-west-2:123456789012:{NAME}-paging-events"
ACK_LINK_URL = "https://demo0ack0url.lambda-url.eu-west-2.on.aws/"
ACK_LINK_KEY = "demo-ack-link-key-placeholder"
URL_EVENT = ROOT / "tests" / "fixtures" / "documented" / "aws_lambda_function_url_browser_get.json"


@dataclass(frozen=True)
class SlackWorkspace:
    """A Slack workspace the rehearsal posts to instead of the local fake: a bot token and the channel
    (id) the bot was invited to. `api_url` is Slack's unless pointed elsewhere (any Slack Web API)."""

    token: str
    channel: str
    api_url: str = "https://slack.com/api/"

    @classmethod
    def from_environment(cls) -> SlackWorkspace | None:
        token, channel = os.environ.get("SLACK_BOT_TOKEN"), os.environ.get("SLACK_CHANNEL")
        if not token:
            return None
        if not channel:
            raise SystemExit("SLACK_BOT_TOKEN is set: set SLACK_CHANNEL to the id of a channel the bot is in")
        return cls(token, channel, os.environ.get("SLACK_API_URL") or cls.api_url)

    def web_client(self) -> Any:
        from slack_sdk import WebClient

        return WebClient(token=self.token, base_url=self.api_url)


@dataclass
class TractionMoment:
    start: datetime
    end: datetime
    label: str


@dataclass
class Rehearsal:
    """The suite and its outside world, local and real, on the rehearsal's clock."""

    start: datetime
    workdir: Path
    traction: list[TractionMoment] = field(default_factory=list)
    workspace: SlackWorkspace | None = None
    policy_file: Path = ROOT / "config" / "policy.yaml"
    _virtual_now: datetime = field(init=False)
    _running_since: float | None = field(init=False, default=None)  # real time runs (monotonic start)
    _stack: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

    def __post_init__(self) -> None:
        from incident_core.policy.model import load_policy

        self._virtual_now = self.start.astimezone(UTC)
        people = load_policy(self.policy_file).people
        self.alastair, self.wisen = people["alastair"].slack, people["wisen"].slack
        self.names = {person.slack: person.name for person in people.values()}
        self.names[FakeSlack.BOT_USER_ID] = "incident-suite"
        self.channel = self.workspace.channel if self.workspace else CHANNEL

    @property
    def now(self) -> datetime:
        # In a real workspace Slack stamps messages with the real time, so the rehearsal keeps to it.
        if self.workspace:
            return datetime.now(UTC)
        if self._running_since is not None:
            return self._virtual_now + timedelta(seconds=time.monotonic() - self._running_since)
        return self._virtual_now

    @contextlib.contextmanager
    def real_time(self) -> Iterator[None]:
        """The rehearsal's clock runs at real speed meanwhile (how long a revert and its check take)."""
        self._running_since = time.monotonic()
        try:
            yield
        finally:
            self._virtual_now, self._running_since = self.now, None

    # ------------------------------------------------------------------ set-up and tear-down
    def __enter__(self) -> Rehearsal:
        self.workdir.mkdir(parents=True, exist_ok=True)
        stack = self._stack
        self.moto = MotoServer().start()
        self.moto.reset()  # moto keeps its state per process, not per server
        stack.callback(self.moto.stop)
        # The fake Slack also answers the slash commands' response_url when a real workspace is used.
        self.slack = FakeSlack(clock=lambda: self.now).start()
        stack.callback(self.slack.stop)
        for user, name in self.names.items():
            self.slack.state.users[user] = {"real_name": name, "display_name": name}
        self.zoom = FakeZoom().start()
        stack.callback(self.zoom.stop)
        self.status_pages = FakeStatusPages().start()
        stack.callback(self.status_pages.stop)
        self.shop = Bookshop().start()
        stack.callback(self.shop.stop)
        # The bookshop plays the product's HTTP API: what it serves is what API Gateway would record.
        self.api_metrics = ApiGatewayMetrics(PRODUCT_API_ID)
        self.shop.on_request = self.api_metrics
        self.github = FakeGitHub(
            clock=lambda: self.now
        ).start()  # the team's repository, where work is planned
        stack.callback(self.github.stop)
        self.cloudtrail = FakeCloudTrail(clock=lambda: self.now).start()
        stack.callback(self.cloudtrail.stop)
        self.sms_voice = FakeSmsVoice(clock=lambda: self.now).start()
        stack.callback(self.sms_voice.stop)
        # The stack names its number by id (parameter PagingOriginationIdentity), as IAM grants it.
        self.paging_number_id = self.sms_voice.add_phone_number(PAGING_NUMBER, two_way=True)["PhoneNumberId"]
        self.sms_voice.add_configuration_set(PAGING_CONFIGURATION_SET)
        self.sms_voice.leave_sandbox()
        self._phone_events_seen = 0
        stack.enter_context(_environment(self._environment()))
        if self.workspace is None:
            stack.enter_context(frozen_at(lambda: self.now))
        stack.callback(reset_clients)
        reset_clients()
        get_settings.cache_clear()
        stack.callback(get_settings.cache_clear)
        self._create_resources()
        self.suite = LocalSuite(NAME).wire()
        self.people = SlackAppClient.start(self.slack.url, SIGNING_SECRET, channel=self.channel)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _environment(self) -> dict[str, str]:
        github = self.status_pages.set_vendor("github")
        return {
            **self.moto.env,
            "TABLE_NAME": NAME,
            "IDEMPOTENCY_TABLE_NAME": f"{NAME}-idempotency",
            "BUS_NAME": NAME,
            "BUS_ARN": f"arn:aws:events:eu-west-2:123456789012:event-bus/{NAME}",
            "INCIDENTS_CHANNEL": self.channel,
            "SLACK_SECRET_ID": f"{NAME}/slack",
            "ZOOM_SECRET_ID": f"{NAME}/zoom",
            "SLACK_API_URL": self.workspace.api_url if self.workspace else self.slack.url,
            "ZOOM_API_URL": self.zoom.api_url,
            "ZOOM_OAUTH_URL": self.zoom.oauth_url,
            "STATUS_PAGES": github,
            "DOCUMENTS_BUCKET": f"{NAME}-documents",
            "EVIDENCE_BUCKET": f"{NAME}-evidence",
            "WEBHOOK_URL": "",
            "JOURNEYS_FILE": str(ROOT / "demo" / "journeys.yaml"),
            "JOURNEY_KIND": "http",  # the main stack's runner; browser journeys run in their own stack
            "BOOKSHOP_URL": self.shop.url,
            "POLICY_FILE": str(self.policy_file),
            "RUNBOOKS_DIR": str(ROOT / "config" / "runbooks"),
            "SCHEDULER_GROUP": SCHEDULE_GROUP,
            "SCHEDULER_ROLE_ARN": f"arn:aws:iam::123456789012:role/{NAME}-scheduler",
            "URGENT_TOPIC_ARN": f"arn:aws:sns:eu-west-2:123456789012:{NAME}-urgent",
            "INCIDENT_ALARM_TOPIC_ARN": f"arn:aws:sns:eu-west-2:123456789012:{NAME}-incident-alarms",
            "INCIDENT_ALARM_PREFIX": "incident-",
            "POWERTOOLS_SERVICE_NAME": "incident-suite",
            "POWERTOOLS_METRICS_NAMESPACE": "IncidentSuite",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "LOOKUP_DEADLINE_SECONDS": "3",
            "PRODUCT_HTTP_API_ID": PRODUCT_API_ID,  # the golden signals the pictures draw
            "GITHUB_API_URL": self.github.api_url,
            "TRACKER_SECRET_ID": f"{NAME}/tracker",
            "TRACKER_WEBHOOK_SECRET_ID": f"{NAME}/tracker-webhook",
            "AWS_ENDPOINT_URL_CLOUDTRAIL": self.cloudtrail.url,
            "SUITE_STACK_NAME": NAME,
            "SUITE_RESOURCE_PREFIXES": f"{NAME}-",
            "REVERT_ENABLED": "true",
            "PAGING_ORIGINATION_IDENTITY": self.paging_number_id,
            "PAGING_CONFIGURATION_SET": PAGING_CONFIGURATION_SET,
            "PAGING_EVENTS_TOPIC_ARN": PAGING_EVENTS_TOPIC,
            "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": self.sms_voice.url,  # boto3's per-service endpoint
            "ACK_LINK_URL": ACK_LINK_URL,
            "ACK_LINK_SECRET_ID": f"{NAME}/ack-link",
        }

    def _create_resources(self) -> None:
        settings = get_settings()
        create_tables(
            client("dynamodb"), {"Table": NAME, "IdempotencyTable": settings.idempotency_table_name}
        )
        client("events").create_event_bus(Name=NAME)
        secrets = client("secretsmanager")
        secrets.create_secret(
            Name=settings.slack_secret_id,
            SecretString=json.dumps(
                {"bot_token": self._bot_token, "signing_secret": SIGNING_SECRET, "team_id": TEAM}
            ),
        )
        secrets.create_secret(Name=settings.zoom_secret_id, SecretString=json.dumps(self.zoom.secret))
        secrets.create_secret(
            Name=settings.tracker_secret_id, SecretString=json.dumps({"token": self.github.TOKEN})
        )
        secrets.create_secret(
            Name=settings.tracker_webhook_secret_id,
            SecretString=json.dumps({"webhook_secret": GITHUB_WEBHOOK_SECRET}),
        )
        secrets.create_secret(
            Name=settings.ack_link_secret_id, SecretString=json.dumps({"key": ACK_LINK_KEY})
        )
        s3 = client("s3")
        location = {"LocationConstraint": "eu-west-2"}
        for bucket in (settings.documents_bucket, settings.evidence_bucket):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
        s3.put_bucket_versioning(
            Bucket=settings.documents_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        client("scheduler").create_schedule_group(Name=SCHEDULE_GROUP)
        sns = client("sns")
        sns.create_topic(Name=f"{NAME}-urgent")
        sns.create_topic(Name=f"{NAME}-incident-alarms")
        sns.create_topic(Name=PAGING_EVENTS_TOPIC.rsplit(":", 1)[1])
        # The product's own stack, deployed a moment ago: the checklist's revert candidate.
        client("cloudformation").create_stack(
            StackName="bookshop-frontend",
            TemplateBody=json.dumps({"Resources": {"Assets": {"Type": "AWS::SQS::Queue"}}}),
        )
        # The frontend's release behind a Lambda alias: its version decides whether the button is drawn.
        self.deploys = ProductDeploys(self.cloudtrail)
        self.deploys.lambda_function(FRONTEND, tags=REVERT_TAG, env={"BOOK_VIEWING_BUTTON": "on"})
        self.shop.release_has_button = self.frontend_has_button
        if self.traction:
            from incident_core.policy.store import PolicyStore

            store = PolicyStore.from_settings()
            for moment in self.traction:
                store.add_traction(moment.start, moment.end, moment.label, "demo", self.now)

    # ------------------------------------------------------------------ the product's release
    def frontend_has_button(self) -> bool:
        lam = client("lambda")
        version = lam.get_alias(FunctionName=FRONTEND, Name="live")["FunctionVersion"]
        config = lam.get_function_configuration(FunctionName=FRONTEND, Qualifier=version)
        return (config.get("Environment") or {}).get("Variables", {}).get("BOOK_VIEWING_BUTTON") != "off"

    def deploy_frontend(self, who: str = "wisen") -> str:
        """A real deploy: a new version of the frontend without the button, the alias moved to it (and
        CloudTrail's record of it). Returns the version."""
        return self.deploys.move_alias(FRONTEND, env={"BOOK_VIEWING_BUTTON": "off"}, who=who, at=self.now)

    def press_revert(self, thread_ts: str, user: str) -> dict[str, Any]:
        """A responder presses Revert on the frontend's change in the checklist (and confirms)."""
        for message in self.messages():
            if message.get("thread_ts") != thread_ts:
                continue
            for block in message.get("blocks") or []:
                accessory = block.get("accessory") or {}
                text = (block.get("text") or {}).get("text", "")
                if accessory.get("action_id") == "change_revert" and FRONTEND in text:
                    with self.real_time():
                        self.click("change_revert", accessory["value"], message, user)
                    return accessory
        raise RuntimeError("the checklist shows no Revert button for the frontend's change")

    # ------------------------------------------------------------------ time and the suite
    def advance(self, **delta: float) -> datetime:
        """Let time pass: one-time schedules (held pages, re-pages) fire when their time comes."""
        if self.workspace is not None:  # real time: only what is due now fires
            self.suite.fire_due_schedules(self.now, SCHEDULE_GROUP)
            self.suite.deliver()
            return self.now
        until = self._virtual_now + timedelta(**delta)
        while (due := self.suite.next_schedule_at(SCHEDULE_GROUP)) is not None and due <= until:
            self._virtual_now = max(self._virtual_now, due)
            self.suite.fire_due_schedules(self._virtual_now, SCHEDULE_GROUP)
            self.suite.deliver()
        self._virtual_now = until
        return self.now

    def tick(self) -> dict[str, Any]:
        """The runner's schedule fires (the documented Scheduled Event at the rehearsal's time)."""
        event = json.loads(SCHEDULED_EVENT.read_text())
        event["id"] = str(uuid.uuid4())
        event["time"] = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        outcome = self.suite.function("JourneyRunnerFunction").invoke(event)
        self.api_metrics.flush()
        self.suite.deliver()
        return outcome

    def drill(self) -> dict[str, Any]:
        """`incidentctl drill` against the rehearsal's stack: the command's own code, with the suite's
        deliveries running while it waits (each pause lets the rehearsal's time pass)."""
        import io

        from incident_core.cli import drill as drill_cli
        from incident_core.cli.main import build_parser

        settings = get_settings()
        client("cloudformation").create_stack(
            StackName=NAME,
            TemplateBody=json.dumps(
                {
                    "Parameters": {"IncidentsChannel": {"Type": "String"}},
                    "Resources": {"AlertRouterDeadLetters": {"Type": "AWS::SQS::Queue"}},
                    "Outputs": {
                        "EventBusName": {"Value": settings.bus_name},
                        "SlackSecretArn": {"Value": settings.slack_secret_id},
                    },
                }
            ),
            Parameters=[{"ParameterKey": "IncidentsChannel", "ParameterValue": self.channel}],
        )
        args = build_parser().parse_args(["drill", "--stack", NAME, "--json", "--timeout", "30"])
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # the router's own logs go there too
            code = drill_cli.run_drill(args, wall=lambda: self.now, sleep=self._pause)
        return {"exit": code, **json.loads(printed.getvalue().strip().splitlines()[-1])}

    def _pause(self, seconds: float) -> None:
        """A command's pause while it waits: the suite delivers what is on the bus, time passes."""
        self.suite.deliver()
        self.advance(seconds=seconds)

    # ------------------------------------------------------------------ people in Slack
    @property
    def _bot_token(self) -> str:
        return self.workspace.token if self.workspace else "xoxb-demo-placeholder"

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """A channel's messages and their thread replies, oldest first."""
        channel = channel or self.channel
        if self.workspace is None:
            return self.slack.messages(channel)
        web = self.workspace.web_client()
        oldest = f"{self.start.timestamp():.6f}"
        roots = [
            m for page in web.conversations_history(channel=channel, oldest=oldest) for m in page["messages"]
        ]
        messages: list[dict[str, Any]] = []
        for root in sorted(roots, key=lambda m: float(m["ts"])):
            if root.get("reply_count"):
                replies = web.conversations_replies(channel=channel, ts=root["ts"])
                messages.extend(m for page in replies for m in page["messages"])
            else:
                messages.append(root)
        return messages

    def page_message(self) -> dict[str, Any] | None:
        """The alert's message in #incidents that still carries the validation buttons."""
        for message in reversed(self.messages()):
            actions = [
                element.get("action_id")
                for block in message.get("blocks") or []
                for element in block.get("elements", [])
                if block.get("type") == "actions"
            ]
            if any(action in VALIDATION_BUTTONS for action in actions):
                return message
        return None

    def click(self, action_id: str, alert_id: str, message: dict[str, Any], user: str) -> None:
        response = self.people.click(action_id, alert_id, message, user)
        if response["statusCode"] != 200:
            raise RuntimeError(f"Slack app refused the click {action_id}: {response}")
        self.suite.deliver()

    def command(self, text: str, user: str) -> dict[str, Any]:
        response = self.people.command(text, user)
        if response["statusCode"] != 200:
            raise RuntimeError(f"Slack app refused /incident {text}: {response}")
        self.suite.deliver()
        return response

    def reply(self, thread_ts: str, text: str, user: str) -> dict[str, Any]:
        """A person replies in the thread; Slack posts it and delivers it to the app (Events API)."""
        if self.workspace is None:
            message = self.slack.add_user_message(self.channel, text, user, thread_ts=thread_ts)
        else:  # the demo cannot post as a person: the app posts it, saying who it plays
            played = f"({self.names.get(user, user)}, played by the demo) {text}"
            message = self.workspace.web_client().chat_postMessage(
                channel=self.channel, text=played, thread_ts=thread_ts
            )["message"]
        body = thread_message_body(
            self.channel, thread_ts, message["ts"], user, text, event_id=f"Ev{uuid.uuid4().hex[:10].upper()}"
        )
        response = self.people.event(body)
        if response["statusCode"] != 200:
            raise RuntimeError(f"Slack app refused the reply event: {response}")
        return message

    # ------------------------------------------------------------------ texts, calls, links
    def phone_events(self) -> list[dict[str, Any]]:
        """The configuration set's new events (calls' outcomes), delivered to the router as SNS delivers
        them from the paging events topic. Returns the router's results."""
        events = self.sms_voice.events()[self._phone_events_seen :]
        self._phone_events_seen += len(events)
        if not events:
            return []
        answer = self.suite.function("AlertRouterFunction").invoke(
            self.sms_voice.sns_event(events, PAGING_EVENTS_TOPIC)
        )
        self.suite.deliver()
        return answer["results"]

    def open_link(self, url: str, method: str) -> dict[str, Any]:
        """A person's phone opens an acknowledgement link: the Function URL's event (the documented
        browser GET; a POST carries the Acknowledge button's form) to the acknowledgement function."""
        if not url.startswith(ACK_LINK_URL):
            raise ValueError(f"not one of the suite's acknowledgement links: {url!r}")
        token = url.removeprefix(ACK_LINK_URL)
        event = json.loads(URL_EVENT.read_text())
        event["rawPath"] = f"/{token}"
        event["requestContext"]["http"] |= {"method": method, "path": f"/{token}"}
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        if method == "POST":
            event["headers"]["content-type"] = "application/x-www-form-urlencoded"
            event["body"] = "acknowledge=yes"
        answer = self.suite.function("PageAckFunction").invoke(event)
        self.suite.deliver()
        return answer

    # ------------------------------------------------------------------ the team's GitHub repository
    def github_change(self, number: int, login: str, action: str, **changes: Any) -> dict[str, Any]:
        """A person changes an issue on github.com; GitHub's signed webhook reaches the suite's Function
        URL (the tracker webhook function, invoked as the URL invokes it)."""
        self.github.act(number, login, **changes)
        body = self.github.webhook_body(number, action, login)
        headers = self.github.signed_headers(body, GITHUB_WEBHOOK_SECRET)
        event = {
            "version": "2.0",
            "rawPath": "/",
            "headers": {key.lower(): value for key, value in headers.items()},
            "requestContext": {"http": {"method": "POST", "path": "/"}, "requestId": str(uuid.uuid4())},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        answer = self.suite.function("TrackerWebhookFunction").invoke(event)
        if answer["statusCode"] != 200:
            raise RuntimeError(f"the tracker webhook refused GitHub's delivery: {answer}")
        self.suite.deliver()
        return answer

    def remind(self, at: datetime) -> dict[str, Any]:
        """The business-morning reminder's schedule fires at `at` (its documented input)."""
        self._virtual_now = max(self._virtual_now, at)
        event = {"scheduled_time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return self.suite.function("ActionReminderFunction").invoke(event)

    # ------------------------------------------------------------------ what the suite wrote
    def download_documents(self) -> list[Path]:
        """The documents (incidents/<id>.md); the evidence and pictures kept beside them are linked."""
        return self._download(lambda key: key.suffix == ".md")

    def download_pictures(self) -> list[Path]:
        """The pictures of the incident window kept beside each document, as <id>-<panel>.png."""
        return self._download(lambda key: "pictures" in key.parts)

    def _download(self, wanted: Any) -> list[Path]:
        s3, bucket = client("s3"), get_settings().documents_bucket
        written = []
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            key = Path(item["Key"])  # incidents/<id>.md, incidents/<id>/pictures/<name>.png, .../evidence/...
            if not wanted(key):
                continue
            path = self.workdir / (f"{key.parts[1]}-{key.name}" if "pictures" in key.parts else key.name)
            path.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            written.append(path)
        return written


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
