"""The dashboard body validator: accepts what the CloudWatch reference documents, names what it refuses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incident_core.dashboard import DashboardBodyError, dashboard_problems, validate_dashboard_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dashboard"
SEARCH_ERRORS = "SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Errors\"', 'Sum', 300)"
DOCUMENTED = json.loads((FIXTURES / "aws_dashboard_body_example.json").read_text())


def metric_props(body: dict) -> dict:
    return body["widgets"][0]["properties"]


def set_metrics(*lines: Any) -> Callable[[dict], Any]:
    return lambda body: metric_props(body).update(metrics=list(lines))


def with_change(change: Callable[[dict], Any]) -> dict:
    body = copy.deepcopy(DOCUMENTED)
    change(body)
    return body


def test_the_documented_example_body_is_valid() -> None:
    assert dashboard_problems(DOCUMENTED) == []
    validate_dashboard_body(DOCUMENTED)


def test_an_empty_widgets_array_is_valid_but_a_missing_one_is_not() -> None:
    assert dashboard_problems({"widgets": []}) == []
    assert dashboard_problems({"start": "-PT6H"}) == [
        "the body must have a 'widgets' array (it may be empty)"
    ]
    assert dashboard_problems([]) == ["the body must be a JSON object"]


def test_documented_widget_kinds_are_accepted() -> None:
    body = {
        "widgets": [
            {
                "type": "metric",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 6,
                "properties": {
                    "region": "eu-west-2",
                    "metrics": [
                        ["AWS/Lambda", "Errors", "FunctionName", "a", {"id": "e", "visible": False}],
                        [".", "Invocations", ".", ".", {"id": "i", "visible": False}],
                        [{"expression": "100 * e / i", "label": "error %", "id": "rate"}],
                        [{"expression": SEARCH_ERRORS, "id": "all"}],
                    ],
                    "stat": "p99.9",
                    "period": 60,
                    "view": "timeSeries",
                },
            },
            {"type": "log", "x": 0, "y": 6, "width": 12, "height": 6,
             "properties": {"query": "SOURCE 'a' | SOURCE 'b' | fields @message", "region": "eu-west-2",
                            "view": "table"}},
            {"type": "alarm", "x": 12, "y": 6, "width": 12, "height": 6,
             "properties": {"alarms": ["arn:aws:cloudwatch:eu-west-2:123456789012:alarm:x"], "title": "t"}},
        ]
    }  # fmt: skip
    assert dashboard_problems(body) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b.update(colour="red"), "unknown top-level key 'colour'"),
        (lambda b: b.update(periodOverride="sometimes"), "periodOverride must be 'auto' or 'inherit'"),
        (lambda b: b.update(start="yesterday"), "start must be a relative time"),
        (lambda b: b["widgets"][0].update(type="graph"), "widget 0: type 'graph' is not one of"),
        (lambda b: b["widgets"][0].update(width=25), "widget 0: width=25 must be an integer 1-24"),
        (lambda b: b["widgets"][0].update(width=0), "widget 0: width=0 must be an integer 1-24"),
        (lambda b: b["widgets"][0].update(x=20), "widget 0: x + width = 32 runs past the 24-column grid"),
        (lambda b: b["widgets"][0].update(x=-1), "widget 0: x=-1 must be an integer 0-23"),
        (lambda b: b["widgets"][0].update(y=1.5), "widget 0: y=1.5 must be a non-negative integer"),
        (lambda b: b["widgets"][0].update(height=1001), "widget 0: height=1001 must be an integer 1-1000"),
        (lambda b: b["widgets"][0].pop("properties"), "widget 0: must have a 'properties' object"),
        (lambda b: b["widgets"][1].update(y=2), "widgets 0 and 1 overlap"),
        (lambda b: metric_props(b).pop("region"), "widget 0: region None must be an AWS region"),
        (set_metrics(), "a metric widget needs a non-empty 'metrics' array"),
        (lambda b: metric_props(b).update(stat="Median"), "stat 'Median' is not a CloudWatch statistic"),
        (lambda b: metric_props(b).update(period=90), "period 90 must be 1, 5, 10, 30 or a multiple of 60"),
        (lambda b: metric_props(b).update(view="line"), "view 'line' is not one of"),
        (lambda b: metric_props(b).update(stacked="yes"), "stacked must be true or false"),
        (set_metrics(["AWS/EC2"]), "needs at least a namespace and a metric name"),
        (set_metrics(["AWS/EC2", "CPUUtilization", "InstanceId"]),
         "dimensions must come in name, value pairs"),
        (set_metrics([".", "CPUUtilization"]), "'.' at position 0 has nothing above"),
        (set_metrics(["AWS/EC2", "CPU", {"colour": "#fff"}]),
         "unknown rendering key 'colour'"),
        (set_metrics(["AWS/EC2", "CPU", {"id": "Cpu"}]),
         "id 'Cpu' must start with a lower-case letter"),
        (set_metrics(["AWS/EC2", "CPU", {"id": "a"}], ["AWS/EC2", "Net", {"id": "a"}]),
         "metric id 'a' is used more than once"),
        (set_metrics([{"expression": "m1 * 2", "id": "e1"}]),
         "refers to unknown ids ['m1']"),
        (set_metrics([{"expression": "1 + 1"}]), "an expression needs an 'id'"),
        (set_metrics([{"label": "x", "id": "e"}]), "needs a non-empty 'expression'"),
        (set_metrics(["AWS/EC2", "CPU", {"stat": "avg"}]),
         "stat 'avg' is not a CloudWatch statistic"),
        (set_metrics(["AWS/EC2", "CPU", {"yAxis": "top"}]),
         "yAxis must be 'left' or 'right'"),
        (lambda b: b["widgets"][1]["properties"].pop("markdown"), "a text widget needs 'markdown' text"),
        (lambda b: b["widgets"][1].update(type="log"), "query must start with SOURCE '<log group>'"),
        (lambda b: b["widgets"][1].update(type="alarm", properties={"alarms": []}), "needs 1-100 alarm ARNs"),
        (lambda b: b["widgets"][1].update(type="alarm", properties={"alarms": ["my-alarm"]}),
         "'my-alarm' is not a CloudWatch alarm ARN"),
    ],
)  # fmt: skip
def test_each_rule_refuses_a_body_that_breaks_it_and_names_why(
    change: Callable[[dict], Any], problem: str
) -> None:
    body = with_change(change)
    problems = dashboard_problems(body)
    assert any(problem in found for found in problems), problems
    with pytest.raises(DashboardBodyError) as error:
        validate_dashboard_body(body)
    assert problem in str(error.value)


def test_more_than_500_widgets_or_100_metrics_are_refused() -> None:
    text = {"type": "text", "x": 0, "width": 1, "height": 1, "properties": {"markdown": "."}}
    many = {"widgets": [{**text, "y": n} for n in range(501)]}
    assert "501 widgets; a dashboard holds at most 500" in dashboard_problems(many)
    crowded = with_change(
        lambda b: metric_props(b).update(metrics=[["AWS/EC2", f"M{n}"] for n in range(101)])
    )
    assert any("101 metrics; a widget holds at most 100" in p for p in dashboard_problems(crowded))
