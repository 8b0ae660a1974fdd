"""Monthly cost: the suite watching N journeys every minute, beside the same journeys as CloudWatch
Synthetics canaries.

Two totals, so nothing is hidden: the journeys' running cost as the issue itemises it (Lambda, DynamoDB,
CloudWatch metrics, logs, EventBridge), judged against the goal, and the suite's fixed costs (the KMS
key, the secrets, the alarms, the dashboard) beside it, with the grand total.

Usage comes from the benchmark's measurements (bench/usage.py); prices are list prices, each written with
its unit, source and the date it was recorded. Free tiers are NOT subtracted (most of the running cost
would fall inside Lambda's, DynamoDB's and CloudWatch's always-free tiers).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MINUTES_PER_MONTH = 60 * 24 * 30  # 43,200: the month the AWS pricing examples use
HOURS_PER_MONTH = 730  # CloudWatch prorates custom metrics by the hour over this
PRICES_RECORDED_ON = "2026-11-27"
PRICE_REGION = (
    "us-east-1 list prices, as recorded on the date above from the AWS pricing pages named beside each "
    "(checked against stored copies of those pages; this machine cannot fetch them live). London "
    "(eu-west-2) is the same or a little higher for some items: not checked item by item."
)

# Each: (price in USD, unit, source).
PRICES: dict[str, tuple[float, str, str]] = {
    "lambda_arm_gb_second": (0.0000133334, "per GB-second, arm64", "aws.amazon.com/lambda/pricing"),
    "lambda_request": (0.20 / 1e6, "per request", "aws.amazon.com/lambda/pricing"),
    "dynamodb_write_unit": (
        0.625 / 1e6,
        "per on-demand write request unit",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "dynamodb_read_unit": (
        0.125 / 1e6,
        "per on-demand read request unit",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "dynamodb_storage_gb": (
        0.25,
        "per GB-month stored (Standard table class)",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "dynamodb_pitr_gb": (
        0.20,
        "per GB-month, point-in-time recovery",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "cloudwatch_custom_metric": (
        0.30,
        "per metric-month (first 10,000), prorated by the hour",
        "aws.amazon.com/cloudwatch/pricing",
    ),
    "cloudwatch_alarm_metric": (
        0.10,
        "per standard-resolution alarm metric-month",
        "aws.amazon.com/cloudwatch/pricing",
    ),
    "cloudwatch_composite_alarm": (0.50, "per composite alarm-month", "aws.amazon.com/cloudwatch/pricing"),
    "cloudwatch_dashboard": (
        3.00,
        "per dashboard-month (first 3 of an account free)",
        "aws.amazon.com/cloudwatch/pricing",
    ),
    "logs_ingestion_gb": (0.50, "per GB ingested (standard log class)", "aws.amazon.com/cloudwatch/pricing"),
    "logs_storage_gb": (0.03, "per GB-month archived", "aws.amazon.com/cloudwatch/pricing"),
    "eventbridge_custom_event": (
        1.00 / 1e6,
        "per custom event put on a bus",
        "aws.amazon.com/eventbridge/pricing",
    ),
    "scheduler_invocation": (
        1.00 / 1e6,
        "per invocation after 14 million free a month",
        "aws.amazon.com/eventbridge/pricing",
    ),
    "secret_month": (0.40, "per secret-month", "aws.amazon.com/secrets-manager/pricing"),
    "kms_key_month": (
        1.00,
        "per customer managed key-month (+$1 for each of its first two yearly rotations)",
        "aws.amazon.com/kms/pricing",
    ),
    "kms_request": (0.03 / 1e4, "per request (20,000 a month free)", "aws.amazon.com/kms/pricing"),
    "synthetics_canary_run": (0.0012, "per canary run", "aws.amazon.com/cloudwatch/pricing"),
    # Recorded 2026-12-05 from copies of the Lambda pricing page's SnapStart section (Python and .NET)
    # quoted in stored third-party pages (that page renders its rates client-side); not read live.
    "snapstart_cache_gb_second": (
        0.0000015046,
        "per GB-second a SnapStart version's snapshot is cached (at least 3 hours), GB = memory set",
        "aws.amazon.com/lambda/pricing (SnapStart)",
    ),
    "snapstart_restore_gb": (
        0.0001397998,
        "per GB restored (each execution environment resumed from the snapshot), GB = memory set",
        "aws.amazon.com/lambda/pricing (SnapStart)",
    ),
}
SECONDS_PER_MONTH = MINUTES_PER_MONTH * 60
SCHEDULER_FREE_INVOCATIONS = 14_000_000
# The always-free tiers, per account and month, shared with whatever else the account runs (sources: the
# pricing pages above). Shown beside the totals, never instead of them.
ALWAYS_FREE: dict[str, float] = {
    "lambda_gb_seconds": 400_000,
    "lambda_requests": 1_000_000,
    "dynamodb_storage_gb": 25,
    "custom_metrics": 10,
    "alarm_metrics": 10,
    "dashboards": 3,
    "logs_gb": 5,  # ingestion, archive storage and Logs Insights scans together
    "kms_requests": 20_000,
}
RUNNING_GOAL_USD = 5.0
SYNTHETICS_RATIO_GOAL = 100.0


@dataclass
class Usage:
    """The running side, for `journeys` journeys every minute, as measured (or assumed where stated)."""

    journeys: int
    runner_ms: float  # measured duration of one steady-state invocation running all the journeys
    runner_memory_mb: int
    runner_init_s: float  # measured init of a cold runner (billed since 2025-08-01)
    dynamodb_write_units_per_run: float  # measured, every journey's run item
    dynamodb_read_units_per_run: float  # measured, the journeys' states
    stored_bytes_per_run: float  # measured: the run items one run leaves in the table
    result_ttl_days: int  # how long run items are kept (RESULT_TTL_DAYS)
    log_bytes_per_run: float  # measured: the runner's log records (Powertools logs and EMF)
    platform_log_bytes_per_run: float  # assumed: Lambda's own platform.start / platform.report records
    log_retention_days: int
    steady_metrics: int  # metric + dimension sets the runner publishes every minute
    incident_metrics: int  # metrics published only when something happens (alerts, incidents)
    incident_metric_hours: float  # assumed: distinct hours a month each incident-only metric is sent
    events_per_run: float = 0.0  # bus events per run in steady state (only state changes are announced)
    cold_starts_per_month: float = 720.0  # assumed: the runner's environment renewed about hourly
    kms_requests_per_month: float = 0.0  # assumed: data-key requests by DynamoDB, Logs, Secrets Manager


@dataclass
class Fixed:
    """What the suite costs whatever it watches, counted in the templates."""

    alarm_metrics: int
    composite_alarms: int
    secrets: int
    kms_keys: int
    dashboards: int


@dataclass
class LineItem:
    item: str
    quantity: float
    unit_price: float
    unit: str
    monthly_usd: float
    source: str
    note: str = ""
    free_pool: str = ""  # the always-free allowance this line draws on, if any
    monthly_usd_after_free_tier: float = 0.0


def _line(item: str, quantity: float, price_key: str, note: str = "", free_pool: str = "") -> LineItem:
    price, unit, source = PRICES[price_key]
    cost = quantity * price
    return LineItem(item, quantity, price, unit, cost, source, note, free_pool, cost)


def apply_free_tiers(lines: list[LineItem], remaining: dict[str, float]) -> None:
    """Each line's cost after the always-free allowances (`remaining` is drawn down, in line order)."""
    for line in lines:
        if line.free_pool:
            free = min(line.quantity, remaining[line.free_pool])
            remaining[line.free_pool] -= free
            line.monthly_usd_after_free_tier = (line.quantity - free) * line.unit_price


