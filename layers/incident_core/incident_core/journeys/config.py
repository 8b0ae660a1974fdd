"""The journeys file as pydantic models: what a team writes, checked field by field.

The core keys (journeys, name, every, steps, request, expect, save) are fixed: users and tools rely on
them. Cross-field checks that span steps (unique names, ${var} defined by an earlier `save`) live in
loader.py, so that every problem in a file is listed at once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

JOURNEY_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}

# The runner wakes once a minute (EventBridge Scheduler), and must finish a failed journey twice
# (the confirming re-run) inside its 60 s Lambda timeout.
SCHEDULE_TICK = timedelta(minutes=1)
MAX_JOURNEY_TIMEOUT = timedelta(seconds=25)
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def parse_duration(value: Any) -> timedelta:
    """'500ms', '10s', '1m', '1h' -> timedelta. A bare number is refused: its unit would be a guess."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"give a duration with a unit, like 10s, 500ms, 1m or 1h (got {value!r})")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration: write a number and a unit (ms, s, m, h), like 30s")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    for unit in ("h", "m", "s"):
        if seconds >= _UNIT_SECONDS[unit] and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{int(seconds // _UNIT_SECONDS[unit])}{unit}"
    return f"{round(seconds * 1000)}ms"


def _one_or_many(value: Any) -> Any:
    """`status: 200` and `status: [200, 201]` both mean a list."""
    return value if isinstance(value, list) else [value]


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo (`expct:`) must not silently turn a check off.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Request(_Strict):
    method: str = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json")
    data: str | dict[str, str] | None = None
    timeout: Duration = timedelta(seconds=10)
    follow_redirects: bool = True

    @field_validator("method", mode="before")
    @classmethod
    def _known_method(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() not in HTTP_METHODS:
            raise ValueError(f"{value!r} is not an HTTP method ({', '.join(HTTP_METHODS)})")
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "${")):
            raise ValueError(f"must start with http:// or https:// (got {value!r})")
        return value

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: timedelta) -> timedelta:
        return _positive(value)

    @model_validator(mode="after")
    def _one_body(self) -> Request:
        if self.json_body is not None and self.data is not None:
            raise ValueError("give either json or data as the body, not both")
        return self


class Fill(_Strict):
    selector: str
    value: str


