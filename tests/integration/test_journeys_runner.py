"""The journey runner as Lambda runs it: the documented Scheduled Event through the handler, with
DynamoDB, EventBridge (a rule on the bus feeding an SQS queue), S3 and Secrets Manager/SSM in moto, and
the EMF metrics it prints. The site it watches is the real local bookshop."""

import importlib.util
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incident_core.adapters.aws import client
from incident_core.adapters.bus import EventBridgeBus
from incident_core.adapters.dynamo import Table
from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.loader import JourneyFileError, load_journeys_file, parse_journeys
from incident_core.journeys.monitor import JourneyMonitor
from incident_core.journeys.store import JourneyStore
from incident_core.journeys.templating import PowertoolsSecrets, StaticSecrets
from incident_core.settings import get_settings
from tests.iam_guard import installed

ROOT = Path(__file__).resolve().parents[2]
SCHEDULED_EVENT = json.loads((ROOT / "events/journey_runner_scheduled.json").read_text())
BUCKET = "incident-suite-test-evidence"
HTTP_JOURNEYS = ["browse-catalogue", "book-viewing-api"]


@dataclass
class LambdaContext:
    """What Lambda (and `sam local invoke`) hands the handler."""

    function_name: str = "incident-suite-journey-runner"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:incident-suite-journey-runner"
    aws_request_id: str = "5f6c6f1e-1d3b-4a55-9a0e-7c1d2e3f4a5b"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def queue(aws):
    """Everything put on the suite's bus, as an SQS queue sees it through a rule."""
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="journey-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = get_settings().bus_name
    client("events").put_rule(
        Name="all-suite-events", EventBusName=bus, EventPattern='{"source": ["incident-suite"]}'
    )
    client("events").put_targets(
        Rule="all-suite-events", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}]
    )

    def received() -> list[dict]:
        events = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not batch.get("Messages"):
                return events
            for message in batch["Messages"]:
                events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    return received


@pytest.fixture
def environment(aws, shop, monkeypatch):
    client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    monkeypatch.setenv("JOURNEYS_FILE", str(ROOT / "demo/journeys.yaml"))
    monkeypatch.setenv("BOOKSHOP_URL", shop.url)
    monkeypatch.setenv("JOURNEY_KIND", "http")
    monkeypatch.setenv("EVIDENCE_BUCKET", BUCKET)
    get_settings.cache_clear()
    return monkeypatch


