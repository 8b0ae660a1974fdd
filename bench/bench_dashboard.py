"""Benchmark for the watch area: the dashboard renderer's cold start beside the baseline handler, and
how long rendering and checking a large product's dashboard takes (CloudFormation waits for it)."""

from __future__ import annotations

import json
import statistics
import time

from bench.coldstart import ROOT, compare_with_baseline
from incident_core.dashboard import dashboard_problems, parse_params, render_dashboard

RENDERER = str(ROOT / "functions" / "dashboard_renderer" / "app.py")
ALARM_ARN_PREFIX = "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:"
# A large small-team product: an API, 30 functions, 10 tables, and the suite's watcher alarms.
LARGE_PRODUCT = {
    "Region": "eu-west-2",
    "Environment": "prod",
    "ProductHttpApiId": "a1b2c3d4e5",
    "ProductFunctionNames": [f"bookshop-fn-{n:02d}" for n in range(30)],
    "ProductTableNames": [f"bookshop-table-{n:02d}" for n in range(10)],
    "WatcherAlarmArns": [f"{ALARM_ARN_PREFIX}incident-suite-prod-{n}" for n in range(15)],
}


def _render_and_check_ms(repeats: int = 50) -> tuple[float, int, int]:
    timings = []
    body: dict = {}
    for _ in range(repeats):
        start = time.perf_counter()
        body = render_dashboard(parse_params(LARGE_PRODUCT))
        problems = dashboard_problems(body)
        timings.append((time.perf_counter() - start) * 1000)
        assert not problems, problems
    return statistics.median(timings), len(body["widgets"]), len(json.dumps(body))


def run() -> dict:
    cold = compare_with_baseline(RENDERER, runs=10)
    render_ms, widgets, body_bytes = _render_and_check_ms()
    return {
        "dashboard_renderer_cold_start": cold,
        "large_product_render_and_check_median_ms": round(render_ms, 2),
        "large_product_widgets": widgets,
        "large_product_body_bytes": body_bytes,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
