"""The acknowledgement link's endpoint, behind a Lambda Function URL (AuthType NONE: a phone's browser
cannot sign AWS requests; the link's own HMAC signature is the authorisation, checked before anything is
read). GET (and HEAD) shows the alert and an Acknowledge button and changes nothing; POST (the button's
form) acknowledges as the link's person (incident_core.incidents.link_ack). The token is the path:
`https://<url-id>.lambda-url.<region>.on.aws/<token>`.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger

logger = Logger()
MAX_BODY = 1024  # the button's form is a few bytes
SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the address: never pass it on
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}


@cache
def acknowledger() -> Any:
    """The link's domain (stores, the Slack app's IncidentService, the key), made once per container."""
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.adapters.dynamo import Table
    from incident_core.adapters.secrets import get_secret_field
    from incident_core.adapters.slack import Slack
    from incident_core.alerts.store import AlertStore
    from incident_core.clock import utc_now
    from incident_core.incidents.link_ack import LinkAcknowledger
    from incident_core.incidents.service import IncidentService
    from incident_core.incidents.store import IncidentStore
    from incident_core.paging.store import PageStore
    from incident_core.paging.used_links import UsedLinks
    from incident_core.policy.model import load_policy
    from incident_core.settings import get_settings

    settings = get_settings()
    service = IncidentService(
        incidents=IncidentStore.from_settings(settings),
        alerts=AlertStore.from_settings(settings),
        actions=ActionStore.from_settings(settings),
        bus=EventBridgeBus(settings.bus_name, settings.event_source),
    )
    return LinkAcknowledger(
        key=get_secret_field(settings.ack_link_secret_id, "key").encode(),
        policy=load_policy(settings.policy_file),
        service=service,
        pages=PageStore(Table(settings.table_name)),
        used=UsedLinks(Table(settings.table_name)),
        slack=cache(lambda: Slack.from_settings(settings, timeout=5)),
        now=utc_now,
    )


def answer(status: int, page: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {**SECURITY_HEADERS, **(extra or {})}, "body": page}


def form_fields(event: dict[str, Any]) -> dict[str, list[str]] | None:
    """The POSTed form, or None when it is not a small urlencoded form."""
    body = event.get("body") or ""
    if len(body) > MAX_BODY * 2:
        return None
    try:
        text = base64.b64decode(body, validate=True).decode() if event.get("isBase64Encoded") else body
    except ValueError:
        return None
    return parse_qs(text, max_num_fields=5) if len(text) <= MAX_BODY else None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from incident_core.incidents.link_ack import Answer, render

    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method") or "").upper()
    token = str(event.get("rawPath") or "").removeprefix("/")
    if method in ("GET", "HEAD"):
        result = acknowledger().view(token)
    elif method == "POST":
        fields = form_fields(event)
        if fields is None or fields.get("acknowledge") != ["yes"]:
            result = Answer(400, "This link cannot be used", "<p>Use the Acknowledge button.</p>")
        else:
            result = acknowledger().acknowledge(token)
    else:
        return answer(
            405, render(Answer(405, "Not allowed", "<p>Open the link.</p>")), {"Allow": "GET, POST"}
        )
    logger.info(
        "acknowledgement link", extra={"method": method, "status": result.status, "changed": result.changed}
    )
    return answer(result.status, "" if method == "HEAD" else render(result))
