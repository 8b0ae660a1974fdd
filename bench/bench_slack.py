"""Benchmark for the Slack incident area.

- The acknowledgement path of a slash command (`/incident update …`) and of a button click (Acknowledge
  on a page), in-process through the Lambda handler: signature check, Bolt dispatch, the listener's ack,
  the lazy work handed off (goal: p95 at most 100 ms). The hand-off is Bolt's self-invocation payload
  queued in this process; on Lambda it is one lambda:InvokeFunction call (InvocationType Event), whose
  network time is not in these figures. The lazy work itself (DynamoDB in moto, the fake Slack) is timed
  beside it, without a goal.
- Cold start of the Slack app and of the incident-thread function beside the baseline handler, measured
  in the same run (goals: Slack app at most 1.4 times the baseline; incident thread 1.15). The Slack app
  builds its Bolt app on the first request (it needs the secret then), so its import alone flatters it:
  a fresh process also imports it AND serves its first request, against moto and the fake Slack, for
  each kind of first request a container can get, so nothing is hidden:
  - a button click: the acknowledgement, with the lazy work handed to Lambda as Bolt does it (its
    boto3 Lambda client made, lambda:InvokeFunction called on moto, which accepts it without running);
  - that lazy invocation itself (the acknowledge work: DynamoDB, then chat.update on the fake Slack),
    as when it lands in a new container;
  - a thread reply from the Events API (recorded before answering: no lazy invocation).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.coldstart import ROOT, compare_with_baseline

SLACK_APP = str(ROOT / "functions" / "slack_app" / "app.py")
INCIDENT_THREAD = str(ROOT / "functions" / "incident_thread" / "app.py")
ACK_GOAL_MS = 100.0
SLACK_COLD_START_GOAL = 1.4
THREAD_COLD_START_GOAL = 1.15
REQUESTS = 200
SIGNING_SECRET = "bench-signing-secret"
SLACK_APP_FUNCTION = "incident-suite-bench-slack-app"
# A fresh process: import the handler, serve one request, print the seconds both took. The event is read
# before the clock starts; the context is what Lambda hands the handler.
_FIRST_REQUEST = """
import importlib.util, json, os, sys, time
path, event_path = sys.argv[1:3]
event = json.load(open(event_path))
sys.path.insert(0, os.path.dirname(path))
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:" + function_name
    memory_limit_in_mb = 256
    aws_request_id = "bench-first-request"
    def get_remaining_time_in_millis(self):
        return 30_000
