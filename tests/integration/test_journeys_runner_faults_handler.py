"""A fault of the runner itself (a browser that cannot start or dies, a secret it cannot read) against a
failure of the site, through the real handler: the site's failures page (JourneyFailed), the runner's
own faults never do; they are counted (RunnerFaults) and fail the invocation for the suite's own alarm.
DynamoDB, EventBridge, S3 and SSM in moto; the site is the real local bookshop; chromium is Debian's."""

import importlib.util
import json
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_core.adapters.aws import client
from incident_core.adapters.dynamo import Table
from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.http_steps import new_session
from incident_core.journeys.loader import load_journeys_file, parse_journeys
from incident_core.journeys.monitor import RunnerFaulted
from incident_core.journeys.store import JourneyStore
from incident_core.journeys.templating import StaticSecrets
from incident_core.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
SCHEDULED_EVENT = json.loads((ROOT / "events/journey_runner_scheduled.json").read_text())
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NO_CHROMIUM = "/nonexistent/chromium"


class LambdaContext:
    function_name = "incident-suite-journey-runner"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:incident-suite-journey-runner"
    aws_request_id = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def queue(aws):
    """Everything put on the suite's bus, as an SQS queue sees it through a rule."""
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="journey-fault-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = get_settings().bus_name
    client("events").put_rule(
        Name="suite-events", EventBusName=bus, EventPattern='{"source": ["incident-suite"]}'
    )
    client("events").put_targets(Rule="suite-events", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[str]:
        kinds = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                body = json.loads(message["Body"])
                kinds.append(f"{body['detail-type']} {body['detail']['journey']}")
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return kinds

    return received


def fresh_handler(monkeypatch, journeys_file: Path, kind: str):
    """functions/journey_runner/app.py, imported as Lambda would in a new container."""
    monkeypatch.setenv("JOURNEYS_FILE", str(journeys_file))
    monkeypatch.setenv("JOURNEY_KIND", kind)
    get_settings.cache_clear()
    spec = importlib.util.spec_from_file_location(
        "journey_runner_faults_app", ROOT / "functions/journey_runner/app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def emf_totals(output: str) -> dict:
    records = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    [totals] = [r for r in records if "JourneyRuns" in r]
    return {
        name: totals[name][0] for name in ("JourneyRuns", "JourneyFailures", "RunnerFaults") if name in totals
    }


def store() -> JourneyStore:
    return JourneyStore(Table(get_settings().table_name))


def test_an_unreadable_secret_fails_the_invocation_while_the_sites_failure_pages(
    aws, shop, queue, monkeypatch, tmp_path, capsys
):
    shop.fail_api(500)
    path = tmp_path / "journeys.yaml"
    path.write_text(
        f"""
journeys:
  - name: book-api
    steps:
      - name: book
        request: {{method: POST, url: "{shop.url}/api/viewings", json: {{book: 42}}}}
        expect: {{status: 201}}
  - name: account
    steps:
      - name: log in
        request:
          url: "{shop.url}/books"
          headers: {{X-Key: "${{ssm:/incident-suite/journeys/missing-key}}"}}
"""
    )
    handler = fresh_handler(monkeypatch, path, "http")
    with pytest.raises(
        RunnerFaulted,
        match=r"account, step 'log in': could not read ssm:/incident-suite/journeys/missing-key",
    ):
        handler(SCHEDULED_EVENT, LambdaContext())

    # Everything was recorded and announced before the invocation failed: the site's failure pages...
    assert queue() == ["JourneyFailed book-api"]
    assert store().state("book-api").status == "failing"
    # ...the runner's own fault does not, and leaves the journey's state alone.
    assert store().state("account") is None
    [run] = store().runs("account")
    assert run.outcome == "runner-fault"
    [item] = Table(get_settings().table_name).query("JOURNEY#account", "RUN#")
    assert item["runner_fault"] is True
    assert emf_totals(capsys.readouterr().out) == {"JourneyRuns": 1, "JourneyFailures": 1, "RunnerFaults": 1}


def test_a_fault_then_a_site_failure_is_seen_once_only_and_decides_nothing(shop):
    shop.fail_api(500)
    journeys = load_journeys_file(ROOT / "demo/journeys.yaml", environ={"BOOKSHOP_URL": shop.url})
    sessions = iter([RuntimeError("no sockets left"), None])

    def first_fails():
        failure = next(sessions)
        if failure is not None:
            raise failure
        return new_session()

    runner = JourneyRunner(secrets=StaticSecrets({}), session_factory=first_fails)
    [result] = run_journeys(runner, [journeys.journey("book-viewing-api")], now=NOW, time_budget_s=20)
    assert [a.runner_fault is not None for a in result.attempts] == [True, False]
    assert result.outcome == "failed" and result.failed_step.reason == "expected status 201, got 500"
    assert result.unconfirmed  # one look at the site is not a confirmed failure: no page yet


def chromium_of_this_process() -> list[int]:
    """The chromium processes this test process started (through Playwright's driver), by pid."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, pending = [], [os.getpid()]
    while pending:
        for child in children.get(pending.pop(), []):
            pending.append(child)
            try:
                if b"chrom" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(child)
            except OSError:
                continue
    return found


@pytest.mark.browser
def test_a_browser_that_dies_under_a_step_is_a_runner_fault(shop):
    shop.slow_page("/books", 6000)
    journeys = parse_journeys(
        f"""
journeys:
  - name: catalogue
    steps: [{{name: open catalogue, goto: "{shop.url}/books", timeout: 10s}}]
"""
    ).journeys

    def kill_the_browser_mid_step() -> None:
        deadline = time.monotonic() + 15
        while not chromium_of_this_process() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # launched, and waiting on the slow page
        for pid in chromium_of_this_process():
            os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_browser_mid_step)
    killer.start()
    [result] = run_journeys(
        JourneyRunner(secrets=StaticSecrets({})), journeys, now=NOW, time_budget_s=30, confirm=False
    )
    killer.join()
    assert result.outcome == "runner-fault", result.final.steps
    assert result.runner_fault.reason.startswith("the browser died during the step")


@pytest.mark.browser
def test_a_browser_that_cannot_start_never_pages_nor_recovers_a_journey(
    aws, shop, queue, monkeypatch, capsys
):
    handler = fresh_handler(monkeypatch, ROOT / "demo/journeys.yaml", "browser")
    monkeypatch.setenv("BOOKSHOP_URL", shop.url)

    def run_with(chromium: str | None) -> dict | Exception:
        """One scheduled run; `chromium` None: the usual one (Debian's)."""
        if chromium is None:
            monkeypatch.delenv("CHROMIUM_PATH", raising=False)
        else:
            monkeypatch.setenv("CHROMIUM_PATH", chromium)
        try:
            return handler(SCHEDULED_EVENT, LambdaContext())
        except RunnerFaulted as fault:
            return fault

    # No chromium on a new journey: not checked, nothing announced, no state; the invocation fails.
    fault = run_with(NO_CHROMIUM)
    assert isinstance(fault, RunnerFaulted)
    assert "book-viewing-browser, step 'open catalogue': the browser could not start" in str(fault)
    assert queue() == [] and store().state("book-viewing-browser") is None
    assert emf_totals(capsys.readouterr().out) == {"JourneyRuns": 0, "JourneyFailures": 0, "RunnerFaults": 1}

    # The site breaks, seen by a working browser: that pages.
    shop.remove_button()
    summary = run_with(None)
    assert summary["failed"] == ["book-viewing-browser"] and summary["runner_faults"] == []
    assert queue() == ["JourneyFailed book-viewing-browser"]

    # Repaired, but the browser cannot start: no recovery is claimed, the journey stays failing.
    shop.repair()
    assert isinstance(run_with(NO_CHROMIUM), RunnerFaulted)
    assert queue() == [] and store().state("book-viewing-browser").status == "failing"

    # The browser back: the recovery is seen and announced.
    summary = run_with(None)
    assert summary["passed"] == 1
    assert queue() == ["JourneyRecovered book-viewing-browser"]