def running_cost(usage: Usage) -> list[LineItem]:
    runs = MINUTES_PER_MONTH
    gb = usage.runner_memory_mb / 1024
    billed_s = math.ceil(usage.runner_ms) / 1000  # Lambda bills each invocation's duration in whole ms
    stored_gb = usage.stored_bytes_per_run * runs * usage.result_ttl_days / 30 / 1e9
    log_gb = runs * (usage.log_bytes_per_run + usage.platform_log_bytes_per_run) / 1e9
    kept_months = usage.log_retention_days / 30
    incident_metric_months = usage.incident_metrics * usage.incident_metric_hours / HOURS_PER_MONTH
    return [
        _line(
            "Lambda compute, journey runner",
            runs * billed_s * gb,
            "lambda_arm_gb_second",
            f"{runs:,} runs x {billed_s * 1000:.0f} ms (measured) x {usage.runner_memory_mb} MB",
            "lambda_gb_seconds",
        ),
        _line(
            "Lambda init, journey runner",
            usage.cold_starts_per_month * usage.runner_init_s * gb,
            "lambda_arm_gb_second",
            f"assumed {usage.cold_starts_per_month:.0f} cold starts a month x "
            f"{usage.runner_init_s:.2f} s init (measured)",
            "lambda_gb_seconds",
        ),
        _line("Lambda requests, journey runner", runs, "lambda_request", free_pool="lambda_requests"),
        _line(
            "DynamoDB writes",
            runs * usage.dynamodb_write_units_per_run,
            "dynamodb_write_unit",
            f"{usage.dynamodb_write_units_per_run:g} write units a run (measured: one run item per journey)",
        ),
        _line(
            "DynamoDB reads",
            runs * usage.dynamodb_read_units_per_run,
            "dynamodb_read_unit",
            f"{usage.dynamodb_read_units_per_run:g} read units a run (measured: the journeys' states)",
        ),
        _line(
            "DynamoDB storage (run items until their TTL)",
            stored_gb,
            "dynamodb_storage_gb",
            f"{usage.stored_bytes_per_run:,.0f} B a run (measured) kept {usage.result_ttl_days} days",
            "dynamodb_storage_gb",
        ),
        _line("DynamoDB point-in-time recovery", stored_gb, "dynamodb_pitr_gb", "on the same stored size"),
        _line(
            "CloudWatch custom metrics, every minute",
            usage.steady_metrics,
            "cloudwatch_custom_metric",
            "namespace + name + dimension set, as published (measured)",
            "custom_metrics",
        ),
        _line(
            "CloudWatch custom metrics, only on incidents",
            incident_metric_months,
            "cloudwatch_custom_metric",
            f"{usage.incident_metrics} metrics x assumed {usage.incident_metric_hours:g} hours a month "
            f"each / {HOURS_PER_MONTH} (billed by the hour they are sent)",
            "custom_metrics",
        ),
        _line(
            "CloudWatch Logs ingestion",
            log_gb,
            "logs_ingestion_gb",
            f"{usage.log_bytes_per_run:,.0f} B a run (measured) + {usage.platform_log_bytes_per_run:,.0f} B "
            "Lambda platform records (assumed)",
            "logs_gb",
        ),
        _line(
            "CloudWatch Logs storage",
            log_gb * kept_months,
            "logs_storage_gb",
            f"{usage.log_retention_days} days kept, uncompressed size (an upper bound)",
            "logs_gb",
        ),
        _line(
            "EventBridge custom events",
            runs * usage.events_per_run,
            "eventbridge_custom_event",
            "only state changes are announced; none in steady state (measured)",
        ),
        _line(
            "EventBridge Scheduler invocations",
            max(0, runs - SCHEDULER_FREE_INVOCATIONS),
            "scheduler_invocation",
            f"{runs:,} a month, inside the 14 million free",
        ),
        _line(
            "KMS requests (data keys for the table, logs, secrets)",
            usage.kms_requests_per_month,
            "kms_request",
            "assumed: the table's, the log group's and the secrets' data keys, about every 5 minutes",
            "kms_requests",
        ),
    ]


