"""The dashboard custom resource end to end: CloudFormation's requests in, CloudWatch (moto) changed,
and the answer PUT to a real local HTTP server standing in for the pre-signed S3 response URL."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from incident_core.adapters.aws import client
from incident_core.adapters.cfn_response import UrllibResponder
from incident_core.dashboard import dashboard_problems, parse_params, render_dashboard

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
DOCUMENTED_CREATE = ROOT / "tests" / "fixtures" / "dashboard" / "aws_cfn_custom_resource_create.json"


@dataclass
class ResponseBucket:
    """Records every PUT, as S3 would store CloudFormation's answer; can fail the first N requests."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0


@pytest.fixture
def bucket() -> Iterator[ResponseBucket]:
    state = ResponseBucket()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.fail_next:
                state.fail_next -= 1
                self.send_response(503)
                self.end_headers()
                return
            state.received.append(json.loads(body))
            state.paths.append(self.path)
            state.headers.append(dict(self.headers))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Shaped like CloudFormation's pre-signed URLs: an encoded stack ARN in the path, a signed query.
    state.url = (
        f"http://127.0.0.1:{server.server_address[1]}/arn%3Aaws%3Acloudformation%3Aeu-west-2%3A123456789012"
        "%3Astack/incident-suite-dev/5b918d10%7CGoldenSignalsDashboard%7Cunique-id"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=0f1e2d3c"
    )
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class LambdaContext:
    function_name: str = "incident-suite-dev-DashboardRenderer"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-2:123456789012:function:incident-suite-dev-DashboardRenderer"
    )
    aws_request_id: str = "5b7d1b1c-0000-4000-8000-000000000000"


@pytest.fixture
def renderer(aws: Any) -> Any:
    """functions/dashboard_renderer/app.py, imported fresh against the moto server."""
    spec = importlib.util.spec_from_file_location(
        "dashboard_renderer_app", ROOT / "functions/dashboard_renderer/app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.responder = UrllibResponder(backoff=0)
    return module


def request(kind: str, bucket: ResponseBucket, **properties: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / f"dashboard_renderer_{kind}.json").read_text())
    event["ResponseURL"] = bucket.url
    event["ResourceProperties"].update(properties)
    return event


def stored_body(name: str) -> dict[str, Any]:
    return json.loads(client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])


def dashboard_names() -> list[str]:
    return [entry["DashboardName"] for entry in client("cloudwatch").list_dashboards()["DashboardEntries"]]


def test_events_are_the_documented_request_shape_plus_service_token() -> None:
    documented = set(json.loads(DOCUMENTED_CREATE.read_text()))
    for kind, extra in (("create", set()), ("update", {"PhysicalResourceId", "OldResourceProperties"}),
                        ("delete", {"PhysicalResourceId"})):  # fmt: skip
        event = json.loads((EVENTS / f"dashboard_renderer_{kind}.json").read_text())
        assert set(event) == documented | {"ServiceToken"} | extra
        assert event["RequestType"] == kind.capitalize()


def test_create_puts_the_rendered_dashboard_and_answers_success(
    renderer: Any, bucket: ResponseBucket
) -> None:
    event = request("create", bucket)

    renderer.handler(event, LambdaContext())

    name = "incident-suite-dev-golden-signals"
    properties = {k: v for k, v in event["ResourceProperties"].items() if k != "ServiceToken"}
    expected = render_dashboard(parse_params(properties))
    assert stored_body(name) == expected
    assert dashboard_problems(stored_body(name)) == []
    [answer] = bucket.received
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == name
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        event["StackId"], event["RequestId"], event["LogicalResourceId"],
    )  # fmt: skip
    assert answer["Data"] == {"DashboardName": name, "Widgets": str(len(expected["widgets"]))}
    # The pre-signed URL is signed without a content type, and for exactly its path and query.
    assert bucket.headers[0].get("Content-Type", "") == ""
    sent = urlsplit(bucket.url)
    assert bucket.paths == [f"{sent.path}?{sent.query}"]


def test_update_redraws_with_the_new_parameters(renderer: Any, bucket: ResponseBucket) -> None:
    renderer.handler(request("create", bucket), LambdaContext())
    assert "AWS/DynamoDB" not in json.dumps(stored_body("incident-suite-dev-golden-signals"))

    renderer.handler(request("update", bucket), LambdaContext())

    body = stored_body("incident-suite-dev-golden-signals")
    assert "bookshop-orders" in json.dumps(body)
    assert "ProductTableNames" not in body["widgets"][0]["properties"]["markdown"]
    assert [a["Status"] for a in bucket.received] == ["SUCCESS", "SUCCESS"]
    assert bucket.received[1]["PhysicalResourceId"] == "incident-suite-dev-golden-signals"


def test_a_rename_answers_a_new_id_so_cloudformation_deletes_the_old_dashboard(
    renderer: Any, bucket: ResponseBucket
) -> None:
    renderer.handler(request("create", bucket), LambdaContext())
    renamed = "incident-suite-prod-golden-signals"  # the Environment parameter changed
    renderer.handler(request("update", bucket, DashboardName=renamed), LambdaContext())
    assert bucket.received[-1]["PhysicalResourceId"] == renamed
    assert sorted(dashboard_names()) == ["incident-suite-dev-golden-signals", renamed]

    # CloudFormation's clean-up step: Delete with the old physical id.
    renderer.handler(request("delete", bucket), LambdaContext())

    assert dashboard_names() == [renamed]


