"""The journey runner's real handler, in this process, one scheduled tick at a time, with what each tick
did to AWS recorded through botocore's event hooks.

Used for the steady-state usage behind the cost model (duration, DynamoDB request units, log bytes,
metrics) and for the runner's part of detection to page. The clock the runner reads is the suite's
(incident_core.clock), set by the caller with `frozen_at`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.coldstart import ROOT

RUNNER = ROOT / "functions" / "journey_runner" / "app.py"
TICK_EVENT = ROOT / "events" / "journey_runner_scheduler_tick.json"
RUNNER_MEMORY_MB = 512  # template.yaml, JourneyRunnerFunction.MemorySize (checked by the caller)
WRITE_UNIT_BYTES, READ_UNIT_BYTES = 1024, 4096


# ---------------------------------------------------------------------- DynamoDB request units
def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value by DynamoDB's item-size rules (numbers approximated from their digits)."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: item}) for item in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(item) for item in inner)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + attribute_size(item) for name, item in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def _write_units(item: dict[str, Any], transactional: bool = False) -> float:
    units = math.ceil(item_size(item) / WRITE_UNIT_BYTES)
    if "gsi1pk" in item and "gsi1sk" in item:  # gsi1 projects ALL: the index write costs the same again
        units *= 2
    return units * (2 if transactional else 1)


def _read_units(items: list[dict[str, Any]], consistent: bool, per_item: bool) -> float:
    factor = 1.0 if consistent else 0.5
    if per_item:
        return sum(math.ceil(max(item_size(item), 1) / READ_UNIT_BYTES) * factor for item in items)
    return math.ceil(max(sum(item_size(item) for item in items), 1) / READ_UNIT_BYTES) * factor


@dataclass
class AwsCallLog:
    """What the clients did, from botocore's `provide-client-params` and `after-call` events."""

    calls: list[tuple[str, str]] = field(default_factory=list)  # (service, operation)
    write_units: float = 0.0
    read_units: float = 0.0
    items_written: int = 0
    put_events_at: list[float] = field(default_factory=list)  # perf_counter when PutEvents returned

    def clear(self) -> None:
        self.calls.clear()
        self.put_events_at.clear()
        self.write_units = self.read_units = 0.0
        self.items_written = 0

    def register(self, events: Any) -> None:
        events.register("provide-client-params", self._params)
        events.register("after-call", self._after)

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        operation = model.name
        self.calls.append((service, operation))
        if service == "events" and operation == "PutEvents":
            self.put_events_at.append(time.perf_counter())
        if service == "dynamodb":
            self._dynamodb(operation, context.get("bench_params") or {}, parsed)

    def _dynamodb(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if operation == "PutItem":
            self._wrote([params["Item"]])
        elif operation == "UpdateItem":
            self.write_units += 1  # the items the runner updates (a state's pending slot) are under 1 KB
            self.items_written += 1
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                self._wrote([r["PutRequest"]["Item"] for r in requests if "PutRequest" in r])
            for requests in (parsed.get("UnprocessedItems") or {}).values():  # not written: not billed
                for request in requests:
                    if "PutRequest" in request:
                        self.write_units -= _write_units(request["PutRequest"]["Item"])
                        self.items_written -= 1
        elif operation == "TransactWriteItems":
            self._wrote([entry["Put"]["Item"] for entry in params["TransactItems"] if "Put" in entry], True)
        elif operation == "GetItem":
            item = parsed.get("Item")
            self.read_units += _read_units([item] if item else [], params.get("ConsistentRead", False), True)
        elif operation == "BatchGetItem":
            for table, found in (parsed.get("Responses") or {}).items():
                consistent = params["RequestItems"][table].get("ConsistentRead", False)
                self.read_units += _read_units(found, consistent, per_item=True)
        elif operation == "Query":
            self.read_units += _read_units(
                parsed.get("Items", []), params.get("ConsistentRead", False), False
            )

    def _wrote(self, items: list[dict[str, Any]], transactional: bool = False) -> None:
        self.write_units += sum(_write_units(item, transactional) for item in items)
        self.items_written += len(items)


_CALL_LOGS: dict[int, AwsCallLog] = {}


def _call_log(events: Any) -> AwsCallLog:
    """One log per botocore session, registered once (clients copy the session's hooks when made)."""
    if id(events) not in _CALL_LOGS:
        _CALL_LOGS[id(events)] = log = AwsCallLog()
        log.register(events)
    return _CALL_LOGS[id(events)]


# ---------------------------------------------------------------------- the runner
@dataclass
class Tick:
    summary: dict[str, Any]
    duration_s: float
    to_put_events_s: float | None  # from the handler starting to its PutEvents call returning
    stdout: str
    write_units: float
    read_units: float
    items_written: int
    calls: list[tuple[str, str]]

    @property
    def emf_records(self) -> list[dict[str, Any]]:
        return [
            json.loads(line) for line in self.stdout.splitlines() if line.startswith("{") and '"_aws"' in line
        ]


@dataclass
class _Context:
    function_name: str = "incident-suite-bench-journey-runner"
    memory_limit_in_mb: int = RUNNER_MEMORY_MB
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-2:123456789012:function:incident-suite-bench-journey-runner"
    )
    aws_request_id: str = "bench"
    log_group_name: str = "/aws/lambda/incident-suite-bench"
    log_stream_name: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000  # the function's Timeout


class RunnerHarness:
    """functions/journey_runner/app.py loaded once (a warm container) and invoked tick by tick."""

    def __init__(self) -> None:
        import boto3

        from incident_core.adapters.aws import reset_clients

        reset_clients()  # the runner's clients are made after the hooks, so they carry them
        self.aws = _call_log(boto3._get_default_session().events)
        name = f"journey_runner_bench_{uuid.uuid4().hex[:8]}"
        spec = importlib.util.spec_from_file_location(name, RUNNER)
        assert spec and spec.loader
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[name] = self.module
        spec.loader.exec_module(self.module)
        self._template = json.loads(TICK_EVENT.read_text())

    def tick(self, scheduled_at: datetime) -> Tick:
        event = {
            **self._template,
            "id": str(uuid.uuid4()),
            "time": scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.aws.clear()
        captured = io.StringIO()
        started = time.perf_counter()
        # The log bytes: Powertools' log records (its handler keeps the stream it was made with) and the
        # EMF records (printed).
        handler = self.module.logger.registered_handler
        previous = handler.setStream(captured)
        try:
            with contextlib.redirect_stdout(captured):
                summary = self.module.lambda_handler(event, _Context())
        finally:
            handler.setStream(previous)
        duration = time.perf_counter() - started
        put_at = self.aws.put_events_at[0] - started if self.aws.put_events_at else None
        return Tick(
            summary=summary,
            duration_s=duration,
            to_put_events_s=put_at,
            stdout=captured.getvalue(),
            write_units=self.aws.write_units,
            read_units=self.aws.read_units,
            items_written=self.aws.items_written,
            calls=list(self.aws.calls),
        )
