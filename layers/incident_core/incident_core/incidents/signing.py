"""Slack's request signature (v0): the first thing the Slack app checks, before Bolt sees a request.

Kept apart from the listeners so the handler can refuse a request without loading them.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.signature import SignatureVerifier


class FixedClock:
    """slack_sdk's Clock interface at a given instant (verifying Slack's documented example)."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify_slack_request(
    signing_secret: str, body: str, headers: dict[str, Any], now: float | None = None
) -> bool:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"), timestamp within 5 min."""
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    timestamp = lowered.get("x-slack-request-timestamp")
    signature = lowered.get("x-slack-signature")
    if not timestamp or not signature:
        return False
    verifier = SignatureVerifier(signing_secret, **({"clock": FixedClock(now)} if now is not None else {}))
    return verifier.is_valid(body=body, timestamp=str(timestamp), signature=str(signature))
