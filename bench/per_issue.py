"""The per-issue figures, each from its own module (bench/bench_*.py), each in its own process so their
moto servers and environments cannot meet. Their cold-start parts are left out: bench/cold_starts.py
measures every function's cold start in one run, beside one baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.coldstart import ROOT

MARK = "BENCH-FIGURES "
# (figure, module, function): the parts of each issue's benchmark that carry its goal.
PARTS = [
    ("runner: 50 journeys x 3 steps at 200 ms", "bench.bench_journeys", "fifty_journeys"),
    ("router: alert to page", "bench.bench_router", "measure_alert_to_page"),
    ("router: first invocation set-up", "bench.bench_router", "measure_first_invocation_setup"),
    ("slack: acknowledgement", "bench.bench_slack", "acknowledgement_latency"),
    ("postmortem: compile a 1,000-reply thread", "bench.bench_postmortem", "_compile_1000_replies"),
    ("postmortem: whole service against moto", "bench.bench_postmortem", "_service_end_to_end"),
    ("dashboard: render and check a large product's", "bench.bench_dashboard", "_render_and_check_ms"),
]
_RUN = """
import json, logging, sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)
module, function = sys.argv[1:3]
figures = getattr(__import__(module, fromlist=[function]), function)()
print("\\n" + {mark!r} + json.dumps(figures, default=str), flush=True)
"""


def run_part(module: str, function: str) -> Any:
    completed = subprocess.run(
        [sys.executable, "-c", _RUN.format(mark=MARK), module, function],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    marked = [line for line in completed.stdout.splitlines() if line.startswith(MARK)]
    if completed.returncode != 0 or not marked:
        return {"error": f"{module}.{function} failed: {completed.stderr.strip()[-1500:]}"}
    return json.loads(marked[-1][len(MARK) :])


def run() -> dict[str, Any]:
    figures = {label: run_part(module, function) for label, module, function in PARTS}
    dashboard = "dashboard: render and check a large product's"
    if isinstance(figures[dashboard], list):  # (median ms, widgets, body bytes)
        render_ms, widgets, body_bytes = figures[dashboard]
        figures[dashboard] = {"median_ms": round(render_ms, 2), "widgets": widgets, "body_bytes": body_bytes}
    return figures
