"""template.yaml translated to plain CloudFormation in-process (samtranslator, as `sam validate` does),
plus the few helpers the test_template_* files share: resources by type, policy statements, and a small
resolver for the intrinsics the tests need (Ref, Fn::Sub, Fn::GetAtt)."""

from __future__ import annotations

import copy
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
BROWSER_TEMPLATE = ROOT / "browser" / "template.yaml"  # the browser runner's own stack
REGION = "eu-west-2"
ACCOUNT = "123456789012"


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs only for names in Policies; none here means no call."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def sam_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(path.read_text())


@cache
def _translated(path: Path) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(sam_template(path))
    # Like `sam validate`: local code paths stand in for the S3 locations `sam package` would upload.
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://placeholder-bucket/{properties[key]}"
        if properties.get("PackageType") == "Image":  # `sam build` fills ImageUri from the Dockerfile
            properties.setdefault("ImageUri", f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/placeholder:latest")
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = REGION  # samtranslator resolves AWS::Region from the environment
    try:
        return transform(template, {}, _NoManagedPolicies())
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION")
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def translated(path: Path = TEMPLATE) -> dict[str, Any]:
    """A fresh copy of the translated CloudFormation template (tests may mutate it)."""
    return copy.deepcopy(_translated(path))


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, document) for every IAM and resource policy in the template."""
    documents: list[tuple[str, dict[str, Any]]] = []
    for name, resource in template["Resources"].items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                documents.append((f"{name}/{policy['PolicyName']}", policy["PolicyDocument"]))
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append((name, properties["PolicyDocument"]))
        elif kind == "AWS::KMS::Key":
            documents.append((name, properties["KeyPolicy"]))
        elif kind in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy"):
            documents.append((name, properties["PolicyDocument"]))
        elif kind == "AWS::Events::EventBus" and "Policy" in properties:
            documents.append((name, properties["Policy"]))
    return documents


def statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (where, s) for where, document in policy_documents(template) for s in as_list(document["Statement"])
    ]


def ref_name(value: Any) -> str | None:
    """The logical id a Ref / Fn::GetAtt points at, or None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else target.split(".")[0]
    return None


def function_of(template: dict[str, Any], value: Any) -> str | None:
    """The function a trigger or permission points at: through an alias (AutoPublishAlias) to its function."""
    name = ref_name(value)
    resource = template["Resources"].get(name or "", {})
    if resource.get("Type") == "AWS::Lambda::Alias":
        return ref_name(resource["Properties"]["FunctionName"])
    return name


class Resolver:
    """Resolves Ref / Fn::Sub / Fn::GetAtt (Arn, QueueName) against parameter values, enough for the tests."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        self.template = template
        self.parameters = {
            name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
        } | (parameters or {})
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": "incident-suite-dev",
        }

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            spec = self.template["Parameters"][name]
            value = self.parameters[name]
            if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
                return value.split(",")
            return value
        resource = self.template["Resources"][name]
        properties = resource.get("Properties", {})
        for key in ("LogGroupName", "QueueName", "TopicName", "FunctionName", "AlarmName", "Name"):
            if key in properties:
                return self.resolve(properties[key])
        return name

    def get_att(self, name: str, attribute: str) -> Any:
        resource = self.template["Resources"][name]
        identifier = self.ref(name)
        if resource["Type"] == "AWS::CloudWatch::Alarm" and attribute == "Arn":
            return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{identifier}"
        if attribute in ("QueueName", "TopicName", "Name"):
            return identifier
        return f"arn:aws:{resource['Type'].split('::')[1].lower()}:{REGION}:{ACCOUNT}:{identifier}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            name, attribute = target if isinstance(target, list) else target.split(".", 1)
            return self.get_att(name, attribute)
        if "Fn::Sub" in value:
            text, names = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

            def substitute(match: re.Match[str]) -> str:
                key = match.group(1)
                if key in names:
                    return str(self.resolve(names[key]))
                if "." in key:
                    return str(self.get_att(*key.split(".", 1)))
                return str(self.ref(key))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        return {key: self.resolve(item) for key, item in value.items()}
