"""Local AWS as strict as AWS: every AWS call a suite function makes in the tests is checked against that
function's own IAM statements in the translated template.

How a call is attributed: to the function whose `functions/<dir>/app.py` is on the calling thread's
stack, else to the function whose handler is running (`RUNNING`, a context variable set while a handler
runs: `install` wraps each handler as its module is loaded, however the test loads it). The suite's
thread pool (incident_core.concurrency) runs each task in a copy of the submitter's context, so the work a
handler hands to a thread is its function's, and checked. A call that cannot be attributed is the tests'
own set-up (moto's tables, a fake's data), not checked, unless it was made in a thread started while a
function ran (a pool or thread that lost the context): that is refused as unattributed, and the test
fails, so no call a function makes escapes the check.

How a call is checked: the operation becomes the authorisations AWS makes for it (one per item of a
transaction, one per table of a batch), with the condition keys AWS sets (`dynamodb:LeadingKeys`,
`s3:prefix`, `iam:PassedToService`); the template's statements are resolved with the names the test
really uses (each function's environment variables name its resources, so TABLE_NAME=<the test's
table> binds `Table`). A call the role does not allow is answered as AWS answers it (403
AccessDenied, never sent to moto) and recorded; the conftest fails the test. Where AWS's answer
depends on a permission, the guard answers as AWS does: HeadObject/GetObject of a missing key without
`s3:ListBucket` is 403, not 404. An operation the guard does not know is a denial too, so nothing
passes unchecked.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.machinery import SourceFileLoader
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse

from tests.iam_policy import Request, allowed, matches, statement_applies
from tests.template_translate import (
    ACCOUNT,
    BROWSER_TEMPLATE,
    REF_IS_ARN,
    ROOT,
    Resolver,
    as_list,
    resource_arn,
    translated,
)

FUNCTIONS_DIR = ROOT / "functions"
BROWSER_RUNNER = "BrowserJourneyRunnerFunction"
# The function whose handler is running (or that `Guard.inherited` names); carried into the threads of the
# suite's pool with the rest of the context.
RUNNING: ContextVar[str | None] = ContextVar("iam_guard_running", default=None)
# Set on each thread as it starts: the function that was running in the code that started it, if any.
STARTED_BY = "iam_guard_started_by"


# ---------------------------------------------------------------------- the template, bound to the test
def zip_functions(template: dict[str, Any] | None = None) -> dict[str, tuple[str, str]]:
    """functions/<dir> -> (logical id, Handler), for every zip function of the SAM template."""
    from tests.template_translate import sam_template

    template = template or sam_template()
    functions = {}
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        code = properties.get("CodeUri")
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(code, str):
            functions[Path(code).name] = (logical_id, properties["Handler"])
    return functions


class Binding(Resolver):
    """The template's intrinsics resolved with the names of the resources the test uses: the function's
    environment variables that Ref or GetAtt a resource (or a parameter) bind it to the test's value."""

    def __init__(self, template: dict[str, Any], function: str, environ: dict[str, str], region: str) -> None:
        super().__init__(template, region=region)
        self.refs: dict[str, str] = {}
        self.arns: dict[str, str] = {}
        variables = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
        for variable, value in variables.items():
            if variable not in environ or not isinstance(value, dict):
                continue
            if _binds_condition(template, value, environ[variable], self.parameters):
                continue  # e.g. REVERT_ENABLED: the RevertEnabled parameter the stack was given
            if "Fn::If" in value and environ[variable]:  # e.g. the webhook secret, only when there is one
                value = next((v for v in value["Fn::If"][1:] if isinstance(v, dict) and "Ref" in v), {})
            if "Ref" in value:
                target = value["Ref"]
                (self.parameters if target in self.parameters else self.refs)[target] = environ[variable]
            elif "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
                self.arns[value["Fn::GetAtt"][0]] = environ[variable]

    def name(self, logical_id: str) -> str:
        if logical_id in self.refs and self._kind(logical_id) not in REF_IS_ARN:
            return self.refs[logical_id]
        return super().name(logical_id)

    def arn(self, logical_id: str) -> str:
        for bound in (self.arns, self.refs):
            if logical_id in bound:
                return resource_arn(self._kind(logical_id), bound[logical_id], self.pseudo["AWS::Region"])
        return super().arn(logical_id)


