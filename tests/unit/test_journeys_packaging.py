"""How the runner is packaged: the zip runner never needs Playwright, and the browser image runs the
very same handler module."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter: import the handler module, run an HTTP-only journey, report what got imported.
PROBE = """
import importlib.util, json, sys
from datetime import UTC, datetime
spec = importlib.util.spec_from_file_location("journey_runner_app", "functions/journey_runner/app.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
after_import = sorted(m for m in ("boto3", "requests", "bs4", "yaml", "playwright") if m in sys.modules)
from incident_core.journeys.engine import JourneyRunner, run_journeys
from incident_core.journeys.loader import parse_journeys
from incident_core.journeys.templating import StaticSecrets
journeys = parse_journeys(
    "journeys: [{name: a, steps: [{name: b, request: {url: 'http://nonexistent.invalid/'},"
    " expect: {selector: 'button'}}]}]"
).journeys
[result] = run_journeys(JourneyRunner(StaticSecrets({})), journeys, now=datetime.now(UTC), time_budget_s=5)
print(json.dumps({"after_import": after_import, "reason": result.failed_step.reason,
                  "playwright": "playwright" in sys.modules}))
"""


def test_the_handler_module_loads_no_heavy_library_and_http_journeys_never_load_playwright():
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["after_import"] == []  # boto3, requests, bs4, yaml: on first use, not at import
    assert report["reason"] == "DNS lookup failed: nonexistent.invalid does not resolve"
    assert report["playwright"] is False


def test_the_browser_image_runs_the_same_handler_for_browser_journeys():
    dockerfile = (ROOT / "browser" / "Dockerfile").read_text()
    assert "COPY functions/journey_runner/app.py ${LAMBDA_TASK_ROOT}/app.py" in dockerfile
    assert "COPY layers/incident_core/incident_core ${LAMBDA_TASK_ROOT}/incident_core" in dockerfile
    assert "COPY layers/incident_core/requirements.txt" in dockerfile
    assert "JOURNEY_KIND=browser" in dockerfile
    assert dockerfile.rstrip().endswith('CMD ["app.lambda_handler"]')
