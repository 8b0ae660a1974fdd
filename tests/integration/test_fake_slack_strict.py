"""The fake Slack refuses what Slack documents it refuses, with Slack's error codes (through slack_sdk, over
HTTP), and gives every message its own ts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from stand_ins.fake_slack import FakeSlack


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-placeholder", base_url=fake_slack.url)


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def refused(call, *args, **kwargs) -> dict:
    with pytest.raises(SlackApiError) as raised:
        call(*args, **kwargs)
    return raised.value.response.data


@pytest.mark.parametrize(
    ("block", "why"),
    [
        (section("x" * 3001), "cannot exceed 3000"),
        ({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}, "cannot exceed 150"),
        (
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
                ],
            },
            "cannot exceed 75",
        ),
        ({"type": "bogus"}, "unsupported type 'bogus'"),
        ({"type": "section"}, "text or fields"),
        (section(""), "more than 0 characters"),
        ({**section("x"), "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_blocks_slack_refuses_are_invalid_blocks(client, fake_slack, block, why):
    body = refused(client.chat_postMessage, channel="#incidents", text="fallback", blocks=[block])
    assert body["error"] == "invalid_blocks"
    assert why in body["response_metadata"]["messages"][0]
    assert fake_slack.messages("#incidents") == []


def test_at_the_documented_limits_accepted_one_past_them_refused(client, fake_slack):
    blocks = [
        section("x" * 3000),
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
        *[section("ok")] * 47,
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 75}}
            ],
        },
    ]
    assert len(blocks) == 50
    client.chat_postMessage(channel="#incidents", text="y" * 40_000, blocks=blocks)
    assert len(fake_slack.messages("#incidents")) == 1
    body = refused(client.chat_postMessage, channel="#incidents", text="t", blocks=[section("x")] * 51)
    assert body["error"] == "invalid_blocks" and "no more than 50" in body["response_metadata"]["messages"][0]
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": [section("x")] * 101}
    body = refused(client.views_open, trigger_id="1.2.3", view=view)
    assert "no more than 100" in body["response_metadata"]["messages"][0]
    client.views_open(trigger_id="1.2.3", view={**view, "blocks": [section("x")] * 100})


def test_text_over_40000_characters_is_msg_too_long(client):
    assert (
        refused(client.chat_postMessage, channel="#incidents", text="x" * 40_001)["error"] == "msg_too_long"
    )


def test_blocks_need_a_text_fallback(client):
    with pytest.warns(UserWarning):  # slack_sdk warns too
        body = refused(client.chat_postMessage, channel="#incidents", blocks=[section("x")])
    assert body["error"] == "no_text"
    assert refused(client.chat_postMessage, channel="#incidents")["error"] == "no_text"


def test_channels_must_exist_and_have_the_bot_and_ids_where_slack_takes_ids(client, fake_slack):
    assert refused(client.chat_postMessage, channel="#nowhere", text="t")["error"] == "channel_not_found"
    fake_slack.add_channel("#random", bot_member=False)
    assert refused(client.chat_postMessage, channel="#random", text="t")["error"] == "not_in_channel"
    assert refused(client.conversations_history, channel="C0RANDOM")["error"] == "not_in_channel"
    posted = client.chat_postMessage(channel="#incidents", text="t")
    assert posted["channel"] == "C0INCIDENTS"
    for call in (client.chat_update, client.chat_delete):
        assert refused(call, channel="#incidents", ts=posted["ts"], text="u")["error"] == "channel_not_found"
    assert refused(client.conversations_replies, channel="#incidents", ts=posted["ts"])["error"] == (
        "channel_not_found"
    )


def test_unknown_users_are_user_not_found(client, fake_slack):
    assert refused(client.users_info, user="U0NOBODY")["error"] == "user_not_found"
    assert refused(client.conversations_open, users="U0NOBODY")["error"] == "user_not_found"
    assert refused(client.chat_postMessage, channel="U0NOBODY", text="t")["error"] == "channel_not_found"
    fake_slack.add_user("U0NEWBIE", "Newbie")
    assert client.users_info(user="U0NEWBIE")["user"]["real_name"] == "Newbie"
    dm = client.conversations_open(users="U0NEWBIE")["channel"]["id"]
    client.chat_postMessage(channel=dm, text="hello")
    assert [m["text"] for m in fake_slack.messages(dm)] == ["hello"]


def test_many_messages_in_one_instant_get_distinct_increasing_timestamps():
    instant = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)  # ~1.8e9 seconds, where 1e-6 is below float steps
    workspace = FakeSlack(clock=lambda: instant).start()
    try:
        client = WebClient(token="xoxb-placeholder", base_url=workspace.url)
        stamps = [client.chat_postMessage(channel="#incidents", text=str(n))["ts"] for n in range(300)]
    finally:
        workspace.stop()
    assert len(set(stamps)) == 300
    assert stamps == sorted(stamps, key=lambda ts: tuple(map(int, ts.split("."))))
    assert stamps[0] == f"{int(instant.timestamp())}.000000" and stamps[-1].endswith(".000299")


def test_the_slack_apps_acknowledgements_are_held_to_the_same_rules():
    from stand_ins.slack_requests import _check_acknowledgement

    def ack(body: dict) -> dict:
        return {"statusCode": 200, "body": json.dumps(body)}

    with pytest.raises(AssertionError, match=r"invalid_blocks.*cannot exceed 3000"):
        _check_acknowledgement(ack({"text": "t", "blocks": [section("x" * 3001)]}))
    with pytest.raises(AssertionError, match="no_text"):
        _check_acknowledgement(ack({"response_type": "ephemeral", "blocks": [section("x")]}))
    _check_acknowledgement(ack({"text": "t", "blocks": [section("x")]}))
    _check_acknowledgement(ack({"response_action": "errors", "errors": {"title": "too long"}}))
    _check_acknowledgement({"statusCode": 200, "body": ""})


def test_a_method_without_its_scope_is_missing_scope(client, fake_slack):
    fake_slack.state.scopes.remove("chat:write")
    body = refused(client.chat_postMessage, channel="#incidents", text="t")
    assert (body["error"], body["needed"]) == ("missing_scope", "chat:write")
    assert "chat:write" not in body["provided"]
    fake_slack.state.scopes.remove("channels:history")
    assert refused(client.conversations_history, channel="C0INCIDENTS")["needed"] == "channels:history"
    # the scopes of slack/manifest.yaml are the token's by default: the rest of the suite runs with them
    assert client.auth_test().headers["x-oauth-scopes"].split(",") == fake_slack.state.scopes


def test_the_bot_edits_and_deletes_only_its_own_messages(client, fake_slack):
    theirs = fake_slack.add_user_message("#incidents", "my message", "U0ALASTAIR")
    assert refused(client.chat_update, channel="C0INCIDENTS", ts=theirs["ts"], text="x")["error"] == (
        "cant_update_message"
    )
    assert (
        refused(client.chat_delete, channel="C0INCIDENTS", ts=theirs["ts"])["error"] == "cant_delete_message"
    )
    mine = client.chat_postMessage(channel="#incidents", text="t")["ts"]
    client.chat_update(channel="C0INCIDENTS", ts=mine, text="edited")
    client.chat_delete(channel="C0INCIDENTS", ts=mine)
    assert [m["text"] for m in fake_slack.messages("#incidents")] == ["my message"]