def _binds_condition(template: dict[str, Any], value: dict, set_to: str, parameters: dict[str, Any]) -> bool:
    """A variable `!If [Cond, "yes", "no"]` whose condition is `!Equals [!Ref Param, X]`: its value in the
    test says the parameter (X when it is "yes")."""
    branch = value.get("Fn::If")
    if not (isinstance(branch, list) and all(isinstance(v, str) for v in branch[1:])):
        return False
    equals = template.get("Conditions", {}).get(branch[0], {}).get("Fn::Equals")
    if not (isinstance(equals, list) and isinstance(equals[0], dict) and "Ref" in equals[0]):
        return False
    parameter, wanted = equals[0]["Ref"], equals[1]
    parameters[parameter] = wanted if set_to == branch[1] else f"not {wanted}"
    return True


def role_statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    """The unresolved statements of the inline policies of the function's execution role."""
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = template["Resources"][role]["Properties"].get("Policies", [])
    return [s for policy in policies for s in as_list(policy["PolicyDocument"]["Statement"])]


def bound_statements(
    template: dict[str, Any], function: str, environ: dict[str, str], region: str
) -> list[dict[str, Any]]:
    binding = Binding(template, function, environ, region)
    return [binding.resolve(s) for s in role_statements(template, function)]


def code_defaults() -> dict[str, str]:
    """What the code reads when a variable is not set (Settings' defaults): a test that leaves
    SLACK_SECRET_ID unset makes the function ask for the default secret, so the role must bind to it."""
    from incident_core.settings import Settings

    return {
        field.alias: str(field.default)
        for field in Settings.model_fields.values()
        if field.alias and field.default not in (None, "")
    }


# ---------------------------------------------------------------------- operations -> authorisations
def _value(attribute: dict[str, Any]) -> str:
    ((kind, value),) = attribute.items()
    return str(value) if kind in ("S", "N") else json.dumps(value)


def _leading(value: str | None) -> dict[str, tuple[str, ...]]:
    return {"dynamodb:LeadingKeys": (value,)} if value is not None else {}


_DYNAMO_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def dynamodb_requests(
    operation: str, params: dict[str, Any], region: str, partition_key: Callable[[str, str | None], str]
) -> list[Request]:
    def table(name: str) -> str:
        return resource_arn("AWS::DynamoDB::Table", name, region)

    def key_of(name: str, item: dict[str, Any]) -> str | None:
        attribute = partition_key(name, None)
        return _value(item[attribute]) if attribute in item else None

    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        item = params.get("Key") or params.get("Item") or {}
        name = params["TableName"]
        return [Request(f"dynamodb:{operation}", table(name), _leading(key_of(name, item)))]
    if operation in ("Query", "Scan"):
        name, index = params["TableName"], params.get("IndexName")
        resource = table(name) + (f"/index/{index}" if index else "")
        leading = None
        if operation == "Query":
            leading = _query_partition_value(params, partition_key(name, index))
        return [Request(f"dynamodb:{operation}", resource, _leading(leading))]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        requests = []
        for name, entries in params["RequestItems"].items():
            if operation == "BatchGetItem":
                items = entries["Keys"]
            else:
                items = [e.get("PutRequest", {}).get("Item") or e["DeleteRequest"]["Key"] for e in entries]
            keys = tuple(sorted({k for k in (key_of(name, i) for i in items) if k is not None}))
            requests.append(
                Request(f"dynamodb:{operation}", table(name), {"dynamodb:LeadingKeys": keys} if keys else {})
            )
        return requests
    if operation in ("TransactWriteItems", "TransactGetItems"):
        requests = []
        for entry in params["TransactItems"]:
            ((kind, item),) = entry.items()
            name = item["TableName"]
            requests.append(
                Request(
                    f"dynamodb:{_DYNAMO_ITEM_ACTIONS[kind]}",
                    table(name),
                    _leading(key_of(name, item.get("Key") or item.get("Item") or {})),
                )
            )
        return requests
    if operation == "DescribeTable":
        return [Request("dynamodb:DescribeTable", table(params["TableName"]))]
    raise KeyError(operation)


def _query_partition_value(params: dict[str, Any], attribute: str) -> str | None:
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    expression = params.get("KeyConditionExpression", "")
    for left, right in re.findall(r"([#:]?[\w.-]+)\s*=\s*([#:]?[\w.-]+)", expression):
        for name, placeholder in ((left, right), (right, left)):
            if names.get(name, name) == attribute and placeholder in values:
                return _value(values[placeholder])
    conditions = params.get("KeyConditions", {})
    if attribute in conditions:
        return _value(conditions[attribute]["AttributeValueList"][0])
    return None


