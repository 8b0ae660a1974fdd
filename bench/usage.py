"""What the suite uses, measured or counted, for the cost model.

- The runner in steady state (10 journeys passing, nothing to announce): its duration, the DynamoDB
  request units of each run (counted from the requests and responses through botocore's event hooks,
  by DynamoDB's item-size rules), the size of a run's items (what the table keeps for the TTL), and its
  log bytes (the handler's stdout: Powertools logs and EMF records).
- The custom metrics the code publishes: every add_metric in functions/ and the layer (read from the
  source), and the EMF records the bench actually saw (runner ticks, the router's pages, every
  function's first invocation), as namespace + name + dimension set, which is what CloudWatch bills.
- From the translated templates (template.yaml and browser/template.yaml): alarms and the metrics each
  watches, secrets, KMS keys, dashboards, the log group's retention.
"""

from __future__ import annotations

import ast
import statistics
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.coldstart import ROOT
from bench.runner_harness import RUNNER_MEMORY_MB, RunnerHarness, item_size
from bench.world import LocalWorld

STEADY_TICKS = 10


def runner_steady_state(world: LocalWorld, shop_latency_ms: int, ticks: int = STEADY_TICKS) -> dict[str, Any]:
    import contextlib
    import io

    from incident_core.clock import frozen_at, utc_now

    world.shop.control({"repair": True, "latency_ms": shop_latency_ms})
    minute = utc_now().replace(second=0, microsecond=0)
    runs = []
    try:
        with frozen_at(lambda: minute), contextlib.redirect_stdout(io.StringIO()):
            runner = RunnerHarness()
            for number in range(ticks + 2):  # two warm-up ticks: the container's first, and states made
                minute += timedelta(minutes=1)
                tick = runner.tick(minute)
                if tick.summary["passed"] != 10 or tick.summary["announced"]:
                    raise RuntimeError(f"not a steady-state run: {tick.summary}")
                if number >= 2:
                    runs.append(tick)
    finally:
        world.shop.control({"latency_ms": 0})
    run_items = _stored_run_bytes(world)
    return {
        "bookshop_added_latency_ms": shop_latency_ms,
        "ticks": len(runs),
        "duration_median_ms": round(statistics.median(t.duration_s for t in runs) * 1000, 1),
        "duration_max_ms": round(max(t.duration_s for t in runs) * 1000, 1),
        "dynamodb_write_units_per_run": statistics.median(t.write_units for t in runs),
        "dynamodb_read_units_per_run": statistics.median(t.read_units for t in runs),
        "items_written_per_run": statistics.median(t.items_written for t in runs),
        "stored_bytes_per_run": run_items,
        "log_bytes_per_run": round(statistics.median(len(t.stdout.encode()) for t in runs)),
        "aws_calls_per_run": sorted(
            {f"{service}:{operation}" for t in runs for service, operation in t.calls}
        ),
        "events_put_per_run": statistics.median(len(t.summary["announced"]) for t in runs),
        "emf_records": [record for t in runs for record in t.emf_records],
        "memory_mb": RUNNER_MEMORY_MB,
    }


def _stored_run_bytes(world: LocalWorld) -> int:
    """The run items the last tick left in the table, one per journey (kept until the TTL removes them)."""
    from incident_core.adapters.aws import client
    from incident_core.journeys.loader import load_journeys_file

    total = 0
    for journey in load_journeys_file(ROOT / "bench" / "ten_journeys.yaml").journeys:
        latest = client("dynamodb").query(
            TableName=world.env["TABLE_NAME"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :run)",
            ExpressionAttributeValues={":pk": {"S": f"JOURNEY#{journey.name}"}, ":run": {"S": "RUN#"}},
            ScanIndexForward=False,
            Limit=1,
        )["Items"]
        total += sum(item_size(item) for item in latest)
    return total


# ---------------------------------------------------------------------- metrics
def metrics_in_source() -> dict[str, list[dict[str, Any]]]:
    """{metric name: [{where, extra_dimensions}, ...]} for every add_metric call in functions/ and the
    layer; extra_dimensions when the same metrics object gets add_dimension in that function (a metric
    per value: the optional per-journey metrics)."""
    found: dict[str, list[dict[str, Any]]] = {}
    sources = [
        *ROOT.glob("functions/*/*.py"),
        *(ROOT / "layers" / "incident_core" / "incident_core").rglob("*.py"),
    ]
    for path in sources:
        tree = ast.parse(path.read_text())
        constants = _module_constants(tree)
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
            calls = [
                n for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            ]
            dimensioned = {ast.unparse(c.func.value) for c in calls if c.func.attr == "add_dimension"}
            for call in (c for c in calls if c.func.attr == "add_metric"):
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                for name in _metric_names(call, function, constants):
                    places = found.setdefault(name, [])
                    if all(place["where"] != where for place in places):  # nested functions walk twice
                        extra = ast.unparse(call.func.value) in dimensioned
                        places.append({"where": where, "extra_dimensions": extra})
    return found


