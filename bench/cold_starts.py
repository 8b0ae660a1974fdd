"""Cold start of every function in template.yaml beside the baseline handler, in the same run.

Each figure comes from a new process that imports the handler (as Lambda's runtime does for a zip
function) and serves two invocations against the local world (moto, fake Slack/Zoom/status pages, the
bookshop), with representative documented events (events/):

(a) import: the handler module imported;
(b) first: the import and the first invocation;
(c) warm: a second invocation of the same kind of event, made afresh (a new alert, incident, day, trigger
    id) so that it does the same work rather than meet its own idempotency record.

The cold overhead (b) - (c) is what a cold container pays that a warm one does not. The baseline is a
minimal Powertools handler whose invocations are one DynamoDB GetItem on the same moto. Goals: every
function's cold overhead at most 1.3x the baseline's; the Slack app's cold acknowledgement (its (b) for a
slash command and for a button click) at most 1.2x the baseline's (b).

The baseline runs right before each function, and ratios are medians of the per-pair ratios, so load
from other work on a shared machine affects both sides of each ratio alike; one warm-up round is
discarded first (it fills the file cache). Interpreter start-up is left out (it is the same for every
function). The children see only what Lambda would (bench/lambda_site.py): the layer as `sam build` makes
it and the runtime's boto3, with no bytecode written. Every invocation is checked to have done its work
(a page sent, a thread started, ...), so a failing invocation cannot pass for a fast one.
"""

from __future__ import annotations

import copy
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.coldstart import BASELINE_HANDLER, ROOT
from bench.lambda_site import CHILD_FLAGS, PATH_VARIABLE, lambda_path
from bench.world import CHANNEL, SIGNING_SECRET, SLACK_APP_FUNCTION, LocalWorld

EVENTS = ROOT / "events"
GOAL_RATIO = 1.3  # cold overhead (b - c) over the baseline's
SLACK_ACK_GOAL_RATIO = 1.2  # the Slack app's cold acknowledgement (b) over the baseline's (b)
SLACK_BUTTON = "slack_app:button_click"  # the Slack app's second acknowledgement, reported with slack_app
BEFORE = "@before"  # suffix of an older version of a function measured beside it (--against)
BEFORE_NUMBERS = 1_000  # an older version's events are numbered from here
OLDER_LAYER = "BENCH_OLDER_LAYER"  # an older version's layer package, first on its sys.path
# Tue 9 Jun 2026 10:00 London (BST): business hours, so the router pages at once.
BUSINESS_HOURS = datetime(2026, 6, 9, 9, 0, tzinfo=UTC)
RESULT_MARK = "BENCH-RESULT "

_CHILD = r"""
import importlib, json, os, sys, time
from datetime import datetime, timedelta
mode, path, handler_name, event_path = sys.argv[1:5]
events = json.load(open(event_path)) if mode == "invoke" else []  # read before the clock starts
sys.path[0:0] = [os.path.dirname(path), *filter(None, os.environ.get("BENCH_SYS_PATH", "").split(os.pathsep))]
start, started_wall = time.perf_counter(), time.time()
module = importlib.import_module(os.path.basename(path)[:-3])  # as Lambda's runtime imports the handler
imported = time.perf_counter()
figures = {"import_s": imported - start, "started_wall": started_wall, "invocations_s": [], "results": []}
if mode == "invoke":
    class Context:
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:" + function_name
        aws_request_id = "bench-first-invocation"
        log_group_name = "/aws/lambda/incident-suite-bench"
        log_stream_name = "bench"
        def get_remaining_time_in_millis(self):
            return 60_000
    handler = getattr(module, handler_name)
    frozen = os.environ.get("BENCH_FROZEN_AT")
    # The first event is the cold invocation; any other is served warm, in this same process.
    for event in events:
        began_at = time.perf_counter()
        if frozen:  # the suite's clock (incident_core.clock) at a chosen instant, moving on from there
            from incident_core.clock import frozen_at
            anchor, began = datetime.fromisoformat(frozen), time.monotonic()
            with frozen_at(lambda: anchor + timedelta(seconds=time.monotonic() - began)):
                result = handler(event, Context())
        else:
            result = handler(event, Context())
        figures["invocations_s"].append(time.perf_counter() - began_at)
        figures["results"].append(result)
print("\n" + "BENCH-RESULT " + json.dumps(figures, default=str), flush=True)
"""


