"""What changed before an incident, found in moto (CloudFormation, Lambda, ECS) and the strict local
CloudTrail, ranked in the checklist; the suite's own stack is never a candidate."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from incident_core.adapters.aws import client, reset_clients
from incident_core.adapters.cloudtrail import CloudTrailChanges
from incident_core.adapters.deploys import CloudFormationDeploys
from incident_core.changes.rank import Own
from incident_core.incidents.checklist import Lookups, run_checklist
from incident_core.models import Incident
from stand_ins.fake_cloudtrail import FakeCloudTrail
from stand_ins.product_deploys import REVERT_TAG, ProductDeploys

SUITE = "incident-suite-test"
TEMPLATE = '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}'


@pytest.fixture(scope="module")
def cloudtrail_server() -> Iterator[FakeCloudTrail]:
    server = FakeCloudTrail().start()
    yield server
    server.stop()


@pytest.fixture
def cloudtrail(aws, cloudtrail_server, monkeypatch) -> FakeCloudTrail:
    cloudtrail_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail_server.url)
    reset_clients()
    return cloudtrail_server


def incident(started_at: datetime, **extra) -> Incident:
    return Incident(
        incident_id="INC-1",
        title="Book viewing button missing",
        declared_by="U1",
        started_at=started_at,
        detected_at=started_at + timedelta(minutes=1),
        declared_at=started_at + timedelta(minutes=3),
        journeys=["browse-catalogue"],
        **extra,
    )


def lookups(**extra) -> Lookups:
    return Lookups(
        deploys=CloudFormationDeploys(),
        change_sources={"CloudTrail": CloudTrailChanges()},
        own=Own(stack=SUITE, prefixes=(f"{SUITE}-",)),
        deadline_seconds=8,
        **extra,
    )


def test_the_suites_own_stack_and_resources_are_never_candidates(cloudtrail):
    now = datetime.now(UTC)
    cfn = client("cloudformation")
    cfn.create_stack(StackName=SUITE, TemplateBody=TEMPLATE)
    cfn.create_stack(StackName="bookshop-frontend", TemplateBody=TEMPLATE)
    deploys = ProductDeploys(cloudtrail)
    deploys.lambda_function(f"{SUITE}-SlackAppFunction-1A2B3C", tags=REVERT_TAG)
    deploys.move_alias(f"{SUITE}-SlackAppFunction-1A2B3C", at=now + timedelta(minutes=1))
    result = run_checklist(incident(now + timedelta(minutes=5)), lookups())
    names = [name for c in result.revert.record["candidates"] for name in c["names"]]
    assert "bookshop-frontend" in names
    assert not [name for name in names if name.startswith(SUITE)]


def test_an_alias_moved_and_a_service_updated_rank_above_older_changes(cloudtrail):
    now = datetime.now(UTC)
    client("cloudformation").create_stack(StackName="bookshop-frontend", TemplateBody=TEMPLATE)
    deploys = ProductDeploys(cloudtrail)
    deploys.lambda_function("bookshop-web", tags=REVERT_TAG)
    deploys.ecs_service("shop", "viewings-api", tags=REVERT_TAG)
    deploys.move_alias("bookshop-web", env={"BOOK_VIEWING_BUTTON": "off"}, at=now + timedelta(minutes=20))
    deploys.update_service("shop", "viewings-api", "v2", at=now + timedelta(minutes=24))
    result = run_checklist(incident(now + timedelta(minutes=25)), lookups(revert_enabled=True))
    candidates = result.revert.record["candidates"]
    kinds = [c["kind"] for c in candidates]
    assert (
        kinds.index("ECS service updated") < kinds.index("Lambda alias moved") < kinds.index("stack created")
    )
    alias = candidates[kinds.index("Lambda alias moved")]
    assert (alias["before"], alias["after"], alias["who"]) == ("1", "2", "deployer/alice")
    assert alias["revert"]["restore"] == "1"
    service = candidates[kinds.index("ECS service updated")]
    assert service["before"].endswith("task-definition/viewings-api:1")
    assert service["after"].endswith("task-definition/viewings-api:2")
    buttons = [b["accessory"] for b in result.revert.blocks if "accessory" in b]
    assert len(buttons) == 2 and buttons[0]["confirm"]["text"]["text"].startswith("Revert ECS service")


def test_the_local_cloudtrail_refuses_what_cloudtrail_refuses(cloudtrail):
    trail = boto3.client("cloudtrail", endpoint_url=cloudtrail.url)
    two = [
        {"AttributeKey": "ReadOnly", "AttributeValue": "false"},
        {"AttributeKey": "EventName", "AttributeValue": "UpdateAlias20150331"},
    ]
    with pytest.raises(ClientError) as refused:
        trail.lookup_events(LookupAttributes=two)
    assert refused.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as refused:
        trail.lookup_events(MaxResults=51)
    assert refused.value.response["Error"]["Code"] == "InvalidMaxResultsException"
    with pytest.raises(ClientError) as refused:
        trail.lookup_events(StartTime=datetime.now(UTC), EndTime=datetime.now(UTC) - timedelta(hours=1))
    assert refused.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    for minute in range(3):
        cloudtrail.record("ecs.amazonaws.com", "UpdateService", {"service": f"s{minute}"}, {})
    first = trail.lookup_events(MaxResults=2)
    assert len(first["Events"]) == 2 and first["NextToken"]
    with pytest.raises(ClientError) as refused:
        trail.lookup_events(MaxResults=1, NextToken=first["NextToken"])
    assert refused.value.response["Error"]["Code"] == "InvalidNextTokenException"
    rest = trail.lookup_events(MaxResults=2, NextToken=first["NextToken"])
    assert len(rest["Events"]) == 1 and "NextToken" not in rest
