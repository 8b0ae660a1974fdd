"""Cold-start measurement shared by every benchmark: a fresh Python process imports a handler module.

What is timed is what Lambda's init phase does for a zip function: import the handler's module (with its
directory first on sys.path, as Lambda puts the task root) and run its module-level set-up. Interpreter
start-up is left out, as it is the same for every function. Each figure comes from a new process, so
nothing is warm but the operating system's file cache, which Lambda also has for a re-used sandbox's
layers only in part; comparing with the baseline measured in the same run cancels that out.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_HANDLER = str(ROOT / "bench" / "baseline_handler" / "app.py")

# What Lambda sets, so Powertools and boto3 behave as they do there (no call leaves the machine).
LAMBDA_LIKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "eu-west-2",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_LAMBDA_FUNCTION_NAME": "cold-start-bench",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "POWERTOOLS_SERVICE_NAME": "incident-suite",
    "POWERTOOLS_METRICS_NAMESPACE": "IncidentSuite",
    "TABLE_NAME": "incident-suite-bench",
    "BUS_NAME": "incident-suite-bench",
}

_IMPORT_AND_TIME = """
import importlib.util, json, sys, time
path = sys.argv[1]
sys.path.insert(0, path.rsplit("/", 1)[0])
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _one_cold_start(handler_path: str, env: Mapping[str, str]) -> float:
    completed = subprocess.run(
        [sys.executable, "-c", _IMPORT_AND_TIME, handler_path],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {handler_path} failed:\n{completed.stderr}")
    return float(json.loads(completed.stdout.strip().splitlines()[-1])["seconds"])


def _environment(extra_env: Mapping[str, str] | None) -> dict[str, str]:
    # PYTHONPATH keeps the repo importable (stand-ins are not needed, but the layer package is).
    env = {**os.environ, **LAMBDA_LIKE_ENV, **(extra_env or {})}
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def measure_cold_start(
    handler_path: str, runs: int = 10, extra_env: Mapping[str, str] | None = None
) -> list[float]:
    """Seconds to import `handler_path` in each of `runs` fresh processes (after one discarded warm-up
    that fills the bytecode and file caches)."""
    env = _environment(extra_env)
    _one_cold_start(handler_path, env)
    return [_one_cold_start(handler_path, env) for _ in range(runs)]


def compare_with_baseline(
    handler_path: str, runs: int = 10, extra_env: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Median cold start of a handler and of the baseline, measured alternately in the same run."""
    env = _environment(extra_env)
    _one_cold_start(handler_path, env)
    _one_cold_start(BASELINE_HANDLER, env)
    handler_times, baseline_times = [], []
    for _ in range(runs):
        handler_times.append(_one_cold_start(handler_path, env))
        baseline_times.append(_one_cold_start(BASELINE_HANDLER, env))
    handler_median = statistics.median(handler_times)
    baseline_median = statistics.median(baseline_times)
    return {
        "handler_median_s": round(handler_median, 4),
        "baseline_median_s": round(baseline_median, 4),
        "ratio": round(handler_median / baseline_median, 3),
        "runs": runs,
    }
