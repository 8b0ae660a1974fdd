"""Test support for alert routing (issue 3): the router's handler wired to moto and the fake Slack, a
settable clock, and a stand-in for EventBridge Scheduler firing its one-time schedules.

Fixtures are imported by the test modules that use them (`from tests.routing_support import ...`).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from incident_core.adapters.aws import client
from incident_core.settings import get_settings
from stand_ins.aws import ROOT, isolate_moto_dynamodb
from stand_ins.fake_slack import FakeSlack
from stand_ins.local_lambda import LambdaContext

EVENTS = ROOT / "events"
POLICY_FILE = ROOT / "config" / "policy.yaml"
SCHEDULE_GROUP = "incident-suite-test-pages"
INCIDENT_TOPIC = "arn:aws:sns:eu-west-2:123456789012:incident-suite-dev-incident-alarms"
CHANNEL = "#incidents"
ALASTAIR, WISEN = "U0ALASTAIR", "U0WISEN"
# Mon 30 Mar 2026 09:30 BST: business hours, the day after the clocks went forward.
BUSINESS_HOURS = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)


class Clock:
    """The router's clock in tests: set, advanced, never the wall clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def event(name: str) -> dict[str, Any]:
    """A router event from events/ (the documented formats)."""
    return json.loads((EVENTS / name).read_text())


def load_router_module() -> ModuleType:
    """functions/alert_router/app.py, imported as Lambda would (its own module, once per test)."""
    path = ROOT / "functions" / "alert_router" / "app.py"
    name = f"alert_router_app_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class RouterHarness:
    module: ModuleType
    clock: Clock
    slack: FakeSlack

    def invoke(self, payload: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
        return self.module.lambda_handler(
            payload, context or LambdaContext(function_name="AlertRouterFunction")
        )

    @property
    def runtime(self) -> Any:
        return self.module.runtime()

    def schedules(self) -> list[dict[str, Any]]:
        scheduler = client("scheduler")
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]]
        return [scheduler.get_schedule(GroupName=SCHEDULE_GROUP, Name=name) for name in names]

    def fire_due_schedules(self) -> list[dict[str, Any]]:
        """What EventBridge Scheduler does at the clock's time: each due one-time schedule puts its event
        on the bus (the router's rule delivers it) and is deleted (ActionAfterCompletion DELETE)."""
        fired = []
        for schedule in sorted(self.schedules(), key=_at):
            if _at(schedule) > self.clock.now:
                continue
            target = schedule["Target"]
            bus_event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": target["EventBridgeParameters"]["DetailType"],
                "source": target["EventBridgeParameters"]["Source"],
                "account": "123456789012",
                "time": self.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": "eu-west-2",
                "resources": [],
                "detail": json.loads(target["Input"]),
            }
            client("scheduler").delete_schedule(GroupName=SCHEDULE_GROUP, Name=schedule["Name"])
            fired.append(self.invoke(bus_event))
        return fired

    def run_until(self, until: datetime) -> None:
        """Let time pass until `until`, firing each schedule when its time comes (in order)."""
        while True:
            upcoming = [at for at in map(_at, self.schedules()) if at <= until]
            if not upcoming:
                self.clock.now = max(self.clock.now, until)
                return
            self.clock.now = max(self.clock.now, min(upcoming))
            self.fire_due_schedules()

    def posts(self, channel: str = CHANNEL) -> list[dict[str, Any]]:
        return self.slack.messages(channel)

    def dms(self, user: str) -> list[dict[str, Any]]:
        return self.slack.messages("D" + user.removeprefix("U")[:10])


def posted(router: RouterHarness) -> Counter[str]:
    """How many times each page's target was posted in Slack, by the block id naming it."""
    found: Counter[str] = Counter()
    for message in [*router.dms(ALASTAIR), *router.posts()]:
        block_id = (message.get("blocks") or [{}])[0].get("block_id", "")
        if block_id.startswith("page:"):
            found[block_id] += 1
    return found


def pages_lost_and_doubled(router: RouterHarness, alert_id: str) -> tuple[int, int]:
    """An alert's pages (Alastair's, in business hours) counted in Slack: lost = due (3 minutes ago or
    more) but not sent, or a target never posted; doubled = a target posted more than once."""
    from incident_core.alerts.store import AlertStore
    from incident_core.paging.pages import PageStatus
    from incident_core.paging.store import PageStore

    counts = posted(router)
    lost = doubled = 0
    for page in PageStore(AlertStore.from_settings().table).for_alert(alert_id):
        if page.kind == "step":  # a later step of the plan (a text, an e-mail): nothing in Slack
            lost += page.due_at <= router.clock.now - timedelta(minutes=3) and page.status != PageStatus.SENT
            continue
        targets = [f"page:{page.page_id}:dm:alastair", f"page:{page.page_id}:channel"]
        if page.due_at <= router.clock.now - timedelta(minutes=3):
            lost += page.status != PageStatus.SENT or any(counts[t] == 0 for t in targets)
        doubled += any(counts[t] > 1 for t in targets)
    return lost, doubled


