"""`make bench` (after `sam build`): every figure the issues ask for, printed as a table and saved to
bench/results/bench.json.

  python -m bench [--build-dir .aws-sam/build] [--runs 10]
  python -m bench cold_starts [--runs 10]   (the cold-start part alone, saved to cold_starts.json)

1. Cold start of every function beside the baseline handler, measured in the same run (bench/cold_starts.py),
   and the size of each built function and layer (bench/sizes.py).
2. Detection to page, the suite beside CloudWatch Synthetics with an alarm (bench/detection.py).
3. The per-issue figures (bench/per_issue.py runs each issue's own benchmark module).
4. Monthly cost from the measured usage (bench/usage.py, bench/cost.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.coldstart import ROOT

RESULTS = ROOT / "bench" / "results" / "bench.json"
COLD_RESULTS = RESULTS.with_name("cold_starts.json")
# The bookshop answers on this machine in well under a millisecond; a real site seen from Lambda takes
# a network round trip and its own server time. Detection and cost are measured with this much added to
# every request (an assumption); the runner's figures at 0 ms are kept beside them.
SITE_LATENCY_MS = 150
INCIDENT_METRIC_HOURS = 10.0  # assumed: hours a month in which alerts or incidents send their metrics
PLATFORM_LOG_BYTES = 500.0  # assumed: Lambda's platform.start and platform.report JSON records per run
KMS_REQUESTS_PER_MONTH = 20_000.0  # assumed: data keys for the table, log group and secrets (~every 5 min)
RUNNER_COLD_STARTS_PER_MONTH = 720.0  # assumed: the runner's execution environment renewed about hourly
SNAPSTART_RESTORES_PER_MONTH = 300.0  # assumed: new execution environments of each SnapStart function
SNAPSTART_FUNCTIONS = ("slack_app", "alert_router")  # the template's SnapStart parameter covers these


def _step(title: str) -> float:
    print(f"... {title}", file=sys.stderr, flush=True)
    return time.monotonic()


def _done(started: float) -> None:
    print(f"    ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)


def measure(build_dir: Path, runs: int) -> dict[str, Any]:
    from bench import cold_starts, cost, detection, per_issue, sizes, usage
    from bench.world import LocalWorld

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    started = _step("sizes of the built functions and layers")
    results["sizes"] = sizes.built_sizes(build_dir)
    _done(started)

    world = LocalWorld().start()
    try:
        started = _step(
            f"cold starts: every function and the baseline, {runs} fresh processes each, two ways"
        )
        results["cold_start"] = cold_starts.measure(world, runs=runs)
        _done(started)
        started = _step("detection to page: the real chain, then the simulated outages")
        world.fresh_tables("detection")
        results["detection"] = detection.run(world, SITE_LATENCY_MS)
        _done(started)
        started = _step("the runner's usage in steady state (for the cost)")
        world.fresh_tables("usage")
        local = usage.runner_steady_state(world, shop_latency_ms=0)
        site = usage.runner_steady_state(world, shop_latency_ms=SITE_LATENCY_MS)
        _done(started)
    finally:
        world.stop()

    started = _step("the per-issue figures (each issue's benchmark in its own process)")
    results["per_issue"] = per_issue.run()
    _done(started)

    started = _step("metrics, templates and the cost model")
    seen_elsewhere = [r for records in results["cold_start"].pop("emf_records").values() for r in records]
    metrics = usage.metric_inventory(steady=site["emf_records"], elsewhere=seen_elsewhere)
    counts = usage.template_counts()
    for measured in (local, site):
        measured.pop("emf_records")
    results["usage"] = {
        "runner_local_site": local,
        "runner_site_with_latency": site,
        "metrics": metrics,
        "templates": counts,
    }
    from incident_core.settings import Settings

    results["cost"] = cost.summarise(
        cost.Usage(
            journeys=10,
            runner_ms=site["duration_median_ms"],
            runner_memory_mb=site["memory_mb"],
            runner_init_s=results["cold_start"]["functions"]["journey_runner"]["import_median_s"],
            dynamodb_write_units_per_run=site["dynamodb_write_units_per_run"],
            dynamodb_read_units_per_run=site["dynamodb_read_units_per_run"],
            stored_bytes_per_run=site["stored_bytes_per_run"],
            result_ttl_days=Settings().result_ttl_days,
            log_bytes_per_run=site["log_bytes_per_run"],
            platform_log_bytes_per_run=PLATFORM_LOG_BYTES,
            log_retention_days=counts["log_retention_days"],
            steady_metrics=metrics["steady_count"],
            incident_metrics=metrics["incident_only_count"],
            incident_metric_hours=INCIDENT_METRIC_HOURS,
            events_per_run=site["events_put_per_run"],
            cold_starts_per_month=RUNNER_COLD_STARTS_PER_MONTH,
            kms_requests_per_month=KMS_REQUESTS_PER_MONTH,
        ),
        cost.Fixed(
            alarm_metrics=counts["alarm_metrics"],
            composite_alarms=counts["composite_alarms"],
            secrets=len(counts["secrets"]),
            kms_keys=len(counts["kms_keys"]),
            dashboards=len(counts["dashboards"]),
        ),
    )
    results["cost"]["snapstart_option"] = snapstart_option(results["cold_start"])
    results["cost"]["phone_paging"] = cost.phone_paging_summary()  # issue 17: texts and calls
    results["assumptions"] = {
        "site_latency_ms": SITE_LATENCY_MS,
        "incident_metric_hours_per_month": INCIDENT_METRIC_HOURS,
        "platform_log_bytes_per_run": PLATFORM_LOG_BYTES,
        "kms_requests_per_month": KMS_REQUESTS_PER_MONTH,
        "runner_cold_starts_per_month": RUNNER_COLD_STARTS_PER_MONTH,
        "snapstart_restores_per_month": SNAPSTART_RESTORES_PER_MONTH,
    }
    _done(started)
    return results


def snapstart_option(cold: dict[str, Any]) -> dict[str, Any]:
    """The template's SnapStart option priced beside the cold-start figures it would change."""
    from dataclasses import asdict

    from bench import cost

    measured = {name: cold["functions"][name] for name in SNAPSTART_FUNCTIONS}
    memory = {name: f["memory_mb"] for name, f in measured.items() if "memory_mb" in f}
    lines = cost.snapstart_cost(memory, SNAPSTART_RESTORES_PER_MONTH)
    return {
        "default": "Off",
        "measured_here": False,
        "why_not_measured": (
            "a snapshot is taken and restored by Lambda's Firecracker microVMs: nothing on this machine "
            "does either, so its effect on these cold starts is not measured here"
        ),
        "would_change": {
            name: {k: f[k] for k in ("import_median_s", "first_median_s", "cold_overhead_median_s") if k in f}
            for name, f in measured.items()
        },
        "lines": [asdict(line) for line in lines],
        "monthly_usd": round(sum(line.monthly_usd for line in lines), 2),
        "prices_recorded_on": "2026-12-05",
    }