def _module_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _metric_names(call: ast.Call, tree: ast.AST, constants: dict[str, str]) -> list[str]:
    argument = next((k.value for k in call.keywords if k.arg == "name"), call.args[0] if call.args else None)
    if isinstance(argument, ast.Constant):
        return [argument.value]
    if isinstance(argument, ast.Name) and argument.id in constants:
        return [constants[argument.id]]
    if isinstance(argument, ast.Name):  # a loop over (name, value) pairs: for name, span in (("A", ...), ...)
        for loop in ast.walk(tree):
            if isinstance(loop, ast.For) and argument.id in {
                n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)
            }:
                return [
                    element.elts[0].value
                    for element in getattr(loop.iter, "elts", [])
                    if isinstance(element, ast.Tuple) and isinstance(element.elts[0], ast.Constant)
                ]
    return [f"<unresolved {ast.unparse(argument) if argument else '?'}>"]


def billed_metrics(records: Iterable[dict[str, Any]]) -> set[tuple[str, str, tuple[str, ...]]]:
    """(namespace, metric name, dimension set) for each metric in EMF records: one billed metric each."""
    metrics = set()
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    metrics.add((directive["Namespace"], metric["Name"], tuple(dimensions)))
    return metrics


def metric_inventory(steady: list[dict[str, Any]], elsewhere: list[dict[str, Any]]) -> dict[str, Any]:
    """Steady metrics (sent every minute by the runner) and incident metrics (sent only when something
    happens: an alert, an incident), any metric in the source the bench did not see sent, and the
    optional per-journey metrics (off by default)."""
    every_minute = billed_metrics(steady)
    seen = billed_metrics(elsewhere) - every_minute
    in_source = metrics_in_source()
    names_seen = {name for _, name, _ in every_minute | seen}
    unseen = sorted(
        name
        for name, places in in_source.items()
        if name not in names_seen and any(not place["extra_dimensions"] for place in places)
    )
    per_journey = sorted(
        name for name, places in in_source.items() if any(place["extra_dimensions"] for place in places)
    )
    return {
        "steady": sorted(f"{ns}/{name} {list(dims)}" for ns, name, dims in every_minute),
        "incident_only_seen": sorted(f"{ns}/{name} {list(dims)}" for ns, name, dims in seen),
        # Published on rarer paths the bench did not drive (failures, rejected input, runner faults):
        # billed like the incident-only ones, with the same `service` dimension.
        "incident_only_not_seen": unseen,
        # Only with `settings: {per_journey_metrics: true}`: each is one metric per journey.
        "optional_per_journey": per_journey,
        "dimension_sets": sorted({dims for _, _, dims in every_minute | seen}),
        "in_source": in_source,
        "steady_count": len(every_minute),
        "incident_only_count": len(seen) + len(unseen),
    }


# ---------------------------------------------------------------------- the templates
def template_counts() -> dict[str, Any]:
    import logging

    from tests.template_translate import BROWSER_TEMPLATE, TEMPLATE, translated

    # samtranslator's own (unpublished) usage metrics warn when collected: nothing of ours.
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)

    counts: dict[str, Any] = {"alarm_metrics": 0, "composite_alarms": 0, "high_resolution_alarms": 0}
    alarms = []
    secrets_always, secrets_optional, keys, dashboards, retention = [], [], [], [], []
    for path in (TEMPLATE, BROWSER_TEMPLATE):
        template = translated(path)
        for name, resource in template["Resources"].items():
            kind, properties = resource["Type"], resource.get("Properties", {})
            where = f"{Path(path).relative_to(ROOT)}:{name}"
            if kind == "AWS::CloudWatch::Alarm":
                watched = [m for m in properties.get("Metrics", []) if "MetricStat" in m] or [properties]
                counts["alarm_metrics"] += len(watched)
                periods = [m.get("MetricStat", m).get("Period", 60) for m in watched]
                counts["high_resolution_alarms"] += any(isinstance(p, int) and p < 60 for p in periods)
                alarms.append(where)
            elif kind == "AWS::CloudWatch::CompositeAlarm":
                counts["composite_alarms"] += 1
            elif kind == "AWS::SecretsManager::Secret":
                (secrets_optional if "Condition" in resource else secrets_always).append(where)
            elif kind == "AWS::KMS::Key":
                keys.append(where)
            elif kind.startswith("Custom::") and "Dashboard" in kind:
                dashboards.append(where)
            elif kind == "AWS::Logs::LogGroup":
                retention.append(properties.get("RetentionInDays"))
    counts.update(
        alarms=alarms,
        secrets=secrets_always,
        optional_secrets=secrets_optional,
        kms_keys=keys,
        dashboards=dashboards,
        log_retention_days=max((r for r in retention if isinstance(r, int)), default=None),
    )
    return counts
