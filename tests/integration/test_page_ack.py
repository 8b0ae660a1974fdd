"""Acknowledging from anywhere (issue 17): the acknowledgement link through the real page_ack handler,
in the documented Function URL event, against moto and the fake Slack.

A GET (a phone or a mail scanner opening the link) changes nothing; the POST of its button acknowledges
as the link's person exactly as Slack's Acknowledge button does; a forged, expired, used, or someone
else's link is refused with a page and a status saying why, and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.aws import client
from incident_core.alerts.store import AlertStore
from incident_core.settings import get_settings
from stand_ins.fake_slack import Fault
from tests.page_ack_support import (
    CHANNEL,
    POLICY_FILE,
    PageAck,
    load_page_ack,
    paged_alert,
    store_signing_key,
    token_for,
)


@pytest.fixture
def page_ack(aws, fake_slack, monkeypatch) -> PageAck:
    monkeypatch.setenv("INCIDENTS_CHANNEL", CHANNEL)
    store_signing_key(monkeypatch)
    get_settings.cache_clear()
    return PageAck(load_page_ack())


def table_items(alert_id: str) -> list[dict]:
    """Everything stored under the alert: what a refused request must leave exactly as it was."""
    answer = client("dynamodb").query(
        TableName=get_settings().table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ALERT#{alert_id}"}},
        ConsistentRead=True,
    )
    return answer["Items"]


def history(alert_id: str) -> list[str]:
    return [event.what for event in AlertStore.from_settings().history(alert_id)]


def test_opening_the_link_shows_the_alert_and_a_button_and_changes_nothing(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack)
    before, slack_calls = table_items(alert.alert_id), len(fake_slack.calls())
    token = token_for(alert.alert_id, page.page_id, "alastair")

    for _ in range(3):  # the phone's preview, the mail scanner, the person
        answer = page_ack.get(token)
        assert answer["statusCode"] == 200
        assert answer["headers"]["Content-Type"].startswith("text/html")
        assert answer["headers"]["Cache-Control"] == "no-store"
        assert answer["headers"]["Referrer-Policy"] == "no-referrer"
        assert '<form method="post">' in answer["body"]
        assert "Acknowledge as Alastair" in answer["body"]
        assert "Journey &#x27;book-viewing&#x27; is failing" in answer["body"]

    assert table_items(alert.alert_id) == before
    assert len(fake_slack.calls()) == slack_calls
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_at is None


def test_head_answers_without_a_body_and_other_methods_are_refused(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack)
    token = token_for(alert.alert_id, page.page_id, "alastair")
    assert page_ack.invoke("HEAD", token)["body"] == ""
    refused = page_ack.invoke("PUT", token)
    assert refused["statusCode"] == 405 and refused["headers"]["Allow"] == "GET, POST"
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_at is None


def test_the_button_acknowledges_as_that_person_like_the_slack_button(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack)
    answer = page_ack.post(token_for(alert.alert_id, page.page_id, "alastair"))

    assert answer["statusCode"] == 200, answer["body"]
    assert "re-paging has stopped for everyone" in answer["body"]
    stored = AlertStore.from_settings().get(alert.alert_id)
    assert stored.acknowledged_by == "U0ALASTAIR"
    assert stored.status == "acknowledged"
    assert "acknowledged by <@U0ALASTAIR> by link" in history(alert.alert_id)
    # The page's post in #incidents shows it, as after a click: no Acknowledge button any more.
    [update] = fake_slack.calls("chat.update")
    assert update.args["ts"] == page.delivered["channel"]
    shown = str(update.args["blocks"])
    assert "by link: re-paging stopped" in shown
    assert "alert_acknowledge" not in shown and "alert_real_incident" in shown


def test_a_wisen_link_acknowledging_alastairs_page_says_so_in_the_history(page_ack, fake_slack):
    """A page to both: Wisen's link acknowledges for everyone, and nobody else is paged again."""
    alert, page = paged_alert(fake_slack, people=("alastair", "wisen"))
    assert page_ack.post(token_for(alert.alert_id, page.page_id, "wisen"))["statusCode"] == 200
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == "U0WISEN"
    # Then Alastair's own link finds it done and changes nothing more.
    later = page_ack.post(token_for(alert.alert_id, page.page_id, "alastair"))
    assert later["statusCode"] == 200 and "Already acknowledged by Wisen" in later["body"]
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == "U0WISEN"


def test_a_link_used_twice_is_refused_the_second_time(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack)
    token = token_for(alert.alert_id, page.page_id, "alastair")
    assert page_ack.post(token)["statusCode"] == 200
    after_first = table_items(alert.alert_id)

    again = page_ack.post(token)
    assert again["statusCode"] == 409
    assert "already been used" in again["body"]
    assert page_ack.get(token)["statusCode"] == 409
    assert table_items(alert.alert_id) == after_first
    assert len(fake_slack.calls("chat.update")) == 1


