"""Checks a dashboard body against what CloudWatch's PutDashboard accepts.

Written from the CloudWatch "Dashboard Body Structure and Syntax" reference: the overall structure
(widgets, start, end, periodOverride, variables), the widget array (type, x, y, width 1-24, height
1-1000, properties), metric widgets (metrics arrays, math expressions and their ids, region, stat,
period, view), log widgets (a Logs Insights query starting with SOURCE, region, view), text widgets
(markdown) and alarm widgets (1-100 alarm ARNs). It also checks one rule of our own: no two widgets
overlap (CloudWatch would quietly move one).
"""

from __future__ import annotations

import re
from typing import Any

MAX_WIDGETS = 500
GRID_COLUMNS = 24
MAX_HEIGHT = 1000
MAX_METRICS = 100
MAX_DIMENSIONS = 30
WIDGET_TYPES = {"metric", "text", "log", "alarm", "explorer", "custom"}
BODY_KEYS = {"widgets", "start", "end", "periodOverride", "variables"}
WIDGET_KEYS = {"type", "x", "y", "width", "height", "properties"}
METRIC_VIEWS = {"timeSeries", "singleValue", "gauge", "bar", "pie", "table"}
LOG_VIEWS = {"table", "timeSeries", "bar", "pie"}
RENDERING_KEYS = {"accountId", "color", "label", "period", "region", "stat", "visible", "yAxis", "id"}
EXPRESSION_KEYS = {"expression", "label", "id", "color", "period", "region", "visible", "yAxis", "accountId"}
METRIC_PROPERTY_KEYS = {
    "accountId", "annotations", "liveData", "legend", "metrics", "period", "region", "setPeriodToTimeRange",
    "sparkline", "singleValueFullPrecision", "stacked", "stat", "table", "title", "trend", "view", "yAxis",
    "labels", "timezone", "start", "end",
}  # fmt: skip
LOG_PROPERTY_KEYS = {"accountId", "query", "region", "stacked", "title", "view", "queryLanguage"}
TEXT_PROPERTY_KEYS = {"markdown", "background"}
ALARM_PROPERTY_KEYS = {"alarms", "sortBy", "states", "title"}
STAT = re.compile(
    r"^(SampleCount|Average|Sum|Minimum|Maximum|IQM"
    r"|(p|tm|wm|tc|ts)(\d{1,2}(\.\d+)?|100)"
    r"|(TM|WM|TC|TS|PR)\(\d*(\.\d+)?%?:\d*(\.\d+)?%?\))$"
)
METRIC_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
ISO_DURATION = re.compile(r"^-P(\d+[DWMY])?(T(\d+H)?(\d+M)?(\d+S)?)?$")
ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")
# Inside an expression, lower-case words are metric ids; functions (SUM, FILL, IF, ...) are upper-case.
EXPRESSION_IDS = re.compile(r"\b[a-z][a-zA-Z0-9_]*\b")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class DashboardBodyError(ValueError):
    """The body would be rejected (or mis-drawn) by CloudWatch; `problems` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("dashboard body is not valid: " + "; ".join(problems))
        self.problems = problems


def dashboard_problems(body: Any) -> list[str]:
    """Every reason CloudWatch would reject this body; an empty list means it is valid."""
    problems: list[str] = []
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    problems += [f"unknown top-level key {key!r}" for key in sorted(set(body) - BODY_KEYS)]
    widgets = body.get("widgets")
    if not isinstance(widgets, list):
        return [*problems, "the body must have a 'widgets' array (it may be empty)"]
    if len(widgets) > MAX_WIDGETS:
        problems.append(f"{len(widgets)} widgets; a dashboard holds at most {MAX_WIDGETS}")
    if body.get("periodOverride") not in (None, "auto", "inherit"):
        problems.append("periodOverride must be 'auto' or 'inherit'")
    for key in ("start", "end"):
        if key in body and not _is_time(body[key]):
            problems.append(f"{key} must be a relative time such as -PT6H or an ISO 8601 timestamp")
    for index, widget in enumerate(widgets):
        problems += [f"widget {index}: {problem}" for problem in _widget_problems(widget)]
    problems += _overlaps(widgets)
    return problems


def validate_dashboard_body(body: Any) -> None:
    if problems := dashboard_problems(body):
        raise DashboardBodyError(problems)


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and bool(ISO_DURATION.match(value) or re.match(r"^\d{4}-\d\d-\d\dT", value))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _widget_problems(widget: Any) -> list[str]:
    if not isinstance(widget, dict):
        return ["must be a JSON object"]
    problems = [f"unknown key {key!r}" for key in sorted(set(widget) - WIDGET_KEYS)]
    kind = widget.get("type")
    if kind not in WIDGET_TYPES:
        problems.append(f"type {kind!r} is not one of {sorted(WIDGET_TYPES)}")
    x, y = widget.get("x", 0), widget.get("y", 0)
    width, height = widget.get("width", 6), widget.get("height", 6)
    if not (_is_int(x) and 0 <= x < GRID_COLUMNS):
        problems.append(f"x={x!r} must be an integer 0-{GRID_COLUMNS - 1}")
    if not (_is_int(y) and y >= 0):
        problems.append(f"y={y!r} must be a non-negative integer")
    if not (_is_int(width) and 1 <= width <= GRID_COLUMNS):
        problems.append(f"width={width!r} must be an integer 1-{GRID_COLUMNS}")
    elif _is_int(x) and x + width > GRID_COLUMNS:
        problems.append(f"x + width = {x + width} runs past the {GRID_COLUMNS}-column grid")
    if not (_is_int(height) and 1 <= height <= MAX_HEIGHT):
        problems.append(f"height={height!r} must be an integer 1-{MAX_HEIGHT}")
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        return [*problems, "must have a 'properties' object"]
    check = {"metric": _metric_problems, "log": _log_problems, "text": _text_problems}.get(kind or "")
    if kind == "alarm":
        check = _alarm_problems
    if check:
        problems += check(properties)
    return problems


def _title_problems(properties: dict[str, Any]) -> list[str]:
    title = properties.get("title")
    if title is not None and not isinstance(title, str):
        return ["title must be a string"]
    return []


def _region_problems(properties: dict[str, Any]) -> list[str]:
    region = properties.get("region")
    if not (isinstance(region, str) and re.match(r"^[a-z]{2}(-[a-z]+)+-\d+$", region)):
        return [f"region {region!r} must be an AWS region such as eu-west-2"]
    return []


def _period_ok(period: Any) -> bool:
    return _is_int(period) and (period in (1, 5, 10, 30) or (period > 0 and period % 60 == 0))


def _metric_problems(properties: dict[str, Any]) -> list[str]:
    problems = [
        f"unknown metric widget property {key!r}" for key in sorted(set(properties) - METRIC_PROPERTY_KEYS)
    ]
    problems += _title_problems(properties) + _region_problems(properties)
    if properties.get("view", "timeSeries") not in METRIC_VIEWS:
        problems.append(f"view {properties['view']!r} is not one of {sorted(METRIC_VIEWS)}")
    if "stat" in properties and not (isinstance(properties["stat"], str) and STAT.match(properties["stat"])):
        problems.append(f"stat {properties['stat']!r} is not a CloudWatch statistic")
    if "period" in properties and not _period_ok(properties["period"]):
        problems.append(f"period {properties['period']!r} must be 1, 5, 10, 30 or a multiple of 60 seconds")
    for key in ("stacked", "liveData", "setPeriodToTimeRange"):
        if key in properties and not isinstance(properties[key], bool):
            problems.append(f"{key} must be true or false")
    metrics = properties.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        return [*problems, "a metric widget needs a non-empty 'metrics' array"]
    if len(metrics) > MAX_METRICS:
        problems.append(f"{len(metrics)} metrics; a widget holds at most {MAX_METRICS}")
    ids: list[str] = []
    expressions: list[tuple[int, str]] = []
    previous: list[Any] | None = None
    for index, line in enumerate(metrics):
        where = f"metrics[{index}]"
        if not isinstance(line, list) or not line:
            problems.append(f"{where} must be a non-empty array")
            continue
        if isinstance(line[0], dict):
            if len(line) != 1:
                problems.append(f"{where}: an expression array holds exactly one object")
            options = line[0]
            expr = options.get("expression")
            if not (isinstance(expr, str) and expr.strip()):
                problems.append(f"{where}: an expression object needs a non-empty 'expression'")
            else:
                expressions.append((index, expr))
            if "id" not in options:
                problems.append(f"{where}: an expression needs an 'id'")
            problems += [
                f"{where}: unknown expression key {key!r}" for key in sorted(set(options) - EXPRESSION_KEYS)
            ]
        else:
            names = line[:-1] if isinstance(line[-1], dict) else line
            options = line[-1] if isinstance(line[-1], dict) else {}
            problems += [f"{where}: {problem}" for problem in _metric_line_problems(names, previous)]
            problems += [
                f"{where}: unknown rendering key {key!r}" for key in sorted(set(options) - RENDERING_KEYS)
            ]
            previous = names
        problems += [f"{where}: {problem}" for problem in _options_problems(options)]
        if isinstance(options.get("id"), str):
            ids.append(options["id"])
    duplicates = sorted({metric_id for metric_id in ids if ids.count(metric_id) > 1})
    problems += [f"metric id {metric_id!r} is used more than once" for metric_id in duplicates]
    for index, expr in expressions:
        unknown = sorted(set(EXPRESSION_IDS.findall(QUOTED.sub("", expr))) - set(ids))
        if unknown:
            problems.append(f"metrics[{index}]: expression {expr!r} refers to unknown ids {unknown}")
    return problems


def _metric_line_problems(names: list[Any], previous: list[Any] | None) -> list[str]:
    if not all(isinstance(name, str) and name for name in names):
        return ["namespace, metric name and dimensions must be non-empty strings"]
    if len(names) < 2:
        return ["needs at least a namespace and a metric name"]
    if len(names) % 2:
        return ["dimensions must come in name, value pairs"]
    if (len(names) - 2) // 2 > MAX_DIMENSIONS:
        return [f"at most {MAX_DIMENSIONS} dimensions"]
    # "." repeats the value at the same position in the previous metric (the reference's shorthand).
    for position, name in enumerate(names):
        if name == "." and (previous is None or position >= len(previous)):
            return [f"'.' at position {position} has nothing above it to repeat"]
    return []


def _options_problems(options: dict[str, Any]) -> list[str]:
    problems = []
    if "id" in options and not (isinstance(options["id"], str) and METRIC_ID.match(options["id"])):
        problems.append(f"id {options['id']!r} must start with a lower-case letter (letters, digits, _)")
    if "stat" in options and not (isinstance(options["stat"], str) and STAT.match(options["stat"])):
        problems.append(f"stat {options['stat']!r} is not a CloudWatch statistic")
    if "period" in options and not _period_ok(options["period"]):
        problems.append(f"period {options['period']!r} must be 1, 5, 10, 30 or a multiple of 60 seconds")
    if "visible" in options and not isinstance(options["visible"], bool):
        problems.append("visible must be true or false")
    if "yAxis" in options and options["yAxis"] not in ("left", "right"):
        problems.append("yAxis must be 'left' or 'right'")
    if "label" in options and not isinstance(options["label"], str):
        problems.append("label must be a string")
    return problems


def _log_problems(properties: dict[str, Any]) -> list[str]:
    problems = [f"unknown log widget property {key!r}" for key in sorted(set(properties) - LOG_PROPERTY_KEYS)]
    problems += _title_problems(properties) + _region_problems(properties)
    query = properties.get("query")
    if not (isinstance(query, str) and re.match(r"^SOURCE '[^']+'( \| SOURCE '[^']+')* \| \S", query)):
        problems.append("query must start with SOURCE '<log group>' | followed by a Logs Insights query")
    if properties.get("view", "table") not in LOG_VIEWS:
        problems.append(f"view {properties['view']!r} is not one of {sorted(LOG_VIEWS)}")
    return problems


def _text_problems(properties: dict[str, Any]) -> list[str]:
    problems = [
        f"unknown text widget property {key!r}" for key in sorted(set(properties) - TEXT_PROPERTY_KEYS)
    ]
    if not isinstance(properties.get("markdown"), str):
        problems.append("a text widget needs 'markdown' text")
    if properties.get("background", "solid") not in ("solid", "transparent"):
        problems.append("background must be 'solid' or 'transparent'")
    return problems


def _alarm_problems(properties: dict[str, Any]) -> list[str]:
    problems = [
        f"unknown alarm widget property {key!r}" for key in sorted(set(properties) - ALARM_PROPERTY_KEYS)
    ]
    problems += _title_problems(properties)
    alarms = properties.get("alarms")
    if not (isinstance(alarms, list) and 1 <= len(alarms) <= 100):
        return [*problems, "an alarm widget needs 1-100 alarm ARNs in 'alarms'"]
    problems += [f"{arn!r} is not a CloudWatch alarm ARN" for arn in alarms if not ALARM_ARN.match(str(arn))]
    if properties.get("sortBy", "default") not in ("default", "stateUpdatedTimestamp", "timestamp"):
        problems.append("sortBy must be default, stateUpdatedTimestamp or timestamp")
    return problems


def _overlaps(widgets: list[Any]) -> list[str]:
    boxes = []
    for index, widget in enumerate(widgets):
        if not isinstance(widget, dict):
            continue
        x, y = widget.get("x"), widget.get("y")
        width, height = widget.get("width", 6), widget.get("height", 6)
        if all(_is_int(value) for value in (x, y, width, height)):
            boxes.append((index, x, y, x + width, y + height))
    problems = []
    for position, (first, x1, y1, right1, bottom1) in enumerate(boxes):
        for second, x2, y2, right2, bottom2 in boxes[position + 1 :]:
            if x1 < right2 and x2 < right1 and y1 < bottom2 and y2 < bottom1:
                problems.append(f"widgets {first} and {second} overlap")
    return problems
