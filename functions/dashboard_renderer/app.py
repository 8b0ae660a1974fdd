"""CloudFormation custom resource: puts (or deletes) the Four Golden Signals dashboard.

Every request gets exactly one answer, SUCCESS or FAILED with the reason, or the stack would wait
(ServiceTimeout caps that wait in template.yaml). So a failure to import the code or to parse the
request is answered too, and a request still running close to the function's timeout is answered
FAILED before Lambda stops it. At load time this module imports only cfn_response (standard library).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from incident_core.adapters.cfn_response import Responder, UrllibResponder, response_body

# incident_core.dashboard.resource.NOT_CREATED, repeated for when that module cannot be imported: a
# failed Create answers it, and the rollback's Delete for it then touches nothing.
NOT_CREATED = "dashboard-not-created"
# Answer FAILED this long before Lambda's timeout: room for the PUT and its retries.
ANSWER_MARGIN_MS = 5_000
KINDS = ("Create", "Update", "Delete")

dashboards: Any = None  # CloudWatchDashboards, made on first use
responder: Responder = UrllibResponder()


class _OneAnswer:
    """The first answer is sent; any later one (the work finishing after the timeout's) is dropped."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self._lock = threading.Lock()
        self._sent = False

    def send(self, response: dict[str, Any]) -> bool:
        with self._lock:
            if self._sent:
                return False
            self._sent = True
        responder.send(self.event["ResponseURL"], response)
        return True

    def failed(self, reason: str) -> dict[str, Any]:
        raw = SimpleNamespace(
            stack_id=self.event.get("StackId", ""),
            request_id=self.event.get("RequestId", ""),
            logical_resource_id=self.event.get("LogicalResourceId", ""),
        )
        response = response_body(raw, "FAILED", self.event.get("PhysicalResourceId") or NOT_CREATED, reason)
        self.send(response)
        return response


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("RequestType") not in KINDS or not event.get("ResponseURL"):
        raise ValueError(
            f"not a CloudFormation custom resource request: RequestType={event.get('RequestType')!r}"
        )
    answer = _OneAnswer(event)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    timer = None
    if remaining is not None:
        seconds = max(0.0, (remaining() - ANSWER_MARGIN_MS) / 1000)
        timer = threading.Timer(
            seconds, answer.failed, args=("the dashboard was not put before the timeout",)
        )
        timer.daemon = True
        timer.start()
    try:
        response = _handle(event, context)
    except ImportError as error:
        answer.failed(f"{type(error).__name__}: {error}")
        raise  # the function's Errors alarm should see a broken deployment
    except Exception as error:  # any failure must still reach CloudFormation, with its reason
        return answer.failed(f"{type(error).__name__}: {error}")
    finally:
        if timer is not None:
            timer.cancel()
    answer.send(response)
    return response


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools import Logger

    from incident_core.adapters.dashboards import CloudWatchDashboards
    from incident_core.dashboard.resource import delete_dashboard, put_dashboard
    from incident_core.envelopes import (
        CloudFormationCustomResourceCreateModel,
        CloudFormationCustomResourceDeleteModel,
        CloudFormationCustomResourceUpdateModel,
    )

    global dashboards
    dashboards = dashboards or CloudWatchDashboards()
    logger = Logger()
    models = {
        "Create": CloudFormationCustomResourceCreateModel,
        "Update": CloudFormationCustomResourceUpdateModel,
        "Delete": CloudFormationCustomResourceDeleteModel,
    }
    request = models[event["RequestType"]].model_validate(event)
    physical_id = getattr(request, "physical_resource_id", NOT_CREATED)
    try:
        if request.request_type == "Delete":
            delete_dashboard(physical_id, dashboards)
            return response_body(request, "SUCCESS", physical_id)
        outcome = put_dashboard(request.resource_properties, dashboards)  # type: ignore[arg-type]
        for warning in outcome.warnings:
            logger.warning("CloudWatch accepted the dashboard with a warning", extra={"warning": warning})
        return response_body(request, "SUCCESS", outcome.physical_id, data=outcome.data)
    except Exception as error:
        logger.exception("dashboard request failed", extra={"request_type": request.request_type})
        return response_body(request, "FAILED", physical_id, reason=f"{type(error).__name__}: {error}")
