"""Secrets never leave the runner: journeys whose secrets a hostile site echoes back in every form, run
by the real journey runner handler (Secrets Manager, DynamoDB, the bus and S3 in moto), then routed to
Slack by the real alert router, and run by `incidentctl journeys run`. No sink holds any form of them."""

from __future__ import annotations

import base64
import html
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from incident_core.adapters.aws import client
from incident_core.journeys.redact import MASK, REQUOTE_SAFE, Redactor
from incident_core.settings import get_settings
from stand_ins.echo_site import EchoSite
from stand_ins.local_lambda import LambdaContext
from tests.routing_support import router, routing_env  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "incident-suite-test-evidence"
SECRET_NAME = "incident-suite/journeys/echo"
# Spaces, &, /, +, =, non-ASCII and a trailing newline: each changes under some encoding.
PASSWORD = "p äss w/rd+&=ö\n"
TOKEN = "tök/en+&= 42=="
# Written in the file, not a secret reference: a sensitive header's and query parameter's values.
LITERAL_KEY = "literal-api-key-7Hq"
SESSION = "session-value-9Zp"
QUERY = f"session={SESSION}"

JOURNEYS = f"""
vars:
  SITE: "http://127.0.0.1"
journeys:
  - name: form-login
    steps:
      - name: log in
        request:
          method: POST
          url: "${{SITE}}/login?password=${{secret:{SECRET_NAME}#password}}"
          headers: {{X-Api-Key: "{LITERAL_KEY}", Authorization: "Bearer ${{secret:{SECRET_NAME}#token}}"}}
          data: {{user: alastair, password: "${{secret:{SECRET_NAME}#password}}"}}
        expect: {{status: 200}}
  - name: redirect-carries-token
    steps:
      - name: follow
        request:
          url: "${{SITE}}/redirect"
          headers: {{Authorization: "Bearer ${{secret:{SECRET_NAME}#token}}"}}
  - name: echo-page
    steps:
      - name: page
        request:
          url: "${{SITE}}/echo/${{secret:{SECRET_NAME}#token}}?q=${{secret:{SECRET_NAME}#password}}&{QUERY}"
  - name: invalid-header
    steps:
      - name: bad header
        request:
          url: "${{SITE}}/echo"
          headers: {{Authorization: "Bearer ${{secret:{SECRET_NAME}#password}}"}}
"""


def forms(value: str) -> dict[str, str]:
    """Every form a value may take in a sink, by name."""
    named = {}
    for label, text in (("", value), ("stripped ", value.strip())):
        data = text.encode()
        named |= {
            f"{label}raw": text,
            f"{label}repr": repr(text)[1:-1],
            f"{label}ascii": ascii(text)[1:-1],
            f"{label}bytes repr": repr(data)[2:-1],
            f"{label}json": json.dumps(text)[1:-1],
            f"{label}json non-ascii": json.dumps(text, ensure_ascii=False)[1:-1],
            f"{label}quote": quote(text, safe=""),
            f"{label}quote /": quote(text),
            f"{label}quote lower hex": quote(text, safe="").lower(),
            f"{label}quote_plus": quote_plus(text),
            f"{label}requoted (as requests sends it in a URL)": quote(text, safe=REQUOTE_SAFE),
            f"{label}html": html.escape(text),
            f"{label}base64": base64.b64encode(data).decode().rstrip("="),
            f"{label}base64 url": base64.urlsafe_b64encode(data).decode().rstrip("="),
        }
    return named


ALL_FORMS = {
    f"{name} {form}": text
    for name, value in (("password", PASSWORD), ("token", TOKEN), ("key", LITERAL_KEY), ("session", SESSION))
    for form, text in forms(value).items()
}


def leaks(sink: str) -> list[str]:
    return [name for name, text in ALL_FORMS.items() if text in sink]


@pytest.fixture
def site() -> Iterator[EchoSite]:
    server = EchoSite().start()
    yield server
    server.stop()


@pytest.fixture
def journeys(aws, site, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "journeys.yaml"
    path.write_text(JOURNEYS.replace('"http://127.0.0.1"', f'"{site.url}"'))
    client("secretsmanager").create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"password": PASSWORD, "token": TOKEN})
    )
    client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    monkeypatch.setenv("JOURNEYS_FILE", str(path))
    monkeypatch.setenv("JOURNEY_KIND", "http")
    monkeypatch.setenv("EVIDENCE_BUCKET", BUCKET)
    get_settings.cache_clear()
    return path


