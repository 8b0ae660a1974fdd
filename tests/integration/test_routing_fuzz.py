"""Property-based fuzzing of every intake path of the alert router, through its real handler against moto
and the fake Slack: documented events (SNS and EventBridge alarms of each kind, composite, metric math,
the Lambda alarm-action payload, AWS Health, JourneyFailed / JourneyRecovered, PageDue), with fields
replaced by wrong types, huge or broken strings (lone surrogates), zone-less, far-future and far-past
times. The property: each input is rejected clearly (once, without raising) or routed; never a crash,
never a partial write (no lock without its alert, no open alert without its lock), never a huge log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_core.adapters.aws import client
from incident_core.settings import get_settings
from tests import routing_support
from tests.helpers import documented
from tests.routing_support import INCIDENT_TOPIC, Collect, event

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

ROUTED = {"opened", "repeat", "resolved", "noted", "ignored", "page-due", "recorded-health", "reopened"}
ROUTED |= {"grouped"}  # an alert that joined an open group instead of paging (alerts/grouping.py)
# A rejection's detail and log line quote the offending field, bounded: never the whole event.
MAX_REJECTION = 1000
GENERATED: Counter[str] = Counter()

SAMPLES = {
    "sns-alarm": "alert_router_sns_alarm.json",
    "sns-ok": "alert_router_sns_alarm_ok.json",
    "sns-metric-math": "alert_router_sns_metric_math.json",
    "eventbridge-alarm": "alert_router_eventbridge_alarm.json",
    "eventbridge-ok": "alert_router_eventbridge_alarm_ok.json",
    "eventbridge-metric-math": "alert_router_eventbridge_metric_math.json",
    "eventbridge-composite": "alert_router_eventbridge_composite.json",
    "health": "alert_router_health_event.json",
    "journey-failed": "alert_router_journey_failed.json",
    "journey-recovered": "alert_router_journey_recovered.json",
    "page-due": "alert_router_page_due.json",
}

HUGE = "x" * 450_000  # beyond DynamoDB's 400 KB item limit on its own
LONE_SURROGATES = st.sampled_from(["\ud800", "alarm \udfff name", "\udc00" * 3])
TIMES = st.sampled_from(
    [
        "2026-03-30T08:15:04",  # no zone
        "2026-03-30T08:15:04.468",
        "2999-01-01T00:00:00Z",  # far future
        "2001-01-01T00:00:00+0000",  # far past
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "Fri, 27 Jan 2023 06:02:51 -0000",  # RFC 1123 without a zone (Health)
        "Fri, 27 Jan 2023 06:02:51 GMT",
        "yesterday",
        "",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    LONE_SURROGATES,
    TIMES,
    st.just(HUGE),
    st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA", "held", "repage", "retry", "{", "[]", "{}"]),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree a value could be replaced (keys of dicts, indexes of lists)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(tree: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: _replace(tree[head], rest, new)}
    copied = list(tree)
    copied[head] = _replace(copied[head], rest, new)
    return copied


@st.composite
def events(draw: st.DrawFn, kind: str) -> Any:
    """A documented event of `kind`, with a fresh id, mutated in 0 to 3 places (inside the SNS Message's
    JSON too); sometimes also deleted fields."""
    sample = documented_sample(kind)
    message_path = ("Records", 0, "Sns", "Message")
    message = json.loads(sample["Records"][0]["Sns"]["Message"]) if kind.startswith("sns") else None
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        in_message = message is not None and draw(st.booleans())
        tree = message if in_message else sample
        path = draw(st.sampled_from(_paths(tree)))
        if path and draw(st.integers(0, 4)) == 0 and isinstance(_parent(tree, path), dict):
            new_tree = _delete(tree, path)
        else:
            new_tree = _replace(tree, path, draw(JUNK))
        if in_message:
            message = new_tree
        else:
            sample = new_tree
    if message is not None and _exists(sample, message_path):
        sample = _replace(sample, message_path, json.dumps(message))
    return sample


def documented_sample(kind: str) -> Any:
    if kind == "lambda-alarm-action":
        sample = documented("aws_lambda_alarm_action_metric_math.json")
        sample["alarmArn"] = (
            f"arn:aws:cloudwatch:eu-west-2:123456789012:alarm:incident-{uuid.uuid4().hex[:6]}"
        )
        return sample
    sample = event(SAMPLES[kind])
    fresh = str(uuid.uuid4())  # a new notification each time: idempotency would hide the work otherwise
    if "Records" in sample:
        sample["Records"][0]["Sns"]["MessageId"] = fresh
        if kind == "sns-metric-math":
            sample["Records"][0]["Sns"]["TopicArn"] = INCIDENT_TOPIC
    else:
        sample["id"] = fresh
        if kind.startswith("journey"):
            sample["detail"]["run_id"] = f"run-{fresh}"
    return sample


def _parent(tree: Any, path: tuple) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def _exists(tree: Any, path: tuple) -> bool:
    try:
        _parent(tree, path)[path[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _delete(tree: Any, path: tuple) -> Any:
    parent = {k: v for k, v in _parent(tree, path).items() if k != path[-1]}
    return _replace(tree, path[:-1], parent)


def _items() -> list[dict[str, Any]]:
    scan = client("dynamodb").get_paginator("scan")
    return [item for page in scan.paginate(TableName=get_settings().table_name) for item in page["Items"]]


def assert_nothing_half_written() -> None:
    items = _items()
    alerts = {i["pk"]["S"]: i for i in items if i["sk"]["S"] == "ALERT"}
    locks = {i["pk"]["S"]: i for i in items if i["pk"]["S"].startswith("FP#")}
    for lock in locks.values():
        if "alert_id" in lock:
            assert f"ALERT#{lock['alert_id']['S']}" in alerts, f"lock without its alert: {lock}"
    for alert in alerts.values():
        if alert["gsi1pk"]["S"] == "ALERTS#open":
            lock = locks.get(f"FP#{alert['fingerprint']['S']}")
            assert lock and lock.get("alert_id", {}).get("S") == alert["alert_id"]["S"], alert
        assert "expires_at" in alert
        assert int(alert["expires_at"]["N"]) > int(routing_support.BUSINESS_HOURS.timestamp())


KINDS = [*SAMPLES, "lambda-alarm-action"]


@pytest.mark.parametrize("kind", KINDS)
def test_any_input_is_rejected_clearly_or_routed_never_a_crash_or_a_partial_write(router, kind):
    collect = Collect()
    service_logger = logging.getLogger(router.module.logger.name)
    service_logger.addHandler(collect)

    @settings(
        max_examples=35,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(payload=events(kind))
    def check(payload: Any) -> None:
        GENERATED[kind] += 1
        collect.records.clear()
        result = router.invoke(payload)  # raising here would send a malformed event to Lambda's retries
        for outcome in result["results"]:
            assert outcome["action"] in ROUTED | {"rejected"}, outcome
            if outcome["action"] == "rejected":
                assert outcome["detail"] and len(outcome["detail"]) <= MAX_REJECTION
        for record in collect.records:
            assert len(json.dumps(record.__dict__, default=str)) <= 4 * MAX_REJECTION, record.getMessage()
        assert_nothing_half_written()

    try:
        check()
    finally:
        service_logger.removeHandler(collect)
        print(f"\nfuzzed {kind}: {GENERATED[kind]} events (all kinds so far: {sum(GENERATED.values())})")
