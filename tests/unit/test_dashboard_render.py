"""The dashboard body rendered from the template's parameters: signals drawn, left out, titled, valid."""

from __future__ import annotations

import json

import pytest

from incident_core.dashboard import (
    DashboardParamsError,
    dashboard_problems,
    parse_params,
    render_dashboard,
)

API_ID = "a1b2c3d4e5"
ALARM = "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:incident-suite-dev-journeys-silent"
EVERYTHING = {
    "Region": "eu-west-2",
    "Environment": "prod",
    "ProductHttpApiId": API_ID,
    "ProductFunctionNames": ["bookshop-api", "bookshop-viewings"],
    "ProductTableNames": "bookshop-orders,bookshop-viewings",
    "WatcherAlarmArns": [ALARM],
}
SIGNALS = ("Latency", "Traffic", "Errors", "Saturation")


def metric_widgets(body: dict) -> list[dict]:
    return [w for w in body["widgets"] if w["type"] == "metric"]


def namespaces(widget: dict) -> set[str]:
    return {line[0] for line in widget["properties"]["metrics"] if isinstance(line[0], str)}


def titles(body: dict) -> list[str]:
    return [w["properties"]["title"] for w in body["widgets"] if "title" in w["properties"]]


def test_every_signal_is_drawn_from_every_resource_when_all_parameters_are_given() -> None:
    body = render_dashboard(parse_params(EVERYTHING))

    assert dashboard_problems(body) == []
    by_signal = {
        s: [w for w in metric_widgets(body) if w["properties"]["title"].startswith(s)] for s in SIGNALS
    }
    assert {ns for w in by_signal["Latency"] for ns in namespaces(w)} == {"AWS/ApiGateway", "AWS/Lambda"}
    assert {ns for w in by_signal["Traffic"] for ns in namespaces(w)} == {"AWS/ApiGateway", "AWS/Lambda"}
    assert {ns for w in by_signal["Errors"] for ns in namespaces(w)} == {"AWS/ApiGateway", "AWS/Lambda"}
    assert {ns for w in by_signal["Saturation"] for ns in namespaces(w)} == {"AWS/Lambda", "AWS/DynamoDB"}
    heading = body["widgets"][0]["properties"]["markdown"]
    assert "Four Golden Signals: prod" in heading
    assert "Not drawn" not in heading


def test_latency_shows_p50_p90_p99_for_the_api_and_each_function() -> None:
    body = render_dashboard(parse_params(EVERYTHING))
    api = next(w for w in metric_widgets(body) if w["properties"]["title"].startswith("Latency: API"))
    assert [line[-1]["stat"] for line in api["properties"]["metrics"]] == ["p50", "p90", "p99"]
    assert {tuple(line[:4]) for line in api["properties"]["metrics"]} == {
        ("AWS/ApiGateway", "Latency", "ApiId", API_ID)
    }
    lambdas = next(w for w in metric_widgets(body) if w["properties"]["title"].startswith("Latency: Lambda"))
    stats = {(line[3], line[-1]["stat"]) for line in lambdas["properties"]["metrics"]}
    assert stats == {(f, p) for f in ("bookshop-api", "bookshop-viewings") for p in ("p50", "p90", "p99")}


def test_errors_are_counts_and_rates_of_traffic_through_metric_math() -> None:
    body = render_dashboard(parse_params(EVERYTHING))
    rate = next(w for w in metric_widgets(body) if "4xx and 5xx as % of requests" in w["properties"]["title"])
    lines = rate["properties"]["metrics"]
    hidden = {line[1]: line[-1]["id"] for line in lines if isinstance(line[0], str)}
    assert hidden == {"Count": "requests", "4xx": "client_errors", "5xx": "server_errors"}
    assert all(line[-1]["visible"] is False for line in lines if isinstance(line[0], str))
    expressions = {line[0]["expression"] for line in lines if isinstance(line[0], dict)}
    assert expressions == {"100 * client_errors / requests", "100 * server_errors / requests"}
    lambda_rate = next(w for w in metric_widgets(body) if "% of invocations" in w["properties"]["title"])
    expressions = [
        line[0]["expression"] for line in lambda_rate["properties"]["metrics"] if isinstance(line[0], dict)
    ]
    assert expressions == ["100 * errors0 / invocations0", "100 * errors1 / invocations1"]


def test_saturation_covers_lambda_concurrency_throttles_and_dynamodb_capacity_and_throttles() -> None:
    body = render_dashboard(parse_params(EVERYTHING))
    saturation = [w for w in metric_widgets(body) if w["properties"]["title"].startswith("Saturation")]
    metric_names = {line[1] for w in saturation for line in w["properties"]["metrics"]}
    assert {
        "ConcurrentExecutions",
        "Throttles",
        "Duration",
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
    } == metric_names
    tables = {line[3] for w in saturation for line in w["properties"]["metrics"] if line[0] == "AWS/DynamoDB"}
    assert tables == {"bookshop-orders", "bookshop-viewings"}


