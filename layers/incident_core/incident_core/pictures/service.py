"""Drawing an incident's window: its instants read, the widgets built, each rendered by CloudWatch.

Used by the post-mortem compiler (stored beside the document, posted in the thread when resolved) and by
`/incident graph` (posted in the thread at any time). A picture CloudWatch cannot draw is said as a
problem; the others are still drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from incident_core.adapters.metric_images import MetricImages
from incident_core.dashboard.params import DashboardParams
from incident_core.models import Alert, Incident, TimelineEntry
from incident_core.pictures.window import WINDOW_MARGIN, incident_panels
from incident_core.postmortem.instants import read_instants
from incident_core.postmortem.journeys import JourneyRun, summarise

logger = logging.getLogger(__name__)
# Says what the post is, and lets the document leave it out of the timeline (postmortem/thread.py).
PICTURES_COMMENT = "📈 The incident window in pictures"


@dataclass(frozen=True)
class Picture:
    name: str  # journeys, latency, traffic, errors, saturation
    title: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


class JourneyResults(Protocol):
    def runs(self, journey: str, start: datetime, end: datetime) -> list[JourneyRun]: ...


def journey_runs(
    results: JourneyResults, incident: Incident, alert: Alert | None, now: datetime, problems: list[str]
) -> list[JourneyRun]:
    """The runs of the incident's journeys over its window (with the margin on each side)."""
    names = list(dict.fromkeys([*incident.journeys, *([alert.journey] if alert and alert.journey else [])]))
    start = incident.started_at - WINDOW_MARGIN
    end = (incident.resolved_at or now) + WINDOW_MARGIN
    runs: list[JourneyRun] = []
    for name in names:
        try:
            runs.extend(results.runs(name, start, end))
        except Exception as error:  # one journey's results missing does not stop the rest
            problems.append(f"The results of journey {name} could not be read ({type(error).__name__}).")
    return runs


def draw_window(
    images: MetricImages,
    params: DashboardParams,
    incident: Incident,
    alert: Alert | None,
    runs: Sequence[JourneyRun],
    timeline: Sequence[TimelineEntry],
    now: datetime,
    *,
    per_journey_metrics: bool = False,
) -> tuple[list[Picture], list[str]]:
    """The pictures of the incident window, and what could not be drawn."""
    summaries = summarise(runs)
    instants = read_instants(incident, alert, summaries, timeline)
    failing = [summary.journey for summary in summaries if summary.failures] or list(incident.journeys)
    panels = incident_panels(instants, failing, params, now, per_journey_metrics=per_journey_metrics)
    pictures, problems = [], []
    for panel in panels:
        try:
            pictures.append(Picture(panel.name, panel.title, images.render(panel.widget)))
        except Exception as error:  # CloudWatch refused or failed: said, and the rest still drawn
            logger.warning("picture %s not drawn: %s", panel.name, error)
            problems.append(f"The {panel.name} picture could not be drawn by CloudWatch ({_reason(error)}).")
    return pictures, problems


def _reason(error: Exception) -> str:
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return type(error).__name__


def dashboard_params(settings: Any) -> DashboardParams:
    """The product's resources as the dashboard has them (the same template parameters)."""
    from incident_core.dashboard.params import parse_params

    return parse_params(
        {
            "Region": settings.aws_region,
            "ProductHttpApiId": settings.product_http_api_id,
            "ProductFunctionNames": settings.product_function_names,
            "ProductTableNames": settings.product_table_names,
            "MetricsNamespace": settings.metrics_namespace,
            "Service": settings.service_name,
        }
    )