@dataclass
class ChildRun:
    import_s: float
    invocations_s: list[float]  # the first (cold) invocation, then any warm ones in the same process
    results: list[Any]
    emf: list[dict[str, Any]]  # the EMF records the process printed (its CloudWatch metrics)
    started_wall: float  # time.time() when the import began

    @property
    def first_invocation_s(self) -> float | None:
        return self.invocations_s[0] if self.invocations_s else None

    @property
    def result(self) -> Any:
        return self.results[0] if self.results else None

    @property
    def total_s(self) -> float:
        return self.import_s + (self.first_invocation_s or 0.0)


def run_child(
    mode: str,
    handler_path: Path,
    handler_name: str,
    event: Any,
    env: dict[str, str],
    folder: Path,
    warm_events: list[Any] | None = None,
) -> ChildRun:
    """A fresh process imports the handler and, in "invoke" mode, serves `event` cold, then each of
    `warm_events` warm."""
    if PATH_VARIABLE not in env:
        raise ValueError(f"{PATH_VARIABLE} is not set: the child would find no packages (lambda_site)")
    event_path = folder / f"event-{uuid.uuid4().hex}.json"
    event_path.write_text(json.dumps([event, *(warm_events or [])]))
    completed = subprocess.run(
        [sys.executable, *CHILD_FLAGS, "-c", _CHILD, mode, str(handler_path), handler_name, str(event_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = completed.stdout.splitlines()
    marked = [line for line in lines if line.startswith(RESULT_MARK)]
    if completed.returncode != 0 or not marked:
        raise RuntimeError(f"{handler_path} ({mode}) failed:\n{completed.stderr[-3000:]}")
    figures = json.loads(marked[-1][len(RESULT_MARK) :])
    emf = [json.loads(line) for line in lines if line.startswith("{") and '"_aws"' in line]
    return ChildRun(
        figures["import_s"], figures["invocations_s"], figures["results"], emf, figures["started_wall"]
    )


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _envelope(name: str, detail: dict[str, Any]) -> dict[str, Any]:
    event = _event(name)
    event.update(id=str(uuid.uuid4()), time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), detail=detail)
    return event


@dataclass
class Scenario:
    """One function's first invocation: the event of run n (after making the state it needs), and the
    check that the invocation did its work."""

    name: str
    handler_path: Path
    handler_name: str
    memory_mb: int
    goal_ratio: float | None
    event_file: str
    prepare: Callable[[int, dict[str, Any]], Any]
    did_its_work: Callable[[Any], bool]
    remember: Callable[[Any, dict[str, Any]], None] = lambda result, memo: None
    extra_env: dict[str, str | None] = field(default_factory=dict)  # None: the variable is not set


def _template_functions() -> dict[str, tuple[Path, str, int]]:
    """{code directory name: (handler file, handler function, memory MB)} for the template's zip functions."""
    from stand_ins.aws import load_template

    template = load_template()
    default_memory = template["Globals"]["Function"].get("MemorySize", 128)
    functions = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function" or "CodeUri" not in resource["Properties"]:
            continue
        properties = resource["Properties"]
        file_name, handler_name = properties["Handler"].rsplit(".", 1)
        code_dir = ROOT / properties["CodeUri"]
        memory = properties.get("MemorySize", default_memory)
        functions[code_dir.name] = (code_dir / f"{file_name}.py", handler_name, memory)
    return functions


def scenarios(world: LocalWorld) -> list[Scenario]:
    """The baseline and a scenario for every zip function in template.yaml (a function without one fails
    the benchmark, so a new function cannot go unmeasured)."""
    functions = _template_functions()
    made = {
        "journey_runner": _journey_runner,
        "alert_router": _alert_router,
        "slack_app": _slack_app,
        "incident_thread": _incident_thread,
        "postmortem_compiler": _postmortem_compiler,
        "action_reminder": _action_reminder,
        "dashboard_renderer": _dashboard_renderer,
        "page_ack": _page_ack,
        "revert": _revert,
        "tracker_sync": _tracker_sync,
        "tracker_webhook": _tracker_webhook,
    }
    missing = sorted(set(functions) - set(made))
    if missing:
        raise RuntimeError(
            f"no cold-start scenario for template function(s) {missing}: add one to {__name__}"
        )
    baseline = Scenario(
        name="baseline",
        handler_path=Path(BASELINE_HANDLER),
        handler_name="lambda_handler",
        memory_mb=256,
        goal_ratio=None,
        event_file="(none: one DynamoDB GetItem)",
        prepare=lambda n, memo: {},
        did_its_work=lambda result: isinstance(result, dict) and "found" in result,
    )
    built = [baseline]
    for name, make in made.items():
        path, handler_name, memory = functions[name]
        built.append(make(world, name, path, handler_name, memory))
    built.append(_slack_app_button(world, SLACK_BUTTON, *functions["slack_app"]))
    return built


# ---------------------------------------------------------------------- each function's first invocation
def _journey_runner(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        tick = _event("journey_runner_scheduler_tick.json")
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        tick.update(id=str(uuid.uuid4()), time=minute.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return tick

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "journey_runner_scheduler_tick.json (10 journeys)",
        prepare,
        did_its_work=lambda result: result.get("ran") == 10 and result.get("passed") == 10,
    )


def _alert_router(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    import tempfile

    import yaml

    # Every run's alert pages in full: with grouping on, a process's warm alert would join its first one.
    policy = yaml.safe_load((ROOT / "config" / "policy.yaml").read_text())
    policy["grouping"] = {**policy.get("grouping", {}), "enabled": False}
    policy_file = Path(tempfile.mkdtemp(prefix="bench-policy-")) / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy))

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        event = _event("alert_router_journey_failed.json")
        event["id"] = str(uuid.uuid4())
        event["detail"].update(
            journey=f"cold-start-{n}-{uuid.uuid4().hex[:6]}",  # a new alert each time: a full page
            run_id=f"run-{uuid.uuid4().hex[:16]}",
            failed_at=BUSINESS_HOURS.isoformat(),
        )
        return event

    def paged(result: Any) -> bool:
        routed = (result or {}).get("results") or [{}]
        return routed[0].get("action") == "opened" and routed[0].get("pages_sent", 0) >= 1

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "alert_router_journey_failed.json (pages, business hours)",
        prepare,
        paged,
        extra_env={"BENCH_FROZEN_AT": BUSINESS_HOURS.isoformat(), "POLICY_FILE": str(policy_file)},
    )


def _slack_app(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    from urllib.parse import parse_qsl, urlencode

    from stand_ins.slack_requests import resign

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        event = _event("slack_app_slash_command.json")
        fields = dict(parse_qsl(event["body"], keep_blank_values=True))
        fields.update(
            channel_id=CHANNEL,
            trigger_id=f"{n}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:16]}",
            response_url=f"{world.slack.url}response_url",  # never hooks.slack.com
        )
        event["body"] = urlencode(fields)
        event["headers"]["content-length"] = str(len(event["body"]))
        return resign(event, SIGNING_SECRET)

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "slack_app_slash_command.json (/incident status, signed; acked, lazy work handed to Lambda)",
        prepare,
        did_its_work=lambda result: (result or {}).get("statusCode") == 200,
        extra_env={"AWS_LAMBDA_FUNCTION_NAME": SLACK_APP_FUNCTION},
    )


def _slack_app_button(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    """The Slack app's other acknowledgement: a page's Acknowledge button (Slack's documented
    block_actions payload), acked at once with the lazy work handed to Lambda."""
    from stand_ins.slack_requests import button_body, slack_event, slack_headers

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        page = {"ts": f"1700000000.{n:06d}", "text": "page", "blocks": []}
        body = button_body(
            "alert_acknowledge",
            f"alr-cold-{n}-{uuid.uuid4().hex[:6]}",
            "U0ALASTAIR",
            page,
            CHANNEL,
            f"{world.slack.url}response_url",
            trigger_id=f"{n}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:16]}",
        )
        return slack_event(body, slack_headers(body, SIGNING_SECRET))

    return replace(
        _slack_app(world, name, path, handler, memory),
        event_file="slack_block_actions_button.json (Acknowledge, signed; acked, lazy work handed off)",
        prepare=prepare,
    )


def _incident_thread(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    from incident_core.events import IncidentDeclared

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        incident = world.open_incident(journey=f"cold-thread-{n}-{uuid.uuid4().hex[:6]}")
        declared = IncidentDeclared(
            incident_id=incident.incident_id,
            title=incident.title,
            declared_at=incident.declared_at,
            declared_by=incident.declared_by,
            alert_id=incident.alert_id,
        )
        return _envelope("incident_thread_incident_declared.json", declared.model_dump(mode="json"))

    def remember(result: Any, memo: dict[str, Any]) -> None:
        memo.setdefault("incidents_with_thread", []).append(result["started"])

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "incident_thread_incident_declared.json (thread, Zoom, checklist)",
        prepare,
        did_its_work=lambda result: bool(((result or {}).get("started") or {}).get("thread_ts")),
        remember=remember,
    )


def _postmortem_compiler(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    from incident_core.events import IncidentResolved
    from incident_core.incidents.store import IncidentStore

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        # An incident whose thread the incident-thread function started in this round, talked about and
        # resolved as people would.
        started = memo["incidents_with_thread"].pop(0)
        for number, person in enumerate(("U0ALASTAIR", "U0WISEN", "U0ALASTAIR", "U0WISEN") * 5):
            world.slack.add_user_message(
                CHANNEL, f"Update {number}: checked the logs", person, thread_ts=started["thread_ts"]
            )
        incident = IncidentStore.from_settings().get(started["incident_id"])
        resolved = world.incident_service().resolve(incident, "U0ALASTAIR", "button restored")
        detail = IncidentResolved(
            incident_id=resolved.incident_id, resolved_at=resolved.resolved_at, resolved_by="U0ALASTAIR"
        )
        return _envelope("postmortem_compiler_incident_resolved.json", detail.model_dump(mode="json"))

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "postmortem_compiler_incident_resolved.json (20-reply thread, S3, Slack)",
        prepare,
        did_its_work=lambda result: (result or {}).get("version") == 1 and bool(result.get("published")),
    )


def _action_reminder(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    from incident_core.actions.store import ActionStore
    from incident_core.policy.calendar import add_business_days

    store = ActionStore.from_settings()
    for number in range(3):
        store.open(
            f"Bench action item {number}",
            owner="U0ALASTAIR",
            incident_id=None,
            alert_id=None,
            source="manual",
            by="U0ALASTAIR",
            now=datetime(2026, 12, 1, 10, tzinfo=UTC),
        )
    first_day = date(2027, 1, 5)

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        # A different business day each run: a day already reminded would send nothing.
        day = add_business_days(first_day, n)
        event = _event("action_reminder_schedule.json")
        event["scheduled_time"] = f"{day.isoformat()}T09:30:00Z"
        return event

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "action_reminder_schedule.json (3 open items)",
        prepare,
        did_its_work=lambda result: (result or {}).get("reminded") is True,
    )


def _page_ack(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    """A phone opening a text's acknowledgement link (GET: the alert and its button, nothing changed)."""
    from incident_core.adapters.aws import client
    from incident_core.alerts.store import AlertStore
    from incident_core.ids import new_id
    from incident_core.models import Alert, AlertEvent, AlertSource
    from incident_core.paging.ack_links import make_link
    from incident_core.paging.pages import Page, PageKind
    from stand_ins.function_url import function_url_event

    key, secret_name = "bench-ack-link-key", "incident-suite-bench/ack-links"
    client("secretsmanager").create_secret(Name=secret_name, SecretString=json.dumps({"key": key}))
    now = datetime(2026, 12, 1, 2, tzinfo=UTC)

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        alert_id = new_id("al", now)
        alert = Alert(
            alert_id=alert_id,
            fingerprint=f"journey-bench-{alert_id}",
            title="Journey 'book-viewing' is failing",
            source=AlertSource.JOURNEY,
            started_at=now,
            first_seen=now,
            last_seen=now,
        )
        page_id = f"{alert_id}-p0"
        page = Page(
            page_id=page_id, alert_id=alert_id, seq=0, kind=PageKind.PAGE, due_at=now, people=["alastair"]
        )
        AlertStore.from_settings().open(alert, AlertEvent(at=now, what="raised"), [page], f"bench-{alert_id}")
        expires = now.replace(year=now.year + 1)
        token = make_link(alert_id, page.page_id, "alastair", expires).token(key.encode())
        return function_url_event("GET", f"/{token}")

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "Function URL GET of an acknowledgement link (the alert and its button; nothing changed)",
        prepare,
        did_its_work=lambda result: (
            (result or {}).get("statusCode") == 200 and "Acknowledge as" in (result or {}).get("body", "")
        ),
        extra_env={"ACK_LINK_SECRET_ID": secret_name},
    )


def _revert(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    """A deploy marker from the team's CI (`DeployFinished`), stored once for the checklist."""

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        detail = {
            "service": "bookshop-frontend",
            "version": f"v{n + 2}",
            "previous_version": f"v{n + 1}",
            "commit": f"{n:07x}",
            "author": "ci-bench",
            "finished_at": datetime.now(UTC).isoformat(),
        }
        return _envelope("revert_deploy_finished.json", detail)

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "revert_deploy_finished.json (a deploy marker stored once)",
        prepare,
        did_its_work=lambda result: (result or {}).get("recorded") is True,
    )


def _tracker_secrets() -> dict[str, str]:
    """The tracker's token and webhook secret in moto's Secrets Manager (placeholders)."""
    from incident_core.adapters.aws import client

    names = {
        "TRACKER_SECRET_ID": "incident-suite-bench/tracker",
        "TRACKER_WEBHOOK_SECRET_ID": "incident-suite-bench/tracker-webhook",
    }
    values = {
        "TRACKER_SECRET_ID": {"token": "github_pat_bench_placeholder"},
        "TRACKER_WEBHOOK_SECRET_ID": {"webhook_secret": "bench-webhook-secret-placeholder"},
    }
    for variable, secret in names.items():
        try:
            client("secretsmanager").create_secret(Name=secret, SecretString=json.dumps(values[variable]))
        except client("secretsmanager").exceptions.ResourceExistsException:
            pass
    return names


def _tracker_sync(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    """The 15-minute run: every open item already has its issue, so GitHub is not called."""
    secrets = _tracker_secrets()
    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "tracker_sync_pending.json (nothing pending)",
        lambda n, memo: _event("tracker_sync_pending.json"),
        did_its_work=lambda result: (result or {}).get("synced") is True,
        extra_env=dict(secrets),
    )


def _tracker_webhook(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    """GitHub's signed delivery of an issue closed that the suite did not make (checked, remembered,
    ignored)."""
    import hashlib
    import hmac

    from stand_ins.function_url import function_url_event

    secrets = _tracker_secrets()

    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        issue = {
            "number": 1000 + n,
            "html_url": f"https://github.com/example-org/product/issues/{1000 + n}",
            "state": "closed",
            "title": "Not an action item",
            "body": "Made by a person, not by the suite.",
            "assignees": [],
            "labels": [],
            "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        payload = {
            "action": "closed",
            "issue": issue,
            "repository": {"full_name": "example-org/product"},
            "sender": {"login": "someone"},
        }
        body = json.dumps(payload).encode()
        signature = hmac.new(b"bench-webhook-secret-placeholder", body, hashlib.sha256).hexdigest()
        headers = {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": f"sha256={signature}",
        }
        return function_url_event("POST", "/", body, headers)

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "a signed GitHub issues delivery (an issue the suite did not make: ignored)",
        prepare,
        did_its_work=lambda result: (
            (result or {}).get("statusCode") == 200
            and "not made by the suite" in (result or {}).get("body", "")
        ),
        extra_env=dict(secrets),
    )


def _dashboard_renderer(world: LocalWorld, name: str, path: Path, handler: str, memory: int) -> Scenario:
    def prepare(n: int, memo: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(_event("dashboard_renderer_create.json"))
        event.update(RequestId=str(uuid.uuid4()), ResponseURL=world.responses.url)
        return event

    return Scenario(
        name,
        path,
        handler,
        memory,
        GOAL_RATIO,
        "dashboard_renderer_create.json (PutDashboard, response)",
        prepare,
        did_its_work=lambda result: (result or {}).get("Status") == "SUCCESS",
    )


# ---------------------------------------------------------------------- the measurement
def _environment(world: LocalWorld, scenario: Scenario, python_path: list[str]) -> dict[str, str]:
    """The child's environment: Lambda's variables for the function, and its sys.path (an older version's
    layer package, if any, before the layer and runtime of `python_path`)."""
    import os

    env = {
        **os.environ,
        **world.env,
        "AWS_LAMBDA_FUNCTION_NAME": f"incident-suite-bench-{scenario.name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(scenario.memory_mb),
        **scenario.extra_env,
    }
    older = env.pop(OLDER_LAYER, None)
    env[PATH_VARIABLE] = os.pathsep.join([*([older] if older else []), *python_path])
    return {name: value for name, value in env.items() if value is not None}


def _measure_once(
    scenario: Scenario, round_number: int, memo: dict[str, Any], env: dict[str, str], folder: Path
) -> ChildRun:
    """One fresh process: import, the first (cold) invocation, then a warm one of the same kind of event
    (made afresh, so that it does the same work rather than meet its own idempotency record)."""
    cold = scenario.prepare(2 * round_number, memo)
    warm = scenario.prepare(2 * round_number + 1, memo)
    run = run_child("invoke", scenario.handler_path, scenario.handler_name, cold, env, folder, [warm])
    for result in run.results:
        if not scenario.did_its_work(result):
            raise RuntimeError(f"an invocation did not do its work: {str(result)[:1500]}")
        scenario.remember(result, memo)
    return run


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def _figures(taken: dict[str, list[float]]) -> dict[str, Any]:
    return {
        "import_median_s": _median(taken["import"]),
        "first_median_s": _median(taken["first"]),
        "warm_median_s": _median(taken["warm"]),
        "cold_overhead_median_s": _median(taken["overhead"]),
    }


def globals_environment(template_file: Path) -> dict[str, Any]:
    """The environment variables a template's Globals give every function."""
    from stand_ins.aws import load_template

    return load_template(template_file)["Globals"]["Function"]["Environment"]["Variables"]


def before_variants(scenarios: list[Scenario], old_root: Path) -> list[Scenario]:
    """Each scenario again, for the functions and layer of an older tree (`git archive` of a commit):
    its handler file, its layer package first on the path, and without the variables today's template
    gives every function that the older template did not (so a setting's effect is measured too)."""
    unset: dict[str, str | None] = {}
    if (old_root / "template.yaml").exists():
        older = globals_environment(old_root / "template.yaml")
        unset = {name: None for name in globals_environment(ROOT / "template.yaml") if name not in older}
    return [
        replace(
            scenario,
            name=scenario.name + BEFORE,
            handler_path=old_root / scenario.handler_path.relative_to(ROOT),
            # Events of their own (a day already reminded, say, would send nothing).
            prepare=lambda n, memo, prepare=scenario.prepare: prepare(n + BEFORE_NUMBERS, memo),
            extra_env={
                **scenario.extra_env,
                **unset,
                OLDER_LAYER: str(old_root / "layers" / "incident_core"),
            },
        )
        for scenario in scenarios
    ]


def measure(
    world: LocalWorld, runs: int = 10, against: Path | None = None, bytecode: bool = True
) -> dict[str, Any]:
    """For each function and the baseline, over `runs` fresh processes after one discarded warm-up round:
    (a) the import, (b) import + first invocation, (c) a warm invocation in the same process, and the cold
    overhead (b) - (c), each a median (the overhead's is the median of each process's own difference).

    The baseline runs right before each function, and the ratios are the medians of each function's
    figure over the baseline's just before it: other work on a shared machine comes and goes in
    seconds, and a ratio of two medians taken minutes apart follows it. A function that fails is
    reported as failed (with why) and the others go on; the baseline failing stops the benchmark.

    With `against` (an older tree), each function's older version runs right after it, against the same
    baseline process, and is reported as `<name>@before`. `bytecode=False` runs on the layer as SAM's
    python3.13 build made it, without bytecode (the figures from before the layer's Makefile)."""
    python_path = lambda_path(bytecode)
    all_scenarios = scenarios(world)
    baseline_scenario, measured = all_scenarios[0], all_scenarios[1:]
    if against is not None:
        older = before_variants(measured, against)
        measured = [variant for pair in zip(measured, older, strict=True) for variant in pair]
        all_scenarios = [baseline_scenario, *measured]
    keys = ("import", "first", "warm", "overhead", "overhead_ratio", "first_ratio")
    samples: dict[str, dict[str, list[float]]] = {s.name: {k: [] for k in keys} for s in all_scenarios}
    emf: dict[str, list[dict[str, Any]]] = {s.name: [] for s in all_scenarios}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:

        def once(scenario: Scenario, round_number: int, memo: dict[str, Any]) -> ChildRun:
            env = _environment(world, scenario, python_path)
            run = _measure_once(scenario, round_number, memo, env, Path(folder))
            emf[scenario.name].extend(run.emf)
            if round_number > 0:  # round 0 is the warm-up
                taken = samples[scenario.name]
                taken["import"].append(run.import_s)
                taken["first"].append(run.total_s)
                taken["warm"].append(run.invocations_s[1])
                taken["overhead"].append(run.total_s - run.invocations_s[1])
            return run

        for round_number in range(runs + 1):
            memo: dict[str, Any] = {}
            base: ChildRun | None = None
            for scenario in (s for s in measured if s.name not in failed):
                if base is None or not scenario.name.endswith(BEFORE):  # an older version shares its pair's
                    base = once(baseline_scenario, round_number, memo)
                try:
                    run = once(scenario, round_number, memo)
                except Exception as error:
                    failed[scenario.name] = f"{type(error).__name__}: {error}"
                    continue
                if round_number > 0:
                    warm, base_warm = run.invocations_s[1], base.invocations_s[1]
                    samples[scenario.name]["overhead_ratio"].append(
                        (run.total_s - warm) / (base.total_s - base_warm)
                    )
                    samples[scenario.name]["first_ratio"].append(run.total_s / base.total_s)
    baseline = _figures(samples["baseline"])
    functions: dict[str, Any] = {}
    for scenario in measured:
        if scenario.name in failed:
            functions[scenario.name] = {
                "event": scenario.event_file,
                "goal_ratio": scenario.goal_ratio,
                "meets_goal": False,
                "failed": failed[scenario.name][-3000:],
            }
            continue
        taken = samples[scenario.name]
        ratio = statistics.median(taken["overhead_ratio"])
        functions[scenario.name] = {
            "event": scenario.event_file,
            "memory_mb": scenario.memory_mb,
            **_figures(taken),
            "cold_overhead_ratio": round(ratio, 3),
            "first_ratio": round(statistics.median(taken["first_ratio"]), 3),
            "goal_ratio": scenario.goal_ratio,
            "meets_goal": ratio <= (scenario.goal_ratio or 0),
            "first_samples_s": [round(s, 4) for s in taken["first"]],
            "cold_overhead_ratio_samples": [round(r, 3) for r in taken["overhead_ratio"]],
        }
    for suffix in ("", BEFORE) if against is not None else ("",):
        _fold_slack_acknowledgements(functions, suffix)
    return {
        "runs": runs,
        "how": __doc__.strip(),
        "python_path": {"sys_path": python_path, "layer_bytecode": bytecode},
        "baseline": {"handler": str(Path(BASELINE_HANDLER).relative_to(ROOT)), **baseline},
        "functions": functions,
        "goal_judged_on": (
            f"cold overhead (b) - (c) <= {GOAL_RATIO}x the baseline's; the Slack app's cold acknowledgement"
            f" (b) <= {SLACK_ACK_GOAL_RATIO}x the baseline's (b); each the median of the ratios to the"
            " baseline measured just before"
        ),
        "emf_records": emf,
    }


def _fold_slack_acknowledgements(functions: dict[str, Any], suffix: str) -> None:
    """The Slack app's two acknowledgements (slash command, button click) under slack_app, judged on the
    slower: `cold_ack_ratio` is its (b) over the baseline's (b)."""
    slash, button = functions["slack_app" + suffix], functions.pop(SLACK_BUTTON + suffix)
    if "failed" in slash or "failed" in button:
        slash.update(failed=slash.get("failed") or f"button click: {button['failed']}", meets_goal=False)
        return
    acks = {"slash_command": slash["first_median_s"], "button_click": button["first_median_s"]}
    ack_ratio = max(slash["first_ratio"], button["first_ratio"])
    slash.update(
        cold_ack_median_s=acks,
        cold_ack_ratio=ack_ratio,
        ack_goal_ratio=SLACK_ACK_GOAL_RATIO,
        button_click=button,
        meets_goal=slash["meets_goal"] and button["meets_goal"] and ack_ratio <= SLACK_ACK_GOAL_RATIO,
    )
