"""The incident window as CloudWatch metric widget definitions (GetMetricWidgetImage's MetricWidget JSON).

Pure: the incident's instants and the product's dashboard parameters in, widget definitions out. Each
picture runs from the window's start to its end with a margin on each side, and carries a vertical
annotation at every instant the incident recorded (started, detected, acknowledged, declared, reverted,
recovered, resolved).

One image per panel, at most five: the failing journeys (results on the left axis, durations on the
right), then one per golden signal (latency, traffic, errors, saturation), each the signal's first widget
of the dashboard with its metrics, statistic, period and title. One unit per image keeps each readable in
a Slack thread; the dashboard (linked from the document) has every other widget of the signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from incident_core.dashboard.params import DashboardParams
from incident_core.dashboard.render import (
    JOURNEY_DURATION,
    JOURNEY_FAILURES,
    JOURNEY_PERIOD,
    JOURNEY_RUNS,
    golden_signal_widgets,
)
from incident_core.dashboard.widgets import expression, metric
from incident_core.postmortem.instants import IncidentInstants

LONDON = ZoneInfo("Europe/London")
# Before the start and after the end: what normal looked like on each side of the incident.
WINDOW_MARGIN = timedelta(minutes=15)
WIDTH, HEIGHT = 900, 380  # pixels: legible when Slack shows it in a thread, and in a Markdown page
# The widget properties GetMetricWidgetImage accepts (a dashboard widget's `region` is the API call's).
IMAGE_PROPERTIES = ("metrics", "title", "view", "stacked", "stat", "period", "yAxis")
# Vertical markers' colours: the bad news red, the response blue, the recovery green.
MARKER_COLOURS = {
    "started": "#d62728",
    "detected": "#ff7f0e",
    "acknowledged": "#1f77b4",
    "declared": "#1f77b4",
    "reverted": "#9467bd",
    "recovered": "#2ca02c",
    "resolved": "#2ca02c",
}


@dataclass(frozen=True)
class Panel:
    name: str  # file name stem: journeys, latency, traffic, errors, saturation
    title: str
    widget: dict[str, Any]  # the MetricWidget definition


def window(
    instants: IncidentInstants, now: datetime, margin: timedelta = WINDOW_MARGIN
) -> tuple[datetime, datetime]:
    """From the earliest recorded sign (the last passing run, or the start) to the resolution (or now)."""
    first = min(
        filter(None, (instants.started.at, instants.detection.last_pass, instants.detection.first_failure))
    )
    last = instants.resolved.at if instants.resolved else now
    return first - margin, last + margin


def annotations(instants: IncidentInstants) -> dict[str, list[dict[str, Any]]]:
    """A vertical annotation at each recorded instant, labelled with its name and London time; instants
    recorded at the same moment (declaring is acknowledging) share one line, named after both."""
    lines: dict[datetime, list[str]] = {}
    for marker in instants.markers():
        lines.setdefault(marker.at, []).append(marker.name)
    return {
        "vertical": [
            {
                "label": f"{', '.join(names)} {at.astimezone(LONDON):%H:%M}",
                "value": _iso(at),
                "color": MARKER_COLOURS.get(names[-1], "#7f7f7f"),
            }
            for at, names in sorted(lines.items())
        ]
    }


def incident_panels(
    instants: IncidentInstants,
    journeys: list[str],
    params: DashboardParams,
    now: datetime,
    *,
    per_journey_metrics: bool = False,
    margin: timedelta = WINDOW_MARGIN,
) -> list[Panel]:
    """The pictures of the incident window: the failing journeys, then the product's golden signals."""
    start, end = window(instants, now, margin)
    frame = {
        "start": _iso(start),
        "end": _iso(end),
        "annotations": annotations(instants),
        "width": WIDTH,
        "height": HEIGHT,
        "timezone": start.astimezone(LONDON).strftime("%z"),  # the document's clock: London
        "legend": {"position": "bottom"},
    }
    panels = [Panel("journeys", *_journeys_widget(journeys, params, per_journey_metrics))]
    for signal, widgets in golden_signal_widgets(params).items():
        properties = widgets[0]["properties"]
        panels.append(
            Panel(
                signal,
                properties["title"],
                {key: properties[key] for key in IMAGE_PROPERTIES if key in properties},
            )
        )
    return [Panel(panel.name, panel.title, {**panel.widget, **frame}) for panel in panels]


def _journeys_widget(
    journeys: list[str], params: DashboardParams, per_journey_metrics: bool
) -> tuple[str, dict[str, Any]]:
    """Success % (left) and duration (right) of the journeys, from the suite's journey metrics: the
    per-journey ones when the journeys publish them, else the service-wide ones every run publishes."""
    namespace, service = params.metrics_namespace, {"service": params.service}
    named = ", ".join(journeys) or "all journeys"
    title = f"Journeys ({named}): success % (left), duration ms (right)"
    if per_journey_metrics and journeys:
        metrics = []
        for index, journey in enumerate(journeys):
            dims = {**service, "journey": journey}
            metrics += [
                metric(namespace, "JourneySuccess", dims, id=f"ok{index}", stat="Average", visible=False),
                expression(f"100 * ok{index}", f"{journey} success %", f"success{index}"),
                metric(
                    namespace,
                    JOURNEY_DURATION,
                    dims,
                    stat="Maximum",
                    label=f"{journey} duration",
                    yAxis="right",
                ),
            ]
    else:
        metrics = [
            metric(namespace, JOURNEY_RUNS, service, id="runs", stat="Sum", visible=False),
            metric(namespace, JOURNEY_FAILURES, service, id="failures", stat="Sum", visible=False),
            expression("100 * (runs - failures) / runs", "success % (all journeys)", "success"),
            metric(namespace, JOURNEY_DURATION, service, stat="Maximum", label="longest run", yAxis="right"),
        ]
    widget = {
        "title": title,
        "metrics": metrics,
        "view": "timeSeries",
        "stacked": False,
        "period": JOURNEY_PERIOD,
        "yAxis": {
            "left": {"min": 0, "max": 100, "label": "%", "showUnits": False},
            "right": {"min": 0, "label": "ms", "showUnits": False},
        },
    }
    return title, widget


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