def fixed_cost(fixed: Fixed) -> list[LineItem]:
    return [
        _line(
            "KMS customer managed key (the suite key)",
            fixed.kms_keys,
            "kms_key_month",
            "$1 more after each of its first two yearly rotations: $3/month from year three",
        ),
        _line(
            "Secrets Manager secrets (Slack, Zoom)",
            fixed.secrets,
            "secret_month",
            "+1 ($0.40) with the optional webhook; the team's journey secrets, if any, are theirs",
        ),
        _line(
            "CloudWatch alarms (watching the watcher)",
            fixed.alarm_metrics,
            "cloudwatch_alarm_metric",
            "alarm metrics in template.yaml and browser/template.yaml (counted)",
            "alarm_metrics",
        ),
        _line("CloudWatch composite alarms", fixed.composite_alarms, "cloudwatch_composite_alarm"),
        _line(
            "CloudWatch dashboard (Four Golden Signals)",
            fixed.dashboards,
            "cloudwatch_dashboard",
            "the first 3 dashboards of an account are free",
            "dashboards",
        ),
    ]


def synthetics_cost(journeys: int) -> list[LineItem]:
    """The same journeys as one-minute CloudWatch Synthetics canaries: canary runs only. Their alarms,
    Lambda, S3 artefacts and logs are left out, which flatters Synthetics."""
    return [
        _line(
            f"Synthetics canary runs ({journeys} canaries, every minute)",
            journeys * MINUTES_PER_MONTH,
            "synthetics_canary_run",
        ),
    ]


