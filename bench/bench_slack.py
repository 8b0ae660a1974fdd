"""Benchmark for the Slack incident area.

- The acknowledgement path of a slash command (`/incident update …`) and of a button click (Acknowledge
  on a page), in-process through the Lambda handler: signature check, Bolt dispatch, the listener's ack,
  the lazy work handed off (goal: p95 at most 100 ms). The hand-off is Bolt's self-invocation payload
  queued in this process; on Lambda it is one lambda:InvokeFunction call (InvocationType Event), whose
  network time is not in these figures. The lazy work itself (DynamoDB in moto, the fake Slack) is timed
  beside it, without a goal.
- Cold start of the Slack app and of the incident-thread function beside the baseline handler, measured
  in the same run (goals: Slack app at most 1.4 times the baseline; incident thread 1.15). The Slack app
  builds its Bolt app on the first request (it needs the secret then): the modules that step imports are
  measured too, as "first request set-up", so nothing is hidden.
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
# What the Slack app's first request imports (building the Bolt app, its listeners and stores).
FIRST_REQUEST_MODULES = (
    "incident_core.settings",
    "incident_core.adapters.secrets",
    "incident_core.adapters.slack",
    "incident_core.incidents.slack_app",
    "incident_core.incidents.commands",
    "incident_core.incidents.service",
    "incident_core.incidents.store",
    "incident_core.actions.store",
    "incident_core.alerts.store",
    "incident_core.policy.store",
)


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
    slack = FakeSlack().start()
    env = {
        **moto.env,
        "TABLE_NAME": "incident-suite-bench",
        "IDEMPOTENCY_TABLE_NAME": "incident-suite-bench-idempotency",
        "BUS_NAME": "incident-suite-bench",
        "SLACK_API_URL": slack.url,
        "INCIDENTS_CHANNEL": "C0INCIDENTS",
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
        SecretString=json.dumps({"bot_token": "xoxb-placeholder", "signing_secret": SIGNING_SECRET}),
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
        module.request_handler().app.listener_runner.lazy_listener_runner = runner
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


def cold_starts(runs: int = 15) -> dict[str, Any]:
    slack_app = compare_with_baseline(SLACK_APP, runs=runs)
    slack_app["goal_ratio"] = SLACK_COLD_START_GOAL
    slack_app["meets_goal"] = slack_app["ratio"] <= SLACK_COLD_START_GOAL
    with tempfile.TemporaryDirectory() as folder:
        wrapper = Path(folder) / "slack_app_first_request.py"
        wrapper.write_text(
            "import importlib.util, sys\n"
            f"sys.path.insert(0, {str(Path(SLACK_APP).parent)!r})\n"
            f"spec = importlib.util.spec_from_file_location('slack_app_handler', {SLACK_APP!r})\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(module)\n"
            + "".join(f"import {name}\n" for name in FIRST_REQUEST_MODULES)
        )
        with_first_request = compare_with_baseline(str(wrapper), runs=runs)
    thread = compare_with_baseline(INCIDENT_THREAD, runs=runs)
    thread["goal_ratio"] = THREAD_COLD_START_GOAL
    thread["meets_goal"] = thread["ratio"] <= THREAD_COLD_START_GOAL
    return {
        "slack_app": slack_app,
        "slack_app_with_first_request_setup": with_first_request,
        "incident_thread": thread,
    }


def run() -> dict[str, Any]:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    return {"acknowledgement": acknowledgement_latency(), "cold_start": cold_starts()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
