"""A local CodeDeploy for the revert's stop-with-rollback (moto's CodeDeploy has no StopDeployment).

Speaks CodeDeploy's JSON 1.1 protocol (`X-Amz-Target: CodeDeploy_20141006.<Operation>`); point a client at
it with AWS_ENDPOINT_URL_CODEDEPLOY. Serves GetDeployment, StopDeployment and ListTagsForResource, as
strict as CodeDeploy:
- a deployment id is `d-` and 9 upper-case letters or digits (InvalidDeploymentIdException), one that
  is not known is DeploymentDoesNotExistException, a missing one DeploymentIdRequiredException;
- StopDeployment of a deployment that has completed (Succeeded, Failed, Stopped) is
  DeploymentAlreadyCompletedException; otherwise it answers {"status": "Pending"} and the deployment is
  Stopped, rolled back when autoRollbackEnabled (a rollback deployment of the previous revision,
  `rollbackInfo`);
- ListTagsForResource takes an application or deployment group ARN (InvalidArnException otherwise);
- any other operation is UnknownOperationException.
Deployments are made by the test with `deployment()` (what CreateDeployment would have started).
"""

from __future__ import annotations

import json
import random
import re
import string
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from stand_ins.local_server import LocalServer

TARGET = "CodeDeploy_20141006."
ACCOUNT = "123456789012"
DEPLOYMENT_ID = re.compile(r"^d-[A-Z0-9]{9}$")
COMPLETED = ("Succeeded", "Failed", "Stopped")
GROUP_ARN = re.compile(r"^arn:aws:codedeploy:[a-z0-9-]+:\d{12}:deploymentgroup:[^/]+/.+$")
APPLICATION_ARN = re.compile(r"^arn:aws:codedeploy:[a-z0-9-]+:\d{12}:application:[^/]+$")


class Refusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class FakeCodeDeploy(LocalServer):
    methods = ("POST",)

    def __init__(self, port: int = 0, region: str = "eu-west-2") -> None:
        super().__init__(port)
        self.region = region
        self.deployments: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.stops: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.origin

    def reset(self) -> None:
        with self._lock:
            self.deployments.clear()
            self.tags.clear()
            self.stops.clear()

    def group_arn(self, application: str, group: str) -> str:
        return f"arn:aws:codedeploy:{self.region}:{ACCOUNT}:deploymentgroup:{application}/{group}"

    def deployment(
        self, application: str, group: str, revision: str, previous: str, tags: dict[str, str] | None = None
    ) -> str:
        """An in-progress deployment of `revision` (replacing `previous`); returns its id."""
        deployment_id = "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))
        with self._lock:
            self.deployments[deployment_id] = {
                "deploymentId": deployment_id,
                "applicationName": application,
                "deploymentGroupName": group,
                "status": "InProgress",
                "revision": {"revisionType": "String", "string": {"content": revision}},
                "previousRevision": {"revisionType": "String", "string": {"content": previous}},
                "createTime": time.time(),
                "computePlatform": "Lambda",
            }
            self.tags[self.group_arn(application, group)] = [
                {"Key": k, "Value": v} for k, v in (tags or {}).items()
            ]
        return deployment_id

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b"{}"
        target = request.headers.get("X-Amz-Target") or ""
        try:
            operation = target[len(TARGET) :] if target.startswith(TARGET) else ""
            handler = {
                "GetDeployment": self._get,
                "StopDeployment": self._stop,
                "ListTagsForResource": self._tags,
            }.get(operation)
            if handler is None:
                raise Refusal("UnknownOperationException", f"{operation or target} is not served here")
            try:
                params = json.loads(raw or b"{}")
            except ValueError as error:
                raise Refusal("SerializationException", "the body is not JSON") from error
            status, body = 200, handler(params if isinstance(params, dict) else {})
        except Refusal as refusal:
            status, body = 400, {"__type": refusal.code, "message": str(refusal)}
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/x-amz-json-1.1")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _deployment(self, params: dict[str, Any]) -> dict[str, Any]:
        deployment_id = params.get("deploymentId")
        if not deployment_id:
            raise Refusal("DeploymentIdRequiredException", "A deployment ID must be specified.")
        if not isinstance(deployment_id, str) or not DEPLOYMENT_ID.match(deployment_id):
            raise Refusal("InvalidDeploymentIdException", f"{deployment_id} is not a valid deployment ID.")
        found = self.deployments.get(deployment_id)
        if found is None:
            raise Refusal("DeploymentDoesNotExistException", f"Deployment {deployment_id} does not exist.")
        return found

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"deploymentInfo": dict(self._deployment(params))}

    def _stop(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            deployment = self._deployment(params)
            if deployment["status"] in COMPLETED:
                raise Refusal(
                    "DeploymentAlreadyCompletedException",
                    f"Deployment {deployment['deploymentId']} has already completed.",
                )
            rollback = bool(params.get("autoRollbackEnabled"))
            deployment["status"] = "Stopped"
            if rollback:
                deployment["rollbackInfo"] = {
                    "rollbackDeploymentId": "d-" + "".join(random.choices(string.ascii_uppercase, k=9)),
                    "rollbackMessage": "Rolled back to the previous revision after a user stopped it",
                }
            self.stops.append({"deploymentId": deployment["deploymentId"], "autoRollbackEnabled": rollback})
        return {"status": "Pending", "statusMessage": "Stopping the deployment"}

    def _tags(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("ResourceArn")
        if not arn:
            raise Refusal("ResourceArnRequiredException", "The ARN of a resource is required.")
        if not (GROUP_ARN.match(arn) or APPLICATION_ARN.match(arn)):
            raise Refusal("InvalidArnException", f"{arn} is not an application or deployment group ARN.")
        with self._lock:
            return {"Tags": list(self.tags.get(arn, []))}
