"""Slack's request signature (v0): the first thing the Slack app checks, before Bolt sees a request.

Pure standard library (hmac), as slack_sdk's SignatureVerifier computes it: importing slack_sdk would cost
every acknowledgement its import, and the fast path (quick_ack.py) answers without it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

MAX_AGE_SECONDS = 60 * 5  # Slack's documented replay window, either side of now


def slack_signature(signing_secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode("utf-8", "surrogatepass")  # a forged body never raises
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack_request(
    signing_secret: str,
    body: str,
    headers: dict[str, Any],
    now: float | None = None,
    max_age: float = MAX_AGE_SECONDS,
) -> bool:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"), timestamp within
    `max_age` (Slack's 5 minutes unless said). A timestamp that is not a whole number of seconds, or too
    long to be one, is refused, as a forged one is."""
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    timestamp = str(lowered.get("x-slack-request-timestamp") or "")
    signature = str(lowered.get("x-slack-signature") or "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signature.isascii():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > max_age:
        return False
    return hmac.compare_digest(slack_signature(signing_secret, timestamp, body), signature)
