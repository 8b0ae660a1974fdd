"""What a cold Slack app container loads to acknowledge a request: Bolt, the secret and acks.py, not the
models, stores or settings (pydantic) that the lazy work needs. A fresh process, as Lambda's, serves one
signed request against moto and the fake Slack; the lazy hand-off is recorded instead of invoked."""

import json
import os
import subprocess
import sys

import pytest

from stand_ins.slack_requests import (
    CHANNEL,
    FUNCTION_URL_ENVELOPE,
    button_body,
    slack_event,
    slack_headers,
    slash_command_body,
)
from tests.slack_support import ALASTAIR, SIGNING_SECRET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRST_REQUEST = """
import importlib.util, json, sys
path, event_path = sys.argv[1:3]
event = json.load(open(event_path))
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("slack_app_handler", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
handed_off = []

class RecordHandOff:  # instead of lambda:InvokeFunction
    def start(self, function, request):
        handed_off.append(request.lazy_function_name)

module.request_handler().app.listener_runner.lazy_listener_runner = RecordHandOff()

class Context:
    function_name = "incident-suite-test-slack-app"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:incident-suite-test-slack-app"
    memory_limit_in_mb = 256
    aws_request_id = "cold-path-test"

response = module.lambda_handler(event, Context())
loaded = [name for name in ("pydantic", "incident_core.models", "incident_core.settings",
                            "incident_core.incidents.store", "incident_core.incidents.service")
          if name in sys.modules]
print(json.dumps({"status": response["statusCode"], "body": response.get("body"),
                  "handed_off": handed_off, "loaded": loaded}))
"""


def first_request_in_a_fresh_process(event, tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    completed = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST, f"{ROOT}/functions/slack_app/app.py", str(path)],
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("what", "lazy"),
    [("click", ["acknowledge_alert"]), ("note", ["run_command"]), ("help", ["run_command"])],
)
def test_an_acknowledgement_loads_no_models_stores_or_settings(aws, fake_slack, tmp_path, what, lazy):
    response_url = f"{fake_slack.url}response_url"
    if what == "click":
        page = {"ts": "1700000000.000100", "text": "page", "blocks": []}
        body = button_body("alert_acknowledge", "alr-cold", ALASTAIR, page, CHANNEL, response_url)
    else:
        text = "note rolled back" if what == "note" else "help"
        body = slash_command_body(text, ALASTAIR, CHANNEL, "1.2.cold", response_url)
    event = slack_event(body, slack_headers(body, SIGNING_SECRET), FUNCTION_URL_ENVELOPE)

    result = first_request_in_a_fresh_process(event, tmp_path)

    assert result["status"] == 200 and result["handed_off"] == lazy
    assert result["loaded"] == []  # loaded by the lazy invocation, which does the work
    if what == "help":
        assert "`/incident` commands" in result["body"]  # answered in the acknowledgement itself
    assert "auth.test" not in {call.method for call in fake_slack.calls()}
