"""Monthly cost model: the suite watching N journeys every minute, beside CloudWatch Synthetics.

Usage figures (runner duration, DynamoDB calls per run, log bytes) come from the benchmark's own
measurements; prices are list prices written down with their source and the date they were read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

MINUTES_PER_MONTH = 60 * 24 * 30  # 43,200: the month the AWS pricing examples use

# List prices, us-east-1 (London eu-west-2 is within about 15% of these for every item below),
# read from the AWS pricing pages on 2026-11-27. Each item: (price, unit, source).
PRICES: dict[str, tuple[float, str, str]] = {
    "lambda_arm_gb_second": (0.0000133334, "per GB-second, arm64", "aws.amazon.com/lambda/pricing"),
    "lambda_request": (0.20 / 1e6, "per request", "aws.amazon.com/lambda/pricing"),
    "dynamodb_write_unit": (
        0.625 / 1e6,
        "per on-demand write request unit (after 2024-11-01 cut)",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "dynamodb_read_unit": (
        0.125 / 1e6,
        "per on-demand read request unit (after 2024-11-01 cut)",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "cloudwatch_custom_metric": (
        0.30,
        "per metric per month (first 10,000)",
        "aws.amazon.com/cloudwatch/pricing",
    ),
    "cloudwatch_alarm": (
        0.10,
        "per standard-resolution alarm metric per month",
        "aws.amazon.com/cloudwatch/pricing",
    ),
    "logs_ingestion_gb": (0.50, "per GB ingested", "aws.amazon.com/cloudwatch/pricing"),
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
    "secret_month": (0.40, "per secret per month", "aws.amazon.com/secrets-manager/pricing"),
    "secrets_api_call": (0.05 / 1e4, "per API call", "aws.amazon.com/secrets-manager/pricing"),
    "synthetics_canary_run": (0.0012, "per canary run", "aws.amazon.com/cloudwatch/pricing"),
}
PRICES_READ_ON = "2026-11-27"
SCHEDULER_FREE_INVOCATIONS = 14_000_000


@dataclass
class Usage:
    """What one scheduled runner invocation costs in resources, as measured by the benchmark."""

    journeys: int
    runner_ms: float  # measured duration of one invocation running all journeys
    runner_memory_mb: int
    dynamodb_writes_per_run: float  # write units for one invocation (all journeys)
    dynamodb_reads_per_run: float
    log_bytes_per_run: float
    custom_metrics: int  # distinct metric name + dimension sets the suite publishes
    alarms: int  # alarm metrics in the template
    secrets: int
    events_per_run: float = 0.0  # bus events per run in steady state (only on state changes)


@dataclass
class LineItem:
    item: str
    quantity: float
    unit_price: float
    unit: str
    monthly_usd: float
    source: str


def _line(item: str, quantity: float, price_key: str) -> LineItem:
    price, unit, source = PRICES[price_key]
    return LineItem(item, quantity, price, unit, quantity * price, source)


def suite_monthly_cost(usage: Usage) -> list[LineItem]:
    runs = MINUTES_PER_MONTH
    gb_seconds = runs * usage.runner_ms / 1000 * usage.runner_memory_mb / 1024
    log_gb = runs * usage.log_bytes_per_run / 1e9
    scheduler_billable = max(0, runs - SCHEDULER_FREE_INVOCATIONS)
    return [
        _line("Lambda compute (journey runner)", gb_seconds, "lambda_arm_gb_second"),
        _line("Lambda requests (journey runner)", runs, "lambda_request"),
        _line(
            "DynamoDB writes (journey runs and state)",
            runs * usage.dynamodb_writes_per_run,
            "dynamodb_write_unit",
        ),
        _line("DynamoDB reads (journey state)", runs * usage.dynamodb_reads_per_run, "dynamodb_read_unit"),
        _line("CloudWatch custom metrics", usage.custom_metrics, "cloudwatch_custom_metric"),
        _line("CloudWatch alarms (watching the watcher)", usage.alarms, "cloudwatch_alarm"),
        _line("CloudWatch Logs ingestion", log_gb, "logs_ingestion_gb"),
        _line("CloudWatch Logs storage (one month kept)", log_gb, "logs_storage_gb"),
        _line("EventBridge custom events", runs * usage.events_per_run, "eventbridge_custom_event"),
        _line("EventBridge Scheduler invocations (14M free)", scheduler_billable, "scheduler_invocation"),
        _line("Secrets Manager secrets", usage.secrets, "secret_month"),
    ]


def synthetics_monthly_cost(journeys: int) -> list[LineItem]:
    """The same journeys as one-minute CloudWatch Synthetics canaries (canary runs only; the alarms,
    metrics, S3 artefacts and Lambda that canaries also bill are left out, which flatters Synthetics)."""
    return [
        _line(
            f"Synthetics canary runs ({journeys} canaries, every minute)",
            journeys * MINUTES_PER_MONTH,
            "synthetics_canary_run",
        )
    ]


def summarise(usage: Usage) -> dict:
    suite = suite_monthly_cost(usage)
    synthetics = synthetics_monthly_cost(usage.journeys)
    suite_total = sum(line.monthly_usd for line in suite)
    synthetics_total = sum(line.monthly_usd for line in synthetics)
    return {
        "usage": asdict(usage),
        "prices_read_on": PRICES_READ_ON,
        "suite": [asdict(line) for line in suite],
        "suite_total_usd": round(suite_total, 2),
        "synthetics": [asdict(line) for line in synthetics],
        "synthetics_total_usd": round(synthetics_total, 2),
        "synthetics_over_suite": round(synthetics_total / suite_total, 1) if suite_total else None,
    }
