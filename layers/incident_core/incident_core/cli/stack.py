"""The deployed stack, found by name: what doctor and drill read before they talk to AWS, Slack and Zoom."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

DEFAULT_STACK = "incident-suite-dev"  # samconfig.toml's default stack


def alarm_prefix(parameters: dict[str, str]) -> str:
    """What a stack's alarm names start with when they page (and its own alarms: `<this>suite-…`): the
    environment is part of it, so two environments in one account never page for each other's alarms."""
    return f"{parameters.get('IncidentAlarmPrefix', 'incident-')}{parameters.get('Environment', 'dev')}-"


def stack_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        default=os.environ.get("STACK_NAME", DEFAULT_STACK),
        help=f"the deployed stack's name (default: $STACK_NAME, else {DEFAULT_STACK})",
    )


class Stack:
    """The deployed stack as CloudFormation describes it: parameters, outputs, resources by logical id."""

    def __init__(self, name: str, description: dict[str, Any], resources: dict[str, tuple[str, str]]) -> None:
        self.name = name
        self.parameters = {
            p["ParameterKey"]: p.get("ParameterValue", "") for p in description.get("Parameters", [])
        }
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
        self.resources = resources  # logical id -> (type, physical id)
        self.created = description["CreationTime"]

    @classmethod
    def read(cls, name: str) -> Stack:
        from incident_core.adapters.aws import client

        cloudformation = client("cloudformation")
        description = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        resources = {}
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
            for resource in page["StackResourceSummaries"]:
                resources[resource["LogicalResourceId"]] = (
                    resource["ResourceType"],
                    resource.get("PhysicalResourceId", ""),
                )
        return cls(name, description, resources)

    @property
    def alarm_prefix(self) -> str:
        return alarm_prefix(self.parameters)

    def of_type(self, resource_type: str) -> list[tuple[str, str]]:
        return sorted(
            (logical, physical)
            for logical, (kind, physical) in self.resources.items()
            if kind == resource_type
        )

    def physical(self, logical: str) -> str | None:
        return self.resources.get(logical, ("", None))[1]

    def secret(self, logical: str) -> tuple[str, dict | None]:
        """A secret of the stack (its output <logical>Arn names it) and its JSON, or None if not JSON."""
        from incident_core.adapters.aws import client

        secret_id = self.outputs.get(f"{logical}Arn") or self.physical(logical) or logical
        try:
            text = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
            value = json.loads(text)
        except (ValueError, KeyError):
            return secret_id, None
        return secret_id, value if isinstance(value, dict) else None