def test_delete_removes_the_dashboard_and_a_retried_delete_still_succeeds(
    renderer: Any, bucket: ResponseBucket
) -> None:
    renderer.handler(request("create", bucket), LambdaContext())

    renderer.handler(request("delete", bucket), LambdaContext())
    renderer.handler(request("delete", bucket), LambdaContext())

    assert dashboard_names() == []
    assert [a["Status"] for a in bucket.received] == ["SUCCESS", "SUCCESS", "SUCCESS"]


def test_bad_parameters_fail_the_stack_with_the_reason_and_create_nothing(
    renderer: Any, bucket: ResponseBucket
) -> None:
    event = request("create", bucket, ProductFunctionNames=["bookshop api"], ProductHttpApiId="API!")

    renderer.handler(event, LambdaContext())

    [answer] = bucket.received
    assert answer["Status"] == "FAILED"
    assert "ProductFunctionNames: not Lambda function names" in answer["Reason"]
    assert "ProductHttpApiId: 'API!' is not an API Gateway API id" in answer["Reason"]
    assert answer["PhysicalResourceId"] == "dashboard-not-created"
    assert dashboard_names() == []
    # The rollback's Delete for that id touches nothing and succeeds.
    delete = request("delete", bucket)
    delete["PhysicalResourceId"] = answer["PhysicalResourceId"]
    renderer.handler(delete, LambdaContext())
    assert bucket.received[-1]["Status"] == "SUCCESS"


def test_the_answer_is_retried_when_the_response_url_fails_once(
    renderer: Any, bucket: ResponseBucket
) -> None:
    bucket.fail_next = 1

    renderer.handler(request("create", bucket), LambdaContext())

    assert [a["Status"] for a in bucket.received] == ["SUCCESS"]


def test_an_event_that_is_not_a_custom_resource_request_is_refused(renderer: Any) -> None:
    with pytest.raises(ValueError, match="not a CloudFormation custom resource request"):
        renderer.handler({"RequestType": "Poke"}, LambdaContext())


# ---------------------------------------------------------------------- an answer whatever fails
def load_renderer(monkeypatch: pytest.MonkeyPatch, broken_module: str | None = None) -> Any:
    if broken_module:
        monkeypatch.setitem(sys.modules, broken_module, None)  # importing it raises ImportError
    spec = importlib.util.spec_from_file_location(
        f"dashboard_renderer_app_{broken_module}", ROOT / "functions/dashboard_renderer/app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.responder = UrllibResponder(backoff=0)
    return module


def test_code_that_cannot_be_imported_still_answers_failed_with_the_reason(
    aws: Any, bucket: ResponseBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = load_renderer(monkeypatch, broken_module="incident_core.dashboard.resource")

    with pytest.raises(ImportError):
        renderer.handler(request("create", bucket), LambdaContext())

    [answer] = bucket.received
    assert answer["Status"] == "FAILED"
    assert "incident_core.dashboard.resource" in answer["Reason"]
    assert answer["PhysicalResourceId"] == "dashboard-not-created"  # a later Delete then touches nothing


def test_a_request_that_cannot_be_parsed_still_answers_failed(
    aws: Any, bucket: ResponseBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = load_renderer(monkeypatch)
    event = request("create", bucket)
    del event["StackId"]

    renderer.handler(event, LambdaContext())

    [answer] = bucket.received
    assert answer["Status"] == "FAILED"
    assert "StackId" in answer["Reason"]


@dataclass
class StuckDashboards:
    """CloudWatch that does not answer until released (a hung call)."""

    release: threading.Event = field(default_factory=threading.Event)

    def put(self, name: str, body: dict[str, Any]) -> list[str]:
        self.release.wait(10)
        return []

    def delete(self, name: str) -> None:
        self.release.wait(10)


@dataclass
class ShortContext(LambdaContext):
    remaining_ms: int = 0

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_request_about_to_time_out_answers_failed_once_before_lambda_stops_it(
    aws: Any, bucket: ResponseBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = load_renderer(monkeypatch)
    stuck = StuckDashboards()
    renderer.dashboards = stuck
    # Lambda would stop it in 5.2 s; the renderer answers with its safety margin to spare.
    context = ShortContext(remaining_ms=renderer.ANSWER_MARGIN_MS + 200)
    finished = threading.Thread(target=renderer.handler, args=(request("create", bucket), context))
    finished.start()
    for _ in range(100):
        if bucket.received:
            break
        threading.Event().wait(0.05)
    assert [a["Status"] for a in bucket.received] == ["FAILED"]
    assert "timeout" in bucket.received[0]["Reason"]

    stuck.release.set()
    finished.join(10)
    assert [a["Status"] for a in bucket.received] == ["FAILED"]  # one answer: the late SUCCESS is not sent


def test_service_timeout_is_not_taken_for_a_dashboard_parameter(
    renderer: Any, bucket: ResponseBucket
) -> None:
    renderer.handler(request("create", bucket, ServiceTimeout="180"), LambdaContext())

    assert [a["Status"] for a in bucket.received] == ["SUCCESS"]
