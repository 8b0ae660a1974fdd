"""The benchmark's cost model (bench/cost.py): its arithmetic, on usage figures chosen by hand."""

import pytest

from bench.cost import (
    HOURS_PER_MONTH,
    MINUTES_PER_MONTH,
    PRICES,
    Fixed,
    Usage,
    fixed_cost,
    running_cost,
    snapstart_cost,
    summarise,
    synthetics_cost,
)


def usage(**changes) -> Usage:
    figures = {
        "journeys": 10,
        "runner_ms": 362.4,
        "runner_memory_mb": 512,
        "runner_init_s": 0.5,
        "dynamodb_write_units_per_run": 10,
        "dynamodb_read_units_per_run": 10,
        "stored_bytes_per_run": 6_000,
        "result_ttl_days": 14,
        "log_bytes_per_run": 4_000,
        "platform_log_bytes_per_run": 500,
        "log_retention_days": 90,
        "steady_metrics": 3,
        "incident_metrics": 8,
        "incident_metric_hours": 10,
        "events_per_run": 0,
        "cold_starts_per_month": 720,
        "kms_requests_per_month": 20_000,
    }
    return Usage(**{**figures, **changes})


FIXED = Fixed(alarm_metrics=17, composite_alarms=0, secrets=2, kms_keys=1, dashboards=1)


def line(lines, starts_with):
    (found,) = [item for item in lines if item.item.startswith(starts_with)]
    return found


def test_lambda_compute_bills_whole_milliseconds_at_the_configured_memory():
    compute = line(running_cost(usage()), "Lambda compute")
    assert compute.quantity == pytest.approx(MINUTES_PER_MONTH * 0.363 * 0.5)
    assert compute.monthly_usd == pytest.approx(compute.quantity * PRICES["lambda_arm_gb_second"][0])


def test_dynamodb_units_scale_with_runs_and_storage_with_the_ttl():
    lines = running_cost(usage())
    assert line(lines, "DynamoDB writes").monthly_usd == pytest.approx(MINUTES_PER_MONTH * 10 * 0.625e-6)
    assert line(lines, "DynamoDB reads").monthly_usd == pytest.approx(MINUTES_PER_MONTH * 10 * 0.125e-6)
    stored_gb = 6_000 * MINUTES_PER_MONTH * 14 / 30 / 1e9
    assert line(lines, "DynamoDB storage").quantity == pytest.approx(stored_gb)


def test_incident_metrics_are_billed_for_the_hours_they_are_sent():
    lines = running_cost(usage())
    assert line(lines, "CloudWatch custom metrics, every minute").monthly_usd == pytest.approx(0.90)
    incident = line(lines, "CloudWatch custom metrics, only on incidents")
    assert incident.monthly_usd == pytest.approx(8 * 10 / HOURS_PER_MONTH * 0.30)


def test_logs_count_the_platform_records_and_are_kept_for_the_retention():
    lines = running_cost(usage())
    ingested_gb = MINUTES_PER_MONTH * 4_500 / 1e9
    assert line(lines, "CloudWatch Logs ingestion").quantity == pytest.approx(ingested_gb)
    assert line(lines, "CloudWatch Logs storage").quantity == pytest.approx(ingested_gb * 3)


def test_scheduler_invocations_stay_inside_the_free_tier():
    assert line(running_cost(usage()), "EventBridge Scheduler").monthly_usd == 0


def test_fixed_costs_are_the_key_the_secrets_the_alarms_and_the_dashboard():
    lines = fixed_cost(FIXED)
    assert sum(item.monthly_usd for item in lines) == pytest.approx(1.00 + 2 * 0.40 + 17 * 0.10 + 3.00)


def test_synthetics_is_one_run_per_canary_per_minute():
    (runs,) = synthetics_cost(10)
    assert runs.monthly_usd == pytest.approx(10 * MINUTES_PER_MONTH * 0.0012)


def test_summary_keeps_running_and_fixed_apart_and_judges_the_goals():
    summary = summarise(usage(), FIXED)
    running = sum(item["monthly_usd"] for item in summary["running"])
    fixed = sum(item["monthly_usd"] for item in summary["fixed"])
    assert summary["running_total_usd"] == pytest.approx(running, abs=0.005)
    assert summary["grand_total_usd"] == pytest.approx(running + fixed, abs=0.005)
    assert summary["running_meets_goal"] is (running <= 5.0)
    assert summary["synthetics_over_running"] == pytest.approx(518.4 / running, rel=1e-3)
    assert summary["ratio_meets_goal"] is (518.4 / running >= 100)


def test_the_always_free_tiers_are_shown_beside_the_totals_not_instead():
    summary = summarise(usage(), FIXED)
    free = summary["after_always_free_tiers"]
    # Left to pay: DynamoDB requests and backups, the key, the secrets, the 7 alarm metrics past the free 10.
    fixed_after = 1.00 + 2 * 0.40 + 7 * 0.10
    assert free["fixed_usd"] == pytest.approx(fixed_after, abs=0.005)
    assert free["running_usd"] < summary["running_total_usd"]
    assert summary["grand_total_usd"] > free["grand_total_usd"]


def test_a_costly_run_misses_the_goal():
    summary = summarise(usage(runner_ms=10_000, steady_metrics=40), FIXED)
    assert summary["running_meets_goal"] is False
    assert summary["ratio_meets_goal"] is False


def test_snapstart_prices_a_cached_snapshot_all_month_and_each_restore_by_memory() -> None:
    cache, restores = snapstart_cost({"slack_app": 512}, restores_per_month=300)
    assert cache.quantity == pytest.approx(MINUTES_PER_MONTH * 60 * 0.5)
    assert cache.monthly_usd == pytest.approx(MINUTES_PER_MONTH * 60 * 0.5 * 0.0000015046)
    assert restores.monthly_usd == pytest.approx(300 * 0.5 * 0.0001397998)
    assert {PRICES[key][2] for key in ("snapstart_cache_gb_second", "snapstart_restore_gb")} == {
        "aws.amazon.com/lambda/pricing (SnapStart)"
    }


def test_four_night_incidents_cost_the_number_the_texts_and_the_call_minutes() -> None:
    from bench.cost import NightIncidents, phone_paging_cost

    lines = {line.item: line for line in phone_paging_cost(NightIncidents())}
    assert lines["UK long code (texts, calls, ACK replies)"].quantity == 1
    assert lines["Texts"].quantity == 8  # 4 incidents x 2 people x 1 text of one part
    assert lines["Call minutes"].quantity == 16  # 4 x 2 x 2 calls of a minute
    total = sum(line.monthly_usd for line in lines.values())
    assert round(total, 2) == round(1.00 + 8 * 0.045 + 16 * 0.04, 2)
    assert all(line.source == "assumption" for line in lines.values())
