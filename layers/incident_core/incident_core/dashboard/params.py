"""What the dashboard is drawn from: the template's parameters, validated with clear errors.

The same names as template.yaml's parameters (ProductHttpApiId, ProductFunctionNames, ...), so the
custom resource passes its properties straight through and `incidentctl dashboard render --params`
takes what `sam deploy --parameter-overrides` takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# Names as AWS allows them, so a typo fails here with the parameter's name rather than as a blank graph.
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
HTTP_API_ID = re.compile(r"^[a-z0-9]{1,32}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")
# One widget draws at most this many resources: readable lines, and far below CloudWatch's 100 metrics.
RESOURCES_PER_WIDGET = 10


class DashboardParamsError(ValueError):
    """The dashboard's parameters are wrong; the message names each wrong parameter and why."""


def _as_list(value: Any) -> list[str]:
    """A CommaDelimitedList arrives as a list from CloudFormation and as "a,b" from the command line."""
    if value is None:
        return []
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    seen: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"expected names, got {item!r}")
        if item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)


class DashboardParams(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    region: str = Field(alias="Region")
    environment: str = Field("dev", alias="Environment", pattern=r"^[a-z0-9-]+$")
    dashboard_name: str = Field("", alias="DashboardName")
    product_http_api_id: str = Field("", alias="ProductHttpApiId")
    product_function_names: tuple[str, ...] = Field((), alias="ProductFunctionNames")
    product_table_names: tuple[str, ...] = Field((), alias="ProductTableNames")
    # The suite's own alarms (who watches the watcher), drawn as one alarm-status widget.
    watcher_alarm_arns: tuple[str, ...] = Field((), alias="WatcherAlarmArns")
    suite_log_group: str = Field("", alias="SuiteLogGroup")
    metrics_namespace: str = Field("IncidentSuite", alias="MetricsNamespace")
    service: str = Field("incident-suite", alias="Service")

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region such as eu-west-2")
        return value

    @field_validator("product_http_api_id")
    @classmethod
    def _api_id(cls, value: str) -> str:
        value = value.strip()
        if value and not HTTP_API_ID.match(value):
            raise ValueError(f"{value!r} is not an API Gateway API id (lower-case letters and digits)")
        return value

    @field_validator("product_function_names", mode="before")
    @classmethod
    def _functions(cls, value: Any) -> tuple[str, ...]:
        names = _as_list(value)
        bad = [name for name in names if not FUNCTION_NAME.match(name)]
        if bad:
            raise ValueError(f"not Lambda function names (letters, digits, - and _; at most 64): {bad}")
        return tuple(names)

    @field_validator("product_table_names", mode="before")
    @classmethod
    def _tables(cls, value: Any) -> tuple[str, ...]:
        names = _as_list(value)
        bad = [name for name in names if not TABLE_NAME.match(name)]
        if bad:
            raise ValueError(f"not DynamoDB table names (3-255 of letters, digits, _ - .): {bad}")
        return tuple(names)

    @field_validator("watcher_alarm_arns", mode="before")
    @classmethod
    def _alarms(cls, value: Any) -> tuple[str, ...]:
        arns = _as_list(value)
        bad = [arn for arn in arns if not ALARM_ARN.match(arn)]
        if bad:
            raise ValueError(f"not CloudWatch alarm ARNs: {bad}")
        if len(arns) > 100:
            raise ValueError(f"an alarm widget shows at most 100 alarms, got {len(arns)}")
        return tuple(arns)

    @property
    def name(self) -> str:
        return self.dashboard_name or f"incident-suite-{self.environment}-golden-signals"

    @property
    def log_group(self) -> str:
        """The suite's log group: journey results are EMF properties there, queried by Logs Insights."""
        return self.suite_log_group or f"/aws/lambda/incident-suite-{self.environment}"

    @property
    def left_out(self) -> list[str]:
        """The product's signals not drawn, because the template parameter naming their resource is empty."""
        missing = []
        if not self.product_http_api_id:
            missing.append("ProductHttpApiId (API latency, requests, 4xx/5xx)")
        if not self.product_function_names:
            missing.append("ProductFunctionNames (Lambda duration, invocations, errors, concurrency)")
        if not self.product_table_names:
            missing.append("ProductTableNames (DynamoDB consumed capacity and throttles)")
        return missing


def parse_params(values: Mapping[str, Any]) -> DashboardParams:
    """DashboardParams from template-style names; DashboardParamsError lists every wrong parameter."""
    try:
        return DashboardParams.model_validate(dict(values))
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            field = ".".join(str(part) for part in issue["loc"]) or "parameters"
            message = issue["msg"].removeprefix("Value error, ")
            if issue["type"] == "extra_forbidden":
                message = "is not a dashboard parameter"
            problems.append(f"{field}: {message}")
        raise DashboardParamsError("; ".join(problems)) from None
