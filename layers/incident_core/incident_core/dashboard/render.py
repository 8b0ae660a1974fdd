"""The Four Golden Signals dashboard body, rendered from the template's parameters (pure: no AWS).

The product's signals come first, one row per signal (latency, traffic, errors, saturation); a signal
whose resource parameter is empty is left out, and the heading says which parameters would add what.
Beside them: the journeys (do users get through?), the incidents (how fast do we answer?) and the
suite's own alarms (is the watcher watching?).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from incident_core.dashboard.params import RESOURCES_PER_WIDGET, DashboardParams
from incident_core.dashboard.widgets import (
    Grid,
    Metric,
    alarm_widget,
    expression,
    log_widget,
    metric,
    metric_widget,
)

API = "AWS/ApiGateway"
LAMBDA = "AWS/Lambda"
DYNAMODB = "AWS/DynamoDB"
PERCENTILES = ("p50", "p90", "p99")
PERIOD = 300  # five minutes: smooth enough to see a trend, fine enough to see an incident start
JOURNEY_PERIOD = 60  # journeys run every minute
ROW_WIDTHS = {1: 12, 2: 12, 3: 8, 4: 6}  # a signal's widgets share its row; more than four wrap at 8

# Journey results: aggregate metrics (namespace IncidentSuite, dimension service) and, per journey, EMF
# properties in the suite's log group (free to chart per journey with Logs Insights, no metric cost).
JOURNEY_RUNS = "JourneyRuns"
JOURNEY_FAILURES = "JourneyFailures"
JOURNEY_DURATION = "JourneyDuration"
# Field names as incident_core.journeys.metrics writes them (EMF metadata of each journey's record).
JOURNEY_FIELD = "journey"
JOURNEY_OK_FIELD = "success"  # 1 or 0
JOURNEY_DURATION_FIELD = "duration_ms"
# Incident timings (seconds) from the post-mortem step, and the open-incident count.
TIME_TO_ACKNOWLEDGE = "TimeToAcknowledge"
TIME_TO_RESOLVE = "TimeToResolve"
OPEN_INCIDENTS = "OpenIncidents"
# Alert grouping (the alert router): alerts that joined a group instead of paging, and pages sent.
ALERTS_GROUPED = "AlertsGrouped"
PAGES_SENT = "PagesSent"


def render_dashboard(params: DashboardParams) -> dict[str, Any]:
    """The DashboardBody (as a dict; json.dumps it for PutDashboard)."""
    grid = Grid()
    grid.section(_heading(params), height=3)
    for signal in (_latency, _traffic, _errors, _saturation):
        widgets = list(signal(params))
        width = ROW_WIDTHS.get(len(widgets), 8)
        for widget in widgets:
            grid.add(widget, width=width)
        grid.new_row()
    grid.section("## Journeys: do users get through?\nSynthetic journeys run every minute, as a user would.")
    for widget, width in _journeys(params):
        grid.add(widget, width=width)
    grid.section("## Incidents and the watcher")
    for widget, width in _incidents(params):
        grid.add(widget, width=width)
    if params.watcher_alarm_arns:
        grid.add(
            alarm_widget(
                "Who watches the watcher. Look for any alarm not OK: the suite itself may be blind",
                list(params.watcher_alarm_arns),
            ),
            width=24,  # a tile per alarm: one per function and dead-letter queue
            height=4,
        )
    return {"start": "-PT6H", "periodOverride": "auto", "widgets": grid.widgets}


def _heading(params: DashboardParams) -> str:
    lines = [
        f"# Four Golden Signals: {params.environment}",
        "Latency, traffic, errors and saturation of the product; an incident a journey cannot see shows "
        "here first as a trend. Each title says what to look for.",
    ]
    if params.left_out:
        lines.append("Not drawn (template parameter empty): " + "; ".join(params.left_out) + ".")
    return "\n\n".join(lines)


def _chunks(names: Sequence[str]) -> Iterator[tuple[str, Sequence[str]]]:
    """Groups of at most RESOURCES_PER_WIDGET names, with a title suffix when there is more than one."""
    groups = [names[i : i + RESOURCES_PER_WIDGET] for i in range(0, len(names), RESOURCES_PER_WIDGET)]
    for number, group in enumerate(groups, start=1):
        yield (f" ({number}/{len(groups)})" if len(groups) > 1 else ""), group


def _per_function(
    params: DashboardParams, title: str, lines: Callable[[int, str], list[Metric]], **widget: Any
) -> Iterator[dict[str, Any]]:
    for suffix, functions in _chunks(params.product_function_names):
        metrics = [line for index, name in enumerate(functions) for line in lines(index, name)]
        yield metric_widget(title + suffix, metrics, region=params.region, **widget)


def _per_table(
    params: DashboardParams, title: str, lines: Callable[[int, str], list[Metric]], **widget: Any
) -> Iterator[dict[str, Any]]:
    for suffix, tables in _chunks(params.product_table_names):
        metrics = [line for index, name in enumerate(tables) for line in lines(index, name)]
        yield metric_widget(title + suffix, metrics, region=params.region, **widget)


# ------------------------------------------------------------------------------------------ latency
def _latency(params: DashboardParams) -> Iterator[dict[str, Any]]:
    if api := params.product_http_api_id:
        yield metric_widget(
            "Latency: API p50 / p90 / p99 (ms). Look for p99 pulling away from p50",
            [metric(API, "Latency", {"ApiId": api}, stat=p, label=p) for p in PERCENTILES],
            region=params.region,
            period=PERIOD,
            y_label="ms",
        )
    yield from _per_function(
        params,
        "Latency: Lambda duration p50 / p90 / p99 (ms). Look for p99 climbing",
        lambda _, name: [
            metric(LAMBDA, "Duration", {"FunctionName": name}, stat=p, label=f"{name} {p}")
            for p in PERCENTILES
        ],
        period=PERIOD,
        y_label="ms",
    )


# ------------------------------------------------------------------------------------------ traffic
def _traffic(params: DashboardParams) -> Iterator[dict[str, Any]]:
    if api := params.product_http_api_id:
        yield metric_widget(
            "Traffic: API requests per 5 min. Look for a sudden drop (users cannot reach us) or spike",
            [metric(API, "Count", {"ApiId": api}, label="requests")],
            region=params.region,
            period=PERIOD,
        )
    yield from _per_function(
        params,
        "Traffic: Lambda invocations per 5 min. Look for drops to zero and unusual spikes",
        lambda _, name: [metric(LAMBDA, "Invocations", {"FunctionName": name}, label=name)],
        period=PERIOD,
    )


# ------------------------------------------------------------------------------------------- errors
def _errors(params: DashboardParams) -> Iterator[dict[str, Any]]:
    if api := params.product_http_api_id:
        dims = {"ApiId": api}
        yield metric_widget(
            "Errors: API 4xx and 5xx per 5 min. Look for any 5xx, and 4xx above its usual level",
            [metric(API, "4xx", dims, label="4xx"), metric(API, "5xx", dims, label="5xx")],
            region=params.region,
            period=PERIOD,
        )
        yield metric_widget(
            "Errors: API 4xx and 5xx as % of requests. Look for 5xx above 0% and 4xx rising",
            [
                metric(API, "Count", dims, id="requests", visible=False),
                metric(API, "4xx", dims, id="client_errors", visible=False),
                metric(API, "5xx", dims, id="server_errors", visible=False),
                expression("100 * client_errors / requests", "4xx % of requests", "client_error_rate"),
                expression("100 * server_errors / requests", "5xx % of requests", "server_error_rate"),
            ],
            region=params.region,
            period=PERIOD,
            y_label="%",
        )
    yield from _per_function(
        params,
        "Errors: Lambda errors per 5 min. Look for any errors at all",
        lambda _, name: [metric(LAMBDA, "Errors", {"FunctionName": name}, label=name)],
        period=PERIOD,
    )
    yield from _per_function(
        params,
        "Errors: Lambda errors as % of invocations. Look for anything above 0%",
        lambda i, name: [
            metric(LAMBDA, "Errors", {"FunctionName": name}, id=f"errors{i}", visible=False),
            metric(LAMBDA, "Invocations", {"FunctionName": name}, id=f"invocations{i}", visible=False),
            expression(f"100 * errors{i} / invocations{i}", f"{name} error %", f"error_rate{i}"),
        ],
        period=PERIOD,
        y_label="%",
    )


# --------------------------------------------------------------------------------------- saturation
def _saturation(params: DashboardParams) -> Iterator[dict[str, Any]]:
    if params.product_function_names:
        for suffix, functions in _chunks(params.product_function_names):
            yield metric_widget(
                "Saturation: Lambda concurrency (max). Look for a flat top: a limit is being hit" + suffix,
                [
                    metric(LAMBDA, "ConcurrentExecutions", {"FunctionName": name}, label=name)
                    for name in functions
                ],
                region=params.region,
                stat="Maximum",
                period=PERIOD,
            )
        yield from _per_function(
            params,
            "Saturation: Lambda throttles per 5 min. Look for any throttle (requests turned away)",
            lambda _, name: [metric(LAMBDA, "Throttles", {"FunctionName": name}, label=name)],
            period=PERIOD,
        )
        yield from _per_function(
            params,
            "Saturation: Lambda longest duration (ms). Look for lines nearing the function's timeout",
            lambda _, name: [metric(LAMBDA, "Duration", {"FunctionName": name}, label=name)],
            stat="Maximum",
            period=PERIOD,
            y_label="ms",
        )
    yield from _per_table(
        params,
        "Saturation: DynamoDB consumed capacity per 5 min. Look for steps up that do not come down",
        lambda _, name: [
            metric(DYNAMODB, "ConsumedReadCapacityUnits", {"TableName": name}, label=f"{name} read"),
            metric(DYNAMODB, "ConsumedWriteCapacityUnits", {"TableName": name}, label=f"{name} write"),
        ],
        period=PERIOD,
    )
    yield from _per_table(
        params,
        "Saturation: DynamoDB throttled reads and writes. Look for any throttle",
        lambda _, name: [
            metric(DYNAMODB, "ReadThrottleEvents", {"TableName": name}, label=f"{name} read"),
            metric(DYNAMODB, "WriteThrottleEvents", {"TableName": name}, label=f"{name} write"),
        ],
        period=PERIOD,
    )


# ----------------------------------------------------------------------------------- journeys, suite
def _suite_metric(params: DashboardParams, name: str, **options: Any) -> Metric:
    return metric(params.metrics_namespace, name, {"service": params.service}, **options)


def _journeys(params: DashboardParams) -> Iterator[tuple[dict[str, Any], int]]:
    region, group = params.region, params.log_group
    yield (
        metric_widget(
            "Journeys: success % (all journeys). Look for anything under 100%: users may be blocked",
            [
                _suite_metric(params, JOURNEY_RUNS, id="runs", visible=False),
                _suite_metric(params, JOURNEY_FAILURES, id="failures", visible=False),
                expression("100 * (runs - failures) / runs", "success %", "success_rate"),
            ],
            region=region,
            period=JOURNEY_PERIOD,
            y_label="%",
        ),
        8,
    )
    yield (
        metric_widget(
            "Journeys: duration p50 / p90 / p99 (ms). Look for slow creep before failures",
            [_suite_metric(params, JOURNEY_DURATION, stat=p, label=p) for p in PERCENTILES],
            region=region,
            period=JOURNEY_PERIOD,
            y_label="ms",
        ),
        8,
    )
    yield (
        metric_widget(
            "Journeys: runs per minute. Look for a gap: the runner stopped (its alarm fires after 5 min)",
            [
                _suite_metric(params, JOURNEY_RUNS, label="runs"),
                _suite_metric(params, JOURNEY_FAILURES, label="failures"),
            ],
            region=region,
            period=JOURNEY_PERIOD,
        ),
        8,
    )
    yield (
        log_widget(
            "Journeys: success % by journey. Look for one under 100%: that is where users are blocked",
            group,
            f"filter ispresent({JOURNEY_FIELD}) and ispresent({JOURNEY_OK_FIELD})"
            # Arithmetic on earlier aliases, as in AWS's sample Lambda memory query.
            f" | stats count(*) as runs, sum({JOURNEY_OK_FIELD}) as passed,"
            f" passed * 100 / runs as success_pct by {JOURNEY_FIELD}"
            " | sort success_pct asc",
            region=region,
        ),
        12,
    )
    yield (
        log_widget(
            "Journeys: duration by journey (ms). Look for one journey slower than its usual",
            group,
            f"filter ispresent({JOURNEY_FIELD}) and ispresent({JOURNEY_DURATION_FIELD})"
            f" | stats pct({JOURNEY_DURATION_FIELD}, 50) as p50, pct({JOURNEY_DURATION_FIELD}, 90) as p90,"
            f" max({JOURNEY_DURATION_FIELD}) as slowest by {JOURNEY_FIELD}"
            " | sort p90 desc",
            region=region,
        ),
        12,
    )


def _incidents(params: DashboardParams) -> Iterator[tuple[dict[str, Any], int]]:
    region = params.region
    yield (
        metric_widget(
            "Incidents: alerts grouped, pages sent. Look for as many pages as alerts in a storm",
            [
                _suite_metric(params, ALERTS_GROUPED, label="alerts grouped (no page of their own)"),
                _suite_metric(params, PAGES_SENT, label="pages sent"),
            ],
            region=region,
            stat="Sum",
            period=PERIOD,
            view="timeSeries",
        ),
        8,
    )
    yield (
        metric_widget(
            "Incidents: open now. Look for any without a lead or a recent update in its thread",
            [_suite_metric(params, OPEN_INCIDENTS, label="open incidents")],
            region=region,
            stat="Maximum",
            period=PERIOD,
            view="singleValue",
        ),
        8,
    )
    for name, what in (
        (TIME_TO_ACKNOWLEDGE, "Time to acknowledge (min). Look for it growing: pages not being heard"),
        (TIME_TO_RESOLVE, "Time to resolve (min). Look for it growing: runbooks or fixes missing"),
    ):
        yield (
            metric_widget(
                f"Incidents: {what}",
                [
                    _suite_metric(params, name, id="median", stat="p50", visible=False),
                    _suite_metric(params, name, id="longest", stat="Maximum", visible=False),
                    expression("median / 60", "median", "median_minutes"),
                    expression("longest / 60", "longest", "longest_minutes"),
                ],
                region=region,
                period=86400,
                view="timeSeries",
                y_label="minutes",
            ),
            8,
        )


# The product's signals in the dashboard's order; the incident pictures draw them as the dashboard does.
GOLDEN_SIGNALS = {"latency": _latency, "traffic": _traffic, "errors": _errors, "saturation": _saturation}


def golden_signal_widgets(params: DashboardParams) -> dict[str, list[dict[str, Any]]]:
    """Each signal's metric widgets, exactly as the dashboard draws them (a signal without resources is
    left out)."""
    drawn = {name: list(signal(params)) for name, signal in GOLDEN_SIGNALS.items()}
    return {name: widgets for name, widgets in drawn.items() if widgets}
