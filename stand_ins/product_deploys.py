"""The product's deploys, made for real in moto and recorded in the fake CloudTrail as CloudTrail
would record them (its request and the real answer): a Lambda alias moved to a new version, an ECS
service moved to a new task definition. Tests and the demo use it; never deployed."""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile
from datetime import datetime
from typing import Any

from incident_core.adapters.aws import client
from stand_ins.fake_cloudtrail import FakeCloudTrail

REVERT_TAG = {"incident-suite:revert": "allowed"}
CODE = "def lambda_handler(event, context):\n    return None\n"


def _no_docker() -> None:
    config = json.dumps({"lambda": {"use_docker": False}}).encode()
    request = urllib.request.Request(
        f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/config", data=config, method="POST"
    )
    urllib.request.urlopen(request).close()


class ProductDeploys:
    def __init__(self, cloudtrail: FakeCloudTrail) -> None:
        self.cloudtrail = cloudtrail

    # ------------------------------------------------------------------ Lambda behind an alias
    def lambda_function(
        self,
        name: str,
        alias: str = "live",
        tags: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        """A function with version 1 behind `alias` (tagged `tags`); returns the alias ARN."""
        _no_docker()
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", CODE)
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role["Role"]["Arn"],
            Handler="app.lambda_handler",
            Code={"ZipFile": archive.getvalue()},
            Environment={"Variables": env or {}},
            Publish=True,
            Tags=tags or {},
        )
        request = {"functionName": name, "name": alias, "functionVersion": "1"}
        created = client("lambda").create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
        self.cloudtrail.record("lambda.amazonaws.com", "CreateAlias", request, _alias_answer(created))
        return created["AliasArn"]

    def move_alias(
        self,
        name: str,
        alias: str = "live",
        env: dict[str, str] | None = None,
        who: str = "alice",
        at: datetime | None = None,
    ) -> str:
        """A deploy: new configuration, a published version, the alias moved to it. Returns the version."""
        lam = client("lambda")
        if env is not None:
            lam.update_function_configuration(FunctionName=name, Environment={"Variables": env})
        version = lam.publish_version(FunctionName=name)["Version"]
        self.cloudtrail.record(
            "lambda.amazonaws.com",
            "PublishVersion",
            {"functionName": name},
            {"version": version},
            who=who,
            at=at,
        )
        request = {"functionName": name, "name": alias, "functionVersion": version}
        moved = lam.update_alias(FunctionName=name, Name=alias, FunctionVersion=version)
        self.cloudtrail.record(
            "lambda.amazonaws.com", "UpdateAlias", request, _alias_answer(moved), who=who, at=at
        )
        return version

    # ------------------------------------------------------------------ ECS
    def ecs_service(self, cluster: str, service: str, tags: dict[str, str] | None = None) -> str:
        ecs = client("ecs")
        ecs.create_cluster(clusterName=cluster)
        definition = self._task_definition(service, "v1")
        created = ecs.create_service(
            cluster=cluster,
            serviceName=service,
            taskDefinition=definition,
            desiredCount=1,
            tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
        )
        return created["service"]["serviceArn"]

    def update_service(
        self, cluster: str, service: str, image_tag: str, who: str = "bob", at: datetime | None = None
    ) -> str:
        """A deploy: a new task definition revision, the service moved to it. Returns its ARN."""
        ecs = client("ecs")
        before = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
        definition = self._task_definition(service, image_tag)
        answer = ecs.update_service(cluster=cluster, service=service, taskDefinition=definition)["service"]
        # As ECS answers UpdateService: the new deployment (PRIMARY) and the one it replaces (ACTIVE).
        deployments = answer.get("deployments") or []
        if not any(d.get("status") == "ACTIVE" for d in deployments):
            deployments = [*deployments, {"status": "ACTIVE", "taskDefinition": before}]
        response = {"service": {**_jsonable(answer), "deployments": _jsonable(deployments)}}
        request = {"cluster": cluster, "service": service, "taskDefinition": definition}
        self.cloudtrail.record("ecs.amazonaws.com", "UpdateService", request, response, who=who, at=at)
        return definition

    def _task_definition(self, family: str, image_tag: str) -> str:
        registered = client("ecs").register_task_definition(
            family=family,
            containerDefinitions=[{"name": "web", "image": f"example/{family}:{image_tag}", "memory": 128}],
        )
        return registered["taskDefinition"]["taskDefinitionArn"]


def _alias_answer(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: answer[k] for k in ("aliasArn", "name", "functionVersion", "revisionId") if k in answer}


def _jsonable(value: Any) -> Any:
    return json.loads(
        json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))
    )
