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
from incident_core.adapters.slack import FileUpload
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


class FileSharer(Protocol):
    def upload_files(
        self, channel: str, files: list[FileUpload], comment: str, thread_ts: str | None = None
    ) -> list[str]: ...


class Timelines(Protocol):
    def timeline(self, incident_id: str) -> list[TimelineEntry]: ...


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


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


def picture_upload(incident: Incident, picture: Picture) -> FileUpload:
    return FileUpload(
        filename=f"{incident.incident_id}-{picture.filename}",
        title=picture.title,
        content=picture.png,
        alt_text=_clip(f"{picture.title}, over the window of incident {incident.incident_id}", 1000),
    )


def pictures_comment(incident: Incident, asked_by: str | None = None) -> str:
    from incident_core.incidents.render import mrkdwn

    asked = f" (asked by <@{asked_by}>)" if asked_by else ""
    return (
        f"{PICTURES_COMMENT} for *{mrkdwn(incident.title)}*{asked}: from before the first sign to after "
        "the resolution (or now). The dotted lines mark when it started, was detected, acknowledged, "
        "declared, reverted (when it was), recovered and resolved."
    )


@dataclass
class ThreadPictures:
    """`/incident graph`: the incident window drawn now and posted in the incident's thread."""

    images: MetricImages
    params: DashboardParams
    incidents: Timelines
    alerts: Alerts
    files: FileSharer
    # Without journey results (the Slack app may not read them) the window starts at the recorded start
    # and the recovery is the alert's; the compiler's pictures use the runs.
    journeys: JourneyResults | None = None
    per_journey_metrics: bool = False

    def post(self, incident: Incident, asked_by: str, now: datetime) -> tuple[int, list[str]]:
        """How many pictures were posted, and what could not be read or drawn."""
        if not (incident.channel and incident.thread_ts):
            return 0, [f"{incident.incident_id} has no thread to post the pictures in."]
        problems: list[str] = []
        alert = self.alerts.get(incident.alert_id) if incident.alert_id else None
        runs = journey_runs(self.journeys, incident, alert, now, problems) if self.journeys else []
        timeline = self.incidents.timeline(incident.incident_id)
        pictures, not_drawn = draw_window(
            self.images,
            self.params,
            incident,
            alert,
            runs,
            timeline,
            now,
            per_journey_metrics=self.per_journey_metrics,
        )
        if pictures:
            self.files.upload_files(
                incident.channel,
                [picture_upload(incident, picture) for picture in pictures],
                pictures_comment(incident, asked_by),
                thread_ts=incident.thread_ts,
            )
        return len(pictures), [*problems, *not_drawn]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
