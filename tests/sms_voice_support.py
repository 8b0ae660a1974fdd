"""The SMS and Voice v2 stand-in for tests (stand_ins/fake_sms_voice.py), one server for the run, reset
for each test, with the suite's UK number and configuration set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from incident_core.adapters.sms_voice import SmsVoice, sms_voice_client
from stand_ins.fake_sms_voice import FakeSmsVoice

SUITE_NUMBER = "+447700900100"  # Ofcom's drama range: never a real person
ALASTAIR_PHONE, WISEN_PHONE = "+447700900101", "+447700900102"
CONFIGURATION_SET = "incident-suite-test-paging"


@pytest.fixture(scope="session")
def sms_voice_server() -> Iterator[FakeSmsVoice]:
    server = FakeSmsVoice().start()
    yield server
    server.stop()


@pytest.fixture
def sms_voice(sms_voice_server: FakeSmsVoice) -> FakeSmsVoice:
    """A fresh stand-in: the suite's number (SMS and voice, two-way), its configuration set, out of the
    sandbox."""
    sms_voice_server.reset()
    sms_voice_server.add_phone_number(SUITE_NUMBER, two_way=True)
    sms_voice_server.add_configuration_set(CONFIGURATION_SET)
    sms_voice_server.leave_sandbox()
    return sms_voice_server


def sender(server: FakeSmsVoice, origination: str = SUITE_NUMBER, **options: Any) -> SmsVoice:
    return SmsVoice(origination, CONFIGURATION_SET, client=sms_voice_client(server.url), **options)
