"""GitHub's issue webhooks (a Function URL, no IAM auth: GitHub cannot sign AWS requests; every delivery's
X-Hub-Signature-256 is checked instead). Closing the suite's issue marks its item done and says so in the
incident's thread; reopening reopens it; title, assignee and due date changes reach the item."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from incident_core.clock import utc_now
from incident_core.settings import get_settings

logger = Logger()


@cache
def dependencies() -> tuple[Any, str, str]:
    """The sync (without the tracker's token: this function only takes changes in), the repository and
    the webhook's secret (read once per container)."""
    from incident_core.actions.tracker_wiring import tracker_sync
    from incident_core.adapters.secrets import get_secret_field

    settings = get_settings()
    sync = tracker_sync(settings, with_tracker=False)
    secret = get_secret_field(settings.tracker_webhook_secret_id, "webhook_secret")
    return sync, sync.repository if sync else "", secret


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from incident_core.actions.tracker_webhook import REMEMBER, handle

    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    sync, repository, secret = dependencies()
    if sync is None:
        return {"statusCode": 404, "body": "no tracker in the policy"}
    answer = handle(
        method,
        headers,
        body,
        secret=secret,
        repository=repository,
        remember=lambda delivery, now: sync.store.remember_delivery(
            delivery, now, int(REMEMBER.total_seconds())
        ),
        forget=sync.store.forget_delivery,
        take=sync.take,
        now=utc_now(),
    )
    logger.info(
        "tracker webhook", status=answer.status, answer=answer.text, delivery=headers.get("x-github-delivery")
    )
    return {"statusCode": answer.status, "headers": {"Content-Type": "text/plain"}, "body": answer.text}
