"""The facts `incidentctl doctor` reads for texts and calls (issue 17); paging/phone_checks.py judges them."""

from __future__ import annotations

from typing import Any

from incident_core.doctor import Check


def phone_paging_checks(stack: Any, policy: Any, sms_voice: Any | None = None) -> list[Check]:
    from incident_core.paging import phone_checks

    identity = stack.parameters.get("PagingOriginationIdentity", "")
    checks = [_ack_endpoint(stack.outputs.get("AckLinkUrl", ""))] if stack.outputs.get("AckLinkUrl") else []
    if not identity:
        return [*checks, Check("Texts and calls", True, "PagingOriginationIdentity is empty: not used")]
    if sms_voice is None:
        from incident_core.adapters.sms_voice import sms_voice_client

        sms_voice = sms_voice_client()
    capabilities, status, two_way, channel = _origination(sms_voice, identity)
    checks.append(phone_checks.origination_check(identity, capabilities, status))
    if capabilities is not None:
        topic = stack.outputs.get("PagingEventsTopicArn", "")
        checks.append(phone_checks.replies_check(two_way, channel, topic))
    phones = {key: person.phone for key, person in policy.people.items() if person.phone}
    tiers = sms_voice.describe_account_attributes().get("AccountAttributes", [])
    tier = next((a["Value"] for a in tiers if a["Name"] == "ACCOUNT_TIER"), None)
    verified = []
    if phones and tier != phone_checks.PRODUCTION_TIER:
        answer = sms_voice.describe_verified_destination_numbers(
            DestinationPhoneNumbers=list(phones.values())
        )
        verified = [
            n["DestinationPhoneNumber"]
            for n in answer["VerifiedDestinationNumbers"]
            if n["Status"] == "VERIFIED"
        ]
    checks.append(phone_checks.sandbox_check(tier, phones, verified))
    names = {"TEXT_MESSAGE_MONTHLY_SPEND_LIMIT": "texts", "VOICE_MESSAGE_MONTHLY_SPEND_LIMIT": "calls"}
    limits = {
        names[limit["Name"]]: float(limit["EnforcedLimit"])
        for limit in sms_voice.describe_spend_limits()["SpendLimits"]
        if limit["Name"] in names
    }
    checks.append(phone_checks.spend_check(limits))
    return checks


def _origination(sms_voice: Any, identity: str) -> tuple[list[str] | None, str | None, bool, str | None]:
    """(capabilities, status, two-way enabled, two-way channel) of a number or pool; None when unknown."""
    errors = sms_voice.exceptions
    try:
        if identity.startswith("pool-"):
            pool = sms_voice.describe_pools(PoolIds=[identity])["Pools"][0]
            members = sms_voice.list_pool_origination_identities(PoolId=identity)["OriginationIdentities"]
            capabilities = sorted({c for m in members for c in m["NumberCapabilities"]})
            return capabilities, pool["Status"], pool["TwoWayEnabled"], pool.get("TwoWayChannelArn")
        number = sms_voice.describe_phone_numbers(PhoneNumberIds=[identity])["PhoneNumbers"][0]
        return (
            number["NumberCapabilities"],
            number["Status"],
            number["TwoWayEnabled"],
            number.get("TwoWayChannelArn"),
        )
    except errors.ResourceNotFoundException:
        return None, None, False, None


def _ack_endpoint(url: str) -> Check:
    import urllib.error
    import urllib.request

    from incident_core.paging.phone_checks import ack_endpoint_check

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return ack_endpoint_check(url, response.status, response.read(4096).decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return ack_endpoint_check(url, error.code, error.read(4096).decode(errors="replace"))
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return ack_endpoint_check(url, None, "", f"{type(error).__name__}: {error}")
