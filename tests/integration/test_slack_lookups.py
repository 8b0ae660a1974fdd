"""The checklist's outside sources over their real interfaces: status pages over HTTP (local fake),
CloudFormation in moto."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.aws import client
from incident_core.adapters.deploys import CloudFormationDeploys
from incident_core.adapters.statuspage import StatusPageError, StatusPages, parse_status_pages
from stand_ins.fake_statuspage import FakeStatusPages


@pytest.fixture(scope="module")
def pages_server() -> Iterator[FakeStatusPages]:
    server = FakeStatusPages().start()
    yield server
    server.stop()


@pytest.fixture
def pages(pages_server) -> FakeStatusPages:
    pages_server.reset()
    return pages_server


def test_operational_and_degraded_vendors(pages):
    calm = StatusPages(timeout=1).status(pages.set_vendor("github") + "/")
    assert (calm.name, calm.indicator, calm.description, calm.operational) == (
        "Github",
        "none",
        "All Systems Operational",
        True,
    )
    base = pages.set_vendor("payments", "major", incidents=["Card payments failing"])
    troubled = StatusPages(timeout=1).status(base)
    assert (troubled.indicator, troubled.operational) == ("major", False)
    assert [(i.name, i.status, i.impact) for i in troubled.incidents] == [
        ("Card payments failing", "investigating", "major")
    ]
    assert troubled.incidents[0].link.startswith(base)
    assert pages.requests[-2:] == [
        "/payments/api/v2/status.json",
        "/payments/api/v2/incidents/unresolved.json",
    ]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"http_status": 503}, "answered HTTP 503"),
        ({"delay": 1.0}, "did not answer within 0.3 s"),
    ],
)
def test_unreadable_pages_say_why(pages, setup, message):
    base = pages.set_vendor("flaky", **setup)
    with pytest.raises(StatusPageError, match=message):
        StatusPages(timeout=0.3).status(base)


def test_unknown_page_and_bad_setting():
    with pytest.raises(StatusPageError, match="could not be reached"):
        StatusPages(timeout=0.3).status("http://127.0.0.1:9")
    assert parse_status_pages(" https://a.example/ ,https://b.example,, ") == [
        "https://a.example",
        "https://b.example",
    ]
    with pytest.raises(ValueError, match=r"'status\.example\.com' is not an http"):
        parse_status_pages("status.example.com")


def test_stacks_created_in_the_window_are_found_in_moto(aws):
    template = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
    cloudformation = client("cloudformation")
    cloudformation.create_stack(StackName="bookshop-prod", TemplateBody=template)
    cloudformation.create_stack(StackName="removed", TemplateBody=template)
    cloudformation.delete_stack(StackName="removed")
    now = datetime.now(UTC)
    changes = CloudFormationDeploys().changed_between(now - timedelta(hours=3), now + timedelta(minutes=1))
    names = {c.name: c for c in changes}
    assert names["bookshop-prod"].change == "created"
    assert names["bookshop-prod"].status == "CREATE_COMPLETE"
    assert "stackId=arn%3Aaws%3Acloudformation%3Aeu-west-2" in names["bookshop-prod"].link
    assert CloudFormationDeploys().changed_between(now + timedelta(minutes=5), now + timedelta(hours=1)) == []


# ---------------------------------------------------------------------- Slack's own status API
def test_slacks_status_is_read_from_its_own_api_not_as_a_statuspage(pages):
    url = pages.set_slack_status()
    assert url.endswith("/api/v2.0.0/current")
    calm = StatusPages(timeout=1).status(url)
    assert (calm.name, calm.indicator, calm.operational) == ("Slack", "none", True)
    assert calm.link == url.removesuffix("/api/v2.0.0/current")

    pages.set_slack_status([("Messages are slow to send", "incident"), ("Login fails", "outage")])
    troubled = StatusPages(timeout=1).status(url)
    assert (troubled.indicator, troubled.operational) == ("major", False)
    assert [(i.name, i.status, i.impact) for i in troubled.incidents] == [
        ("Messages are slow to send", "active", "minor"),
        ("Login fails", "active", "major"),
    ]
    assert troubled.incidents[0].link.startswith(calm.link)
    assert pages.requests[-1] == "/slack-status/api/v2.0.0/current"


def test_planned_slack_maintenance_is_maintenance(pages):
    url = pages.set_slack_status([("Scheduled maintenance of search", "maintenance")])
    assert StatusPages(timeout=1).status(url).indicator == "maintenance"


def test_the_default_status_pages_are_each_read_with_an_api_they_speak():
    from tests.template_translate import sam_template

    default = sam_template()["Parameters"]["StatusPages"]["Default"]
    assert "https://status.slack.com" not in parse_status_pages(default)  # not an Atlassian Statuspage
    assert "https://slack-status.com/api/v2.0.0/current" in parse_status_pages(default)