def s3_requests(operation: str, params: dict[str, Any]) -> list[Request]:
    bucket = params["Bucket"]
    obj = f"arn:aws:s3:::{bucket}/{params.get('Key', '')}"
    if operation in ("GetObject", "HeadObject"):
        action = "s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject"
        return [Request(action, obj)]
    if operation in ("PutObject", "DeleteObject"):
        return [Request(f"s3:{operation}", obj)]
    if operation == "CopyObject":  # reads the source (its version if named), writes the target
        # botocore has already made the dict "bucket/key[?versionId=v]", URL-quoted.
        source, _, query = params["CopySource"].partition("?versionId=")
        read = "s3:GetObjectVersion" if query else "s3:GetObject"
        return [Request(read, f"arn:aws:s3:::{unquote(source)}"), Request("s3:PutObject", obj)]
    if operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        action = "s3:ListBucketVersions" if operation == "ListObjectVersions" else "s3:ListBucket"
        prefix = params.get("Prefix")
        return [
            Request(action, f"arn:aws:s3:::{bucket}", {"s3:prefix": (prefix,)} if prefix is not None else {})
        ]
    raise KeyError(operation)


def other_requests(service: str, operation: str, params: dict[str, Any], region: str) -> list[Request]:
    if service == "events" and operation == "PutEvents":
        # Each entry is authorised on its own, with its detail type and source (events: condition keys).
        return [
            Request(
                "events:PutEvents",
                resource_arn("AWS::Events::EventBus", e.get("EventBusName") or "default", region),
                {"events:detail-type": (e.get("DetailType", ""),), "events:source": (e.get("Source", ""),)},
            )
            for e in params["Entries"]
        ]
    if service == "secretsmanager" and operation in ("GetSecretValue", "DescribeSecret"):
        return [
            Request(
                f"secretsmanager:{operation}",
                resource_arn("AWS::SecretsManager::Secret", params["SecretId"], region),
            )
        ]
    if service == "ssm" and operation == "GetParameter":
        name = params["Name"]
        resource = (
            name
            if name.startswith("arn:")
            else f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}"
        )
        return [Request("ssm:GetParameter", resource)]
    if service == "scheduler" and operation in (
        "CreateSchedule",
        "UpdateSchedule",
        "DeleteSchedule",
        "GetSchedule",
    ):
        group = params.get("GroupName") or "default"
        schedule = f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/{group}/{params['Name']}"
        requests = [Request(f"scheduler:{operation}", schedule)]
        role = params.get("Target", {}).get("RoleArn")
        if role:  # Scheduler is handed the role: iam:PassRole, to the scheduler service
            requests.append(
                Request("iam:PassRole", role, {"iam:PassedToService": ("scheduler.amazonaws.com",)})
            )
        return requests
    if service == "sns" and operation == "Publish":
        return [Request("sns:Publish", params.get("TopicArn") or params.get("TargetArn") or "*")]
    if service == "cloudformation" and operation == "ListStacks":
        return [Request("cloudformation:ListStacks", "*")]
    if service == "cloudtrail" and operation == "LookupEvents":
        return [Request("cloudtrail:LookupEvents", "*")]
    if service == "cloudwatch" and operation == "PutDashboard":
        return [
            Request(
                "cloudwatch:PutDashboard",
                f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{params['DashboardName']}",
            )
        ]
    if service == "cloudwatch" and operation == "DeleteDashboards":
        return [
            Request("cloudwatch:DeleteDashboards", f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}")
            for name in params["DashboardNames"]
        ]
    if service == "cloudwatch" and operation == "GetMetricWidgetImage":  # no resource-level permissions
        return [Request("cloudwatch:GetMetricWidgetImage", "*")]
    if service == "cloudwatch" and operation == "PutMetricData":
        return [Request("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": (params["Namespace"],)})]
    if service == "lambda" and operation == "Invoke":
        name = params["FunctionName"]
        return [Request("lambda:InvokeFunction", resource_arn("AWS::Lambda::Function", name, region))]
    if service == "sqs" and operation == "SendMessage":
        return [Request("sqs:SendMessage", resource_arn("AWS::SQS::Queue", params["QueueUrl"], region))]
    if service == "pinpoint-sms-voice-v2" and operation in ("SendTextMessage", "SendVoiceMessage"):
        # Authorised on the origination identity and on the configuration set, when one is named.
        requests = [Request(f"sms-voice:{operation}", sms_voice_arn(params["OriginationIdentity"], region))]
        if params.get("ConfigurationSetName"):
            name = params["ConfigurationSetName"]
            arn = name if name.startswith("arn:") else sms_voice_arn(f"configuration-set/{name}", region)
            requests.append(Request(f"sms-voice:{operation}", arn))
        return requests
    raise KeyError(f"{service}:{operation}")