class Expect(_Strict):
    status: Annotated[list[int], BeforeValidator(_one_or_many)] | None = None
    max_ms: int | None = Field(None, gt=0)
    contains: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    selector: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    json_values: dict[str, Any] = Field(default_factory=dict, alias="json")
    visible: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)

    @field_validator("status")
    @classmethod
    def _status_codes(cls, value: list[int] | None) -> list[int] | None:
        for code in value or []:
            if not 100 <= code <= 599:
                raise ValueError(f"{code} is not an HTTP status code (100-599)")
        return value

    @field_validator("selector", "visible")
    @classmethod
    def _css(cls, value: list[str]) -> list[str]:
        for selector in value:
            check_css_selector(selector)
        return value

    @field_validator("json_values")
    @classmethod
    def _json_paths(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in value:
            check_json_path(path)
        return value


class Step(_Strict):
    name: str = Field(min_length=1)
    # An HTTP step has `request`; a browser step has one action (goto, click, fill) or only
    # `expect: {visible: ...}`.
    request: Request | None = None
    goto: str | None = None
    click: str | None = None
    fill: Fill | None = None
    expect: Expect = Field(default_factory=Expect)
    save: dict[str, str] = Field(default_factory=dict)
    timeout: Duration | None = None

    @field_validator("save")
    @classmethod
    def _save_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, path in value.items():
            if not VARIABLE_NAME.match(name):
                raise ValueError(f"{name!r} is not a variable name (letters, digits, _; not first a digit)")
            check_json_path(path)
        return value

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: timedelta | None) -> timedelta | None:
        return None if value is None else _positive(value)

    @field_validator("click")
    @classmethod
    def _click_selector(cls, value: str | None) -> str | None:
        if value is not None:
            check_css_selector(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        actions = [key for key in ("request", "goto", "click", "fill") if getattr(self, key) is not None]
        if len(actions) > 1:
            raise ValueError(f"a step does one thing: it has {' and '.join(actions)}; split it into steps")
        if not actions and not self.expect.visible:
            raise ValueError(
                "a step needs `request` (HTTP) or a browser action: goto, click, fill, or expect.visible"
            )
        if self.request is not None:
            if self.expect.visible:
                raise ValueError(
                    "expect.visible needs a browser step (goto/click/fill); "
                    "an HTTP step checks HTML with expect.selector"
                )
            if self.timeout is not None:
                raise ValueError("an HTTP step's timeout goes in request.timeout")
        else:
            misplaced = [k for k in ("selector", "json_values") if getattr(self.expect, k)]
            if self.save:
                misplaced.append("save")
            if self.expect.status is not None and self.goto is None:
                misplaced.append("status")
            if misplaced:
                names = ", ".join("json" if k == "json_values" else k for k in misplaced)
                raise ValueError(
                    f"{names}: only for HTTP steps (status also fits goto); "
                    "a browser step checks with expect.visible and expect.contains"
                )
        return self

    @property
    def kind(self) -> Literal["http", "browser"]:
        return "http" if self.request is not None else "browser"


class Journey(_Strict):
    name: str
    description: str = ""
    every: Duration = SCHEDULE_TICK
    timeout: Duration = timedelta(seconds=20)
    # What it depends on (Lambda functions, ECS services, stacks, deploy-marker services): a change to one
    # of them ranks first among the incident's revert candidates (docs/revert.md).
    services: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        if not JOURNEY_NAME.match(value) or len(value) > 64:
            raise ValueError(
                f"{value!r}: use lowercase letters, digits and dashes (like book-viewing), "
                "at most 64 characters"
            )
        return value

    @field_validator("every")
    @classmethod
    def _whole_minutes(cls, value: timedelta) -> timedelta:
        if value < SCHEDULE_TICK:
            raise ValueError(
                f"{format_duration(value)} is shorter than the runner's 1-minute schedule; use 1m or more"
            )
        if value.total_seconds() % 60:
            raise ValueError(f"{format_duration(value)} is not a whole number of minutes (1m, 5m, 1h)")
        return value

    @field_validator("timeout")
    @classmethod
    def _bounded_timeout(cls, value: timedelta) -> timedelta:
        _positive(value)
        if value > MAX_JOURNEY_TIMEOUT:
            raise ValueError(
                f"{format_duration(value)} is too long: a failed journey runs twice within "
                f"the runner's minute, so at most {format_duration(MAX_JOURNEY_TIMEOUT)}"
            )
        return value

    @cached_property
    def kind(self) -> Literal["http", "browser"]:
        """Journeys with any browser step run in the browser runner (container image with chromium)."""
        return "browser" if any(step.kind == "browser" for step in self.steps) else "http"

    @property
    def every_minutes(self) -> int:
        return int(self.every.total_seconds() // 60)


class JourneySettings(_Strict):
    # Off by default: per-journey CloudWatch dimensions cost $0.30 per metric per month each
    # (docs/journeys.md has the sums). Per-journey figures are always in the EMF log records.
    per_journey_metrics: bool = False


class JourneysFile(_Strict):
    settings: JourneySettings = Field(default_factory=JourneySettings)
    vars: dict[str, str] = Field(default_factory=dict)
    journeys: list[Journey] = Field(default_factory=list)

    @field_validator("vars", mode="before")
    @classmethod
    def _vars_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for k, v in value.items()
            }
        return value

    @field_validator("vars")
    @classmethod
    def _var_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not VARIABLE_NAME.match(name):
                raise ValueError(f"{name!r} is not a variable name (letters, digits, _; not first a digit)")
        return value

    def journey(self, name: str) -> Journey:
        for journey in self.journeys:
            if journey.name == name:
                return journey
        raise KeyError(name)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than 0")
    return value


def check_css_selector(selector: str) -> None:
    import soupsieve  # imported when a file is validated, not when a handler module loads

    if "${" in selector:
        return
    try:
        soupsieve.compile(selector)
    except Exception as error:  # soupsieve raises SelectorSyntaxError, and ValueError for some inputs
        raise ValueError(f"{selector!r} is not a valid CSS selector: {str(error).splitlines()[0]}") from None


def check_json_path(path: str) -> None:
    from jsonpath_ng.exceptions import JSONPathError
    from jsonpath_ng.ext import parse

    if not path.startswith("$"):
        raise ValueError(f"{path!r} is not a JSONPath: start it with $ (like $.status)")
    try:
        parse(path)
    except JSONPathError as error:
        raise ValueError(f"{path!r} is not a valid JSONPath: {error}") from None
