"""A local AppConfig for the revert's StopDeployment (moto's AppConfig has no deployments).

Speaks AppConfig's REST-JSON protocol (point a client at it with AWS_ENDPOINT_URL_APPCONFIG): GetDeployment
(GET) and StopDeployment (DELETE) of `/applications/{app}/environments/{env}/deployments/{number}`, and
ListTagsForResource (`GET /tags/{arn}`). As AppConfig documents StopDeployment:
- without `Allow-Revert: true` only a DEPLOYING deployment can be stopped (ROLLED_BACK); anything else is
  BadRequestException;
- with it an in-progress deployment (DEPLOYING, BAKING, VALIDATING) is ROLLED_BACK and a COMPLETE one
  REVERTED, within 72 hours of its completion (BadRequestException after);
- an unknown application, environment or deployment is ResourceNotFoundException (404), a deployment
  number that is not a number BadRequestException.
Deployments are made by the test with `deployment()` (what StartDeployment would have started).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from stand_ins.local_server import LocalServer

ACCOUNT = "123456789012"
DEPLOYMENT_PATH = re.compile(r"^/applications/([^/]+)/environments/([^/]+)/deployments/([^/]+)$")
IN_PROGRESS = ("DEPLOYING", "BAKING", "VALIDATING")
REVERT_WINDOW_SECONDS = 72 * 3600


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class FakeAppConfig(LocalServer):
    methods = ("GET", "DELETE", "POST")

    def __init__(self, port: int = 0, region: str = "eu-west-2") -> None:
        super().__init__(port)
        self.region = region
        self.deployments: dict[tuple[str, str, int], dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}
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

    def environment_arn(self, application: str, environment: str) -> str:
        return (
            f"arn:aws:appconfig:{self.region}:{ACCOUNT}:application/{application}/environment/{environment}"
        )

    def deployment(
        self,
        application: str,
        environment: str,
        version: str,
        state: str = "BAKING",
        tags: dict | None = None,
    ) -> int:
        with self._lock:
            number = 1 + sum(1 for key in self.deployments if key[:2] == (application, environment))
            self.deployments[(application, environment, number)] = {
                "ApplicationId": application,
                "EnvironmentId": environment,
                "DeploymentNumber": number,
                "ConfigurationVersion": version,
                "State": state,
                "CompletedAt": time.time() if state == "COMPLETE" else None,
            }
            self.tags[self.environment_arn(application, environment)] = dict(tags or {})
        return number

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)
        path = request.path.split("?", 1)[0]
        try:
            status, body = self._route(request.command, path, request.headers)
        except Refusal as refusal:
            status, body = refusal.status, {"Message": str(refusal), "__type": refusal.code}
            request.send_response(status)
            request.send_header("x-amzn-ErrorType", refusal.code)
        else:
            request.send_response(status)
        payload = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _route(self, method: str, path: str, headers: Any) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path.startswith("/tags/"):
            arn = unquote(path[len("/tags/") :])
            with self._lock:
                if arn not in self.tags:
                    raise Refusal(404, "ResourceNotFoundException", f"Resource {arn} not found")
                return 200, {"Tags": dict(self.tags[arn])}
        match = DEPLOYMENT_PATH.match(path)
        if match is None or method not in ("GET", "DELETE"):
            raise Refusal(404, "UnknownOperationException", f"{method} {path} is not served here")
        application, environment, number = (unquote(part) for part in match.groups())
        if not number.isdigit():
            raise Refusal(400, "BadRequestException", "DeploymentNumber must be a number")
        with self._lock:
            deployment = self.deployments.get((application, environment, int(number)))
            if deployment is None:
                raise Refusal(404, "ResourceNotFoundException", f"Deployment {number} not found")
            if method == "GET":
                return 200, {k: v for k, v in deployment.items() if k != "CompletedAt"}
            allow_revert = (headers.get("Allow-Revert") or "").lower() == "true"
            state = deployment["State"]
            if state == "DEPLOYING" or (allow_revert and state in IN_PROGRESS):
                deployment["State"] = "ROLLED_BACK"
            elif allow_revert and state == "COMPLETE":
                if time.time() - (deployment["CompletedAt"] or 0) > REVERT_WINDOW_SECONDS:
                    raise Refusal(
                        400, "BadRequestException", "A deployment can be reverted within 72 hours only"
                    )
                deployment["State"] = "REVERTED"
            else:
                raise Refusal(
                    400, "BadRequestException", f"Deployment {number} is {state}: it cannot be stopped"
                )
            self.stops.append(
                {"deployment": (application, environment, int(number)), "allow_revert": allow_revert}
            )
            return 202, {k: v for k, v in deployment.items() if k != "CompletedAt"}
