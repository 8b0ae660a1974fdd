"""The Slack app manifest asks for what the code uses; the sample events parse as the handlers parse them."""

import json
import re
from pathlib import Path

import pytest
import yaml
from aws_lambda_powertools.utilities.parser.models.event_bridge import EventBridgeModel

from incident_core.events import IncidentChanged, IncidentDeclared, IncidentResolved, JourneyRecovered
from incident_core.incidents.signing import verify_slack_request

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text())
DETAILS = {m.detail_type: m for m in (IncidentDeclared, IncidentChanged, IncidentResolved, JourneyRecovered)}
THREAD_EVENTS = sorted((ROOT / "events").glob("incident_thread_*.json"))
SLACK_EVENTS = sorted((ROOT / "events").glob("slack_app_*.json"))


def test_manifest_declares_the_command_events_and_scopes_the_app_uses():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/incident" and command["should_escape"] is True
    events = MANIFEST["settings"]["event_subscriptions"]
    interactivity = MANIFEST["settings"]["interactivity"]
    urls = {command["url"], events["request_url"], interactivity["request_url"]}
    assert urls == {"https://<your-function-url>/"}
    assert interactivity["is_enabled"] is True
    assert {"message.channels", "message.groups"} <= set(events["bot_events"])
    # chat.postMessage/update/postEphemeral, the command, reading threads, finding a channel named in the
    # settings (conversations.list), DMs to the paged and reading them back (the re-page check), names.
    wanted = {
        "chat:write",
        "commands",
        "channels:history",
        "groups:history",
        "channels:read",
        "groups:read",
        "im:write",
        "im:history",
        "users:read",
        "usergroups:read",  # members of the policy's responder user group (permissions.responder_group)
        "files:write",  # files.getUploadURLExternal / completeUploadExternal: the incident window's picture
    }
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == wanted


def test_manifest_grants_every_scope_the_paging_docs_say_the_bot_needs():
    policy_doc = (ROOT / "docs" / "policy.md").read_text()
    sentence = policy_doc[policy_doc.index("The Slack bot needs") :].split("\n\n", 1)[0]
    needed = set(re.findall(r"`([a-z]+:[a-z]+)`", sentence))
    assert {"chat:write", "channels:read", "im:history"} <= needed
    assert needed <= set(MANIFEST["oauth_config"]["scopes"]["bot"])


@pytest.mark.parametrize("path", THREAD_EVENTS, ids=lambda p: p.name)
def test_incident_thread_sample_events_parse(path):
    envelope = EventBridgeModel.model_validate(json.loads(path.read_text()))
    assert envelope.source == "incident-suite"
    DETAILS[envelope.detail_type].model_validate(envelope.detail)


@pytest.mark.parametrize("path", SLACK_EVENTS, ids=lambda p: p.name)
def test_slack_app_sample_events_are_signed_function_url_posts(path):
    event = json.loads(path.read_text())
    assert event["version"] == "2.0" and event["requestContext"]["http"]["method"] == "POST"
    timestamp = int(event["headers"]["x-slack-request-timestamp"])
    # Signed with the placeholder secret docs/slack.md names; re-sign with yours for sam local invoke.
    assert verify_slack_request("placeholder-signing-secret", event["body"], event["headers"], now=timestamp)
