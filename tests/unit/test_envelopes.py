"""incident_core.envelopes against Powertools' parser models, which they stand in for on the cold path:
the documented samples and generated envelopes are accepted, refused and read alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import cloudformation_custom_resource as powertools_cfn
from aws_lambda_powertools.utilities.parser.models.event_bridge import (
    EventBridgeModel as PowertoolsEventBridge,
)
from aws_lambda_powertools.utilities.parser.models.sns import SnsRecordModel as PowertoolsSnsRecord
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from incident_core import envelopes
from incident_core.envelopes import EventBridgeModel, SnsRecordModel

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = ROOT / "tests" / "fixtures" / "documented"
EVENTBRIDGE_SAMPLES = sorted(DOCUMENTED.glob("aws_eventbridge_*.json")) + sorted(
    path for path in (ROOT / "events").glob("*.json") if "detail-type" in json.loads(path.read_text())
)
SNS_SAMPLES = sorted(DOCUMENTED.glob("aws_sns_*.json"))
CFN_SAMPLES = sorted((ROOT / "events").glob("dashboard_renderer_*.json"))
# Each custom resource request kind's model, by the same name here and in Powertools.
CFN_MODELS = [f"CloudFormationCustomResource{kind}Model" for kind in ("Create", "Update", "Delete")]


def outcome(model: type[BaseModel], value: Any) -> tuple[str, Any]:
    """("ok", the parsed fields), ("refused", where each problem is) or ("crashed", the error's type)."""
    try:
        return "ok", model.model_validate(value).model_dump(mode="json")
    except ValidationError as error:
        return "refused", sorted(str(problem["loc"]) for problem in error.errors())
    except TypeError as error:
        return "crashed", type(error).__name__


def alike(ours: tuple[str, Any], powertools: tuple[str, Any]) -> bool:
    """The same outcome; where Powertools' SNS validator crashes on a non-object notification (a TypeError,
    which the router would take for a transient failure and retry), ours refuses it as bad input."""
    if powertools[0] == "crashed":
        return ours[0] == "refused"
    return ours == powertools


@pytest.mark.parametrize("path", EVENTBRIDGE_SAMPLES, ids=lambda path: path.name)
def test_documented_eventbridge_events_read_as_powertools_reads_them(path: Path) -> None:
    event = json.loads(path.read_text())
    assert alike(outcome(EventBridgeModel, event), outcome(PowertoolsEventBridge, event))
    assert outcome(EventBridgeModel, event)[0] == "ok"


@pytest.mark.parametrize("path", SNS_SAMPLES, ids=lambda path: path.name)
def test_documented_sns_records_read_as_powertools_reads_them(path: Path) -> None:
    # The samples carry placeholders in their URLs: both refuse those (the router's own subclass accepts
    # any string there), and alike.
    for record in json.loads(path.read_text())["Records"]:
        assert alike(outcome(SnsRecordModel, record), outcome(PowertoolsSnsRecord, record))


texts = st.text(max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
timestamps = st.sampled_from(["2026-06-09T09:00:00Z", "2026-06-09T09:00:00.123+01:00", "yesterday", "", 0])


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value, sometimes of the wrong type, sometimes missing (None here: the key is dropped)."""
    return st.one_of(strategy, json_values, st.none())


eventbridge_events = st.fixed_dictionaries(
    {
        "version": maybe(st.just("0")),
        "id": maybe(texts),
        "source": maybe(st.sampled_from(["aws.scheduler", "aws.cloudwatch", "incident-suite"])),
        "account": maybe(st.just("123456789012")),
        "time": maybe(timestamps),
        "region": maybe(st.just("eu-west-2")),
        "resources": maybe(st.lists(texts, max_size=2)),
        "detail-type": maybe(texts),
        "detail": maybe(st.one_of(st.just("{}"), st.dictionaries(texts, json_values, max_size=3))),
        "replay-name": maybe(texts),
    }
).map(lambda event: {key: value for key, value in event.items() if value is not None})

sns_records = st.fixed_dictionaries(
    {
        "EventSource": maybe(st.just("aws:sns")),
        "EventVersion": maybe(st.just("1.0")),
        "EventSubscriptionArn": maybe(texts),
        "Sns": maybe(
            st.fixed_dictionaries(
                {
                    "Type": maybe(st.just("Notification")),
                    "MessageId": maybe(texts),
                    "TopicArn": maybe(texts),
                    "Subject": maybe(texts),
                    "Message": maybe(texts),
                    "Timestamp": maybe(timestamps),
                    "SignatureVersion": maybe(st.just("1")),
                    "Signature": maybe(texts),
                    "SigningCertUrl": maybe(
                        st.sampled_from(["https://sns.eu-west-2.amazonaws.com/c.pem", "x"])
                    ),
                    "UnsubscribeUrl": maybe(st.sampled_from(["https://sns.eu-west-2.amazonaws.com/?u", "x"])),
                    "MessageAttributes": maybe(
                        st.dictionaries(texts, st.fixed_dictionaries({"Type": texts, "Value": texts}))
                    ),
                }
            ).map(lambda sns: {key: value for key, value in sns.items() if value is not None})
        ),
    }
).map(lambda record: {key: value for key, value in record.items() if value is not None})


@settings(max_examples=300, deadline=None)
@given(eventbridge_events)
def test_any_eventbridge_envelope_is_accepted_or_refused_as_powertools_does(event: dict[str, Any]) -> None:
    assert alike(outcome(EventBridgeModel, event), outcome(PowertoolsEventBridge, event))


@settings(max_examples=300, deadline=None)
@given(sns_records)
def test_any_sns_record_is_accepted_or_refused_as_powertools_does(record: dict[str, Any]) -> None:
    assert alike(outcome(SnsRecordModel, record), outcome(PowertoolsSnsRecord, record))


@pytest.mark.parametrize("path", CFN_SAMPLES, ids=lambda path: path.name)
@pytest.mark.parametrize("name", CFN_MODELS)
def test_documented_custom_resource_requests_read_as_powertools_reads_them(path: Path, name: str) -> None:
    request = json.loads(path.read_text())
    ours, theirs = getattr(envelopes, name), getattr(powertools_cfn, name)
    assert alike(outcome(ours, request), outcome(theirs, request))


custom_resource_requests = st.fixed_dictionaries(
    {
        "RequestType": maybe(st.sampled_from(["Create", "Update", "Delete", "Other"])),
        "ServiceToken": maybe(texts),
        "ResponseURL": maybe(
            st.sampled_from(["https://cloudformation-custom-resource-response.example/x", "x"])
        ),
        "StackId": maybe(texts),
        "RequestId": maybe(texts),
        "LogicalResourceId": maybe(texts),
        "ResourceType": maybe(texts),
        "PhysicalResourceId": maybe(texts),
        "ResourceProperties": maybe(st.dictionaries(texts, json_values, max_size=3)),
        "OldResourceProperties": maybe(st.dictionaries(texts, json_values, max_size=3)),
    }
).map(lambda request: {key: value for key, value in request.items() if value is not None})


@settings(max_examples=300, deadline=None)
@given(custom_resource_requests, st.sampled_from(CFN_MODELS))
def test_any_custom_resource_request_is_accepted_or_refused_as_powertools_does(
    request: dict[str, Any], name: str
) -> None:
    ours, theirs = getattr(envelopes, name), getattr(powertools_cfn, name)
    assert alike(outcome(ours, request), outcome(theirs, request))