def _at(schedule: dict[str, Any]) -> datetime:
    match = re.fullmatch(r"at\((.+)\)", schedule["ScheduleExpression"])
    assert match, schedule["ScheduleExpression"]
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)


@pytest.fixture
def routing_env(aws: Any, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto with the router's resources (schedule group, urgent topic) and its environment variables.
    moto's DynamoDB is isolated (stand_ins.aws.isolate_moto_dynamodb; MotoServer does it by default), so
    the concurrency tests race our code, not moto's."""
    isolate_moto_dynamodb()
    settings = get_settings()
    bus_arn = client("events").describe_event_bus(Name=settings.bus_name)["Arn"]
    client("scheduler").create_schedule_group(Name=SCHEDULE_GROUP)
    urgent_topic = client("sns").create_topic(Name="incident-suite-test-urgent")["TopicArn"]
    env = {
        "SCHEDULER_GROUP": SCHEDULE_GROUP,
        "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/incident-suite-test-scheduler",
        "BUS_ARN": bus_arn,
        "URGENT_TOPIC_ARN": urgent_topic,
        "INCIDENT_ALARM_TOPIC_ARN": INCIDENT_TOPIC,
        "INCIDENT_ALARM_PREFIX": "incident-",
        "POLICY_FILE": str(POLICY_FILE),
        "INCIDENTS_CHANNEL": CHANNEL,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


@pytest.fixture
def router(routing_env: dict[str, str], fake_slack: FakeSlack) -> RouterHarness:
    """The handler, with its runtime built on a test clock (business hours unless a test moves it)."""
    fake_slack.add_channel(CHANNEL)  # the workspace's #incidents exists, even if empty
    module = load_router_module()
    clock = Clock(BUSINESS_HOURS)
    runtime = module.Runtime(clock=clock)
    module.runtime = lambda: runtime
    return RouterHarness(module=module, clock=clock, slack=fake_slack)


class Queue:
    """An SQS queue in moto that receives what a rule or subscription sends it."""

    def __init__(self, name: str) -> None:
        sqs = client("sqs")
        self.url = sqs.create_queue(QueueName=name)["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def drain(self) -> list[Any]:
        """The messages waiting (JSON bodies parsed, raw ones as text), removed from the queue."""
        sqs, bodies = client("sqs"), []
        while True:
            messages = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                try:
                    bodies.append(json.loads(message["Body"]))
                except json.JSONDecodeError:
                    bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def bus_events(routing_env: dict[str, str]) -> Queue:
    """Every AlertRaised / AlertResolved the router puts on the suite's bus."""
    queue = Queue("routing-test-bus")
    events = client("events")
    name = get_settings().bus_name
    events.put_rule(
        Name="routing-test-capture",
        EventBusName=name,
        EventPattern=json.dumps({"detail-type": ["AlertRaised", "AlertResolved"]}),
    )
    events.put_targets(
        Rule="routing-test-capture", EventBusName=name, Targets=[{"Id": "q", "Arn": queue.arn}]
    )
    return queue


@pytest.fixture
def urgent_inbox(routing_env: dict[str, str]) -> dict[str, Queue]:
    """Per person, what their SMS/e-mail subscription would receive (an SQS queue with the same filter)."""
    from incident_core.adapters.urgent import subscription_filter

    inboxes = {}
    for person in ("alastair", "wisen"):
        queue = Queue(f"routing-test-urgent-{person}")
        client("sns").subscribe(
            TopicArn=routing_env["URGENT_TOPIC_ARN"],
            Protocol="sqs",
            Endpoint=queue.arn,
            Attributes={
                "FilterPolicy": json.dumps(subscription_filter(person)),
                "RawMessageDelivery": "true",
            },
        )
        inboxes[person] = queue
    return inboxes


class Collect(logging.Handler):
    """The log records of a logger (add it to the handler's service logger), to check what was logged."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class ShortLivedContext(LambdaContext):
    """A Lambda context about to time out: an invocation that dies leaves Powertools' in-progress record
    expiring this soon (in wall-clock time), as a timed-out invocation's would."""

    def get_remaining_time_in_millis(self) -> int:
        return 50