def run_the_runner() -> dict:
    spec = importlib.util.spec_from_file_location(
        "runner_app_secrets", ROOT / "functions/journey_runner/app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event = json.loads((ROOT / "events/journey_runner_scheduled.json").read_text())
    return module.lambda_handler(event, LambdaContext(function_name="incident-suite-journey-runner"))


def capture_all_events() -> str:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="all-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = get_settings().bus_name
    client("events").put_rule(Name="all", EventBusName=bus, EventPattern='{"source": [{"prefix": ""}]}')
    client("events").put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def drain(url: str) -> list[dict]:
    sqs, bodies = client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_no_sink_holds_any_form_of_a_secret(journeys, site, router, fake_slack, capsys, caplog):  # noqa: F811
    queue = capture_all_events()
    summary = run_the_runner()
    assert len(summary["failed"]) == 4, summary

    # The site did receive the secrets (so the journeys did use them) and echoed them back.
    assert any(r["form"].get("password") == PASSWORD for r in site.requests)
    assert any(r["headers"].get("Authorization") == f"Bearer {TOKEN}" for r in site.requests)
    assert any(r["headers"].get("X-Api-Key") == LITERAL_KEY for r in site.requests)

    items = client("dynamodb").scan(TableName=get_settings().table_name)["Items"]
    events = drain(queue)
    failed = [e for e in events if e["detail-type"] == "JourneyFailed"]
    assert len(failed) == 4
    bucket = client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert bucket, "the failed steps' responses are kept as evidence"
    evidence = b"".join(client("s3").get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in bucket)

    # The router pages each failure in Slack.
    for bus_event in failed:  # as EventBridge delivers it (moto's copy leaves out account and region)
        delivered = {"account": "123456789012", "region": "eu-west-2", **bus_event}
        assert router.invoke(delivered)["results"][0]["action"] != "rejected"
    slack_calls = json.dumps([call.args for call in fake_slack.calls()], ensure_ascii=False)
    assert "form-login" in slack_calls

    output = capsys.readouterr()
    sinks = {
        "DynamoDB items": json.dumps(items, ensure_ascii=False),
        "bus events": json.dumps(events, ensure_ascii=False),
        "evidence": evidence.decode("utf-8", errors="replace"),
        "Slack": slack_calls,
        "logs and metrics": output.out + output.err + caplog.text,
    }
    for sink, text in sinks.items():
        assert leaks(text) == [], sink
    assert MASK in sinks["bus events"] and MASK in sinks["DynamoDB items"] and MASK in sinks["evidence"]
    reasons = {e["detail"]["journey"]: e["detail"]["reason"] for e in failed}
    assert "not valid" in reasons["invalid-header"]  # requests refused the newline, quoting the value
    for sink in ("DynamoDB items", "bus events"):
        assert "cannot handle token" in sinks[sink] or "Not found" in sinks[sink]


def test_incidentctl_output_holds_no_form_of_a_secret(journeys, site, capsys):
    from incident_core.cli.main import main

    main(["journeys", "run", str(journeys)])
    output = capsys.readouterr()
    assert "form-login" in output.out
    assert leaks(output.out + output.err) == []
    assert any(r["form"].get("password") == PASSWORD for r in site.requests)


def test_the_redactor_masks_every_form_in_text_and_bytes():
    redactor = Redactor()
    redactor.add(PASSWORD)
    redactor.add(TOKEN)
    for name, text in ALL_FORMS.items():
        if name.startswith(("key", "session")):
            continue
        assert redactor.text(f"<{text}>") == f"<{MASK}>", name
        assert redactor.bytes(f"<{text}>".encode()) == f"<{MASK}>".encode(), name
    for user in ("bob", "bob1", "bob12"):  # the password at each base64 alignment, as in Basic auth
        basic = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
        masked = redactor.text(basic)
        # What is left is the user's part and the padding: at most a few characters either side.
        assert masked.count(MASK) == 1 and len(masked) - len(MASK) <= 10, (user, masked)
