"""Shared fixtures: real local servers (moto for AWS, a fake Slack Web API), never mocked HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from incident_core.adapters.aws import client, reset_clients
from incident_core.settings import get_settings
from stand_ins.aws import MotoServer, create_tables
from stand_ins.bookshop import Bookshop
from stand_ins.fake_github import FakeGitHub
from stand_ins.fake_slack import FakeSlack

TABLE = "incident-suite-test"
IDEMPOTENCY_TABLE = "incident-suite-test-idempotency"
BUS = "incident-suite-test"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    fake_slack_server.reset()
    monkeypatch.setenv("SLACK_API_URL", fake_slack_server.url)
    get_settings.cache_clear()
    return fake_slack_server


@pytest.fixture(scope="session")
def fake_github_server() -> Iterator[FakeGitHub]:
    server = FakeGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def fake_github(fake_github_server: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The fake GitHub, clean, with the suite pointed at it (its token goes in the tracker secret)."""
    fake_github_server.reset()
    monkeypatch.setenv("GITHUB_API_URL", fake_github_server.api_url)
    get_settings.cache_clear()
    return fake_github_server


@pytest.fixture(scope="session")
def shop_server() -> Iterator[Bookshop]:
    """The local bookshop the journeys watch (stand_ins/bookshop.py), one for the whole run."""
    shop = Bookshop().start()
    yield shop
    shop.stop()


@pytest.fixture
def shop(shop_server: Bookshop) -> Bookshop:
    """The bookshop working again and answering at once, whatever the last test broke."""
    shop_server.repair()
    shop_server.set_latency(0)
    return shop_server


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A clean moto server with the suite's tables (from template.yaml), bus and secrets."""
    moto_server.reset()
    for key, value in moto_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", IDEMPOTENCY_TABLE)
    monkeypatch.setenv("BUS_NAME", BUS)
    monkeypatch.setenv("POLICY_FILE", str(ROOT / "config" / "policy.yaml"))  # as /opt/policy.yaml in Lambda
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "IncidentSuiteTest")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "incident-suite-test")
    reset_clients()
    get_settings.cache_clear()
    create_tables(client("dynamodb"), {"Table": TABLE, "IdempotencyTable": IDEMPOTENCY_TABLE})
    client("events").create_event_bus(Name=BUS)
    client("secretsmanager").create_secret(
        Name=get_settings().slack_secret_id,
        SecretString=json.dumps(
            {
                "bot_token": "xoxb-test-placeholder",
                "signing_secret": "test-signing-secret",
                "team_id": "T0FAKE0001",  # the workspace the app is installed in (the fake's auth.test)
            }
        ),
    )
    yield moto_server
    reset_clients()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test forgets, it never reaches a real AWS account."""
    if "AWS_ENDPOINT_URL" not in os.environ:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-2",
        }.items():
            monkeypatch.setenv(key, value)


# ---------------------------------------------------------------------- least privilege, as a test
def pytest_configure(config: pytest.Config) -> None:
    from tests.iam_guard import Guard, install

    install(Guard())


@pytest.fixture(autouse=True)
def _within_each_functions_role() -> Iterator[None]:
    """A test fails when a function made an AWS call its own role in template.yaml does not allow."""
    from tests.iam_guard import installed

    guard = installed()
    assert guard is not None
    before = len(guard.denials)
    yield
    denied = guard.denials[before:]
    if denied:
        pytest.fail("AWS would refuse:\n" + "\n".join(f"  {d}" for d in denied), pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.iam_guard import installed

    guard = installed()
    if guard is not None:
        terminalreporter.write_line(guard.summary())
        for function, grants in guard.unused_grants().items():
            terminalreporter.write_line(f"  {function} is allowed, but no call needed: {', '.join(grants)}")
