"""CloudWatch's GetMetricWidgetImage for moto, which has none: the same MetricWidget JSON, drawn to a PNG.

`install_metric_widget_images()` adds the operation to moto's CloudWatch (the server's and mock_aws's
alike, as stand_ins.aws.isolate_moto_dynamodb patches DynamoDB), so the suite's plain boto3 call
`get_metric_widget_image(MetricWidget=..., OutputFormat="png")` works against moto server over the real
wire protocol.

It is strict where CloudWatch is (GetMetricWidgetImage: Metric Widget Structure and Syntax): a payload
over 100 KB, JSON that is not an object, a property the structure does not have, 0 or over 100 metrics,
a metric line that is not [namespace, name, dimension name/value pairs..., {options}], an unknown option,
an id not starting with a lower-case letter, an expression naming an id that is not there, a period
that is not 1, 5, 10, 30 or a multiple of 60, a statistic CloudWatch does not know, width or height
outside 1-2000, a start not before the end, an annotation without its value, a legend position or a
fill CloudWatch does not have: each is refused with InvalidParameterInput naming what is wrong.

The datapoints are what moto recorded: standard statistics come from moto's GetMetricData; percentiles
(which moto does not compute) and metric math (which moto does not evaluate) are computed here from the
same recorded datapoints. matplotlib draws it: a development dependency (requirements-dev.txt), never in
the Lambda layer; imported only when an image is asked for.
"""

from __future__ import annotations

import ast
import io
import json
import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

