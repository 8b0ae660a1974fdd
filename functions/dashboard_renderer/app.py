"""CloudFormation custom resource: puts (or deletes) the Four Golden Signals dashboard.

Every request gets an answer, SUCCESS or FAILED with the reason, or the stack would wait an hour.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from incident_core.adapters.cfn_response import Responder, UrllibResponder, response_body
from incident_core.adapters.dashboards import CloudWatchDashboards, Dashboards
from incident_core.dashboard.resource import NOT_CREATED, delete_dashboard, put_dashboard
from incident_core.envelopes import (
    CloudFormationCustomResourceCreateModel,
    CloudFormationCustomResourceDeleteModel,
    CloudFormationCustomResourceUpdateModel,
)

logger = Logger()
MODELS = {
    "Create": CloudFormationCustomResourceCreateModel,
    "Update": CloudFormationCustomResourceUpdateModel,
    "Delete": CloudFormationCustomResourceDeleteModel,
}
dashboards: Dashboards = CloudWatchDashboards()
responder: Responder = UrllibResponder()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    model = MODELS.get(event.get("RequestType", ""))
    if model is None:
        raise ValueError(
            f"not a CloudFormation custom resource request: RequestType={event.get('RequestType')!r}"
        )
    request = model.model_validate(event)
    physical_id = getattr(request, "physical_resource_id", NOT_CREATED)
    try:
        if request.request_type == "Delete":
            delete_dashboard(physical_id, dashboards)
            response = response_body(request, "SUCCESS", physical_id)
        else:
            outcome = put_dashboard(request.resource_properties, dashboards)  # type: ignore[arg-type]
            for warning in outcome.warnings:
                logger.warning("CloudWatch accepted the dashboard with a warning", extra={"warning": warning})
            response = response_body(request, "SUCCESS", outcome.physical_id, data=outcome.data)
    except Exception as error:  # any failure must still reach CloudFormation, with its reason
        logger.exception("dashboard request failed", extra={"request_type": request.request_type})
        response = response_body(request, "FAILED", physical_id, reason=f"{type(error).__name__}: {error}")
    # The raw URL: re-serialising the parsed one could re-encode the pre-signed URL and break its signature.
    responder.send(event["ResponseURL"], response)
    return response
