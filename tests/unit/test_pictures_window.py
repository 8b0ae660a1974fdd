"""The picture of the incident window: CloudWatch MetricWidget definitions (GetMetricWidgetImage)."""

from datetime import timedelta

from incident_core.dashboard.params import parse_params
from incident_core.dashboard.render import golden_signal_widgets
from incident_core.models import TimelineEntry, TimelineKind
from incident_core.pictures.window import IMAGE_PROPERTIES, WINDOW_MARGIN, incident_panels
from incident_core.postmortem.instants import read_instants
from incident_core.postmortem.journeys import summarise
from tests.helpers_postmortem import inputs_from_fixture, load_fixture, now_of

PRODUCT = parse_params(
    {
        "Region": "eu-west-2",
        "ProductHttpApiId": "a1b2c3d4e5",
        "ProductFunctionNames": "bookshop-web,bookshop-api",
        "ProductTableNames": "bookshop",
    }
)


def _panels(params=PRODUCT, *, revert: bool = False, per_journey: bool = False):
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    if revert:
        inputs.timeline.append(
            TimelineEntry(
                incident_id=inputs.incident.incident_id,
                at=inputs.incident.declared_at + timedelta(minutes=7),
                kind=TimelineKind.SYSTEM,
                text="Reverted bookshop-web",
                key="reverted-bookshop-web",
            )
        )
    summaries = summarise(inputs.journey_runs)
    instants = read_instants(inputs.incident, inputs.alert, summaries, inputs.timeline)
    panels = incident_panels(
        instants, ["book-viewing"], params, now_of(fixture), per_journey_metrics=per_journey
    )
    return inputs, panels


def test_one_picture_for_the_journeys_and_one_per_golden_signal():
    _, panels = _panels()
    assert [panel.name for panel in panels] == ["journeys", "latency", "traffic", "errors", "saturation"]
    # Without product resources only the journeys are drawn.
    _, alone = _panels(parse_params({"Region": "eu-west-2"}))
    assert [panel.name for panel in alone] == ["journeys"]


def test_the_journeys_picture_draws_results_and_durations_from_the_suite_metrics():
    _, panels = _panels()
    metrics = panels[0].widget["metrics"]
    named = [line[:4] for line in metrics if isinstance(line[0], str)]
    assert named == [
        ["IncidentSuite", "JourneyRuns", "service", "incident-suite"],
        ["IncidentSuite", "JourneyFailures", "service", "incident-suite"],
        ["IncidentSuite", "JourneyDuration", "service", "incident-suite"],
    ]
    (success,) = [line[0] for line in metrics if isinstance(line[0], dict)]
    assert success["expression"] == "100 * (runs - failures) / runs"
    assert metrics[-1][-1]["yAxis"] == "right"  # durations on their own axis (ms), results in %
    # With per-journey metrics published, the failing journey's own lines.
    _, per_journey = _panels(per_journey=True)
    lines = [line for line in per_journey[0].widget["metrics"] if isinstance(line[0], str)]
    assert {tuple(line[:6]) for line in lines} == {
        ("IncidentSuite", "JourneySuccess", "service", "incident-suite", "journey", "book-viewing"),
        ("IncidentSuite", "JourneyDuration", "service", "incident-suite", "journey", "book-viewing"),
    }


def test_the_golden_signals_are_drawn_as_the_dashboard_draws_them():
    _, panels = _panels()
    dashboard = golden_signal_widgets(PRODUCT)
    for panel in panels[1:]:
        drawn = dashboard[panel.name][0]["properties"]
        assert panel.widget["metrics"] == drawn["metrics"]
        assert (panel.widget["stat"], panel.widget["period"], panel.title) == (
            drawn["stat"],
            drawn["period"],
            drawn["title"],
        )
        # Only what GetMetricWidgetImage's MetricWidget accepts: no dashboard-only `region`.
        assert "region" not in panel.widget
        assert set(panel.widget) <= {
            *IMAGE_PROPERTIES,
            "start",
            "end",
            "annotations",
            "width",
            "height",
            "timezone",
            "legend",
        }


def test_the_window_runs_from_the_last_passing_run_to_the_resolution_with_a_margin_each_side():
    _, panels = _panels()
    assert timedelta(minutes=15) == WINDOW_MARGIN
    for panel in panels:
        assert panel.widget["start"] == "2026-01-13T09:46:00.000Z"  # last passing run 10:01 - 15 min
        assert panel.widget["end"] == "2026-01-13T10:41:00.000Z"  # resolved 10:26 + 15 min
        assert (panel.widget["width"], panel.widget["height"]) == (900, 380)


def test_an_annotation_at_each_instant_the_incident_recorded():
    _, panels = _panels(revert=True)
    expected = [
        ("started", "2026-01-13T10:02:00.000Z"),
        ("detected", "2026-01-13T10:03:10.000Z"),
        ("acknowledged", "2026-01-13T10:06:40.000Z"),
        ("declared", "2026-01-13T10:08:05.000Z"),
        ("reverted", "2026-01-13T10:15:05.000Z"),
        ("recovered", "2026-01-13T10:24:00.000Z"),
        ("resolved", "2026-01-13T10:26:00.000Z"),
    ]
    for panel in panels:
        vertical = panel.widget["annotations"]["vertical"]
        assert [(a["label"].split()[0], a["value"]) for a in vertical] == expected
        assert vertical[0]["label"] == "started 10:02"  # London time, GMT in January


def test_no_revert_marker_when_none_was_recorded():
    _, panels = _panels()
    labels = [a["label"] for a in panels[0].widget["annotations"]["vertical"]]
    assert not any(label.startswith("reverted") for label in labels)


def test_instants_recorded_at_one_moment_share_one_marker():
    # The demo's case: the alert is the detection, and declaring is acknowledging.
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    incident = inputs.incident
    incident.detected_at = incident.started_at
    incident.acknowledged_at = incident.declared_at
    instants = read_instants(incident, inputs.alert, summarise(inputs.journey_runs), inputs.timeline)
    (panel,) = incident_panels(
        instants, ["book-viewing"], parse_params({"Region": "eu-west-2"}), now_of(fixture)
    )
    labels = [a["label"] for a in panel.widget["annotations"]["vertical"]]
    assert labels[:2] == ["started, detected 10:02", "acknowledged, declared 10:08"]
