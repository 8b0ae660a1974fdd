"""The journeys demo: a local bookshop is watched by the real journey runner, with AWS emulated by moto.

It shows a passing run, then breaks the shop three ways (the "Book viewing" button removed, the booking
API failing, a slow page) and shows each failure detected, confirmed and announced on the bus once, and
each recovery. No AWS account, no network: everything listens on 127.0.0.1.

The runner is functions/journey_runner/app.py, invoked as Lambda would with the documented Scheduled
Event (events/journey_runner_scheduled.json): once as the main stack's HTTP runner (JOURNEY_KIND=http)
and once as the browser runner (JOURNEY_KIND=browser), like the two deployed functions.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS_FILE = ROOT / "demo" / "journeys.yaml"
SCHEDULED_EVENT = ROOT / "events" / "journey_runner_scheduled.json"
HANDLER = ROOT / "functions" / "journey_runner" / "app.py"
TABLE, BUS, BUCKET = "incident-suite-demo", "incident-suite-demo", "incident-suite-demo-evidence"


@dataclass
class DemoContext:
    """The Lambda context `sam local invoke` would pass."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:incident-suite-demo"
    aws_request_id: str = "demo-request"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _Runner:
    """One deployed runner function: its own module instance (container), kind and log."""

    def __init__(self, kind: str, log: TextIO) -> None:
        self.kind = kind
        self.log = log
        os.environ["JOURNEY_KIND"] = kind
        spec = importlib.util.spec_from_file_location(f"journey_runner_{kind}", HANDLER)
        self.module = importlib.util.module_from_spec(spec)
        with contextlib.redirect_stdout(log):  # Powertools logs and EMF metrics go to the log file
            spec.loader.exec_module(self.module)
        self.event = json.loads(SCHEDULED_EVENT.read_text())

    def invoke(self) -> dict[str, Any]:
        os.environ["JOURNEY_KIND"] = self.kind
        with contextlib.redirect_stdout(self.log):
            return self.module.lambda_handler(self.event, DemoContext(f"journey-runner-{self.kind}"))


def run_journeys_demo(out: TextIO = sys.stdout, workdir: Path | None = None) -> dict[str, Any]:
    """Run the demo, narrating to `out`; return what each scenario detected and announced."""
    from stand_ins.aws import MotoServer
    from stand_ins.bookshop import Bookshop

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's request lines
    workdir = workdir or ROOT / "demo-output"
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "journey-runner.log"
    shop = Bookshop().start()
    moto = MotoServer().start()
    try:
        env = {
            **moto.env,
            "TABLE_NAME": TABLE,
            "IDEMPOTENCY_TABLE_NAME": f"{TABLE}-idempotency",
            "BUS_NAME": BUS,
            "EVIDENCE_BUCKET": BUCKET,
            "JOURNEYS_FILE": str(JOURNEYS_FILE),
            "BOOKSHOP_URL": shop.url,
            "POWERTOOLS_SERVICE_NAME": "incident-suite",
            "POWERTOOLS_METRICS_NAMESPACE": "IncidentSuite",
        }
        with _environment(env), log_path.open("w") as log:
            return _narrate(shop, moto.url, log, out, log_path)
    finally:
        moto.stop()
        shop.stop()


def _narrate(shop: Any, moto_url: str, log: TextIO, out: TextIO, log_path: Path) -> dict[str, Any]:
    from incident_core.adapters.aws import reset_clients
    from incident_core.settings import get_settings

    reset_clients()
    get_settings.cache_clear()
    watch = _AwsSide()
    runners = [_Runner("http", log), _Runner("browser", log)]

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    say("== incident-suite demo: synthetic journeys ==")
    say(f"bookshop   {shop.url}   (stand_ins/bookshop.py: the product being watched)")
    say(f"AWS        moto server {moto_url}   (DynamoDB, EventBridge, S3: no AWS account)")
    say(f"journeys   {JOURNEYS_FILE.relative_to(ROOT)}, run by functions/journey_runner/app.py")
    say(f"           with the Scheduled Event in {SCHEDULED_EVENT.relative_to(ROOT)}")
    say(f"           Lambda logs and EMF metrics: {log_path}")

    scenarios: list[dict[str, Any]] = []

    def round_(title: str, change: Callable[[], None] | None = None) -> None:
        say()
        say(f"-- {title} " + "-" * max(3, 74 - len(title)))
        if change is not None:
            change()
        summaries = [runner.invoke() for runner in runners]
        ran = sum(summary["ran"] for summary in summaries)
        failed = [name for summary in summaries for name in summary["failed"]]
        say(f"runners ran {ran} journeys: {ran - len(failed)} passed, {len(failed)} failed")
        say(_indent(watch.latest_report()))
        events = watch.events_on_the_bus()
        say("events on the bus:" + ("" if events else " none (no journey changed state)"))
        for event in events:
            say("  " + _describe(event))
        scenarios.append({"title": title, "failed": failed, "events": events})

    round_("1. All is well")
    round_('2. A bad deploy removes the "Book viewing" button', shop.remove_button)
    round_("   a minute later, still broken: recorded, not announced again")
    round_("   fixed", shop.repair)
    round_("3. The booking API fails (500)", shop.fail_api)
    round_("   fixed", shop.repair)
    round_("4. The catalogue page slows down (1.5 s)", lambda: shop.slow_page("/books", 1500))
    round_("   fixed", shop.repair)
    say()
    say(f"Every run is in DynamoDB (JOURNEY#<name> / RUN#...), evidence in s3://{BUCKET}/.")
    return {"scenarios": scenarios}


class _AwsSide:
    """The suite's table, bus and evidence bucket in moto, and an SQS queue that hears the bus."""

    def __init__(self) -> None:
        from incident_core.adapters.aws import client
        from incident_core.adapters.dynamo import Table
        from incident_core.journeys.store import JourneyStore
        from stand_ins.aws import create_tables

        create_tables(client("dynamodb"), {"Table": TABLE, "IdempotencyTable": f"{TABLE}-idempotency"})
        client("events").create_event_bus(Name=BUS)
        client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        self.sqs = client("sqs")
        self.queue_url = self.sqs.create_queue(QueueName="demo-bus-listener")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        client("events").put_rule(
            Name="demo-listener", EventBusName=BUS, EventPattern='{"source": ["incident-suite"]}'
        )
        client("events").put_targets(
            Rule="demo-listener",
            EventBusName=BUS,
            Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}],
        )
        self.store = JourneyStore(Table(TABLE))
        self._seen: set[str] = set()

    def latest_report(self) -> str:
        from incident_core.journeys.report import render_text

        latest = []
        for state in self.store.states():
            runs = self.store.runs(state.journey, limit=1)
            if runs and runs[0].run_id not in self._seen:
                self._seen.add(runs[0].run_id)
                latest.append(runs[0])
        return render_text(latest)

    def events_on_the_bus(self) -> list[dict[str, Any]]:
        events = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                return events
            for message in batch["Messages"]:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def _describe(event: dict[str, Any]) -> str:
    detail = event["detail"]
    if event["detail-type"] == "JourneyFailed":
        evidence = detail["evidence"]
        kept = evidence.get("screenshot_uri") or evidence.get("body_uri") or ""
        return f'JourneyFailed     {detail["journey"]}  at "{detail["step"]}": {detail["reason"]}' + (
            f"\n      evidence: {kept}" if kept else ""
        )
    return f"JourneyRecovered  {detail['journey']}  (failing since {detail['failing_since']})"


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in text.splitlines())


if __name__ == "__main__":
    run_journeys_demo()
