"""The GetMetricWidgetImage stand-in: boto3's real call to moto server, checked as CloudWatch checks it,
drawn from the datapoints moto recorded."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.adapters.aws import client
from incident_core.adapters.metric_images import CloudWatchImages
from stand_ins.cloudwatch_images import MetricWidgetError, parse_widget, series_of

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
SERVICE = ["IncidentSuite", "JourneyRuns", "service", "incident-suite"]


def _widget(**changes):
    widget = {
        "metrics": [[*SERVICE, {"id": "runs", "stat": "Sum"}]],
        "start": (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "end": NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "period": 60,
        "width": 600,
        "height": 300,
        "annotations": {
            "vertical": [{"value": (NOW - timedelta(minutes=30)).isoformat(), "label": "started"}]
        },
    }
    widget.update(changes)
    return widget


def test_a_valid_widget_is_drawn_as_a_png(aws):
    png = CloudWatchImages().render(_widget())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"region": "eu-west-2"}, "additional properties: ['region']"),
        ({"metrics": []}, "1 to 100 metrics"),
        ({"metrics": [[*SERVICE]] * 101}, "1 to 100 metrics"),
        ({"period": 90}, "period must be 1, 5, 10, 30 or a multiple of 60"),
        ({"width": 2001}, "width must be an integer from 1 to 2000"),
        ({"metrics": [[*SERVICE, {"stat": "p101"}]]}, "is not a CloudWatch statistic"),
        ({"metrics": [[*SERVICE, {"colour": "red"}]]}, "additional properties: ['colour']"),
        ({"metrics": [[*SERVICE, {"id": "Runs"}]]}, "must start with a lower-case letter"),
        ({"metrics": [["IncidentSuite", "JourneyRuns", "service"]]}, "must be [namespace, metricName"),
        ({"metrics": [[{"expression": "100 * ok / runs", "id": "rate"}]]}, "no metric has: ['ok', 'runs']"),
        ({"start": NOW.isoformat(), "end": (NOW - timedelta(hours=1)).isoformat()}, "must be before end"),
        ({"annotations": {"vertical": [{"label": "started"}]}}, "needs a `value`"),
        ({"annotations": {"vertical": [{"value": "yesterday"}]}}, "is not an ISO 8601"),
        ({"legend": {"position": "top"}}, "legend.position must be bottom, right or hidden"),
    ],
)
def test_what_cloudwatch_refuses_is_refused_with_invalid_parameter_input(aws, changes, said):
    with pytest.raises(ClientError) as refused:
        CloudWatchImages().render(_widget(**changes))
    assert refused.value.response["Error"]["Code"] == "InvalidParameterInput"
    assert said in refused.value.response["Error"]["Message"]


def test_only_png_is_an_output_format(aws):
    with pytest.raises(ClientError) as refused:
        client("cloudwatch").get_metric_widget_image(MetricWidget=json.dumps(_widget()), OutputFormat="jpeg")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_over_100_kb_is_refused(aws):
    widget = _widget(title="x" * 110_000)
    with pytest.raises(ClientError) as refused:
        CloudWatchImages().render(widget)
    assert "at most 100 KB" in refused.value.response["Error"]["Message"]


def test_the_picture_is_drawn_from_what_moto_recorded(aws):
    """The stand-in's series are moto's datapoints: sums from GetMetricData, percentiles and metric math
    computed from the same points."""
    from moto.cloudwatch.models import cloudwatch_backends

    minutes = [NOW - timedelta(minutes=10 - i) for i in range(10)]
    dims = [{"Name": "service", "Value": "incident-suite"}]
    client("cloudwatch").put_metric_data(
        Namespace="IncidentSuite",
        MetricData=[
            *(
                {"MetricName": "JourneyRuns", "Dimensions": dims, "Timestamp": at, "Value": 2}
                for at in minutes
            ),
            *(
                {
                    "MetricName": "JourneyFailures",
                    "Dimensions": dims,
                    "Timestamp": at,
                    "Value": 1 if i >= 5 else 0,
                }
                for i, at in enumerate(minutes)
            ),
            *(
                {
                    "MetricName": "JourneyDuration",
                    "Dimensions": dims,
                    "Timestamp": at,
                    "Value": 100.0 * (i + 1),
                }
                for i, at in enumerate(minutes)
            ),
        ],
    )
    widget = _widget(
        metrics=[
            [*SERVICE, {"id": "runs", "stat": "Sum", "visible": False}],
            [
                "IncidentSuite",
                "JourneyFailures",
                "service",
                "incident-suite",
                {"id": "failures", "stat": "Sum"},
            ],
            [{"expression": "100 * (runs - failures) / runs", "id": "success", "label": "success %"}],
            ["IncidentSuite", "JourneyDuration", "service", "incident-suite", {"stat": "p90"}],
        ]
    )
    backend = cloudwatch_backends["123456789012"]["eu-west-2"]
    start, end = NOW - timedelta(hours=1), NOW
    lines = {options["id"]: points for options, points in series_of(backend, widget, start, end)}
    assert sorted(lines["success"].values()) == [50.0] * 5 + [100.0] * 5
    assert max(lines["m3"].values()) == 1000.0  # one datapoint a minute: p90 of one value is the value
    assert CloudWatchImages().render(widget).startswith(b"\x89PNG")


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "metrics",
                        "start",
                        "end",
                        "period",
                        "annotations",
                        "vertical",
                        "value",
                        "id",
                        "expression",
                        "yAxis",
                        "legend",
                        "width",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_is_parsed_or_refused_with_a_reason(value):
    try:
        parse_widget(json.dumps(value))
    except MetricWidgetError as error:
        assert str(error)
