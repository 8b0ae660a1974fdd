"""template.yaml translated to plain CloudFormation in-process (samtranslator, as `sam validate` does),
plus the few helpers the test_template_* files share: resources by type, policy statements, and the one
resolver of intrinsics the tests need (Ref, Fn::Sub, Fn::GetAtt, Fn::If and its conditions, Fn::Join), which
tests/iam_guard.py binds to the resources a test uses."""

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


def resource_arn(kind: str, name: str, region: str = REGION) -> str:
    """The ARN CloudFormation gives a resource of `kind` named `name` (GetAtt Arn, or a Ref that is one)."""
    if name.startswith("arn:"):
        return normalise_secret(name) if kind == "AWS::SecretsManager::Secret" else name
    return {
        "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
        "AWS::Events::EventBus": f"arn:aws:events:{region}:{ACCOUNT}:event-bus/{name}",
        "AWS::SQS::Queue": f"arn:aws:sqs:{region}:{ACCOUNT}:{name.rsplit('/', 1)[-1]}",
        "AWS::SNS::Topic": f"arn:aws:sns:{region}:{ACCOUNT}:{name}",
        "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
        "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}",
        "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "AWS::Lambda::Function": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}",
        "AWS::Logs::LogGroup": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}:*",
        "AWS::Scheduler::ScheduleGroup": f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule-group/{name}",
        "AWS::KMS::Key": f"arn:aws:kms:{region}:{ACCOUNT}:key/{name}",
        "AWS::CloudWatch::Alarm": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}",
    }.get(kind, f"arn:aws:{kind.split('::')[1].lower()}:{region}:{ACCOUNT}:{name}")


def normalise_secret(arn: str) -> str:
    """A secret's ARN without the six random characters Secrets Manager appends to its name."""
    return re.sub(r"(:secret:.+)-[A-Za-z0-9]{6}$", r"\1", arn)


REF_IS_ARN = {"AWS::SNS::Topic", "AWS::SecretsManager::Secret"}
_NAME_PROPERTIES = (
    "TableName",
    "FunctionName",
    "Name",
    "QueueName",
    "TopicName",
    "BucketName",
    "RoleName",
    "LogGroupName",
    "AlarmName",
)
_NO_VALUE = object()  # Ref AWS::NoValue: the list item or property is left out


class Resolver:
    """Resolves a template's intrinsics against parameter values: a resource's Ref is its name (its ARN
    where CloudFormation's Ref is one), Fn::GetAtt its ARN or its name."""

    def __init__(
        self, template: dict[str, Any], parameters: dict[str, Any] | None = None, region: str = REGION
    ) -> None:
        self.template = template
        self.parameters = {
            name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
        } | (parameters or {})
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": "incident-suite-dev",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def _kind(self, logical_id: str) -> str:
        return self.template["Resources"][logical_id]["Type"]

    def name(self, logical_id: str) -> str:
        properties = self.template["Resources"][logical_id].get("Properties", {})
        for key in _NAME_PROPERTIES:
            if isinstance(properties.get(key), (str, dict)):
                return str(self.resolve(properties[key]))
        return logical_id.lower()

    def arn(self, logical_id: str) -> str:
        return resource_arn(self._kind(logical_id), self.name(logical_id), self.pseudo["AWS::Region"])

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            spec = self.template["Parameters"][name]
            value = self.parameters[name]
            if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
                return value.split(",")
            return value
        if self._kind(name) in REF_IS_ARN:
            return self.arn(name)
        return self.name(name)

    def get_att(self, name: str, attribute: str) -> Any:
        if attribute == "Arn":
            return self.arn(name)
        return self.name(name)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return _NO_VALUE if argument == "AWS::NoValue" else self.ref(argument)
            if key == "Fn::GetAtt":
                name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::If":
                condition, yes, no = argument
                return self.resolve(yes if self.condition(condition) else no)
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in argument)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(i) for i in self.resolve(items))
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not _NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, names = (argument, {}) if isinstance(argument, str) else argument

        def substitute(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in names:
                return str(self.resolve(names[key]))
            if "." in key:
                return str(self.get_att(*key.split(".", 1)))
            return str(self.ref(key))

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)