response = module.lambda_handler(event, Context())
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "status": response.get("statusCode"), "body": response.get("body")}))
"""


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def _local_world() -> tuple[Any, Any, dict[str, str]]:
    """moto (tables, bus, Slack secret) and the fake Slack, with the environment pointing at them."""
    from incident_core.adapters.aws import client, reset_clients
    from incident_core.settings import get_settings
    from stand_ins.aws import MotoServer, create_tables
    from stand_ins.fake_slack import FakeSlack

    moto = MotoServer().start()
    moto.reset()  # moto's backends live in the process: forget what an earlier server here left
    slack = FakeSlack().start()
    env = {
        **moto.env,
        "TABLE_NAME": "incident-suite-bench",
        "IDEMPOTENCY_TABLE_NAME": "incident-suite-bench-idempotency",
        "BUS_NAME": "incident-suite-bench",
        "SLACK_API_URL": slack.url,
        "INCIDENTS_CHANNEL": "C0INCIDENTS",
        "POLICY_FILE": str(ROOT / "config" / "policy.yaml"),
        "POWERTOOLS_SERVICE_NAME": "incident-suite-bench",
        "POWERTOOLS_METRICS_NAMESPACE": "IncidentSuiteBench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    reset_clients()
    get_settings.cache_clear()
    tables = {"Table": env["TABLE_NAME"], "IdempotencyTable": env["IDEMPOTENCY_TABLE_NAME"]}
    create_tables(client("dynamodb"), tables)
    client("events").create_event_bus(Name=env["BUS_NAME"])
    client("secretsmanager").create_secret(
        Name=get_settings().slack_secret_id,
        SecretString=json.dumps(
            {"bot_token": "xoxb-placeholder", "signing_secret": SIGNING_SECRET, "team_id": "T0FAKE0001"}
        ),
    )
    return moto, slack, saved


def _restore(saved: dict[str, str | None]) -> None:
    from incident_core.adapters.aws import reset_clients
    from incident_core.settings import get_settings

    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_clients()
    get_settings.cache_clear()


def acknowledgement_latency(requests: int = REQUESTS) -> dict[str, Any]:
    from stand_ins.local_lambda import LambdaContext
    from stand_ins.slack_requests import (
        InProcessSelfInvoker,
        button_body,
        load_function,
        page_alert,
        slack_event,
        slack_headers,
    )
    from stand_ins.slack_requests import slash_command_body as command_body

    moto, slack, saved = _local_world()
    try:
        module = load_function("slack_app")
        context = LambdaContext(function_name="incident-suite-bench-slack-app")
        runner = InProcessSelfInvoker(module.lambda_handler, context, defer=True)
        module.self_invoker().lambda_client = runner
        response_url = f"{slack.url}response_url"
        # An open incident for the notes to land on, and another alert whose page gets the clicks.
        declared, declared_page = page_alert(slack, journey="book-viewing")
        body = button_body(
            "alert_real_incident", declared.alert_id, "U0ALASTAIR", declared_page, "C0INCIDENTS", response_url
        )
        module.lambda_handler(slack_event(body, slack_headers(body, SIGNING_SECRET)), context)
        runner.drain()
        alert, page = page_alert(slack, journey="search-listings")

        def command(n: int) -> dict[str, Any]:
            body = command_body(f"note bench {n}", "U0ALASTAIR", "C0INCIDENTS", f"{n}.1.bench", response_url)
            return slack_event(body, slack_headers(body, SIGNING_SECRET))

        def click(n: int) -> dict[str, Any]:
            body = button_body(
                "alert_acknowledge", alert.alert_id, "U0ALASTAIR", page, "C0INCIDENTS", response_url
            )
            return slack_event(body, slack_headers(body, SIGNING_SECRET))

        results: dict[str, Any] = {}
        for name, make in (("slash_command", command), ("button_click", click)):
            module.lambda_handler(make(-1), context)  # the container's first request builds the app
            runner.drain()
            samples, lazy = [], []
            for n in range(requests):
                event = make(n)
                began = time.perf_counter()
                response = module.lambda_handler(event, context)
                samples.append((time.perf_counter() - began) * 1000)
                if response["statusCode"] != 200:
                    raise RuntimeError(f"{name} answered {response['statusCode']}: {response['body']}")
                if n % 20 == 0:  # time some of the lazy work too (what the second invocation does)
                    began = time.perf_counter()
                    runner.drain()
                    lazy.append((time.perf_counter() - began) * 1000)
                else:
                    runner.queued.clear()
            answers = [str(call.args.get("text")) for call in slack.calls("response_url")]
            failed = [text for text in answers if "did not complete" in text]
            if failed:
                raise RuntimeError(f"{name}: the lazy work failed: {failed[0]}")
            figures = _percentiles(samples)
            figures["goal_p95_ms"] = ACK_GOAL_MS
            figures["meets_goal"] = figures["p95_ms"] <= ACK_GOAL_MS
            figures["lazy_work_median_ms"] = round(statistics.median(lazy), 1)
            results[name] = figures
        return results
    finally:
        _restore(saved)
        slack.stop()
        moto.stop()


def _first_request_events(slack: Any) -> dict[str, Any]:
    """Makers of each kind of first request (a fresh alert, incident message, signature each time)."""
    from stand_ins.slack_requests import (
        button_body,
        page_alert,
        slack_event,
        slack_headers,
        thread_message_body,
    )

    response_url = f"{slack.url}response_url"

    def click() -> dict[str, Any]:
        alert, page = page_alert(slack, journey=f"bench-{time.time_ns()}")
        body = button_body(
            "alert_acknowledge", alert.alert_id, "U0ALASTAIR", page, "C0INCIDENTS", response_url
        )
        return slack_event(body, slack_headers(body, SIGNING_SECRET))

    def lazy_work() -> dict[str, Any]:
        # What Bolt's LambdaLazyListenerRunner sends: the same signed request, marked lazy-only.
        event = click()
        event["headers"].update(
            {"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "acknowledge_alert"}
        )
        event["method"] = "NONE"
        return event

    incident = _open_incident_with_thread(slack)

    def thread_message() -> dict[str, Any]:
        ts = f"{time.time():.6f}"
        body = thread_message_body(
            "C0INCIDENTS", incident.thread_ts, ts, "U0WISEN", "rolling back", f"Ev{time.time_ns()}"
        )
        return slack_event(body, slack_headers(body, SIGNING_SECRET, "application/json"))

    return {"click": click, "lazy_work": lazy_work, "thread_message": thread_message}


def _open_incident_with_thread(slack: Any) -> Any:
    from incident_core.incidents.store import IncidentStore
    from incident_core.settings import get_settings
    from stand_ins.slack_requests import page_alert

    alert, _ = page_alert(slack, journey="bench-thread")
    service = _incident_service()
    incident = service.declare_from_alert(alert.alert_id, "U0ALASTAIR").incident
    thread_ts = slack.add_user_message("C0INCIDENTS", "incident root", "U0BOT")["ts"]
    return IncidentStore.from_settings(get_settings()).link_thread(
        incident.incident_id, "C0INCIDENTS", thread_ts
    )


def _thread_replies_recorded() -> int:
    from incident_core.incidents.store import IncidentStore
    from incident_core.models import TimelineKind
    from incident_core.settings import get_settings

    store = IncidentStore.from_settings(get_settings())
    (incident,) = store.list_open()
    return sum(entry.kind == TimelineKind.MESSAGE for entry in store.timeline(incident.incident_id))


def _incident_service() -> Any:
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.alerts.store import AlertStore
    from incident_core.incidents.service import IncidentService
    from incident_core.incidents.store import IncidentStore
    from incident_core.settings import get_settings

    settings = get_settings()
    return IncidentService(
        incidents=IncidentStore.from_settings(settings),
        alerts=AlertStore.from_settings(settings),
        actions=ActionStore.from_settings(settings),
        bus=EventBridgeBus(settings.bus_name, settings.event_source),
    )


def first_request_cold_starts(
    runs: int = 15, slack_app: str = SLACK_APP, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Median seconds of a fresh process importing the Slack app AND serving its first request, for each
    kind of first request, beside the baseline handler's import measured alternately in the same run.
    `slack_app` / `extra_env` let the same measurement run another copy of the code (before/after)."""
    import subprocess
    import sys

    from bench.coldstart import BASELINE_HANDLER, _environment, _one_cold_start
    from stand_ins.local_lambda import function_in_moto

    moto, slack, saved = _local_world()
    try:
        function_in_moto(SLACK_APP_FUNCTION)  # for the lazy hand-off to reach, as on Lambda
        makers = _first_request_events(slack)
        env = {
            **os.environ,
            **_environment(extra_env),
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
            "AWS_LAMBDA_FUNCTION_NAME": SLACK_APP_FUNCTION,
            **(extra_env or {}),
        }
        baseline_env = _environment(extra_env)

        def first_request(event: dict[str, Any], folder: str) -> float:
            path = Path(folder) / "event.json"
            path.write_text(json.dumps(event))
            completed = subprocess.run(
                [sys.executable, "-c", _FIRST_REQUEST, slack_app, str(path)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if completed.returncode != 0:
                raise RuntimeError(f"the Slack app's first request failed:\n{completed.stderr[-3000:]}")
            result = json.loads(completed.stdout.strip().splitlines()[-1])
            if result["status"] != 200:
                raise RuntimeError(f"the Slack app's first request answered {result}")
            return float(result["seconds"])

        samples: dict[str, list[float]] = {name: [] for name in (*makers, "baseline_import")}
        with tempfile.TemporaryDirectory() as folder:
            for round_number in range(runs + 1):  # the first round warms the caches and is discarded
                figures = {name: first_request(make(), folder) for name, make in makers.items()}
                figures["baseline_import"] = _one_cold_start(BASELINE_HANDLER, baseline_env)
                if round_number:
                    for name, seconds in figures.items():
                        samples[name].append(seconds)
        # Each first request did its work: every lazy run acknowledged its alert on the page, no failure
        # was answered, every thread reply is in the timeline.
        updates = [c for c in slack.calls("chat.update") if "Acknowledged by" in json.dumps(c.args)]
        failures = [c for c in slack.calls("response_url") if "did not complete" in str(c.args.get("text"))]
        if len(updates) != runs + 1 or failures:
            raise RuntimeError(f"the lazy work did not all complete: {len(updates)} updates, {failures[:1]}")
        if _thread_replies_recorded() != runs + 1:
            raise RuntimeError("not every thread reply was recorded in the incident's timeline")
        baseline = statistics.median(samples["baseline_import"])
        results: dict[str, Any] = {"baseline_median_s": round(baseline, 4), "runs": runs}
        for name in makers:
            median = statistics.median(samples[name])
            results[name] = {"median_s": round(median, 4), "ratio": round(median / baseline, 3)}
        results["click"]["goal_ratio"] = SLACK_COLD_START_GOAL
        results["click"]["meets_goal"] = results["click"]["ratio"] <= SLACK_COLD_START_GOAL
        return results
    finally:
        _restore(saved)
        slack.stop()
        moto.stop()


def cold_starts(runs: int = 15) -> dict[str, Any]:
    slack_app = compare_with_baseline(SLACK_APP, runs=runs)
    slack_app["goal_ratio"] = SLACK_COLD_START_GOAL
    slack_app["meets_goal"] = slack_app["ratio"] <= SLACK_COLD_START_GOAL
    thread = compare_with_baseline(INCIDENT_THREAD, runs=runs)
    thread["goal_ratio"] = THREAD_COLD_START_GOAL
    thread["meets_goal"] = thread["ratio"] <= THREAD_COLD_START_GOAL
    return {
        "slack_app": slack_app,
        "slack_app_with_first_request": first_request_cold_starts(runs),
        "incident_thread": thread,
    }


def run() -> dict[str, Any]:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    return {"acknowledgement": acknowledgement_latency(), "cold_start": cold_starts()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
