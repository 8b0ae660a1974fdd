"""Test support for the acknowledgement link (issue 17): the page_ack handler loaded as Lambda loads it,
its signing key in moto's Secrets Manager, an alert paged to people the way the router stores it, and
Function URL requests built from the documented browser GET (tests/fixtures/documented)."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from incident_core.adapters.aws import client
from incident_core.alerts.store import AlertStore
from incident_core.models import Alert, AlertEvent, AlertSource
from incident_core.paging.ack_links import make_link
from incident_core.paging.messages import slack_message
from incident_core.paging.pages import Page, PageKind, PageStatus
from incident_core.policy.model import load_policy
from stand_ins.aws import ROOT
from stand_ins.local_lambda import LambdaContext
from tests.helpers import documented

SIGNING_KEY = "test-ack-link-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
SECRET_NAME = "incident-suite-test/ack-links"
CHANNEL = "#incidents"
POLICY_FILE = ROOT / "config" / "policy.yaml"


def load_page_ack() -> ModuleType:
    path = ROOT / "functions" / "page_ack" / "app.py"
    name = f"page_ack_app_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def store_signing_key(monkeypatch: Any) -> None:
    from incident_core.settings import get_settings

    client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps({"key": SIGNING_KEY}))
    monkeypatch.setenv("ACK_LINK_SECRET_ID", SECRET_NAME)
    get_settings.cache_clear()


def token_for(
    alert_id: str, page_id: str, person: str, expires_at: datetime | None = None, key: str = SIGNING_KEY
) -> str:
    expires_at = expires_at or datetime.now(UTC) + timedelta(days=400)
    return make_link(alert_id, page_id, person, expires_at).token(key.encode())


def url_event(method: str, token: str, form: str | None = None) -> dict[str, Any]:
    """The documented Function URL browser GET, for this token's path; a POST carries the button's form
    base64-encoded, as Function URLs deliver a form body."""
    event = copy.deepcopy(documented("aws_lambda_function_url_browser_get.json"))
    event["rawPath"] = f"/{token}"
    event["requestContext"]["http"]["path"] = f"/{token}"
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["requestId"] = uuid.uuid4().hex
    if form is not None:
        event["headers"]["content-type"] = "application/x-www-form-urlencoded"
        event["body"] = base64.b64encode(form.encode()).decode()
        event["isBase64Encoded"] = True
    return event


@dataclass
class PageAck:
    module: ModuleType

    def invoke(self, method: str, token: str, form: str | None = "acknowledge=yes") -> dict[str, Any]:
        event = url_event(method, token, form if method == "POST" else None)
        return self.module.lambda_handler(event, LambdaContext(function_name="PageAckFunction"))

    def get(self, token: str) -> dict[str, Any]:
        return self.invoke("GET", token)

    def post(self, token: str, form: str | None = "acknowledge=yes") -> dict[str, Any]:
        return self.invoke("POST", token, form)


def paged_alert(
    fake_slack: Any, people: tuple[str, ...] = ("alastair",), title: str = "Journey 'book-viewing' is failing"
) -> tuple[Alert, Page]:
    """An open alert whose first page went to `people` (a DM each and a post in #incidents), stored as the
    router stores it: the page `sent`, its channel post recorded on the page and as the alert's thread."""
    import urllib.request

    now = datetime.now(UTC) - timedelta(minutes=3)
    alert_id = f"al-{uuid.uuid4().hex[:18]}"
    alert = Alert(
        alert_id=alert_id,
        fingerprint=f"journey-{uuid.uuid4().hex[:20]}",
        title=title,
        source=AlertSource.JOURNEY,
        journey="book-viewing",
        state_reason="step 'book viewing': the Book viewing button is missing",
        started_at=now,
        first_seen=now,
        last_seen=now,
    )
    page = Page(
        page_id=f"{alert_id}-p1",
        alert_id=alert_id,
        seq=1,
        kind=PageKind.PAGE,
        due_at=now,
        status=PageStatus.SENT,
        people=list(people),
        channels=["slack", "sms"],
    )
    policy = load_policy(POLICY_FILE)
    message = slack_message(alert, page, policy, "channel", list(people))
    request = urllib.request.Request(
        f"{fake_slack.url}chat.postMessage",
        data=json.dumps({"channel": CHANNEL, "text": message.text, "blocks": message.blocks}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", "Authorization": "Bearer xoxb-test"},
    )
    with urllib.request.urlopen(request) as response:
        posted = json.loads(response.read())
    page.delivered["channel"] = posted["ts"]
    alerts = AlertStore.from_settings()
    alerts.open(alert, AlertEvent(at=now, what="raised"), [page], notification_id=f"n-{alert_id}")
    mentions = " ".join(f"<@{policy.slack_id(p)}>" for p in people)
    alerts.add_event(alert_id, AlertEvent(at=now + timedelta(milliseconds=1), what=f"paged {mentions}"))
    alerts.set_channel_post(alert_id, posted["channel"], posted["ts"])
    return AlertStore.from_settings().get(alert_id), page