def sms_voice_arn(identity: str, region: str) -> str:
    """A phone number or pool id (phone-..., pool-...) or ARN as IAM sees it; a bare E.164 number is
    authorised on no ARN the check can name ("*")."""
    if identity.startswith("arn:"):
        return identity
    if identity.startswith("phone-"):
        identity = f"phone-number/{identity}"
    elif identity.startswith("pool-"):
        identity = f"pool/{identity}"
    elif "/" not in identity:
        return "*"
    return f"arn:aws:sms-voice:{region}:{ACCOUNT}:{identity}"


# Calls on a Lambda function or an ECS service, authorised with the resource's tags (aws:ResourceTag/...).
TAGGED_OPERATIONS = {
    ("lambda", "GetFunction"): "lambda:GetFunction",
    ("lambda", "GetAlias"): "lambda:GetAlias",
    ("lambda", "ListTags"): "lambda:ListTags",
    ("lambda", "UpdateAlias"): "lambda:UpdateAlias",
    ("ecs", "DescribeServices"): "ecs:DescribeServices",
    ("ecs", "ListTagsForResource"): "ecs:ListTagsForResource",
    ("ecs", "UpdateService"): "ecs:UpdateService",
    ("codedeploy", "GetDeployment"): "codedeploy:GetDeployment",
    ("codedeploy", "StopDeployment"): "codedeploy:StopDeployment",
    ("codedeploy", "ListTagsForResource"): "codedeploy:ListTagsForResource",
    ("appconfig", "GetDeployment"): "appconfig:GetDeployment",
    ("appconfig", "StopDeployment"): "appconfig:StopDeployment",
    ("appconfig", "ListTagsForResource"): "appconfig:ListTagsForResource",
}