def snapstart_cost(functions: dict[str, int], restores_per_month: float) -> list[LineItem]:
    """The SnapStart stack option for `functions` ({name: memory MB}): one live version's snapshot cached
    all month, and a restore for each new execution environment. Off by default, so in no total."""
    lines = []
    for name, memory_mb in functions.items():
        gb = memory_mb / 1024
        lines += [
            _line(
                f"SnapStart cache, {name}",
                SECONDS_PER_MONTH * gb,
                "snapstart_cache_gb_second",
                f"one published version cached all month x {memory_mb} MB (older versions cost the same"
                " until deleted)",
            ),
            _line(
                f"SnapStart restores, {name}",
                restores_per_month * gb,
                "snapstart_restore_gb",
                f"assumed {restores_per_month:.0f} new execution environments a month x {memory_mb} MB",
            ),
        ]
    return lines


def _total(lines: list[LineItem]) -> float:
    return sum(line.monthly_usd for line in lines)


def summarise(usage: Usage, fixed: Fixed) -> dict:
    running, fixed_lines, synthetics = running_cost(usage), fixed_cost(fixed), synthetics_cost(usage.journeys)
    apply_free_tiers(running + fixed_lines, dict(ALWAYS_FREE))
    running_total, fixed_total, synthetics_total = _total(running), _total(fixed_lines), _total(synthetics)
    running_free = sum(line.monthly_usd_after_free_tier for line in running)
    fixed_free = sum(line.monthly_usd_after_free_tier for line in fixed_lines)
    grand_total = running_total + fixed_total
    ratio = synthetics_total / running_total if running_total else math.inf
    return {
        "prices_recorded_on": PRICES_RECORDED_ON,
        "prices": PRICE_REGION,
        "usage": asdict(usage),
        "fixed_counts": asdict(fixed),
        "running": [asdict(line) for line in running],
        "running_total_usd": round(running_total, 2),
        "running_goal_usd": RUNNING_GOAL_USD,
        "running_meets_goal": running_total <= RUNNING_GOAL_USD,
        "fixed": [asdict(line) for line in fixed_lines],
        "fixed_total_usd": round(fixed_total, 2),
        "grand_total_usd": round(grand_total, 2),
        "grand_total_within_goal_amount": grand_total <= RUNNING_GOAL_USD,
        # If nothing else in the account used the always-free tiers (they are per account).
        "after_always_free_tiers": {
            "running_usd": round(running_free, 2),
            "fixed_usd": round(fixed_free, 2),
            "grand_total_usd": round(running_free + fixed_free, 2),
            "allowances": ALWAYS_FREE,
        },
        "synthetics": [asdict(line) for line in synthetics],
        "synthetics_total_usd": round(synthetics_total, 2),
        "synthetics_over_running": round(ratio, 1),
        "synthetics_over_grand_total": round(synthetics_total / grand_total, 1) if grand_total else None,
        "ratio_goal": SYNTHETICS_RATIO_GOAL,
        "ratio_meets_goal": ratio >= SYNTHETICS_RATIO_GOAL,
    }


