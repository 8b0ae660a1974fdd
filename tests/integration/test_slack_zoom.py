"""The Zoom adapter against the fake Zoom over real HTTP: S2S OAuth, meetings, faults."""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from incident_core.adapters.zoom import Zoom, ZoomCredentials, ZoomError
from stand_ins.fake_zoom import FakeZoom, ZoomFault
from tests.helpers import documented


@pytest.fixture(scope="module")
def zoom_server() -> Iterator[FakeZoom]:
    server = FakeZoom().start()
    yield server
    server.stop()


@pytest.fixture
def fake_zoom(zoom_server: FakeZoom) -> FakeZoom:
    zoom_server.reset()
    return zoom_server


def zoom_for(fake: FakeZoom, clock=None, timeout: float = 2.0, **secret) -> Zoom:
    credentials = ZoomCredentials.from_secret({**fake.secret, **secret})
    kwargs = {"clock": clock} if clock else {}
    return Zoom(credentials, api_url=fake.api_url, oauth_url=fake.oauth_url, timeout=timeout, **kwargs)


def test_account_credentials_grant_then_meeting(fake_zoom):
    meeting = zoom_for(fake_zoom).create_meeting("INC-1 Book viewing button missing")
    token_call, meeting_call = fake_zoom.calls()
    assert token_call.query == {"grant_type": "account_credentials", "account_id": FakeZoom.ACCOUNT_ID}
    basic = base64.b64encode(f"{FakeZoom.CLIENT_ID}:{FakeZoom.CLIENT_SECRET}".encode()).decode()
    assert token_call.headers["authorization"] == f"Basic {basic}"
    assert meeting_call.path == f"/v2/users/{FakeZoom.USER_ID}/meetings"
    assert meeting_call.headers["authorization"].startswith("Bearer fake-zoom-token-")
    assert meeting_call.body["type"] == 1  # instant: the war room starts now
    stored = fake_zoom.meetings()[0]
    assert (meeting.meeting_id, meeting.join_url) == (str(stored["id"]), stored["join_url"])


def test_fake_answers_with_the_documented_shapes(fake_zoom):
    zoom_for(fake_zoom).create_meeting("shape check")
    # Zoom's documented examples name the keys (the meeting example only names value types).
    assert set(documented("zoom_oauth_token_response.json")) <= set(
        zoom_for(fake_zoom)
        .session.post(
            fake_zoom.oauth_url,
            params={"grant_type": "account_credentials", "account_id": FakeZoom.ACCOUNT_ID},
            auth=(FakeZoom.CLIENT_ID, FakeZoom.CLIENT_SECRET),
        )
        .json()
    )
    example = documented("zoom_create_meeting_response_schema_example.json")
    meeting = fake_zoom.meetings()[0]
    assert set(example) <= set(meeting)
    assert set(example["settings"]) <= set(meeting["settings"])


def test_token_is_reused_until_it_nearly_expires(fake_zoom):
    now = [1000.0]
    zoom = zoom_for(fake_zoom, clock=lambda: now[0])
    zoom.create_meeting("one")
    zoom.create_meeting("two")
    assert len(fake_zoom.calls("token")) == 1
    now[0] += 3600 - 30  # inside the renewal margin
    zoom.create_meeting("three")
    assert len(fake_zoom.calls("token")) == 2


def test_revoked_token_is_renewed_once(fake_zoom):
    zoom = zoom_for(fake_zoom)
    zoom.create_meeting("one")
    fake_zoom.revoke_tokens()
    zoom.create_meeting("two")
    assert [c.status for c in fake_zoom.calls("meetings")] == [201, 401, 201]


def test_scheduled_meeting_for_a_post_mortem(fake_zoom):
    start = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    zoom_for(fake_zoom).create_meeting("Post-mortem INC-1", start_time=start, duration_minutes=45)
    body = fake_zoom.calls("meetings")[0].body
    assert (body["type"], body["start_time"], body["duration"]) == (2, "2026-03-04T14:00:00Z", 45)


@pytest.mark.parametrize(
    ("endpoint", "fault", "message"),
    [
        ("token", ZoomFault(401, {"reason": "Invalid client_id or client_secret"}), "Invalid client_id"),
        ("meetings", ZoomFault(429, {"code": 429, "message": "Too many requests"}), "HTTP 429"),
        ("meetings", ZoomFault(delay=1.5), "did not answer within 0.5 s"),
    ],
)
def test_failures_are_zoom_errors_that_say_why(fake_zoom, endpoint, fault, message):
    fake_zoom.inject(endpoint, fault)
    with pytest.raises(ZoomError, match=message):
        zoom_for(fake_zoom, timeout=0.5).create_meeting("INC-1")


def test_wrong_credentials_and_incomplete_secret(fake_zoom):
    with pytest.raises(ZoomError, match=r"Invalid client_id"):
        zoom_for(fake_zoom, client_secret="wrong").create_meeting("INC-1")
    with pytest.raises(ZoomError, match="no client_secret, user_id"):
        ZoomCredentials.from_secret({"account_id": "a", "client_id": "b"})