def tagged_requests(
    client: Any,
    service: str,
    operation: str,
    params: dict[str, Any],
    region: str,
    tags_of: Callable[[Any, str, str], dict[str, str]],
) -> list[Request]:
    action = TAGGED_OPERATIONS[(service, operation)]
    if service == "lambda":
        name = params.get("FunctionName") or params.get("Resource") or ""
        if name.startswith("arn:"):
            name = name.split(":")[6]
        arns = [f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"]
    elif service == "appconfig":
        environment = f"arn:aws:appconfig:{region}:{ACCOUNT}:application/{params.get('ApplicationId')}"
        environment += f"/environment/{params.get('EnvironmentId')}"
        if operation == "ListTagsForResource":
            return [Request(action, params["ResourceArn"])]
        # Authorised on the deployment; its environment's tags are the ones the suite checks (docs/revert.md).
        tags = tags_of(client, service, environment)
        deployment = f"{environment}/deployment/{params['DeploymentNumber']}"
        return [Request(action, deployment, {f"aws:ResourceTag/{k}": (v,) for k, v in tags.items()})]
    elif service == "codedeploy":
        arns = [params.get("ResourceArn") or deployment_group_of(client, params["deploymentId"], region)]
    elif operation == "ListTagsForResource":
        arns = [params["resourceArn"]]
    else:
        cluster = (params.get("cluster") or "default").rsplit("/", 1)[-1]
        names = params.get("services") or [params.get("service")]
        arns = [
            n if n.startswith("arn:") else f"arn:aws:ecs:{region}:{ACCOUNT}:service/{cluster}/{n}"
            for n in names
        ]
    return [
        Request(action, arn, {f"aws:ResourceTag/{k}": (v,) for k, v in tags_of(client, service, arn).items()})
        for arn in arns
    ]


def deployment_group_of(client: Any, deployment_id: str, region: str) -> str:
    """CodeDeploy authorises a deployment's calls on its deployment group."""
    guard = installed()
    assert guard is not None
    with guard.unchecked():
        info = client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    group = f"{info['applicationName']}/{info['deploymentGroupName']}"
    return f"arn:aws:codedeploy:{region}:{ACCOUNT}:deploymentgroup:{group}"


# ---------------------------------------------------------------------- the guard
@dataclass
class Denial:
    function: str
    request: Request
    why: str

    def __str__(self) -> str:
        request = self.request
        return f"{self.function}: {request.action} on {request.resource} {request.context or ''} {self.why}"


@dataclass
class Guard:
    """Checks attributed calls; keeps what it verified and what it denied."""

    template: dict[str, Any] = field(default_factory=translated)
    # The browser runner: the same handler, deployed from browser/template.yaml with JOURNEY_KIND=browser.
    browser_template: dict[str, Any] = field(default_factory=lambda: translated(BROWSER_TEMPLATE))
    verified: set[tuple[str, str, str]] = field(default_factory=set)
    denials: list[Denial] = field(default_factory=list)
    # (function, statement's index in its role, action as granted) that some verified call needed.
    used_grants: set[tuple[str, int, str]] = field(default_factory=set)
    # The verified calls (as in `verified`) that were made in a thread other than the main one.
    verified_in_threads: set[tuple[str, str, str]] = field(default_factory=set)
    _local: threading.local = field(default_factory=threading.local)
    _schemas: dict[tuple[str, str, str | None], str] = field(default_factory=dict)
    _bound: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.handlers = zip_functions()
        self.dirs = {directory: logical_id for directory, (logical_id, _) in self.handlers.items()}

    def template_of(self, function: str) -> dict[str, Any]:
        return self.browser_template if function == BROWSER_RUNNER else self.template

    # -- attribution
    def function_of(self, directory: str) -> str | None:
        if directory == "journey_runner" and os.environ.get("JOURNEY_KIND") == "browser":
            return BROWSER_RUNNER
        return self.dirs.get(directory)

    def current_function(self) -> str | None:
        frame = sys._getframe(1)
        while frame is not None:
            path = frame.f_code.co_filename
            if path.startswith(str(FUNCTIONS_DIR)):
                function = self.function_of(Path(path).relative_to(FUNCTIONS_DIR).parts[0])
                if function is not None:
                    return function
            frame = frame.f_back
        return RUNNING.get()

    @contextmanager
    def inherited(self, function: str | None) -> Iterator[None]:
        """Run as `function` (as its handler would): for the tests of the check itself."""
        token = RUNNING.set(function)
        try:
            yield
        finally:
            RUNNING.reset(token)

    def wrap_handler(self, module: Any) -> None:
        """If `module` is a function's handler module, its handler sets RUNNING while it runs."""
        path = Path(getattr(module, "__file__", None) or ".").resolve()
        if path.parent.parent != FUNCTIONS_DIR or path.parent.name not in self.handlers:
            return
        directory = path.parent.name
        file_name, name = self.handlers[directory][1].rsplit(".", 1)
        handler = getattr(module, name, None)
        if path.stem != file_name or handler is None:
            return

        @functools.wraps(handler)
        def invoked(event: Any, context: Any) -> Any:
            token = RUNNING.set(self.function_of(directory))
            try:
                return handler(event, context)
            finally:
                RUNNING.reset(token)

        setattr(module, name, invoked)

    @contextmanager
    def unchecked(self) -> Iterator[None]:
        """Calls the guard itself makes (a table's key schema, whether a key exists)."""
        self._local.unchecked = True
        try:
            yield
        finally:
            self._local.unchecked = False

    # -- checking
    def statements(self, function: str, region: str) -> list[dict[str, Any]]:
        # Bound afresh whenever the environment changes: each test names its own table, bus, bucket.
        key = (function, tuple(sorted(os.environ.items())), region)
        if key not in self._bound:
            environ = code_defaults() | dict(os.environ)
            self._bound[key] = bound_statements(self.template_of(function), function, environ, region)
        return self._bound[key]

    def check(self, function: str, requests: list[Request], region: str) -> Denial | None:
        statements = self.statements(function, region)
        for request in requests:
            if not allowed(statements, request):
                return Denial(function, request, "is not allowed by the function's role")
            self._verified(function, statements, request)
        return None

    def _verified(self, function: str, statements: list[dict[str, Any]], request: Request) -> None:
        self.verified.add((function, request.action, request.resource))
        if threading.current_thread() is not threading.main_thread():
            self.verified_in_threads.add((function, request.action, request.resource))
        for index, statement in enumerate(statements):
            if statement["Effect"] == "Allow" and statement_applies(statement, request):
                for action in as_list(statement.get("Action", [])):
                    if matches(action, request.action, ignore_case=True):
                        self.used_grants.add((function, index, action))

    def requests_for(self, client: Any, operation: str, params: dict[str, Any]) -> list[Request]:
        service, region = client.meta.service_model.service_name, client.meta.region_name
        if service == "dynamodb":
            return dynamodb_requests(
                operation, params, region, lambda t, i: self._partition_key(client, t, i)
            )
        if service == "s3":
            return s3_requests(operation, params)
        if (service, operation) in TAGGED_OPERATIONS:
            return tagged_requests(client, service, operation, params, region, self._tags)
        return other_requests(service, operation, params, region)

    def _tags(self, client: Any, service: str, arn: str) -> dict[str, str]:
        """The resource's tags as AWS knows them (aws:ResourceTag/<key>), read from moto unchecked."""
        with self.unchecked():
            try:
                if service == "lambda":
                    return client.list_tags(Resource=arn).get("Tags", {})
                if service == "appconfig":
                    return client.list_tags_for_resource(ResourceArn=arn).get("Tags") or {}
                if service == "codedeploy":
                    tags = client.list_tags_for_resource(ResourceArn=arn).get("Tags") or []
                    return {t["Key"]: t["Value"] for t in tags}
                tags = client.list_tags_for_resource(resourceArn=arn).get("tags") or []
                return {t["key"]: t["value"] for t in tags}
            except client.exceptions.ClientError:
                return {}  # no such resource: the call itself will say so

    def _partition_key(self, client: Any, table: str, index: str | None) -> str:
        cache_key = (client.meta.endpoint_url, table, index)
        if cache_key not in self._schemas:
            with self.unchecked():
                description = client.describe_table(TableName=table)["Table"]
            schemas = {None: description["KeySchema"]} | {
                i["IndexName"]: i["KeySchema"] for i in description.get("GlobalSecondaryIndexes", [])
            }
            for name, schema in schemas.items():
                hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
                self._schemas[(client.meta.endpoint_url, table, name)] = hash_key
        return self._schemas[cache_key]

    # -- botocore hooks
    def before_parameter_build(
        self, client: Any, params: dict[str, Any], model: Any, context: dict, **_: Any
    ) -> None:
        if getattr(self._local, "unchecked", False) or client.meta.iam_guard is not self:
            return
        function = self.current_function()
        if function is None:
            started_by = getattr(threading.current_thread(), STARTED_BY, None)
            if started_by is None:
                return  # the tests' own set-up
            denial: Denial | None = Denial(
                started_by,
                Request(f"{model.service_model.service_name}:{model.name}", "?"),
                "was made in a thread started by the function's code that does not say which function is "
                "running: start it with incident_core.concurrency (a pool that copies the context)",
            )
        else:
            denial = self._checked(function, client, model, params, context, client.meta.region_name)
        if denial is not None:
            self.denials.append(denial)
            context["iam_guard_denial"] = denial

    def _checked(
        self, function: str, client: Any, model: Any, params: dict[str, Any], context: dict, region: str
    ) -> Denial | None:
        """The call checked against `function`'s role: its denial, or None (and the call is verified)."""
        try:
            requests = self.requests_for(client, model.name, params)
        except KeyError as error:
            denial = Denial(
                function,
                Request(f"{model.service_model.service_name}:{model.name}", "?"),
                f"is an operation the permission check does not know ({error}); teach tests/iam_guard.py",
            )
        else:
            denial = self.check(function, requests, region)
            reads_object = model.service_model.service_name == "s3" and model.name in (
                "GetObject",
                "HeadObject",
            )
            if denial is None and reads_object:
                if self._can_list(function, params, region):  # S3 checks it to answer 404 rather than 403
                    listing = Request("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}")
                    self._verified(function, self.statements(function, region), listing)
                else:
                    context["iam_guard_missing_is_403"] = (params["Bucket"], params["Key"])
        return denial

    def _can_list(self, function: str, params: dict[str, Any], region: str) -> bool:
        # AWS does not document which s3:prefix (if any) its check of ListBucket for a GET/HEAD carries:
        # the role must allow it both with the key as prefix and without one.
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        statements = self.statements(function, region)
        return allowed(statements, Request("s3:ListBucket", bucket)) and allowed(
            statements, Request("s3:ListBucket", bucket, {"s3:prefix": (params["Key"],)})
        )

    def before_call(self, client: Any, model: Any, params: dict[str, Any], context: dict, **_: Any) -> Any:
        if client.meta.iam_guard is not self:
            return None
        denial = context.get("iam_guard_denial")
        if denial is not None:
            action, resource = denial.request.action, denial.request.resource
            return _error(
                403,
                "AccessDenied" if model.service_model.service_name == "s3" else "AccessDeniedException",
                f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{denial.function}Role/{denial.function} is not "
                f"authorized to perform: {action} on resource: {resource} because no identity-based policy "
                f"allows the {action} action",
            )
        hidden = context.get("iam_guard_missing_is_403")
        if hidden and not getattr(self._local, "unchecked", False) and not self._exists(client, *hidden):
            # S3 without s3:ListBucket does not say whether a key exists: 403 for a missing key.
            if model.name == "HeadObject":
                return _error(403, "403", "Forbidden")
            return _error(403, "AccessDenied", "Access Denied")
        return None

    def _exists(self, client: Any, bucket: str, key: str) -> bool:
        with self.unchecked():
            try:
                client.head_object(Bucket=bucket, Key=key)
            except client.exceptions.ClientError as error:
                if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    def attach(self, client: Any) -> None:
        """Check the client's calls; a client attached to another guard since (a test's) is left to it."""
        client.meta.iam_guard = self
        client.meta.events.register(
            "before-parameter-build", lambda **kw: self.before_parameter_build(client, **kw)
        )
        client.meta.events.register("before-call", lambda **kw: self.before_call(client, **kw))

    def grants(self) -> list[tuple[str, int, str]]:
        """Every (function, statement index, action) the roles allow, both stacks, except the dead-letter
        queue's sqs:SendMessage: Lambda's own use of the role, never a call of the code."""
        grants = []
        for function in sorted({*self.dirs.values(), BROWSER_RUNNER}):
            template = self.template_of(function)
            properties = template["Resources"][function]["Properties"]
            dead_letters = properties.get("DeadLetterConfig", {}).get("TargetArn")
            for index, statement in enumerate(role_statements(template, function)):
                if statement["Effect"] != "Allow" or statement.get("Resource") == dead_letters:
                    continue
                grants += [(function, index, action) for action in as_list(statement.get("Action", []))]
        return grants

    def unused_grants(self) -> dict[str, list[str]]:
        """Per function, the grants (Sid: action) no verified call needed in this run."""
        unused: dict[str, list[str]] = {}
        for function, index, action in self.grants():
            if (function, index, action) not in self.used_grants:
                statement = role_statements(self.template_of(function), function)[index]
                unused.setdefault(function, []).append(f"{statement.get('Sid', f'#{index}')}: {action}")
        return unused

    def summary(self) -> str:
        functions = sorted({f for f, _, _ in self.verified})
        actions = sorted({a for _, a, _ in self.verified})
        return (
            f"IAM permission check: {len(self.verified)} distinct (function, action, resource) calls "
            f"verified against each function's own role ({len(self.verified_in_threads)} of them made in "
            f"worker threads), {len(functions)} functions, {len(actions)} actions; "
            f"{len(self.denials)} denied; {len(self.grants())} grants in the roles, "
            f"{sum(len(a) for a in self.unused_grants().values())} never used"
        )


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    return AWSResponse("https://local-iam-guard", status, {}, None), parsed


# ---------------------------------------------------------------------- installing it for a test run
_INSTALLED: list[Guard] = []


def install(guard: Guard) -> None:
    """Every botocore client created from now on is checked by `guard`; every handler module loaded from
    now on sets RUNNING while its handler runs; every thread remembers which function started it."""
    import botocore.session

    original_create_client = botocore.session.Session.create_client
    original_exec_module = SourceFileLoader.exec_module
    original_start = threading.Thread.start

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        made = original_create_client(self, *args, **kwargs)
        guard.attach(made)
        return made

    def exec_module(self: Any, module: Any) -> None:
        original_exec_module(self, module)
        guard.wrap_handler(module)

    def start(self: threading.Thread) -> None:
        setattr(self, STARTED_BY, guard.current_function())
        original_start(self)

    botocore.session.Session.create_client = create_client
    SourceFileLoader.exec_module = exec_module
    threading.Thread.start = start
    _INSTALLED.append(guard)


def installed() -> Guard | None:
    return _INSTALLED[0] if _INSTALLED else None
