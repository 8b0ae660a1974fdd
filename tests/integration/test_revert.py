"""Revert from the incident thread, end to end through the functions: the Slack app's Revert button
(signed clicks), the revert function (RevertRequested), the journey runner's check straight after
(RevertFinished), the thread's outcome and proof (RevertFinished, JourneyRechecked). AWS is moto (a
Lambda alias whose version decides whether the bookshop shows its Book viewing button), CloudTrail the
strict local stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.aws import client, reset_clients
from incident_core.adapters.cloudtrail import CloudTrailChanges
from incident_core.adapters.dynamo import Table
from incident_core.adapters.slack import Slack
from incident_core.changes.depends import own_from_settings
from incident_core.changes.reverts import RevertStore
from incident_core.incidents.checklist import Lookups, checklist_message, run_checklist
from incident_core.incidents.store import IncidentStore
from incident_core.models import Incident
from incident_core.settings import get_settings
from stand_ins.bookshop import Bookshop
from stand_ins.fake_appconfig import FakeAppConfig
from stand_ins.fake_cloudtrail import FakeCloudTrail
from stand_ins.fake_codedeploy import FakeCodeDeploy
from stand_ins.local_lambda import LocalSuite
from stand_ins.product_deploys import REVERT_TAG, ProductDeploys
from tests.iam_guard import bound_statements
from tests.iam_policy import Request, allowed
from tests.slack_support import ALASTAIR, CHANNEL, SlackApp, bus_events, capture_bus
from tests.template_translate import ROOT, translated

FRONTEND = "bookshop-frontend"
STRANGER = "U0STRANGER1"


@dataclass
class World:
    app: SlackApp
    suite: LocalSuite
    deploys: ProductDeploys
    shop: Bookshop
    captured: str


@pytest.fixture(scope="module")
def cloudtrail_server() -> Iterator[FakeCloudTrail]:
    server = FakeCloudTrail(rate_limit=False).start()
    yield server
    server.stop()


def button_on() -> bool:
    """The release behind the alias: its version's BOOK_VIEWING_BUTTON says whether the button is drawn."""
    lam = client("lambda")
    version = lam.get_alias(FunctionName=FRONTEND, Name="live")["FunctionVersion"]
    config = lam.get_function_configuration(FunctionName=FRONTEND, Qualifier=version)
    return (config.get("Environment") or {}).get("Variables", {}).get("BOOK_VIEWING_BUTTON") != "off"


@pytest.fixture
def world(aws, fake_slack, shop, cloudtrail_server, monkeypatch) -> Iterator[World]:
    cloudtrail_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail_server.url)
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    monkeypatch.setenv("REVERT_ENABLED", "true")
    monkeypatch.setenv("SUITE_STACK_NAME", "incident-suite-test")
    monkeypatch.setenv("JOURNEYS_FILE", str(ROOT / "demo" / "journeys.yaml"))
    monkeypatch.setenv("JOURNEY_KIND", "http")
    monkeypatch.setenv("BOOKSHOP_URL", shop.url)
    reset_clients()
    get_settings.cache_clear()
    suite = LocalSuite(get_settings().bus_name)
    suite.functions = {
        name: suite.functions[name]
        for name in ("IncidentThreadFunction", "RevertFunction", "JourneyRunnerFunction")
    }
    for function in suite.functions.values():  # moto's EventBridge drops the envelope's account
        real = function.invoke
        monkeypatch.setattr(
            function, "invoke", lambda event, real=real: real({"account": "123456789012", **event})
        )
    suite.wire()
    captured = capture_bus(get_settings().bus_name)
    shop.release_has_button = button_on
    yield World(SlackApp.start(fake_slack), suite, ProductDeploys(cloudtrail_server), shop, captured)
    shop.release_has_button = None


def incident_with_checklist(world: World, started_at: datetime) -> tuple[Incident, dict]:
    """An open incident of the failing journey, its thread, and its checklist posted as the thread does."""
    store = IncidentStore.from_settings()
    incident = Incident(
        incident_id="INC-revert1",
        title="Book viewing button missing",
        declared_by=ALASTAIR,
        started_at=started_at,
        detected_at=started_at + timedelta(minutes=1),
        declared_at=started_at + timedelta(minutes=2),
        journeys=["browse-catalogue"],
        responders=[ALASTAIR],
    )
    store.create(incident)
    slack = Slack.from_settings(get_settings())
    root = slack.client.chat_postMessage(channel=CHANNEL, text="Incident INC-revert1")
    incident = store.link_thread(incident.incident_id, root["channel"], root["ts"])
    lookups = Lookups(
        change_sources={"CloudTrail": CloudTrailChanges()},
        own=own_from_settings(get_settings()),
        revert_enabled=True,
        deadline_seconds=8,
    )
    result = run_checklist(incident, lookups)
    store.change(incident.incident_id, lambda i: setattr(i, "checklist", result.record(started_at)))
    text, blocks = checklist_message(result, incident)
    posted = slack.client.chat_postMessage(
        channel=CHANNEL, text=text, blocks=blocks, thread_ts=incident.thread_ts
    )
    return store.get(incident.incident_id), posted["message"]


