"""Slack's file upload as the fake Slack checks it: files.getUploadURLExternal, the bytes POSTed to the
upload URL it gave, files.completeUploadExternal (slack_sdk's files_upload_v2), with Slack's limits."""

import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incident_core.adapters.slack import FileUpload, Slack

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def web(fake_slack) -> WebClient:
    return WebClient(token="xoxb-placeholder", base_url=fake_slack.url)


def _post(url: str, body: bytes) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST")) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_files_go_into_the_thread_as_one_message_in_two_steps(fake_slack, web):
    root = web.chat_postMessage(channel="#incidents", text="incident")
    slack = Slack(web)
    ids = slack.upload_files(
        root["channel"],
        [
            FileUpload("journeys.png", "Journeys", PNG, "success and duration"),
            FileUpload("errors.png", "Errors", PNG),
        ],
        "📈 The incident window in pictures",
        thread_ts=root["ts"],
    )
    assert [call.method for call in fake_slack.calls()][1:] == [
        "files.getUploadURLExternal",
        "files.getUploadURLExternal",
        "upload",
        "upload",
        "files.completeUploadExternal",
    ]
    (reply,) = [m for m in fake_slack.thread(root["channel"], root["ts"]) if m["ts"] != root["ts"]]
    assert [f["id"] for f in reply["files"]] == ids
    assert [f["title"] for f in reply["files"]] == ["Journeys", "Errors"]
    assert reply["text"] == "📈 The incident window in pictures"
    assert all(fake_slack.uploaded(file_id) == PNG for file_id in ids)
    lengths = [call.args["length"] for call in fake_slack.calls("files.getUploadURLExternal")]
    assert lengths == [str(len(PNG))] * 2


def test_bytes_of_another_length_than_declared_are_refused_and_the_file_never_completes(fake_slack, web):
    asked = web.files_getUploadURLExternal(filename="journeys.png", length=len(PNG))
    assert _post(asked["upload_url"], PNG + b"!") == 400
    with pytest.raises(SlackApiError) as refused:
        web.files_completeUploadExternal(
            files=[{"id": asked["file_id"], "title": "Journeys"}], channel_id="C0INCIDENTS"
        )
    assert refused.value.response["error"] == "file_not_found"


def test_an_upload_url_is_used_once(fake_slack, web):
    asked = web.files_getUploadURLExternal(filename="journeys.png", length=len(PNG))
    assert _post(asked["upload_url"], PNG) == 200
    assert _post(asked["upload_url"], PNG) == 400


def test_an_upload_url_expires(fake_slack, web):
    now = [1000.0]
    fake_slack.state.files.clock = lambda: now[0]
    asked = web.files_getUploadURLExternal(filename="journeys.png", length=len(PNG))
    now[0] += fake_slack.state.files.url_seconds + 1
    assert _post(asked["upload_url"], PNG) == 400


def test_complete_before_upload_is_refused(fake_slack, web):
    asked = web.files_getUploadURLExternal(filename="journeys.png", length=len(PNG))
    with pytest.raises(SlackApiError) as refused:
        web.files_completeUploadExternal(files=[{"id": asked["file_id"]}], channel_id="C0INCIDENTS")
    assert refused.value.response["error"] == "file_not_found"
    # Nor a file id it never gave, nor the same file twice.
    assert _post(asked["upload_url"], PNG) == 200
    web.files_completeUploadExternal(files=[{"id": asked["file_id"]}], channel_id="C0INCIDENTS")
    for files in ([{"id": asked["file_id"]}], [{"id": "F0NOTGIVEN"}]):
        with pytest.raises(SlackApiError) as refused:
            web.files_completeUploadExternal(files=files, channel_id="C0INCIDENTS")
        assert refused.value.response["error"] == "file_not_found"


@pytest.mark.parametrize(
    ("length", "error"),
    [(0, "missing_argument"), (1024**3 + 1, "file_upload_size_restricted")],
)
def test_the_declared_length_is_within_slacks_limits(fake_slack, web, length, error):
    with pytest.raises(SlackApiError) as refused:
        web.files_getUploadURLExternal(filename="journeys.png", length=length)
    assert refused.value.response["error"] == error


def test_sharing_needs_the_bot_in_the_channel_and_a_real_thread(fake_slack, web):
    fake_slack.add_channel("C0ELSEWHERE", bot_member=False)
    for channel, thread_ts, error in (
        ("C0ELSEWHERE", None, "not_in_channel"),
        ("C0NOSUCHONE", None, "channel_not_found"),
        ("C0INCIDENTS", "1700000000.000100", "thread_not_found"),
    ):
        asked = web.files_getUploadURLExternal(filename="journeys.png", length=len(PNG))
        assert _post(asked["upload_url"], PNG) == 200
        with pytest.raises(SlackApiError) as refused:
            web.files_completeUploadExternal(
                files=[{"id": asked["file_id"]}], channel_id=channel, thread_ts=thread_ts
            )
        assert refused.value.response["error"] == error


def test_uploading_needs_the_files_write_scope(fake_slack, web):
    fake_slack.state.scopes.remove("files:write")
    with pytest.raises(SlackApiError) as refused:
        web.files_getUploadURLExternal(filename="journeys.png", length=len(PNG))
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "files:write"
