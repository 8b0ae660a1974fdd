"""The permission check itself, against moto: a call outside the function's role is answered as AWS
answers it and recorded; transactions and batches are checked item by item; S3 says 403 for a missing
key when the role cannot list the bucket; a call made in a thread is its function's, and one that cannot
be attributed fails. Includes the template as it was before the compiler could list its bucket, which
must fail."""

from __future__ import annotations

import concurrent.futures
import copy
import threading
import types
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from incident_core.concurrency import ContextThreadPool
from tests.conftest import TABLE
from tests.iam_guard import FUNCTIONS_DIR, Guard, role_statements
from tests.template_translate import translated

BUCKET = "incident-suite-test-documents"
KEY = "incidents/INC-1.md"


@pytest.fixture
def world(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("DOCUMENTS_BUCKET", BUCKET)
    monkeypatch.setenv("SLACK_SECRET_ID", "incident-suite/slack")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield {"s3": s3}


def checked(guard: Guard, service: str) -> Any:
    made = boto3.session.Session().client(service)
    guard.attach(made)
    return made


def without_list_bucket() -> dict[str, Any]:
    """The template before the fix: the compiler's role could read and write documents, not list them."""
    template = copy.deepcopy(translated())
    role = template["Resources"]["PostmortemCompilerFunctionRole"]["Properties"]
    for policy in role["Policies"]:
        statements = policy["PolicyDocument"]["Statement"]
        policy["PolicyDocument"]["Statement"] = [s for s in statements if s.get("Action") != "s3:ListBucket"]
    return template


def test_without_list_bucket_s3_answers_403_for_a_document_not_yet_written_as_aws_does(world: Any) -> None:
    guard = Guard(template=without_list_bucket())
    s3 = checked(guard, "s3")
    with guard.inherited("PostmortemCompilerFunction"), pytest.raises(ClientError) as refused:
        s3.head_object(Bucket=BUCKET, Key=KEY)
    assert refused.value.response["Error"]["Code"] == "403"
    assert guard.denials == []  # GetObject is allowed: the 403 is S3 hiding whether the key exists


def test_with_list_bucket_a_missing_document_is_404_and_an_existing_one_is_read(world: Any) -> None:
    guard = Guard()
    s3 = checked(guard, "s3")
    with guard.inherited("PostmortemCompilerFunction"), pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=BUCKET, Key=KEY)
    assert missing.value.response["Error"]["Code"] == "404"
    world["s3"].put_object(Bucket=BUCKET, Key=KEY, Body=b"# INC-1")
    with guard.inherited("PostmortemCompilerFunction"):
        assert s3.head_object(Bucket=BUCKET, Key=KEY)["ContentLength"] == 7
    assert ("PostmortemCompilerFunction", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/{KEY}") in guard.verified


def test_a_call_outside_the_role_is_refused_before_it_reaches_aws_and_recorded(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")
    item = {"pk": {"S": "INCIDENT#INC-1"}, "sk": {"S": "INCIDENT"}}
    with guard.inherited("PostmortemCompilerFunction"), pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName=TABLE, Item=item)  # the compiler writes only its POSTMORTEM# record
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem" in refused.value.response["Error"]["Message"]
    assert "Item" not in boto3.client("dynamodb").get_item(TableName=TABLE, Key=item)
    [denial] = guard.denials
    assert (denial.function, denial.request.action) == ("PostmortemCompilerFunction", "dynamodb:PutItem")


def test_each_item_of_a_transaction_is_checked_against_the_key_condition(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")

    def put(pk: str) -> dict[str, Any]:
        return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": "X"}}}}

    with guard.inherited("SlackAppFunction"):
        dynamodb.transact_write_items(TransactItems=[put("INCIDENT#INC-1"), put("ALERT#A-1")])
        with pytest.raises(ClientError):
            dynamodb.transact_write_items(TransactItems=[put("INCIDENT#INC-2"), put("JOURNEY#shop")])
    assert [d.request.context["dynamodb:LeadingKeys"] for d in guard.denials] == [("JOURNEY#shop",)]
    assert "Item" not in boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": "INCIDENT#INC-2"}, "sk": {"S": "X"}}
    )  # nothing half-written


def test_a_batch_is_checked_with_every_key_it_touches(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")

    def put(pk: str) -> dict[str, Any]:
        return {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": "STATE"}}}}

    with guard.inherited("JourneyRunnerFunction"):
        dynamodb.batch_write_item(RequestItems={TABLE: [put("JOURNEY#a"), put("JOURNEY#b")]})
        with pytest.raises(ClientError):
            dynamodb.batch_write_item(RequestItems={TABLE: [put("JOURNEY#c"), put("ALERT#x")]})
    assert len(guard.denials) == 1


def test_a_query_on_the_table_is_checked_with_its_partition_key(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")
    query = {
        "TableName": TABLE,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "pk"},
    }
    with guard.inherited("IncidentThreadFunction"):
        dynamodb.query(**query, ExpressionAttributeValues={":pk": {"S": "AWSHEALTH"}})
        with pytest.raises(ClientError):
            dynamodb.query(**query, ExpressionAttributeValues={":pk": {"S": "POLICY"}})
    assert [d.request.context["dynamodb:LeadingKeys"] for d in guard.denials] == [("POLICY",)]


def test_an_operation_the_check_does_not_know_is_refused_rather_than_waved_through(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")
    with guard.inherited("SlackAppFunction"), pytest.raises(ClientError):
        dynamodb.list_tables()
    [denial] = guard.denials
    assert "does not know" in denial.why


def test_calls_that_are_no_functions_are_not_checked(world: Any) -> None:
    guard = Guard()
    checked(guard, "dynamodb").list_tables()  # a test setting up moto
    assert guard.denials == [] and guard.verified == set()


def test_every_zip_function_of_the_template_has_a_role_the_check_can_read() -> None:
    guard = Guard()
    assert sorted(guard.dirs.values()) == sorted(
        name
        for name, resource in translated()["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    )
    for function in guard.dirs.values():
        assert role_statements(guard.template, function)


def test_the_slack_app_reads_only_its_own_items_of_the_table(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")
    with guard.inherited("SlackAppFunction"):
        dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "INCIDENT#INC-1"}, "sk": {"S": "INCIDENT"}})
        with pytest.raises(ClientError):  # journey runs are none of its business
            dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "JOURNEY#shop"}, "sk": {"S": "STATE"}})
    assert [d.request.context["dynamodb:LeadingKeys"] for d in guard.denials] == [("JOURNEY#shop",)]


def test_the_browser_runner_is_checked_against_its_own_stacks_role(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_BUCKET", BUCKET)
    guard = Guard()
    s3 = checked(guard, "s3")
    screenshot = {"Bucket": BUCKET, "Key": "screenshots/book-viewing/run-1/step.png", "Body": b"png"}
    with guard.inherited("BrowserJourneyRunnerFunction"):
        s3.put_object(**screenshot)
    with guard.inherited("JourneyRunnerFunction"), pytest.raises(ClientError):
        s3.put_object(**screenshot)  # the HTTP runner keeps responses only
    assert [d.function for d in guard.denials] == ["JourneyRunnerFunction"]


@pytest.mark.parametrize(
    ("function", "own", "foreign"),
    [
        ("SlackAppFunction", "IncidentDeclared", "JourneyFailed"),  # the internet-facing function
        ("SlackAppFunction", "IncidentResolved", "DrillRequested"),
        ("JourneyRunnerFunction", "JourneyFailed", "IncidentDeclared"),
        ("AlertRouterFunction", "AlertRaised", "PageDue"),
    ],
)
def test_each_function_puts_only_its_own_kinds_of_event_on_the_bus(
    world: Any, function, own, foreign
) -> None:
    """A fault or a takeover of one function cannot fake another's events: the Slack app cannot announce
    a failing journey (which pages people at night) nor ask for a drill."""
    from incident_core.settings import get_settings

    guard = Guard()
    events = checked(guard, "events")
    bus = get_settings().bus_name

    def put(detail_type: str) -> None:
        entry = {"EventBusName": bus, "Source": "incident-suite", "DetailType": detail_type, "Detail": "{}"}
        events.put_events(Entries=[entry])

    with guard.inherited(function):
        put(own)
        with pytest.raises(ClientError):
            put(foreign)
    assert [d.request.context["events:detail-type"] for d in guard.denials] == [(foreign,)]


def test_the_router_texts_and_calls_only_from_the_stacks_number_and_configuration_set(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incident_core.adapters.sms_voice import DeliveryRefused, SmsVoice
    from stand_ins.fake_sms_voice import FakeSmsVoice

    CONFIGURATION_SET = "incident-suite-test-paging"
    fake = FakeSmsVoice().start()
    try:
        paging = fake.add_phone_number("+447700900100")["PhoneNumberId"]
        other = fake.add_phone_number("+447700900109")["PhoneNumberId"]
        fake.add_configuration_set(CONFIGURATION_SET)
        fake.leave_sandbox()
        monkeypatch.setenv("PAGING_ORIGINATION_IDENTITY", paging)
        monkeypatch.setenv("PAGING_CONFIGURATION_SET", CONFIGURATION_SET)
        guard = Guard()
        client = boto3.client("pinpoint-sms-voice-v2", endpoint_url=fake.url)
        guard.attach(client)
        with guard.inherited("AlertRouterFunction"):
            SmsVoice(paging, "incident-suite-test-paging", client).text("alastair", "+447700900101", "x", "r")
            with pytest.raises(DeliveryRefused, match="AccessDenied"):
                SmsVoice(other, "incident-suite-test-paging", client).text(
                    "alastair", "+447700900101", "x", "r"
                )
        assert [t.origination for t in fake.texts()] == ["+447700900100"]
        [denial] = guard.denials
        assert other in str(denial.request)
    finally:
        fake.stop()


# ---------------------------------------------------------------------- calls made in threads
def as_handler(guard: Guard, directory: str, body: Any) -> Any:
    """`body` as the handler of functions/<directory>/app.py, wrapped as the check wraps one it loads."""
    module = types.ModuleType("app")
    module.__file__ = str(FUNCTIONS_DIR / directory / "app.py")
    module.lambda_handler = body
    guard.wrap_handler(module)
    return module.lambda_handler


INCIDENT = {"pk": {"S": "INCIDENT#INC-1"}, "sk": {"S": "INCIDENT"}}
JOURNEY = {"pk": {"S": "JOURNEY#shop"}, "sk": {"S": "STATE"}}


def test_a_helper_thread_started_by_a_handler_is_checked_as_that_handlers_function(world: Any) -> None:
    """The suite's pool runs each task in a copy of the handler's context: its calls are the function's,
    checked against its role (the Slack app reads incidents, never journeys)."""
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")

    def lambda_handler(event: Any, context: Any) -> Any:
        with ContextThreadPool(max_workers=1, thread_name_prefix="helper") as pool:
            pool.submit(dynamodb.get_item, TableName=TABLE, Key=INCIDENT).result()
            return pool.submit(dynamodb.get_item, TableName=TABLE, Key=JOURNEY).exception()

    refused = as_handler(guard, "slack_app", lambda_handler)({}, None)

    assert refused.response["Error"]["Code"] == "AccessDeniedException"
    table = f"arn:aws:dynamodb:eu-west-2:123456789012:table/{TABLE}"
    assert guard.verified_in_threads == {("SlackAppFunction", "dynamodb:GetItem", table)}
    assert [(d.function, d.request.context["dynamodb:LeadingKeys"]) for d in guard.denials] == [
        ("SlackAppFunction", ("JOURNEY#shop",))
    ]


@pytest.mark.parametrize("start", ["thread", "plain pool"])
def test_a_call_from_a_thread_that_lost_the_handlers_context_fails_the_check(world: Any, start: str) -> None:
    """A thread the handler started without the suite's pool does not say which function runs: its call
    is refused and fails the test, never waved through as set-up."""
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")

    def lookup() -> Exception | None:
        try:
            dynamodb.get_item(TableName=TABLE, Key=INCIDENT)  # allowed to the Slack app, if attributed
        except ClientError as error:
            return error
        return None

    def lambda_handler(event: Any, context: Any) -> Any:
        if start == "plain pool":
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(lookup).result()
        outcome: list[Exception | None] = []
        thread = threading.Thread(target=lambda: outcome.append(lookup()))
        thread.start()
        thread.join()
        return outcome[0]

    refused = as_handler(guard, "slack_app", lambda_handler)({}, None)

    assert refused is not None and refused.response["Error"]["Code"] == "AccessDeniedException"
    [denial] = guard.denials
    assert (denial.function, denial.request.action) == ("SlackAppFunction", "dynamodb:GetItem")
    assert "thread started by the function's code" in denial.why
    assert guard.verified == set()


def test_a_thread_the_test_starts_outside_any_handler_is_set_up(world: Any) -> None:
    guard = Guard()
    dynamodb = checked(guard, "dynamodb")
    thread = threading.Thread(target=dynamodb.get_item, kwargs={"TableName": TABLE, "Key": JOURNEY})
    thread.start()
    thread.join()
    assert guard.denials == [] and guard.verified == set()