# ---------------------------------------------------------------------- texts and calls (issue 17)
# ASSUMED prices, not list prices: the End User Messaging pricing page (aws.amazon.com/end-user-messaging/
# pricing) could not be read from this machine or found in the stored copies searched on 2026-12-06. The
# figures are the order of magnitude such pages have shown for the UK; check them before relying on the
# total. `incidentctl doctor` does not read prices, but DescribePhoneNumbers answers the number's own
# MonthlyLeasingPrice.
PHONE_PRICES_STATUS = "assumed (not found in stored copies of the pricing page, 2026-12-06): check before use"
PHONE_PRICES: dict[str, tuple[float, str, str]] = {
    "uk_long_code_month": (1.00, "per UK long code (mobile number) leased, per month", "assumption"),
    "uk_sms_part": (0.045, "per outbound SMS part to a UK number (160 GSM-7 characters)", "assumption"),
    "uk_voice_minute": (0.04, "per outbound voice minute to a UK mobile, billed by the minute", "assumption"),
}


@dataclass
class NightIncidents:
    """Incidents at night in a traction moment: each pages `people` by the default plan (a text at once,
    a call after 3 minutes, another after 10), unacknowledged until the second call (the worst case)."""

    incidents: int = 4
    people: int = 2  # Alastair and Wisen stand by in a traction moment
    texts_per_person: int = 1
    sms_parts_per_text: int = 1  # the alert and its link fit one GSM-7 part (paging/phone_scripts.py)
    calls_per_person: int = 2
    minutes_per_call: int = 1  # the script said twice, slowly: under a minute, billed as one


def phone_paging_cost(nights: NightIncidents) -> list[LineItem]:
    def line(item: str, quantity: float, key: str, note: str = "") -> LineItem:
        price, unit, source = PHONE_PRICES[key]
        return LineItem(item, quantity, price, unit, quantity * price, source, note, "", quantity * price)

    pages = nights.incidents * nights.people
    return [
        line("UK long code (texts, calls, ACK replies)", 1, "uk_long_code_month"),
        line(
            "Texts",
            pages * nights.texts_per_person * nights.sms_parts_per_text,
            "uk_sms_part",
            f"{nights.incidents} incidents x {nights.people} people",
        ),
        line(
            "Call minutes",
            pages * nights.calls_per_person * nights.minutes_per_call,
            "uk_voice_minute",
            f"{nights.calls_per_person} calls each, {nights.minutes_per_call} minute",
        ),
    ]


def phone_paging_summary(nights: NightIncidents | None = None) -> dict:
    """The texts-and-calls line of the cost table: a month with `nights` (four by default)."""
    nights = nights or NightIncidents()
    lines = phone_paging_cost(nights)
    return {
        "prices": PHONE_PRICES_STATUS,
        "month": asdict(nights),
        "lines": [asdict(line) for line in lines],
        "monthly_usd": round(_total(lines), 2),
    }