MAX_PAYLOAD_BYTES = 100 * 1024
MAX_METRICS = 100
TOP_LEVEL = {
    "metrics",
    "annotations",
    "end",
    "height",
    "legend",
    "liveData",
    "period",
    "stacked",
    "stat",
    "start",
    "timezone",
    "title",
    "view",
    "width",
    "yAxis",
}
METRIC_OPTIONS = {"accountId", "color", "id", "label", "period", "region", "stat", "visible", "yAxis"}
EXPRESSION_OPTIONS = {"expression", "id", "label", "color", "period", "visible", "yAxis"}
VIEWS = {"timeSeries", "bar", "pie"}
STANDARD_STATS = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100)$")
METRIC_ID = re.compile(r"^[a-z][a-zA-Z0-9_]{0,254}$")
RELATIVE = re.compile(r"^-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
TIMEZONE = re.compile(r"^[+-](\d{2})(\d{2})$")
DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_PERIOD = 600, 400, 300


class MetricWidgetError(ValueError):
    """What CloudWatch answers with InvalidParameterInput."""


# ------------------------------------------------------------------------------------------ validating
def parse_widget(raw: str) -> dict[str, Any]:
    """The MetricWidget JSON, checked as CloudWatch checks it; MetricWidgetError says what is wrong."""
    if len(raw.encode()) > MAX_PAYLOAD_BYTES:
        raise MetricWidgetError(f"MetricWidget is {len(raw.encode())} bytes; at most 100 KB is accepted")
    try:
        widget = json.loads(raw)
    except ValueError as error:
        raise MetricWidgetError(f"MetricWidget is not valid JSON: {error}") from None
    if not isinstance(widget, dict):
        raise MetricWidgetError("MetricWidget must be a JSON object")
    extra = sorted(set(widget) - TOP_LEVEL)
    if extra:
        raise MetricWidgetError(f"MetricWidget should NOT have additional properties: {extra}")
    for name in ("width", "height"):
        if name in widget and not (_is_int(widget[name]) and 1 <= widget[name] <= 2000):
            raise MetricWidgetError(f"{name} must be an integer from 1 to 2000, not {widget[name]!r}")
    if "period" in widget:
        _period(widget["period"], "period")
    if "stat" in widget:
        _stat(widget["stat"], "stat")
    if widget.get("view", "timeSeries") not in VIEWS:
        raise MetricWidgetError(f"view must be one of {sorted(VIEWS)}, not {widget['view']!r}")
    for name in ("title",):
        if name in widget and not isinstance(widget[name], str):
            raise MetricWidgetError(f"{name} must be a string")
    for name in ("stacked", "liveData"):
        if name in widget and not isinstance(widget[name], bool):
            raise MetricWidgetError(f"{name} must be true or false")
    if "legend" in widget:
        legend = widget["legend"]
        if not isinstance(legend, dict) or set(legend) - {"position"}:
            raise MetricWidgetError("legend must be an object with only `position`")
        if legend.get("position", "bottom") not in ("bottom", "right", "hidden"):
            raise MetricWidgetError(
                f"legend.position must be bottom, right or hidden, not {legend['position']!r}"
            )
    if "timezone" in widget and not (
        isinstance(widget["timezone"], str) and TIMEZONE.match(widget["timezone"])
    ):
        raise MetricWidgetError(f"timezone must be +HHMM or -HHMM, not {widget['timezone']!r}")
    _y_axis(widget.get("yAxis"))
    _metrics(widget.get("metrics"))
    _annotations(widget.get("annotations"))
    start, end = time_range(widget, datetime.now(UTC))
    if start >= end:
        raise MetricWidgetError(f"start ({widget.get('start')}) must be before end ({widget.get('end')})")
    return widget


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _period(value: Any, where: str) -> None:
    if not _is_int(value) or not (value in (1, 5, 10, 30) or (value >= 60 and value % 60 == 0)):
        raise MetricWidgetError(f"{where} must be 1, 5, 10, 30 or a multiple of 60 seconds, not {value!r}")


def _stat(value: Any, where: str) -> None:
    if not isinstance(value, str) or not (value in STANDARD_STATS or PERCENTILE.match(value)):
        raise MetricWidgetError(f"{where} {value!r} is not a CloudWatch statistic")


def _y_axis(axis: Any) -> None:
    if axis is None:
        return
    if not isinstance(axis, dict) or set(axis) - {"left", "right"}:
        raise MetricWidgetError("yAxis must be an object with `left` and/or `right`")
    for side, settings in axis.items():
        if not isinstance(settings, dict) or set(settings) - {"min", "max", "label", "showUnits"}:
            raise MetricWidgetError(f"yAxis.{side} takes only min, max, label and showUnits")


def _metrics(metrics: Any) -> None:
    if not isinstance(metrics, list) or not 1 <= len(metrics) <= MAX_METRICS:
        raise MetricWidgetError(f"metrics must be an array of 1 to {MAX_METRICS} metrics and expressions")
    ids: set[str] = set()
    expressions: list[tuple[int, str]] = []
    previous: list[Any] = []
    for index, line in enumerate(metrics):
        where = f"metrics[{index}]"
        if not isinstance(line, list) or not line:
            raise MetricWidgetError(f"{where} must be a non-empty array")
        options = line[-1] if isinstance(line[-1], dict) else {}
        fields = line[:-1] if isinstance(line[-1], dict) else line
        if not fields:  # an expression: [{"expression": ...}]
            if "expression" not in options:
                raise MetricWidgetError(f"{where} has options but neither a metric nor an `expression`")
            _options(options, EXPRESSION_OPTIONS, where)
            if not isinstance(options["expression"], str) or not options["expression"].strip():
                raise MetricWidgetError(f"{where}.expression must be a non-empty string")
            expressions.append((index, options["expression"]))
        else:
            fields = [
                previous[i] if field == "." and i < len(previous) else field for i, field in enumerate(fields)
            ]
            if len(fields) < 2 or len(fields) % 2 or not all(isinstance(f, str) and f for f in fields):
                raise MetricWidgetError(
                    f"{where} must be [namespace, metricName, dimension name, value, ..., {{options}}]"
                )
            if "expression" in options:
                raise MetricWidgetError(f"{where} is a metric and cannot have an `expression`")
            _options(options, METRIC_OPTIONS, where)
            previous = fields
        if "id" in options:
            if not isinstance(options["id"], str) or not METRIC_ID.match(options["id"]):
                raise MetricWidgetError(f"{where}.id {options['id']!r} must start with a lower-case letter")
            if options["id"] in ids:
                raise MetricWidgetError(f"{where}.id {options['id']!r} is used twice")
            ids.add(options["id"])
    for index, text in expressions:
        unknown = sorted(_names(text, f"metrics[{index}].expression") - ids)
        if unknown:
            raise MetricWidgetError(f"metrics[{index}].expression names ids that no metric has: {unknown}")


def _options(options: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(options) - allowed)
    if extra:
        raise MetricWidgetError(f"{where} should NOT have additional properties: {extra}")
    if "period" in options:
        _period(options["period"], f"{where}.period")
    if "stat" in options:
        _stat(options["stat"], f"{where}.stat")
    if options.get("yAxis", "left") not in ("left", "right"):
        raise MetricWidgetError(f"{where}.yAxis must be left or right")
    if "visible" in options and not isinstance(options["visible"], bool):
        raise MetricWidgetError(f"{where}.visible must be true or false")


def _annotations(annotations: Any) -> None:
    if annotations is None:
        return
    if not isinstance(annotations, dict) or set(annotations) - {"horizontal", "vertical"}:
        raise MetricWidgetError("annotations must be an object with `horizontal` and/or `vertical` arrays")
    for index, item in enumerate(annotations.get("vertical", [])):
        where = f"annotations.vertical[{index}]"
        for edge in item if isinstance(item, list) else [item]:  # a band is two annotations
            if not isinstance(edge, dict) or "value" not in edge:
                raise MetricWidgetError(f"{where} needs a `value` (a date and time)")
            if set(edge) - {"value", "label", "color", "fill", "visible"}:
                raise MetricWidgetError(f"{where} should NOT have additional properties")
            if edge.get("fill", "before") not in ("before", "after"):
                raise MetricWidgetError(f"{where}.fill must be before or after")
            _instant(edge["value"], f"{where}.value")
    for index, item in enumerate(annotations.get("horizontal", [])):
        where = f"annotations.horizontal[{index}]"
        for edge in item if isinstance(item, list) else [item]:
            if not isinstance(edge, dict) or not isinstance(edge.get("value"), int | float):
                raise MetricWidgetError(f"{where} needs a numeric `value`")
            if set(edge) - {"value", "label", "color", "fill", "visible", "yAxis"}:
                raise MetricWidgetError(f"{where} should NOT have additional properties")
            if edge.get("fill", "above") not in ("above", "below"):
                raise MetricWidgetError(f"{where}.fill must be above or below")


def _instant(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise MetricWidgetError(f"{where} must be an ISO 8601 date and time")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MetricWidgetError(f"{where} {value!r} is not an ISO 8601 date and time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def time_range(widget: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    def read(name: str, default: str) -> datetime:
        value = widget.get(name, default)
        if isinstance(value, str) and (relative := RELATIVE.match(value)):
            weeks, days, hours, minutes, seconds = (int(part or 0) for part in relative.groups())
            return now - timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        return _instant(value, name)

    return read("start", "-PT3H"), read("end", "-PT0H")


# ------------------------------------------------------------------------------------------ the data
_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _names(text: str, where: str) -> set[str]:
    """The ids an arithmetic expression reads; anything beyond + - * / ( ) is refused by this stand-in."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise MetricWidgetError(f"{where} {text!r} is not a valid expression") from None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif not isinstance(
            node, ast.Expression | ast.BinOp | ast.UnaryOp | ast.USub | ast.Constant | ast.Load
        ) and (type(node) not in _OPERATORS):
            raise MetricWidgetError(f"{where} {text!r}: this stand-in evaluates only + - * / on metric ids")
    return names


def _evaluate(node: ast.AST, series: dict[str, dict[datetime, float]], at: datetime) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, series, at)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return series[node.id].get(at, math.nan)
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, series, at)
    assert isinstance(node, ast.BinOp)
    left, right = _evaluate(node.left, series, at), _evaluate(node.right, series, at)
    if isinstance(node.op, ast.Div) and right == 0:
        return math.nan  # CloudWatch leaves the point out
    return _OPERATORS[type(node.op)](left, right)


def _statistic(values: list[float], stat: str) -> float:
    match stat:
        case "Sum":
            return sum(values)
        case "Average":
            return sum(values) / len(values)
        case "Minimum":
            return min(values)
        case "Maximum":
            return max(values)
        case "SampleCount":
            return float(len(values))
    rank = float(stat[1:]) / 100 * (len(values) - 1)  # percentile, interpolated between neighbours
    ordered = sorted(values)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def series_of(
    backend: Any, widget: dict[str, Any], start: datetime, end: datetime
) -> list[tuple[dict[str, Any], dict[datetime, float]]]:
    """Each metric line with its datapoints {period start: value}, as recorded in moto."""
    lines: list[tuple[dict[str, Any], dict[datetime, float]]] = []
    by_id: dict[str, dict[datetime, float]] = {}
    previous: list[str] = []
    expressions = []
    for index, line in enumerate(widget["metrics"]):
        options = dict(line[-1]) if isinstance(line[-1], dict) else {}
        fields = line[:-1] if isinstance(line[-1], dict) else line
        options.setdefault("id", f"m{index}")
        if not fields:
            expressions.append(options)
            continue
        fields = [previous[i] if field == "." else field for i, field in enumerate(fields)]
        previous = fields
        stat = options.get("stat", widget.get("stat", "Average"))
        period = options.get("period", widget.get("period", DEFAULT_PERIOD))
        options.setdefault("label", f"{fields[1]}" + (f" {fields[3]}" if len(fields) > 3 else ""))
        points = _recorded(backend, fields, stat, period, start, end)
        by_id[options["id"]] = points
        lines.append((options, points))
    for options in expressions:
        tree = ast.parse(options["expression"], mode="eval")
        stamps = sorted({at for points in by_id.values() for at in points})
        points = {at: value for at in stamps if not math.isnan(value := _evaluate(tree, by_id, at))}
        options.setdefault("label", options["expression"])
        by_id[options["id"]] = points
        lines.append((options, points))
    return lines


def _recorded(
    backend: Any, fields: list[str], stat: str, period: int, start: datetime, end: datetime
) -> dict[datetime, float]:
    namespace, name = fields[0], fields[1]
    dimensions = [{"Name": fields[i], "Value": fields[i + 1]} for i in range(2, len(fields), 2)]
    start, end = _naive(start), _naive(end)  # moto keeps naive UTC timestamps
    if stat in STANDARD_STATS:  # moto's own GetMetricData
        query = {
            "Id": "q",
            "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
                "Period": period,
                "Stat": stat,
            },
        }
        (result,) = backend.get_metric_data(
            queries=[query], start_time=start, end_time=end, scan_by="TimestampAscending"
        )
        return {
            _utc(at): float(value) for at, value in zip(result["timestamps"], result["values"], strict=True)
        }
    wanted = sorted((d["Name"], d["Value"]) for d in dimensions)
    buckets: dict[datetime, list[float]] = {}
    for datum in backend.get_all_metrics():
        if datum.namespace != namespace or datum.name != name or not hasattr(datum, "value"):
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) != wanted:
            continue
        at = _naive(datum.timestamp)
        if start <= at < end:
            bucket = start + timedelta(seconds=(at - start).total_seconds() // period * period)
            buckets.setdefault(_utc(bucket), []).append(float(datum.value))
    return {at: _statistic(values, stat) for at, values in sorted(buckets.items())}


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _naive(at: datetime) -> datetime:
    """moto's clock: naive UTC, whole seconds."""
    return _utc(at).replace(tzinfo=None, microsecond=0)


# ------------------------------------------------------------------------------------------ drawing
def draw(
    widget: dict[str, Any], lines: list[tuple[dict[str, Any], dict[datetime, float]]], now: datetime
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    if widget.get("view", "timeSeries") != "timeSeries":
        raise MetricWidgetError("this stand-in draws view timeSeries only")
    start, end = time_range(widget, now)
    sign, hours, minutes = (
        widget.get("timezone", "+0000")[0],
        *TIMEZONE.match(widget.get("timezone", "+0000")).groups(),
    )  # type: ignore[union-attr]
    zone = timezone((1 if sign == "+" else -1) * timedelta(hours=int(hours), minutes=int(minutes)))
    width, height = widget.get("width", DEFAULT_WIDTH), widget.get("height", DEFAULT_HEIGHT)
    figure, left = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    right = None
    axes_settings = widget.get("yAxis") or {}
    palette = matplotlib.colormaps["tab10"].colors
    for index, (options, points) in enumerate(line for line in lines if line[0].get("visible", True)):
        axis = left
        if options.get("yAxis") == "right":
            right = right or left.twinx()
            axis = right
        stamps = sorted(points)
        axis.plot(
            [at.astimezone(zone) for at in stamps],
            [points[at] for at in stamps],
            label=options.get("label"),
            color=options.get("color") or palette[index % len(palette)],
            marker="o" if len(stamps) < 3 else None,
            linestyle="--" if axis is right else "-",
        )
    for side, axis in (("left", left), ("right", right)):
        if axis is None:
            continue
        settings = axes_settings.get(side) or {}
        drawn = [y for line in axis.get_lines() for y in line.get_ydata()]
        if drawn and max(drawn) <= 0 and "max" not in settings:
            axis.set_ylim(bottom=0, top=1)  # all zero: the line on a 0-1 axis, as CloudWatch draws it
        if "min" in settings or "max" in settings:
            low, high = settings.get("min"), settings.get("max")
            pad = (high - low) * 0.03 if low is not None and high is not None else 0
            axis.set_ylim(bottom=low, top=None if high is None else high + pad)  # a line at max stays visible
        if settings.get("label"):
            axis.set_ylabel(settings["label"])
    left.set_xlim(start.astimezone(zone), end.astimezone(zone))
    left.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    left.grid(True, alpha=0.3)
    # Labels of lines closer than 4% of the width are staggered down, so none hides another.
    placed: list[float] = []
    for item in (widget.get("annotations") or {}).get("vertical", []):
        for edge in item if isinstance(item, list) else [item]:
            if not edge.get("visible", True):
                continue
            at = _instant(edge["value"], "value").astimezone(zone)
            left.axvline(at, color=edge.get("color", "#7f7f7f"), linewidth=1.2, linestyle=":")
            share = (at - start.astimezone(zone)) / (end - start)
            crowded = sum(1 for other in placed if abs(other - share) < 0.04)
            placed.append(share)
            left.annotate(
                edge.get("label", ""),
                xy=(mdates.date2num(at), 1 - 0.3 * (crowded % 3)),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color=edge.get("color", "#333333"),
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
    if widget.get("title"):
        left.set_title(widget["title"], fontsize=9, loc="left")
    position = (widget.get("legend") or {}).get("position", "bottom")
    handles = [h for axis in (left, right) if axis for h in axis.get_legend_handles_labels()[0]]
    labels = [label for axis in (left, right) if axis for label in axis.get_legend_handles_labels()[1]]
    if handles and position != "hidden":
        if position == "right":
            left.legend(
                handles, labels, loc="center left", bbox_to_anchor=(1.08 if right else 1.0, 0.5), fontsize=7
            )
        else:
            left.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7)
    if not any(points for options, points in lines if options.get("visible", True)):
        left.text(0.5, 0.5, "No data available.", transform=left.transAxes, ha="center", color="#7f7f7f")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ moto
def install_metric_widget_images() -> None:
    """Teach moto's CloudWatch GetMetricWidgetImage (once per process)."""
    from moto.cloudwatch.exceptions import CloudWatchException
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    if getattr(CloudWatchResponse, "get_metric_widget_image", None) is not None:
        return

    class InvalidParameterInput(CloudWatchException):
        code = "InvalidParameterInput"

    class InvalidParameterValue(CloudWatchException):
        code = "InvalidParameterValue"

    def get_metric_widget_image(self: Any) -> Any:
        raw = self._get_param("MetricWidget")
        output_format = self._get_param("OutputFormat") or "png"
        if output_format not in ("png", "image/png"):
            raise InvalidParameterValue(f"OutputFormat {output_format!r}: only png is supported")
        if not isinstance(raw, str):
            raise InvalidParameterInput("MetricWidget is required")
        now = datetime.now(UTC)
        try:
            widget = parse_widget(raw)
            start, end = time_range(widget, now)
            png = draw(widget, series_of(self.cloudwatch_backend, widget, start, end), now)
        except MetricWidgetError as error:
            raise InvalidParameterInput(str(error)) from None
        return ActionResult({"MetricWidgetImage": png})

    CloudWatchResponse.get_metric_widget_image = get_metric_widget_image