def revert_value(message: dict, kind: str = "Lambda alias moved") -> str:
    for block in message["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == "change_revert" and kind in block["text"]["text"]:
            return accessory["value"]
    raise AssertionError(f"no Revert button for {kind}")


def broken_release(world: World, tags: dict[str, str] | None = REVERT_TAG) -> datetime:
    """The frontend behind its alias (version 1 shows the button), then a deploy that hides it."""
    now = datetime.now(UTC)
    world.deploys.lambda_function(FRONTEND, tags=tags, env={"BOOK_VIEWING_BUTTON": "on"})
    world.deploys.move_alias(FRONTEND, env={"BOOK_VIEWING_BUTTON": "off"}, at=now + timedelta(minutes=1))
    assert not button_on()
    return now + timedelta(minutes=2)


def thread_texts(fake_slack, incident: Incident) -> list[str]:
    return [
        json.dumps(m.get("blocks") or m.get("text")) for m in fake_slack.thread(CHANNEL, incident.thread_ts)
    ]


def alias_version() -> str:
    return client("lambda").get_alias(FunctionName=FRONTEND, Name="live")["FunctionVersion"]


def test_a_responder_reverts_the_alias_and_the_thread_says_the_journey_passes_again(world, fake_slack):
    incident, message = incident_with_checklist(world, broken_release(world))
    confirm = next(b["accessory"]["confirm"] for b in message["blocks"] if "accessory" in b)
    assert "alias `live` of `bookshop-frontend` from version 2 to 1" in confirm["text"]["text"]

    response = world.app.click("change_revert", revert_value(message), message, ALASTAIR)
    assert response["statusCode"] == 200
    world.suite.deliver()

    assert alias_version() == "1" and button_on()
    texts = thread_texts(fake_slack, incident)
    assert any("Reverted by <@U0ALASTAIR>" in t and "Undo revert" in t for t in texts)
    assert any("passes again" in t and "after the revert" in t for t in texts)
    (revert,) = RevertStore(Table(get_settings().table_name)).list(incident.incident_id)
    assert revert.status == "done" and revert.recovered_at is not None and revert.requested_by == ALASTAIR
    measured = IncidentStore.from_settings().get(incident.incident_id).checklist["reverts"][revert.revert_id]
    assert measured["ok"] and measured["by"] == ALASTAIR and measured["recovered_after_seconds"] >= 0
    timeline = [e.text for e in IncidentStore.from_settings().timeline(incident.incident_id)]
    assert any(t.startswith("Reverted by <@U0ALASTAIR>") for t in timeline)
    assert any("passes again" in t for t in timeline)

    # Undone the same way: the alias goes forward again.
    undo = next(
        b["accessory"]["value"]
        for m in fake_slack.thread(CHANNEL, incident.thread_ts)
        for b in m.get("blocks") or []
        if (b.get("accessory") or {}).get("text", {}).get("text") == "Undo revert"
    )
    world.app.click("change_revert", undo, message, ALASTAIR)
    world.suite.deliver()
    assert alias_version() == "2"


def test_a_strangers_revert_is_refused(world, fake_slack):
    incident, message = incident_with_checklist(world, broken_release(world))
    world.app.click("change_revert", revert_value(message), message, STRANGER)
    world.suite.deliver()
    assert alias_version() == "2"
    assert RevertStore(Table(get_settings().table_name)).list(incident.incident_id) == []
    (answer,) = [r for r in world.app.responses() if "no_entry" in r.get("text", "")]
    assert "Only responders" in answer["text"] and "the Revert button" in answer["text"]


def test_a_double_click_and_retried_deliveries_revert_once(world, fake_slack):
    incident, message = incident_with_checklist(world, broken_release(world))
    value = revert_value(message)
    world.app.click("change_revert", value, message, ALASTAIR)
    world.app.click("change_revert", value, message, ALASTAIR)  # the double click
    world.suite.deliver()
    events = bus_events(get_settings().bus_name, world.captured)
    requested = [e for e in events if e["detail-type"] == "RevertRequested"]
    assert len(requested) == 1
    # Lambda retries the revert function with the same event after the revert was made.
    world.suite.function("RevertFunction").invoke({"account": "123456789012", **requested[0]})
    world.suite.deliver()
    assert alias_version() == "1"
    finished = [t for t in thread_texts(fake_slack, incident) if "Reverted by" in t]
    assert len(finished) == 1
    assert any("already asked by <@U0ALASTAIR>" in r.get("text", "") for r in world.app.responses())


def test_an_untagged_resource_is_refused_with_a_clear_reason(world, fake_slack):
    incident, message = incident_with_checklist(world, broken_release(world, tags={}))
    world.app.click("change_revert", revert_value(message), message, ALASTAIR)
    world.suite.deliver()
    assert alias_version() == "2"
    texts = thread_texts(fake_slack, incident)
    assert any("is not tagged `incident-suite:revert=allowed`" in t and "failed" in t for t in texts)
    (revert,) = RevertStore(Table(get_settings().table_name)).list(incident.incident_id)
    assert revert.status == "failed" and "not tagged" in revert.reason


def test_a_revert_that_does_not_fix_the_journey_says_so(world, fake_slack):
    incident, message = incident_with_checklist(world, broken_release(world))
    world.shop.remove_button()  # broken by something else than the frontend's release
    world.app.click("change_revert", revert_value(message), message, ALASTAIR)
    world.suite.deliver()
    assert alias_version() == "1"
    texts = thread_texts(fake_slack, incident)
    assert any("Still failing" in t and "The cause may be elsewhere" in t for t in texts)
    assert not any("passes again" in t for t in texts)


def test_the_iam_check_allows_the_revert_calls_only_on_resources_tagged_for_it():
    statements = bound_statements(translated(), "RevertFunction", {"REVERT_ENABLED": "true"}, "eu-west-2")
    arn = "arn:aws:lambda:eu-west-2:123456789012:function:bookshop-frontend"
    service = "arn:aws:ecs:eu-west-2:123456789012:service/shop/api"
    tagged = {"aws:ResourceTag/incident-suite:revert": ("allowed",)}
    own = {**tagged, "aws:ResourceTag/aws:cloudformation:stack-name": ("incident-suite-dev",)}
    assert allowed(statements, Request("lambda:UpdateAlias", arn, tagged))
    assert allowed(statements, Request("ecs:UpdateService", service, tagged))
    assert not allowed(statements, Request("lambda:UpdateAlias", arn, {}))
    assert not allowed(statements, Request("ecs:UpdateService", service, {}))
    assert not allowed(statements, Request("lambda:UpdateAlias", arn, own))
    assert not allowed(statements, Request("lambda:UpdateFunctionCode", arn, tagged))
    group = "arn:aws:codedeploy:eu-west-2:123456789012:deploymentgroup:bookshop/frontend-prod"
    assert allowed(statements, Request("codedeploy:StopDeployment", group, tagged))
    assert not allowed(statements, Request("codedeploy:StopDeployment", group, {}))
    deployment = "arn:aws:appconfig:eu-west-2:123456789012:application/bookshop/environment/prod/deployment/3"
    assert allowed(statements, Request("appconfig:StopDeployment", deployment, tagged))
    assert not allowed(statements, Request("appconfig:StopDeployment", deployment, {}))


def test_with_revert_off_nothing_is_reverted_and_the_responder_is_told_why(world, fake_slack, monkeypatch):
    incident, message = incident_with_checklist(world, broken_release(world))
    monkeypatch.setenv("REVERT_ENABLED", "false")
    get_settings.cache_clear()
    world.app.click("change_revert", revert_value(message), message, ALASTAIR)
    world.suite.deliver()
    assert alias_version() == "2"
    assert RevertStore(Table(get_settings().table_name)).list(incident.incident_id) == []
    assert any("Revert from the thread is off" in r.get("text", "") for r in world.app.responses())


@pytest.fixture(scope="module")
def codedeploy_server() -> Iterator[FakeCodeDeploy]:
    server = FakeCodeDeploy().start()
    yield server
    server.stop()


@pytest.fixture
def codedeploy(world, codedeploy_server, monkeypatch) -> FakeCodeDeploy:
    codedeploy_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEDEPLOY", codedeploy_server.url)
    reset_clients()
    world.shop.release_has_button = None  # no frontend function in these tests
    return codedeploy_server


def codedeploy_incident(world: World, codedeploy: FakeCodeDeploy, tags: dict[str, str]) -> tuple:
    now = datetime.now(UTC)
    deployment = codedeploy.deployment("bookshop", "frontend-prod", "r2", "r1", tags=tags)
    request = {"applicationName": "bookshop", "deploymentGroupName": "frontend-prod"}
    world.deploys.cloudtrail.record(
        "codedeploy.amazonaws.com", "CreateDeployment", request, {"deploymentId": deployment}, at=now
    )
    incident, message = incident_with_checklist(world, now + timedelta(minutes=1))
    return deployment, incident, message


def test_a_codedeploy_deployment_in_progress_is_stopped_with_rollback(world, codedeploy, fake_slack):
    deployment, incident, message = codedeploy_incident(world, codedeploy, REVERT_TAG)
    world.app.click("change_revert", revert_value(message, "CodeDeploy deployment"), message, ALASTAIR)
    world.suite.deliver()
    assert codedeploy.stops == [{"deploymentId": deployment, "autoRollbackEnabled": True}]
    assert codedeploy.deployments[deployment]["status"] == "Stopped"
    texts = thread_texts(fake_slack, incident)
    assert any("stop it and roll back to the previous revision" in t and "Reverted by" in t for t in texts)
    assert not any("Undo revert" in t for t in texts)  # a stopped deployment is deployed again, not undone


def test_an_untagged_codedeploy_group_is_refused(world, codedeploy, fake_slack):
    deployment, incident, message = codedeploy_incident(world, codedeploy, {})
    world.app.click("change_revert", revert_value(message, "CodeDeploy deployment"), message, ALASTAIR)
    world.suite.deliver()
    assert codedeploy.stops == [] and codedeploy.deployments[deployment]["status"] == "InProgress"
    assert any("`bookshop/frontend-prod` is not tagged" in t for t in thread_texts(fake_slack, incident))


def test_an_ecs_service_goes_back_to_its_previous_task_definition(world, fake_slack):
    world.shop.release_has_button = None  # no frontend function here: the shop works
    now = datetime.now(UTC)
    world.deploys.ecs_service("shop", "viewings-api", tags=REVERT_TAG)
    world.deploys.update_service("shop", "viewings-api", "v2", at=now)
    incident, message = incident_with_checklist(world, now + timedelta(minutes=1))
    world.app.click("change_revert", revert_value(message, "ECS service updated"), message, ALASTAIR)
    world.suite.deliver()
    service = client("ecs").describe_services(cluster="shop", services=["viewings-api"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/viewings-api:1")
    assert any("Reverted by" in t and "viewings-api:1" in t for t in thread_texts(fake_slack, incident))


@pytest.fixture(scope="module")
def appconfig_server() -> Iterator[FakeAppConfig]:
    server = FakeAppConfig().start()
    yield server
    server.stop()


@pytest.fixture
def appconfig(world, appconfig_server, monkeypatch) -> FakeAppConfig:
    appconfig_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIG", appconfig_server.url)
    reset_clients()
    world.shop.release_has_button = None
    return appconfig_server


@pytest.mark.parametrize(("state", "after"), [("BAKING", "ROLLED_BACK"), ("COMPLETE", "REVERTED")])
def test_an_appconfig_deployment_is_stopped_and_its_configuration_put_back(
    world, appconfig, fake_slack, state, after
):
    now = datetime.now(UTC)
    number = appconfig.deployment("bookshop", "prod", "7", state=state, tags=REVERT_TAG)
    request = {"applicationId": "bookshop", "environmentId": "prod", "configurationVersion": "7"}
    world.deploys.cloudtrail.record(
        "appconfig.amazonaws.com", "StartDeployment", request, {"deploymentNumber": number}, at=now
    )
    incident, message = incident_with_checklist(world, now + timedelta(minutes=1))
    world.app.click("change_revert", revert_value(message, "AppConfig deployment"), message, ALASTAIR)
    world.suite.deliver()
    assert appconfig.deployments[("bookshop", "prod", number)]["State"] == after
    assert appconfig.stops == [{"deployment": ("bookshop", "prod", number), "allow_revert": True}]
    assert any(
        "Reverted by" in t and "configuration version 7" in t for t in thread_texts(fake_slack, incident)
    )
