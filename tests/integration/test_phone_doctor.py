"""incidentctl doctor's checks of texts and calls (issue 17): the paging number's capabilities and
two-way channel, the sandbox and verified numbers, the spend limits (read from the strict SMS and Voice
stand-in through boto3), and the acknowledgement endpoint answering over HTTP (the real page_ack handler
behind a local Function URL)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from incident_core.adapters.aws import reset_clients
from incident_core.cli.phone_doctor import phone_paging_checks
from incident_core.paging.phone_checks import spend_check
from incident_core.policy.model import load_policy
from incident_core.settings import get_settings
from stand_ins.function_url import FunctionUrlServer
from tests.page_ack_support import POLICY_FILE, load_page_ack, store_signing_key
from tests.sms_voice_support import SUITE_NUMBER, sms_voice, sms_voice_server

__all__ = ["sms_voice", "sms_voice_server"]
TOPIC = "arn:aws:sns:eu-west-2:123456789012:incident-suite-dev-paging-events"
POLICY = load_policy(POLICY_FILE)


@pytest.fixture
def ack_endpoint(aws, fake_slack, monkeypatch):
    store_signing_key(monkeypatch)
    get_settings.cache_clear()
    server = FunctionUrlServer(load_page_ack().lambda_handler, "PageAckFunction").start()
    yield server
    server.stop()


@pytest.fixture
def phone_service(sms_voice, monkeypatch):
    """boto3's default client for the service talks to the stand-in (the service's own endpoint variable)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", sms_voice.url)
    reset_clients()
    return sms_voice


def stack(identity: str, ack_url: str = "") -> SimpleNamespace:
    outputs = {"PagingEventsTopicArn": TOPIC} | ({"AckLinkUrl": ack_url} if ack_url else {})
    return SimpleNamespace(parameters={"PagingOriginationIdentity": identity}, outputs=outputs)


def by_name(checks) -> dict:
    return {check.name: check for check in checks}


def ready(sms_voice) -> str:
    sms_voice.reset()
    number = sms_voice.add_phone_number(SUITE_NUMBER, two_way=True)
    with sms_voice._lock:  # the number's two-way channel is the paging events topic
        sms_voice.state.numbers[number["PhoneNumberId"]]["TwoWayChannelArn"] = TOPIC
        sms_voice.state.spend_limits = {"TEXT": 50, "VOICE": 50}
    sms_voice.leave_sandbox()
    return number["PhoneNumberId"]


def test_a_ready_number_and_endpoint_pass_every_check(phone_service, ack_endpoint):
    checks = phone_paging_checks(stack(ready(phone_service), ack_endpoint.url), POLICY)
    assert [c.name for c in checks if not c.ok] == []
    assert set(by_name(checks)) == {
        "Acknowledgement links", "Paging number", "ACK replies", "SMS and voice sandbox",
        "SMS and voice spend limits",
    }  # fmt: skip


def test_what_a_first_deploy_gets_wrong_fails_with_its_fix(phone_service):
    phone_service.reset()  # a new account: in the sandbox, $1 limits, a number without voice or replies
    number = phone_service.add_phone_number(SUITE_NUMBER, capabilities=("SMS",))
    phone_service.verify_destination(POLICY.people["alastair"].phone)
    checks = by_name(phone_paging_checks(stack(number["PhoneNumberId"]), POLICY))
    assert not checks["Paging number"].ok and "cannot send VOICE" in checks["Paging number"].detail
    assert not checks["ACK replies"].ok and TOPIC in checks["ACK replies"].fix
    sandbox = checks["SMS and voice sandbox"]
    assert not sandbox.ok and "wisen" in sandbox.detail and "alastair" not in sandbox.detail
    assert (
        not checks["SMS and voice spend limits"].ok
        and "texts $1" in checks["SMS and voice spend limits"].detail
    )


def test_an_unknown_number_fails(phone_service):
    checks = by_name(phone_paging_checks(stack("phone-0123456789abcdef"), POLICY))
    assert not checks["Paging number"].ok and "does not exist" in checks["Paging number"].detail


def test_a_pool_is_checked_by_its_numbers(phone_service):
    ready(phone_service)
    number = phone_service.add_phone_number("+447700900103")
    pool = phone_service.add_pool([number])
    assert by_name(phone_paging_checks(stack(pool["PoolId"]), POLICY))["Paging number"].ok


def test_no_number_means_texts_and_calls_are_not_used(phone_service):
    [check] = phone_paging_checks(stack(""), POLICY)
    assert check.ok and "not used" in check.detail


def test_an_endpoint_that_does_not_answer_fails(phone_service):
    checks = by_name(phone_paging_checks(stack("", "http://127.0.0.1:9/"), POLICY))
    assert not checks["Acknowledgement links"].ok


def test_spend_limits_at_the_new_account_default_fail():
    assert not spend_check({"texts": 1.0, "calls": 1.0}).ok
    assert spend_check({"texts": 20.0, "calls": 20.0}).ok
