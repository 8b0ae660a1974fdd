"""What a revert acts on: Lambda aliases, ECS services, deploy markers' revert hooks. Each reads the
resource's tags and current state first (the suite acts only on what is tagged for it) and then makes the
one change; the IAM role allows the change only on tagged resources (aws:ResourceTag) as well."""

from __future__ import annotations

import json
import time
from typing import Any

from incident_core.adapters.aws import client
from incident_core.adapters.publishers import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

HOOK_TIMEOUT_SECONDS = 10


class LambdaAliases:
    def tags(self, function: str) -> dict[str, str]:
        arn = client("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
        return client("lambda").list_tags(Resource=arn).get("Tags", {})

    def current(self, function: str, alias: str) -> str:
        return client("lambda").get_alias(FunctionName=function, Name=alias)["FunctionVersion"]

    def move(self, function: str, alias: str, version: str, revision: str | None = None) -> None:
        client("lambda").update_alias(FunctionName=function, Name=alias, FunctionVersion=version)


class EcsServices:
    def _service(self, cluster: str, service: str) -> dict[str, Any]:
        found = client("ecs").describe_services(cluster=cluster, services=[service]).get("services") or []
        if not found:
            raise LookupError(f"ECS service {service} not found in {cluster}")
        return found[0]

    def tags(self, cluster: str, service: str) -> dict[str, str]:
        arn = self._service(cluster, service)["serviceArn"]
        tags = client("ecs").list_tags_for_resource(resourceArn=arn).get("tags") or []
        return {t["key"]: t["value"] for t in tags}

    def current(self, cluster: str, service: str) -> str:
        return self._service(cluster, service)["taskDefinition"]

    def move(self, cluster: str, service: str, task_definition: str) -> None:
        client("ecs").update_service(cluster=cluster, service=service, taskDefinition=task_definition)


class CodeDeployments:
    """A CodeDeploy deployment: its deployment group's tags, its status, StopDeployment with rollback."""

    def tags(self, application: str, group: str, account: str) -> dict[str, str]:
        region = client("codedeploy").meta.region_name
        arn = f"arn:aws:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}"
        answer = client("codedeploy").list_tags_for_resource(ResourceArn=arn)
        return {t["Key"]: t["Value"] for t in answer.get("Tags") or []}

    def status(self, deployment_id: str) -> str:
        return client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]

    def stop(self, deployment_id: str) -> None:
        client("codedeploy").stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)


class AppConfigDeployments:
    """An AppConfig deployment: its environment's tags, its state, StopDeployment with AllowRevert."""

    def tags(self, application: str, environment: str, account: str) -> dict[str, str]:
        region = client("appconfig").meta.region_name
        arn = f"arn:aws:appconfig:{region}:{account}:application/{application}/environment/{environment}"
        return client("appconfig").list_tags_for_resource(ResourceArn=arn).get("Tags") or {}

    def state(self, application: str, environment: str, number: int) -> str:
        return client("appconfig").get_deployment(
            ApplicationId=application, EnvironmentId=environment, DeploymentNumber=number
        )["State"]

    def stop(self, application: str, environment: str, number: int) -> None:
        client("appconfig").stop_deployment(
            ApplicationId=application, EnvironmentId=environment, DeploymentNumber=number, AllowRevert=True
        )


class RevertHooks:
    """POSTs the revert to a deploy marker's hook, signed as the webhook publisher signs (HMAC-SHA256 over
    "<timestamp>.<body>"), so the CI behind it can tell the suite sent it and refuse a replay."""

    def __init__(self, secret: str, session: Any | None = None) -> None:
        if not secret:
            raise ValueError("the revert hook secret is empty (REVERT_HOOK_SECRET_ID)")
        self._secret = secret
        self._session = session

    def call(self, url: str, payload: dict[str, Any], delivery: str) -> None:
        import requests

        body = json.dumps(payload, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        session = self._session or requests.Session()
        answer = session.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self._secret, timestamp, body),
                "X-Incident-Delivery": delivery,
            },
            timeout=HOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        if not 200 <= answer.status_code < 300:
            raise RuntimeError(f"the revert hook answered HTTP {answer.status_code}")