def new_container():
    """functions/journey_runner/app.py, imported fresh as Lambda would in a new container."""
    spec = importlib.util.spec_from_file_location(
        "journey_runner_app", ROOT / "functions/journey_runner/app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


@pytest.fixture
def handler(environment):
    return new_container()


def emf_records(output: str) -> list[dict]:
    records = []
    for line in output.splitlines():
        if line.startswith("{"):
            document = json.loads(line)
            if "_aws" in document:
                records.append(document)
    return records


def table() -> Table:
    return Table(get_settings().table_name)


def test_the_scheduled_event_runs_the_http_journeys_and_records_them(handler, queue, capsys):
    summary = handler(SCHEDULED_EVENT, LambdaContext())

    assert summary == {
        "ran": 2,
        "passed": 2,
        "failed": [],
        "runner_faults": [],
        "announced": [],
        "errors": [],
    }
    store = JourneyStore(table())
    for name in HTTP_JOURNEYS:
        [run] = store.runs(name)
        assert run.ok and run.final.steps and all(step.ms > 0 for step in run.final.steps)
        [item] = list(table().query(f"JOURNEY#{name}", "RUN#"))
        assert item["sk"] == f"RUN#{run.ran_at.isoformat()}#{run.run_id}"
        assert item["expires_at"] == int((run.ran_at + timedelta(days=14)).timestamp())
        assert store.state(name).status == "passing"
    assert [state.journey for state in store.states()] == sorted(HTTP_JOURNEYS)
    assert store.state("book-viewing-browser") is None  # browser journeys belong to the browser runner
    assert queue() == []  # nothing changed state from passing, so nothing is announced

    records = emf_records(capsys.readouterr().out)
    totals = next(r for r in records if "JourneyRuns" in r)
    assert (totals["JourneyRuns"], totals["JourneyFailures"]) == ([2.0], [0.0])
    per_journey = sorted((r for r in records if "journey" in r), key=lambda r: r["journey"])
    assert [(r["journey"], r["success"]) for r in per_journey] == [
        ("book-viewing-api", 1),
        ("browse-catalogue", 1),
    ]
    assert all(r["JourneyDuration"][0] > 0 for r in per_journey)
    for record in records:
        [directive] = record["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "IncidentSuiteTest"
        assert directive["Dimensions"] == [["service"]]  # no per-journey metric unless asked (cost)


def test_a_failure_is_announced_once_and_its_recovery_once(handler, shop, queue):
    shop.fail_api(500)
    first = handler(SCHEDULED_EVENT, LambdaContext())
    assert first["failed"] == ["book-viewing-api"]
    assert first["announced"] == ["JourneyFailed book-viewing-api"]
    [failed] = queue()
    assert (failed["source"], failed["detail-type"]) == ("incident-suite", "JourneyFailed")
    detail = failed["detail"]
    assert (detail["journey"], detail["step"], detail["reason"]) == (
        "book-viewing-api",
        "book a viewing",
        "expected status 201, got 500",
    )
    assert [t["step"] for t in detail["timings"]] == ["book a viewing"]
    assert detail["evidence"]["excerpt"] == '{"error": "database unavailable"}'
    assert detail["evidence"]["url"] == f"{shop.url}/api/viewings"
    key = detail["evidence"]["body_uri"].removeprefix(f"s3://{BUCKET}/")
    assert (
        client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read() == b'{"error": "database unavailable"}'
    )

    for _ in range(3):  # still broken: recorded every time, announced no more
        assert handler(SCHEDULED_EVENT, LambdaContext())["announced"] == []
    assert queue() == []
    assert len(JourneyStore(table()).runs("book-viewing-api")) == 4

    shop.repair()
    assert handler(SCHEDULED_EVENT, LambdaContext())["announced"] == ["JourneyRecovered book-viewing-api"]
    [recovered] = queue()
    assert recovered["detail-type"] == "JourneyRecovered"
    assert recovered["detail"]["failing_since"] == detail["failed_at"]
    state = JourneyStore(table()).state("book-viewing-api")
    assert (state.status, state.pending_event) == ("passing", None)


def test_racing_runners_announce_a_change_exactly_once(environment, shop):
    shop.fail_api(500)
    journeys = load_journeys_file(ROOT / "demo/journeys.yaml", environ={"BOOKSHOP_URL": shop.url})
    now = datetime.now(UTC)
    runner = JourneyRunner(secrets=StaticSecrets({}))
    [result] = run_journeys(runner, [journeys.journey("book-viewing-api")], now=now, time_budget_s=20)
    racers = 8
    start = threading.Barrier(racers)
    decisions = []

    def race(index: int) -> None:
        store = JourneyStore(Table(get_settings().table_name, dynamodb=client("dynamodb")))
        mine = result.model_copy(update={"run_id": f"{result.run_id}-{index}"})
        start.wait()
        with installed().inherited("JourneyRunnerFunction"):  # each loser's path checked against the role
            [decision] = store.record_all([mine], now)  # what each runner does with its results
        decisions.append(decision)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    announced = [event for decision in decisions for event in decision.announce]
    assert [event.detail_type for event in announced] == ["JourneyFailed"]
    assert JourneyStore(table()).state("book-viewing-api").version == 1
    assert len(JourneyStore(table()).runs("book-viewing-api")) == racers  # every run is kept


def the_other_runner_wins_first(dynamodb, other_run) -> list[tuple[str, str | None, str]]:
    """Just before the first state change is written, `other_run` (another runner) runs to the end, so
    that write loses the race (TransactionCanceledException, ConditionalCheckFailed, from moto). Returns
    the calls made after it ran: (thread, the function the permission check attributed it to, operation)."""
    guard = installed()
    after: list[tuple[str, str | None, str]] = []
    ran = []

    def first_write(**_):
        if not ran:
            ran.append(True)
            other_run()
            ran.append(True)

    def seen(model, **_):
        if len(ran) == 2:
            after.append((threading.current_thread().name, guard.current_function(), model.name))

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", first_write)
    dynamodb.meta.events.register("before-parameter-build.dynamodb", seen)
    return after


def test_the_runner_that_loses_a_race_decides_again_within_its_role(environment, shop, queue):
    """Two runners (two containers) race on a journey's change: the loser's transaction is cancelled, and
    it decides again, in the pool's thread, on the state read with BatchGetItem (its role has no GetItem);
    every call of that path is checked against the runner's role; the change is announced once."""
    loser, winner = new_container(), new_container()
    assert loser(SCHEDULED_EVENT, LambdaContext())["passed"] == 2
    shop.fail_api(500)
    after = the_other_runner_wins_first(client("dynamodb"), lambda: winner(SCHEDULED_EVENT, LambdaContext()))

    summary = loser(SCHEDULED_EVENT, LambdaContext())

    assert (summary["errors"], summary["announced"]) == ([], [])
    assert [event["detail-type"] for event in queue()] == ["JourneyFailed"]  # the winner's
    state_threads = {operation for thread, _, operation in after if thread.startswith("state")}
    assert state_threads == {"BatchGetItem", "PutItem"}  # re-read the state; no change left: keep the run
    assert {function for _, function, _ in after} == {"JourneyRunnerFunction"}
    assert JourneyStore(table()).state("book-viewing-api").version == 2
    assert len(JourneyStore(table()).runs("book-viewing-api")) == 3  # every run is kept


def test_the_browser_runners_lost_race_is_within_its_stacks_role(environment, shop):
    """The same path under the browser runner's role (browser/template.yaml), as its store runs it."""
    shop.fail_api(500)
    journeys = load_journeys_file(ROOT / "demo/journeys.yaml", environ={"BOOKSHOP_URL": shop.url})
    now = datetime.now(UTC)
    [result] = run_journeys(
        JourneyRunner(secrets=StaticSecrets({})),
        [journeys.journey("book-viewing-api")],
        now=now,
        time_budget_s=20,
    )
    store = JourneyStore(Table(get_settings().table_name, dynamodb=client("dynamodb")))
    winner = result.model_copy(update={"run_id": f"{result.run_id}-winner"})
    after = the_other_runner_wins_first(client("dynamodb"), lambda: store.record_all([winner], now))

    with installed().inherited("BrowserJourneyRunnerFunction"):
        [decision] = store.record_all([result], now)

    assert not isinstance(decision, Exception) and decision.announce == []
    assert {(function, operation) for thread, function, operation in after if thread.startswith("state")} == {
        ("BrowserJourneyRunnerFunction", "BatchGetItem"),
        ("BrowserJourneyRunnerFunction", "PutItem"),
    }
    assert len(JourneyStore(table()).runs("book-viewing-api")) == 2


def test_an_announcement_the_bus_refused_is_sent_by_a_later_run(environment, shop, queue):
    shop.fail_api(500)
    journeys = load_journeys_file(ROOT / "demo/journeys.yaml", environ={"BOOKSHOP_URL": shop.url})
    store = JourneyStore(table())
    runner = JourneyRunner(secrets=StaticSecrets({}))
    settings = get_settings()
    missing_bus = EventBridgeBus("no-such-bus", settings.event_source)
    tick = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    broken = JourneyMonitor(journeys, runner, store, missing_bus, kind="http")
    outcome = broken.run_scheduled(scheduled_at=tick, now=tick, time_left_s=30)
    assert outcome.announced == [] and outcome.errors[0].startswith("announcing 1 event(s)")
    assert store.state("book-viewing-api").pending().detail_type == "JourneyFailed"
    assert queue() == []

    bus = EventBridgeBus(settings.bus_name, settings.event_source)
    healthy = JourneyMonitor(journeys, runner, store, bus, kind="http")
    soon = tick + timedelta(minutes=1)
    # Within RESEND_PENDING_AFTER the first runner could still be putting it: not sent again yet.
    assert healthy.run_scheduled(scheduled_at=soon, now=soon, time_left_s=30).announced == []
    later = tick + timedelta(minutes=3)
    outcome = healthy.run_scheduled(scheduled_at=later, now=later, time_left_s=30)
    assert [e.detail_type for e in outcome.announced] == ["JourneyFailed"]
    [delivered] = queue()
    assert (delivered["detail"]["journey"], delivered["detail"]["failed_at"]) == (
        "book-viewing-api",
        tick.isoformat().replace("+00:00", "Z"),
    )
    assert store.state("book-viewing-api").pending_event is None


def test_per_journey_metrics_when_the_file_asks_for_them(handler, environment, tmp_path, capsys):
    text = (
        (ROOT / "demo/journeys.yaml")
        .read_text()
        .replace("journeys:\n", "settings: {per_journey_metrics: true}\njourneys:\n", 1)
    )
    path = tmp_path / "journeys.yaml"
    path.write_text(text)
    environment.setenv("JOURNEYS_FILE", str(path))
    handler(SCHEDULED_EVENT, LambdaContext())
    dimensioned = [r for r in emf_records(capsys.readouterr().out) if "JourneySuccess" in r]
    assert sorted(r["journey"] for r in dimensioned) == sorted(HTTP_JOURNEYS)
    for record in dimensioned:
        [directive] = record["_aws"]["CloudWatchMetrics"]
        assert [sorted(d) for d in directive["Dimensions"]] == [["journey", "service"]]
        assert {m["Name"] for m in directive["Metrics"]} == {"JourneySuccess", "JourneyDuration"}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # it fails before any run
def test_a_bad_journeys_file_fails_the_invocation_with_every_problem(handler, environment, tmp_path):
    path = tmp_path / "journeys.yaml"
    path.write_text("journeys:\n  - name: Bad Name\n    steps: []\n")
    environment.setenv("JOURNEYS_FILE", str(path))
    with pytest.raises(JourneyFileError) as raised:
        handler(SCHEDULED_EVENT, LambdaContext())
    assert [str(p) for p in raised.value.problems] == [
        "journey 'Bad Name', field name: 'Bad Name': use lowercase letters, digits and dashes "
        "(like book-viewing), at most 64 characters",
        "journey 'Bad Name', field steps: needs at least one item",
    ]


def test_secrets_are_read_from_secrets_manager_and_ssm_at_run_time(environment, shop):
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    client("secretsmanager").create_secret(
        Name="incident-suite/journeys/shop-login",
        SecretString=json.dumps({"email": "monitor-placeholder@example.com"}),
    )
    client("ssm").put_parameter(Name="/incident-suite/journeys/book-id", Value="42", Type="SecureString")
    text = f"""
journeys:
  - name: book-with-secrets
    steps:
      - name: book
        request:
          method: POST
          url: "{shop.url}/api/viewings"
          json:
            book: "${{ssm:/incident-suite/journeys/book-id}}"
            email: "${{secret:incident-suite/journeys/shop-login#email}}"
        expect: {{status: 201}}
"""
    journeys = parse_journeys(text).journeys
    [result] = run_journeys(
        JourneyRunner(secrets=PowertoolsSecrets()), journeys, now=datetime.now(UTC), time_budget_s=20
    )
    assert result.ok, result.failed_step
    viewing = list(shop.viewings.values())[-1]
    assert (viewing["book"], viewing["email"]) == (42, "monitor-placeholder@example.com")


@pytest.mark.parametrize(
    "event_file", sorted(p.name for p in (ROOT / "events").glob("journey_runner_*.json"))
)
def test_each_runner_event_in_events_runs_through_the_handler(handler, event_file):
    event = json.loads((ROOT / "events" / event_file).read_text())
    summary = handler(event, LambdaContext())
    assert (summary["ran"], summary["passed"], summary["errors"]) == (2, 2, [])
