"""`incidentctl doctor` for texts and calls (issue 17): facts read from End User Messaging SMS and Voice v2
and the acknowledgement endpoint, judged here (pure), each failure with its fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from incident_core.doctor import Check

PRODUCTION_TIER = "PRODUCTION"  # DescribeAccountAttributes' ACCOUNT_TIER outside the sandbox
# A month of four night incidents in a traction moment costs about $2 (docs/bench.md, assumed prices):
# below this, a busier month, a longer call or a price above the assumption stops texts or calls.
LOWEST_SAFE_LIMIT_USD = 10


def origination_check(identity: str, capabilities: Iterable[str] | None, status: str | None) -> Check:
    name = "Paging number"
    if capabilities is None:
        return Check(
            name, False, f"{identity} does not exist in this account and region",
            "set PagingOriginationIdentity to a phone number id (phone-...) or pool id (pool-...) of "
            "`aws pinpoint-sms-voice-v2 describe-phone-numbers`",
        )  # fmt: skip
    missing = sorted({"SMS", "VOICE"} - set(capabilities))
    if missing or (status and status != "ACTIVE"):
        problem = f"cannot send {' or '.join(missing)}" if missing else f"is {status}"
        return Check(
            name, False, f"{identity} {problem}",
            "lease a number with SMS and VOICE capabilities (a UK long code has both) and name it in "
            "PagingOriginationIdentity",
        )  # fmt: skip
    return Check(name, True, f"{identity} sends texts and calls")


def replies_check(two_way: bool, channel: str | None, topic_arn: str) -> Check:
    name = "ACK replies"
    if two_way and channel == topic_arn:
        return Check(name, True, "two-way SMS delivers replies to the paging events topic")
    detail = "two-way SMS is off" if not two_way else f"replies go to {channel or 'nowhere'}"
    return Check(
        name, False, f"{detail}: a reply of ACK acknowledges nothing",
        f"aws pinpoint-sms-voice-v2 update-phone-number --phone-number-id <id> --two-way-enabled "
        f"--two-way-channel-arn {topic_arn} (where the country supports two-way: docs/paging-channels.md)",
    )  # fmt: skip


def sandbox_check(tier: str | None, phones: Mapping[str, str], verified: Iterable[str]) -> Check:
    name = "SMS and voice sandbox"
    if tier == PRODUCTION_TIER:
        return Check(name, True, "the account is out of the sandbox")
    unverified = sorted(person for person, phone in phones.items() if phone not in set(verified))
    if not unverified:
        return Check(name, True, "in the sandbox, but every person's number is verified")
    return Check(
        name, False, f"in the sandbox: only verified numbers are reached, not {', '.join(unverified)}'s",
        "verify each number (aws pinpoint-sms-voice-v2 create-verified-destination-number, then "
        "verify-destination-number with the code), or ask AWS Support to move the account to production",
    )  # fmt: skip


def spend_check(limits: Mapping[str, float]) -> Check:
    name = "SMS and voice spend limits"
    low = {kind: value for kind, value in limits.items() if value < LOWEST_SAFE_LIMIT_USD}
    if not limits:
        return Check(name, False, "no spend limits could be read", "check sms-voice:DescribeSpendLimits")
    if low:
        shown = ", ".join(f"{kind} ${value:g}" for kind, value in sorted(low.items()))
        return Check(
            name, False, f"monthly limits below ${LOWEST_SAFE_LIMIT_USD}: {shown}; pages stop when reached",
            "raise them (aws pinpoint-sms-voice-v2 set-text-message-spend-limit-override / "
            "set-voice-message-spend-limit-override; above the account's maximum, through AWS Support)",
        )  # fmt: skip
    shown = ", ".join(f"{kind} ${value:g}" for kind, value in sorted(limits.items()))
    return Check(name, True, shown)


def ack_endpoint_check(url: str, status: int | None, body: str, error: str = "") -> Check:
    """The endpoint asked for a link that is not one: it should answer 400 with its own page."""
    name = "Acknowledgement links"
    if status == 400 and "acknowledgement link" in body:
        return Check(name, True, f"{url} answers")
    seen = error or f"HTTP {status}"
    return Check(
        name, False, f"{url} did not answer as the page_ack function does ({seen})",
        "check the PageAckFunction's logs and its Function URL (AuthType NONE, both permissions)",
    )  # fmt: skip
