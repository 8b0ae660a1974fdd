"""Small builders for CloudWatch dashboard widgets, and a grid that places them.

Shapes follow the CloudWatch "Dashboard Body Structure and Syntax" reference: a metric widget's
`metrics` is a list of arrays `[namespace, metricName, dimName, dimValue, ..., {options}]` or
`[{"expression": ..., "id": ..., "label": ...}]`; a log widget's `query` starts with `SOURCE '<group>'`.
"""

from __future__ import annotations

from typing import Any

GRID_COLUMNS = 24

Metric = list[Any]


def metric(namespace: str, name: str, dimensions: dict[str, str] | None = None, **options: Any) -> Metric:
    """One metric line: options are the rendering properties (stat, label, id, visible, yAxis, ...)."""
    line: Metric = [namespace, name]
    for key, value in (dimensions or {}).items():
        line += [key, value]
    if options:
        line.append(options)
    return line


def expression(expr: str, label: str, metric_id: str, **options: Any) -> Metric:
    return [{"expression": expr, "label": label, "id": metric_id, **options}]


def metric_widget(
    title: str,
    metrics: list[Metric],
    *,
    region: str,
    stat: str = "Sum",
    period: int = 300,
    view: str = "timeSeries",
    y_label: str | None = None,
    y_min: float | None = 0,
    stacked: bool = False,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": title,
        "metrics": metrics,
        "region": region,
        "stat": stat,
        "period": period,
        "view": view,
        "stacked": stacked,
    }
    if view == "timeSeries":
        left: dict[str, Any] = {"showUnits": False}
        if y_min is not None:
            left["min"] = y_min
        if y_label:
            left["label"] = y_label
        properties["yAxis"] = {"left": left}
    return {"type": "metric", "properties": properties}


def log_widget(title: str, log_group: str, query: str, *, region: str, view: str = "table") -> dict[str, Any]:
    return {
        "type": "log",
        "properties": {
            "title": title,
            "query": f"SOURCE '{log_group}' | {query}",
            "region": region,
            "view": view,
        },
    }


def text_widget(markdown: str) -> dict[str, Any]:
    return {"type": "text", "properties": {"markdown": markdown, "background": "transparent"}}


def alarm_widget(title: str, alarm_arns: list[str]) -> dict[str, Any]:
    return {
        "type": "alarm",
        "properties": {"title": title, "alarms": alarm_arns, "sortBy": "stateUpdatedTimestamp"},
    }


class Grid:
    """Places widgets left to right in rows of 24 columns, starting a new row when one does not fit."""

    def __init__(self) -> None:
        self.widgets: list[dict[str, Any]] = []
        self._x = 0
        self._y = 0
        self._row_height = 0

    def new_row(self) -> None:
        self._y += self._row_height
        self._x = 0
        self._row_height = 0

    def add(self, widget: dict[str, Any], width: int, height: int = 6) -> None:
        if not 1 <= width <= GRID_COLUMNS:
            raise ValueError(f"widget width {width} is outside 1-{GRID_COLUMNS}")
        if self._x + width > GRID_COLUMNS:
            self.new_row()
        self.widgets.append({**widget, "x": self._x, "y": self._y, "width": width, "height": height})
        self._x += width
        self._row_height = max(self._row_height, height)

    def section(self, markdown: str, height: int = 2) -> None:
        """A full-width heading that starts its own row."""
        if self._x:
            self.new_row()
        self.add(text_widget(markdown), GRID_COLUMNS, height)
        self.new_row()