@pytest.mark.parametrize(
    ("missing", "namespace", "named"),
    [
        ("ProductHttpApiId", "AWS/ApiGateway", "ProductHttpApiId"),
        ("ProductFunctionNames", "AWS/Lambda", "ProductFunctionNames"),
        ("ProductTableNames", "AWS/DynamoDB", "ProductTableNames"),
    ],
)
def test_a_signal_whose_resource_is_not_given_is_left_out_and_the_heading_says_so(
    missing: str, namespace: str, named: str
) -> None:
    body = render_dashboard(parse_params({**EVERYTHING, missing: ""}))

    assert dashboard_problems(body) == []
    assert not [w for w in metric_widgets(body) if namespace in namespaces(w)]
    assert named in body["widgets"][0]["properties"]["markdown"]
    # Left out means no empty widget either: every metric widget has something to draw.
    assert all(w["properties"]["metrics"] for w in metric_widgets(body))


def test_with_no_product_resources_only_the_journeys_incidents_and_heading_remain() -> None:
    body = render_dashboard(parse_params({"Region": "eu-west-2", "ProductFunctionNames": [""]}))

    assert dashboard_problems(body) == []
    assert not [t for t in titles(body) if t.split(":")[0] in SIGNALS]
    assert {t.split(":")[0] for t in titles(body)} == {"Journeys", "Incidents"}
    heading = body["widgets"][0]["properties"]["markdown"]
    assert all(name in heading for name in ("ProductHttpApiId", "ProductFunctionNames", "ProductTableNames"))


def test_every_widget_title_names_its_signal_or_area_and_what_to_look_for() -> None:
    body = render_dashboard(parse_params(EVERYTHING))
    areas = (*SIGNALS, "Journeys", "Incidents", "Who watches the watcher")
    for title in titles(body):
        assert title.startswith(areas), title
        assert "Look for" in title, title


def test_journeys_use_suite_metrics_and_per_journey_logs_insights_queries() -> None:
    body = render_dashboard(parse_params(EVERYTHING))
    journey_metrics = [w for w in metric_widgets(body) if w["properties"]["title"].startswith("Journeys")]
    lines = [line for w in journey_metrics for line in w["properties"]["metrics"] if isinstance(line[0], str)]
    assert {tuple(line[:4]) for line in lines} == {
        ("IncidentSuite", name, "service", "incident-suite")
        for name in ("JourneyRuns", "JourneyFailures", "JourneyDuration")
    }
    logs = [w for w in body["widgets"] if w["type"] == "log"]
    assert len(logs) == 2
    assert all(
        w["properties"]["query"].startswith("SOURCE '/aws/lambda/incident-suite-prod' | ") for w in logs
    )
    assert all(" by journey" in w["properties"]["query"] for w in logs)


def test_watcher_alarms_are_shown_when_given() -> None:
    body = render_dashboard(parse_params(EVERYTHING))
    alarms = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert [w["properties"]["alarms"] for w in alarms] == [[ALARM]]
    without = render_dashboard(parse_params({**EVERYTHING, "WatcherAlarmArns": []}))
    assert not [w for w in without["widgets"] if w["type"] == "alarm"]


def test_many_functions_are_split_across_widgets_of_at_most_ten() -> None:
    functions = [f"fn-{n:02d}" for n in range(23)]
    body = render_dashboard(parse_params({**EVERYTHING, "ProductFunctionNames": functions}))

    assert dashboard_problems(body) == []
    invocations = [w for w in metric_widgets(body) if w["properties"]["title"].startswith("Traffic: Lambda")]
    assert [len(w["properties"]["metrics"]) for w in invocations] == [10, 10, 3]
    assert [w["properties"]["title"][-5:] for w in invocations] == ["(1/3)", "(2/3)", "(3/3)"]
    drawn = [line[3] for w in invocations for line in w["properties"]["metrics"]]
    assert drawn == functions


def test_rendering_is_deterministic_and_json_serialisable() -> None:
    first = json.dumps(render_dashboard(parse_params(EVERYTHING)))
    assert first == json.dumps(render_dashboard(parse_params(EVERYTHING)))


def test_lists_arrive_as_lists_or_comma_strings_and_blanks_and_repeats_are_dropped() -> None:
    params = parse_params(
        {"Region": "eu-west-2", "ProductFunctionNames": " a , b,,a ", "ProductTableNames": ["", ""]}
    )
    assert params.product_function_names == ("a", "b")
    assert params.product_table_names == ()
    assert params.name == "incident-suite-dev-golden-signals"
    assert params.log_group == "/aws/lambda/incident-suite-dev"


def test_bad_parameters_are_refused_naming_each_parameter_and_why() -> None:
    with pytest.raises(DashboardParamsError) as error:
        parse_params(
            {
                "Region": "London",
                "ProductHttpApiId": "Not An Id",
                "ProductFunctionNames": "ok-name,bad name",
                "ProductTableNames": "x",
                "WatcherAlarmArns": "arn:aws:sns:eu-west-2:123456789012:topic",
                "ProductFunction": "typo",
            }
        )
    message = str(error.value)
    for expected in (
        "Region: 'London' is not an AWS region",
        "ProductHttpApiId: 'Not An Id' is not an API Gateway API id",
        "ProductFunctionNames: not Lambda function names",
        "'bad name'",
        "ProductTableNames: not DynamoDB table names",
        "WatcherAlarmArns: not CloudWatch alarm ARNs",
        "ProductFunction: is not a dashboard parameter",
    ):
        assert expected in message


def test_region_is_required() -> None:
    with pytest.raises(DashboardParamsError, match="Region: Field required"):
        parse_params({})