def measure_cold_starts(runs: int, against: str | None, bytecode: bool = True) -> dict[str, Any]:
    import subprocess
    import tempfile

    from bench import cold_starts
    from bench.world import LocalWorld

    world = LocalWorld().start()
    try:
        with tempfile.TemporaryDirectory() as older:
            if against:  # the functions, layer and template of that commit, beside the working tree's
                archive = subprocess.run(
                    ["git", "archive", against, "functions", "layers", "template.yaml"],
                    cwd=ROOT,
                    capture_output=True,
                    check=True,
                ).stdout
                subprocess.run(["tar", "-x", "-C", older], input=archive, check=True)
                # Its package compiled as today's layer is, so both sides load bytecode (the children
                # write none): the comparison is of the code, not of the packaging.
                compile_layer = ["-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash"]
                subprocess.run([sys.executable, *compile_layer, f"{older}/layers"], check=True)
            started = _step(f"cold starts: every function and the baseline, {runs} fresh processes each")
            cold = cold_starts.measure(
                world, runs=runs, against=Path(older) if against else None, bytecode=bytecode
            )
            cold.pop("emf_records")
            _done(started)
    finally:
        world.stop()
    if against:
        cold["against"] = against
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cold_start": cold,
        "snapstart_option": snapstart_option(cold),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "part",
        nargs="?",
        choices=("all", "cold_starts"),
        default="all",
        help="everything (default), or only the cold starts, to iterate on them quickly",
    )
    parser.add_argument(
        "--build-dir", type=Path, default=ROOT / ".aws-sam" / "build", help="sam build's output"
    )
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per function (at least 10)")
    parser.add_argument(
        "--output", type=Path, help=f"default {RESULTS} ({COLD_RESULTS.name} for cold_starts alone)"
    )
    parser.add_argument(
        "--against",
        metavar="GIT_REF",
        help="cold_starts only: also measure that commit's functions and layer, each beside today's",
    )
    parser.add_argument(
        "--layer-without-bytecode",
        action="store_true",
        help="cold_starts only: run on the layer as SAM's python3.13 build made it (no bytecode), as before",
    )
    args = parser.parse_args(argv)
    if args.runs < 10:
        parser.error("--runs: the cold-start figures need at least 10 fresh processes per function")
    from bench.report import cold_start_section, render, snapstart_section

    # The router's resolutions publish no metric; Powertools warns about that each time.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    began = time.monotonic()
    if args.part == "cold_starts":
        output = args.output or COLD_RESULTS
        results = measure_cold_starts(args.runs, args.against, bytecode=not args.layer_without_bytecode)
        shown = (
            cold_start_section(results["cold_start"])
            + "\n\n"
            + snapstart_section(results["snapstart_option"])
        )
    else:
        output = args.output or RESULTS
        results = measure(args.build_dir, args.runs)
        shown = render(results)
    results["took_s"] = round(time.monotonic() - began)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(shown)
    print(f"\nSaved {output} ({results['took_s']} s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
