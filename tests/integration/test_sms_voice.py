"""Texts and calls through the SMS and Voice v2 adapter (adapters/sms_voice.py) and boto3, against the
strict stand-in (stand_ins/fake_sms_voice.py): what is sent, what the service refuses (never retried) and
what is only throttled (tried again later)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from incident_core.adapters.sms_voice import DeliveryRefused, DeliveryUnavailable
from incident_core.paging.phone_scripts import call_ssml, page_text
from stand_ins.fake_sms_voice import CallOutcome
from tests.sms_voice_support import (
    ALASTAIR_PHONE,
    CONFIGURATION_SET,
    SUITE_NUMBER,
    sender,
    sms_voice,
    sms_voice_server,
)

__all__ = ["sms_voice", "sms_voice_server"]
LINK = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-2.on.aws/al-019ad2c3e4f5a1b2c3.1.alastair.t5x8k2.AbCdEfGhIjKlMnOp"


def test_a_text_goes_from_the_suites_number_with_its_reference(sms_voice):
    message = page_text("Journey 'book-viewing' is failing", LINK, code="K7")
    message_id = sender(sms_voice).text("alastair", ALASTAIR_PHONE, message, "al-1-p1:alastair:1")
    [text] = sms_voice.texts()
    assert text.message_id == message_id
    assert (text.origination, text.destination, text.body) == (SUITE_NUMBER, ALASTAIR_PHONE, message)
    assert text.request["MessageType"] == "TRANSACTIONAL"
    assert text.request["ConfigurationSetName"] == CONFIGURATION_SET
    assert text.request["Context"] == {"reference": "al-1-p1:alastair:1", "person": "alastair"}
    assert LINK in message and message.endswith("reply ACK K7")


def test_a_call_is_read_slowly_by_a_british_voice_saying_everything_twice(sms_voice):
    ssml = call_ssml("Alastair", "Checkout <errors> & 5xx", "open the link in the text we sent you")
    message_id = sender(sms_voice).call("alastair", ALASTAIR_PHONE, ssml, "al-1-p1:alastair:2")
    [call] = sms_voice.calls()
    assert call.message_id == message_id
    assert call.request["VoiceId"] == "AMY" and call.request["MessageBodyTextType"] == "SSML"
    root = ElementTree.fromstring(call.body)
    spoken = "".join(root.itertext())
    assert spoken.count("Checkout <errors> & 5xx") == 2
    assert spoken.count("open the link in the text we sent you") == 2
    assert root.find("lang/prosody").get("rate") == "slow"
    assert [e["eventType"] for e in sms_voice.events()] == [
        "VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED", "VOICE_COMPLETED",
    ]  # fmt: skip


@pytest.mark.parametrize("outcome", [CallOutcome.BUSY, CallOutcome.NO_ANSWER, CallOutcome.FAILED])
def test_a_call_not_answered_ends_with_its_event(sms_voice, outcome):
    sms_voice.answer_calls(outcome)
    sender(sms_voice).call("alastair", ALASTAIR_PHONE, call_ssml("Alastair", "t", "reply ACK"), "r")
    events = sms_voice.events()
    assert events[-1]["eventType"] == outcome.value and events[-1]["isFinal"] is True
    assert "VOICE_ANSWERED" not in [e["eventType"] for e in events]


def test_throttling_is_transient_and_tried_once_more_by_the_client(sms_voice):
    sms_voice.throttle(1)  # botocore's standard retry absorbs one
    assert sender(sms_voice).text("alastair", ALASTAIR_PHONE, "x", "r1")
    sms_voice.throttle(5)
    with pytest.raises(DeliveryUnavailable, match="ThrottlingException"):
        sender(sms_voice).text("alastair", ALASTAIR_PHONE, "x", "r2")
    assert len(sms_voice.texts()) == 1


@pytest.mark.parametrize(
    ("case", "code", "reason"),
    [
        ("national number", "ValidationException", ""),
        ("spaces", "ValidationException", ""),
        ("unknown number", "ResourceNotFoundException", ""),
        ("unknown configuration set", "ResourceNotFoundException", ""),
        ("text too long", "ValidationException", ""),
        ("sandbox", "ConflictException", "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"),
        ("spend limit", "ServiceQuotaExceededException", "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"),
    ],
)
def test_what_the_service_refuses_is_a_refusal_never_retried(sms_voice, case, code, reason):
    destination, origination, body = ALASTAIR_PHONE, SUITE_NUMBER, "ALERT x"
    configuration = {}
    if case == "national number":
        destination = "07700900101"
    elif case == "spaces":
        destination = "+44 7700 900101"
    elif case == "unknown number":
        origination = "+447700900199"
    elif case == "unknown configuration set":
        configuration = {"configuration_set": "nope"}
    elif case == "text too long":
        body = "x" * 1601
    elif case == "sandbox":
        sms_voice.reset()
        sms_voice.add_phone_number(SUITE_NUMBER)
        sms_voice.add_configuration_set(CONFIGURATION_SET)
    elif case == "spend limit":
        sms_voice.reach_spend_limit("TEXT")
    adapter = sender(sms_voice, origination)
    if configuration:
        adapter.configuration_set = configuration["configuration_set"]
    requests_before = len(sms_voice.state.requests)
    with pytest.raises(DeliveryRefused) as refused:
        adapter.text("alastair", destination, body, "r")
    assert refused.value.code == code
    assert refused.value.reason == reason or not reason
    assert not sms_voice.texts()
    assert len(sms_voice.state.requests) - requests_before <= 1  # asked once, never again


def test_a_number_without_voice_cannot_call(sms_voice):
    sms_voice.reset()
    sms_voice.add_phone_number(SUITE_NUMBER, capabilities=("SMS",))
    sms_voice.add_configuration_set(CONFIGURATION_SET)
    sms_voice.leave_sandbox()
    with pytest.raises(DeliveryRefused) as refused:
        sender(sms_voice).call("alastair", ALASTAIR_PHONE, call_ssml("A", "t", "reply ACK"), "r")
    assert (refused.value.code, refused.value.reason) == (
        "ValidationException",
        "VOICE_CAPABILITY_NOT_AVAILABLE",
    )
    assert sender(sms_voice).text("alastair", ALASTAIR_PHONE, "x", "r")  # texts still go


def test_a_pool_sends_from_its_numbers(sms_voice):
    sms_voice.reset()
    number = sms_voice.add_phone_number(SUITE_NUMBER)
    pool = sms_voice.add_pool([number])
    sms_voice.add_configuration_set(CONFIGURATION_SET)
    sms_voice.leave_sandbox()
    sender(sms_voice, pool["PoolArn"]).text("alastair", ALASTAIR_PHONE, "x", "r")
    assert sms_voice.texts()[0].origination == SUITE_NUMBER


@pytest.mark.parametrize(
    "ssml",
    ["<speak>unclosed", "<p>not speak</p>", "<speak>" + "a" * 6000 + "</speak>"],
)
def test_the_stand_in_refuses_ssml_polly_would_not_read(sms_voice, ssml):
    with pytest.raises(DeliveryRefused, match="ValidationException"):
        sender(sms_voice).call("alastair", ALASTAIR_PHONE, ssml, "r")
    assert not sms_voice.calls()
