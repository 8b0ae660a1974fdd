"""Everything the suite's functions reach, on 127.0.0.1, started once by the benchmark.

AWS is moto's server (tables from template.yaml, the bus, the secrets, the buckets, the page schedule
group, and a Lambda function for the Slack app's lazy self-invocation to call); Slack, Zoom and the vendors'
status pages are the local fakes; the bookshop runs in its own process (as the watched site does); a small
HTTP server takes CloudFormation custom-resource responses (the dashboard renderer PUTs them). `env` is
what a function's process gets, as Lambda would give it: the template's settings pointing at these.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.coldstart import LAMBDA_LIKE_ENV, ROOT
from stand_ins.local_lambda import function_in_moto

TABLE = "incident-suite-bench"
IDEMPOTENCY_TABLE = "incident-suite-bench-idempotency"
BUS = "incident-suite-bench"
CHANNEL = "C0INCIDENTS"
SIGNING_SECRET = "bench-signing-secret-placeholder"
DOCUMENTS_BUCKET = "incident-suite-bench-documents"
EVIDENCE_BUCKET = "incident-suite-bench-evidence"
SCHEDULE_GROUP = "incident-suite-bench-pages"
INCIDENT_TOPIC = "arn:aws:sns:eu-west-2:123456789012:incident-suite-bench-incident-alarms"
SLACK_APP_FUNCTION = "incident-suite-bench-slack-app"
JOURNEYS_FILE = ROOT / "bench" / "ten_journeys.yaml"


class ResponseReceiver:
    """Takes the PUTs CloudFormation's pre-signed response URL would take, and keeps their bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/cfn-response"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Bookshop:
    """stand_ins/bookshop.py in its own process, broken and repaired over HTTP."""

    def __init__(self, latency_ms: int = 0) -> None:
        from stand_ins.faulty_web import unused_port

        port = unused_port()
        self.url = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stand_ins.bookshop",
                "--port",
                str(port),
                "--latency-ms",
                str(latency_ms),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.control({})
                return
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError("the bookshop did not start") from None
                time.sleep(0.1)

    def control(self, changes: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/_control", data=json.dumps(changes).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


class LocalWorld:
    def __init__(self, shop_latency_ms: int = 0) -> None:
        self.shop_latency_ms = shop_latency_ms
        self.env: dict[str, str] = {}
        self._saved_env: dict[str, str] = {}

    def start(self) -> LocalWorld:
        from stand_ins.aws import MotoServer
        from stand_ins.fake_cloudtrail import FakeCloudTrail
        from stand_ins.fake_slack import FakeSlack
        from stand_ins.fake_statuspage import FakeStatusPages
        from stand_ins.fake_zoom import FakeZoom

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
        self.moto = MotoServer().start()
        self.slack = FakeSlack().start()
        self.zoom = FakeZoom().start()
        self.status_pages = FakeStatusPages().start()
        self.cloudtrail = FakeCloudTrail().start()  # moto has no LookupEvents ("what changed?")
        self.responses = ResponseReceiver()
        self.shop = Bookshop(self.shop_latency_ms)
        vendors = [self.status_pages.set_vendor("github"), self.status_pages.set_vendor("slack")]
        self.env = {
            **LAMBDA_LIKE_ENV,
            **self.moto.env,
            "TABLE_NAME": TABLE,
            "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
            "BUS_NAME": BUS,
            "INCIDENTS_CHANNEL": CHANNEL,
            "SLACK_API_URL": self.slack.url,
            "ZOOM_API_URL": self.zoom.api_url,
            "ZOOM_OAUTH_URL": self.zoom.oauth_url,
            "AWS_ENDPOINT_URL_CLOUDTRAIL": self.cloudtrail.url,
            "STATUS_PAGES": ",".join(vendors),
            "JOURNEYS_FILE": str(JOURNEYS_FILE),
            "SHOP_URL": self.shop.url,
            "JOURNEY_KIND": "http",
            "POLICY_FILE": str(ROOT / "config" / "policy.yaml"),
            "RUNBOOKS_DIR": str(ROOT / "config" / "runbooks"),
            "DOCUMENTS_BUCKET": DOCUMENTS_BUCKET,
            "EVIDENCE_BUCKET": EVIDENCE_BUCKET,
            "SCHEDULER_GROUP": SCHEDULE_GROUP,
            "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/incident-suite-bench-scheduler",
            "INCIDENT_ALARM_TOPIC_ARN": INCIDENT_TOPIC,
            "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as template.yaml's Globals give every function
        }
        self._saved_env = dict(os.environ)
        os.environ.update(self.env)
        self._reset_caches()
        self._create_resources()
        self.env["BUS_ARN"] = os.environ["BUS_ARN"]
        return self

    def stop(self) -> None:
        servers = [self.shop, self.responses, self.cloudtrail, self.status_pages, self.zoom, self.slack]
        for server in [*servers, self.moto]:
            server.stop()
        os.environ.clear()
        os.environ.update(self._saved_env)
        self._reset_caches()

    def fresh_tables(self, label: str) -> None:
        """New, empty tables for the next measurement (their names in `env` and this process's environment),
        so what one measurement wrote, on its own clock, cannot change what the next one decides."""
        from incident_core.adapters.aws import client
        from stand_ins.aws import create_tables

        names = {"Table": f"{TABLE}-{label}", "IdempotencyTable": f"{IDEMPOTENCY_TABLE}-{label}"}
        create_tables(client("dynamodb"), names)
        tables = {"TABLE_NAME": names["Table"], "IDEMPOTENCY_TABLE_NAME": names["IdempotencyTable"]}
        self.env.update(tables)
        os.environ.update(tables)
        self._reset_caches()

    @staticmethod
    def _reset_caches() -> None:
        from aws_lambda_powertools.utilities.parameters import clear_caches

        from incident_core.adapters.aws import reset_clients
        from incident_core.settings import get_settings

        reset_clients()
        get_settings.cache_clear()
        clear_caches()

    def _create_resources(self) -> None:
        from incident_core.adapters.aws import client
        from incident_core.settings import get_settings
        from stand_ins.aws import create_tables

        create_tables(client("dynamodb"), {"Table": TABLE, "IdempotencyTable": IDEMPOTENCY_TABLE})
        os.environ["BUS_ARN"] = client("events").create_event_bus(Name=BUS)["EventBusArn"]
        secrets = client("secretsmanager")
        secrets.create_secret(
            Name=get_settings().slack_secret_id,
            SecretString=json.dumps(
                {"bot_token": "xoxb-placeholder", "signing_secret": SIGNING_SECRET, "team_id": "T0FAKE0001"}
            ),
        )
        secrets.create_secret(Name=get_settings().zoom_secret_id, SecretString=json.dumps(self.zoom.secret))
        s3 = client("s3")
        for bucket in (DOCUMENTS_BUCKET, EVIDENCE_BUCKET):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        s3.put_bucket_versioning(Bucket=DOCUMENTS_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        client("scheduler").create_schedule_group(Name=SCHEDULE_GROUP)
        # The Slack app's own function, for its lazy hand-off (InvocationType Event) to reach as on Lambda;
        # the bench times the acknowledgement, which includes that call, not the lazy work.
        function_in_moto(SLACK_APP_FUNCTION)

    # ------------------------------------------------------------------ the state some events need
    def open_incident(self, journey: str) -> Any:
        """An alert paged in the channel (as the router leaves it) and the incident declared from it (as
        the Slack app's "Real incident" button does). Returns the Incident."""
        from stand_ins.slack_requests import page_alert

        alert, _ = page_alert(self.slack, journey=journey, channel=CHANNEL)
        return self.incident_service().declare_from_alert(alert.alert_id, "U0ALASTAIR").incident

    def incident_service(self) -> Any:
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