def test_an_expired_link_is_refused_and_changes_nothing(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack)
    before = table_items(alert.alert_id)
    token = token_for(
        alert.alert_id, page.page_id, "alastair", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    for method in ("GET", "POST"):
        answer = page_ack.invoke(method, token, "acknowledge=yes")
        assert answer["statusCode"] == 410
        assert "expired" in answer["body"]
    assert table_items(alert.alert_id) == before
    assert not fake_slack.calls("chat.update")


def _with_person(token: str, person: str) -> str:
    alert, seq, _, expires, signature = token.split(".")
    return ".".join([alert, seq, person, expires, signature])


def _with_alert(token: str, other_token: str) -> str:
    return ".".join([other_token.split(".")[0], *token.split(".")[1:]])


@pytest.mark.parametrize("forgery", ["other person", "other key", "other alert", "flipped signature"])
def test_forged_links_are_refused_with_403_and_change_nothing(page_ack, fake_slack, forgery):
    alert, page = paged_alert(fake_slack, people=("alastair", "wisen"))
    other, _ = paged_alert(fake_slack)
    before = table_items(alert.alert_id)
    token = token_for(alert.alert_id, page.page_id, "alastair")
    forged = {
        "other person": _with_person(token, "wisen"),
        "other key": token_for(alert.alert_id, page.page_id, "alastair", key="not-the-stack-key"),
        "other alert": _with_alert(token, token_for(other.alert_id, f"{other.alert_id}-p1", "alastair")),
        "flipped signature": token[:-1] + ("A" if token[-1] != "A" else "B"),
    }[forgery]
    for method in ("GET", "POST"):
        answer = page_ack.invoke(method, forged, "acknowledge=yes")
        assert answer["statusCode"] == 403
        assert "not one the incident suite sent" in answer["body"]
    assert table_items(alert.alert_id) == before
    assert AlertStore.from_settings().get(other.alert_id).acknowledged_at is None


def test_a_validly_signed_link_for_someone_the_page_did_not_go_to_is_refused(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack, people=("alastair",))
    before = table_items(alert.alert_id)
    for token in (
        token_for(alert.alert_id, page.page_id, "wisen"),  # a person this page was not sent to
        token_for(alert.alert_id, f"{alert.alert_id}-p7", "alastair"),  # a page that does not exist
        token_for(alert.alert_id, page.page_id, "nobody"),  # not one of the policy's people
    ):
        answer = page_ack.post(token)
        assert answer["statusCode"] == 403, token
        assert "not sent to that person" in answer["body"]
    missing = page_ack.get(token_for("al-0000000000000000ff", "al-0000000000000000ff-p1", "alastair"))
    assert missing["statusCode"] == 404
    assert table_items(alert.alert_id) == before


@pytest.mark.parametrize("path", ["", "favicon.ico", "a" * 500, "x.1.alastair.zz.<script>alert(1)</script>"])
def test_what_is_not_a_link_gets_400(page_ack, path):
    answer = page_ack.get(path)
    assert answer["statusCode"] == 400
    assert "<script>" not in answer["body"]


def test_a_post_without_the_buttons_form_changes_nothing(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack)
    token = token_for(alert.alert_id, page.page_id, "alastair")
    for form in (None, "", "acknowledge=no", "%%%"):
        assert page_ack.post(token, form)["statusCode"] == 400
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_at is None
    assert page_ack.post(token)["statusCode"] == 200  # the button's own form acknowledges


def test_slack_down_does_not_stop_the_acknowledgement(page_ack, fake_slack):
    """The link is how people acknowledge when Slack fails: the acknowledgement stands, the page says the
    Slack message could not be edited."""
    alert, page = paged_alert(fake_slack)
    fake_slack.inject("chat.update", *[Fault(status=500)] * 5)
    answer = page_ack.post(token_for(alert.alert_id, page.page_id, "alastair"))
    assert answer["statusCode"] == 200
    assert "could not be updated" in answer["body"]
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_by == "U0ALASTAIR"


def test_the_policys_permissions_apply(page_ack, fake_slack, tmp_path, monkeypatch):
    """Wisen is in the policy but not among its responders: his link is refused as his click would be."""
    text = POLICY_FILE.read_text() + "\npermissions:\n  responders: [alastair]\n"
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    monkeypatch.setenv("POLICY_FILE", str(policy))
    get_settings.cache_clear()
    alert, page = paged_alert(fake_slack, people=("alastair", "wisen"))
    answer = page_ack.post(token_for(alert.alert_id, page.page_id, "wisen"))
    assert answer["statusCode"] == 403
    assert "Only responders" in answer["body"]
    assert AlertStore.from_settings().get(alert.alert_id).acknowledged_at is None


def test_the_alert_title_is_escaped(page_ack, fake_slack):
    alert, page = paged_alert(fake_slack, title="<script>alert('x')</script> & <b>bold</b>")
    body = page_ack.get(token_for(alert.alert_id, page.page_id, "alastair"))["body"]
    assert "<script>alert" not in body and "<b>bold" not in body
    assert "&lt;script&gt;" in body
