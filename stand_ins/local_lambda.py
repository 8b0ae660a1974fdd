"""Run the suite's functions locally as Lambda would: handlers from template.yaml, events routed by
the template's own EventBridge rules.

`LocalSuite` reads every AWS::Serverless::Function in template.yaml, imports its handler from
`functions/<dir>/app.py`, and, for each EventBridgeRule event of a function, creates the same rule
(same pattern, same bus) in moto with an SQS queue as target. `deliver()` then drains those queues
and invokes the handlers with the EventBridge events exactly as they were put on the bus, until no
event is left: the local chain follows the same wiring as the deployed stack.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from incident_core.adapters.aws import client
from stand_ins.aws import ROOT, load_template
from stand_ins.emf import metrics_from_logs

LOCAL_ACCOUNT = "123456789012"  # moto's default account


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and Bolt read."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/incident-suite-local"
    log_stream_name: str = "local"
    qualifier: str | None = None  # the alias (or version) it was invoked through, e.g. "live"

    @property
    def invoked_function_arn(self) -> str:
        arn = f"arn:aws:lambda:eu-west-2:{LOCAL_ACCOUNT}:function:{self.function_name}"
        return f"{arn}:{self.qualifier}" if self.qualifier else arn

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    rules: list[dict[str, Any]]
    _module: ModuleType | None = None

    @property
    def module(self) -> ModuleType:
        if self._module is None:
            file_name, _ = self.handler.rsplit(".", 1)
            path = self.code_dir / f"{file_name}.py"
            name = f"suite_functions.{self.code_dir.name}.{file_name}"
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec and spec.loader, path
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            self._module = module
        return self._module

    def invoke(self, event: dict[str, Any]) -> Any:
        handler = getattr(self.module, self.handler.rsplit(".", 1)[1])
        with metrics_from_logs():  # CloudWatch turns the function's EMF log records into metrics
            return handler(event, LambdaContext(function_name=self.logical_id))


def functions_from_template(template: dict[str, Any] | None = None) -> dict[str, Function]:
    template = template or load_template()
    functions = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        if "CodeUri" not in props:  # container-image functions are not run locally
            continue
        rules = [
            event["Properties"]
            for event in (props.get("Events") or {}).values()
            if event["Type"] == "EventBridgeRule"
        ]
        functions[logical_id] = Function(logical_id, ROOT / props["CodeUri"], props["Handler"], rules)
    return functions


class LocalSuite:
    """The deployed wiring, locally: suite-bus rules -> SQS (moto) -> handler invocations."""

    def __init__(self, bus_name: str) -> None:
        self.bus_name = bus_name
        self.functions = functions_from_template()
        self._queues: dict[str, str] = {}  # logical id -> queue url
        self.delivered: list[tuple[str, dict[str, Any]]] = []

    def function(self, logical_id: str) -> Function:
        return self.functions[logical_id]

    def wire(self) -> LocalSuite:
        events, sqs = client("events"), client("sqs")
        for logical_id, function in self.functions.items():
            suite_rules = [r for r in function.rules if _is_suite_bus(r.get("EventBusName"))]
            if not suite_rules:
                continue
            queue_url = sqs.create_queue(QueueName=f"local-{logical_id}")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self._queues[logical_id] = queue_url
            for index, rule in enumerate(suite_rules):
                name = f"local-{logical_id}-{index}"
                events.put_rule(
                    Name=name, EventBusName=self.bus_name, EventPattern=json.dumps(rule["Pattern"])
                )
                events.put_targets(
                    Rule=name, EventBusName=self.bus_name, Targets=[{"Id": "q", "Arn": queue_arn}]
                )
        return self

    def deliver(self, max_rounds: int = 20) -> list[tuple[str, dict[str, Any]]]:
        """Invoke handlers for every event waiting on the bus, repeating while handlers put more."""
        sqs = client("sqs")
        handled: list[tuple[str, dict[str, Any]]] = []
        for _ in range(max_rounds):
            round_events: list[tuple[str, dict[str, Any]]] = []
            for logical_id, queue_url in self._queues.items():
                while True:
                    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                        "Messages", []
                    )
                    if not messages:
                        break
                    for message in messages:
                        event = json.loads(message["Body"])
                        # moto leaves out the envelope's `account`, which EventBridge always sends.
                        event.setdefault("account", LOCAL_ACCOUNT)
                        round_events.append((logical_id, event))
                        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not round_events:
                break
            for logical_id, event in round_events:
                self.functions[logical_id].invoke(event)
                handled.append((logical_id, event))
        self.delivered.extend(handled)
        return handled

    def fire_due_schedules(self, now: datetime, group: str) -> int:
        """What EventBridge Scheduler does at `now`: every due one-time schedule (`at(...)`) whose target
        is the bus puts its event there and is deleted (ActionAfterCompletion DELETE). Returns how many."""
        scheduler, events = client("scheduler"), client("events")
        fired = 0
        for summary in scheduler.list_schedules(GroupName=group)["Schedules"]:
            schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
            if _one_time_at(schedule["ScheduleExpression"]) > now:
                continue
            target = schedule["Target"]
            parameters = target["EventBridgeParameters"]
            events.put_events(
                Entries=[
                    {
                        "EventBusName": target["Arn"],
                        "Source": parameters["Source"],
                        "DetailType": parameters["DetailType"],
                        "Detail": target["Input"],
                        "Time": now,
                    }
                ]
            )
            scheduler.delete_schedule(GroupName=group, Name=schedule["Name"])
            fired += 1
        return fired

    def next_schedule_at(self, group: str) -> datetime | None:
        scheduler = client("scheduler")
        times = [
            _one_time_at(scheduler.get_schedule(GroupName=group, Name=s["Name"])["ScheduleExpression"])
            for s in scheduler.list_schedules(GroupName=group)["Schedules"]
        ]
        return min(times, default=None)


def _one_time_at(expression: str) -> datetime:
    """`at(2026-11-30T09:00:00)` (Scheduler's one-time form, UTC unless a time zone is set) as a datetime."""
    match = re.fullmatch(r"at\((.+)\)", expression)
    if not match:
        raise ValueError(f"not a one-time schedule expression: {expression!r}")
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)


def _is_suite_bus(bus: Any) -> bool:
    # In the template the suite's rules name the bus with {"Ref": "Bus"}; others use the default bus.
    return bus == {"Ref": "Bus"}


def function_in_moto(name: str, alias: str | None = None) -> str:
    """A function named `name` (and its `alias` of version 1) in moto, for code that invokes it: moto accepts
    an invocation without running it (no Docker). Returns the ARN to invoke (the alias's, if any)."""
    import io
    import os
    import urllib.request
    import zipfile

    config = json.dumps({"lambda": {"use_docker": False}}).encode()
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/config", data=config, method="POST")
    ).close()
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
    created = client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="app.lambda_handler",
        Code={"ZipFile": code.getvalue()},
        Publish=alias is not None,
    )
    if alias is None:
        return created["FunctionArn"]
    return client("lambda").create_alias(FunctionName=name, Name=alias, FunctionVersion="1")["AliasArn"]
