"""The router's adapters, built from settings once per container (tests pass their own clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from incident_core.adapters.bus import EventBridgeBus
from incident_core.adapters.dynamo import Table
from incident_core.adapters.scheduler import EventBridgeScheduler
from incident_core.alerts.health import HealthFacts
from incident_core.alerts.router import AlertRouter
from incident_core.alerts.store import AlertStore
from incident_core.clock import utc_now
from incident_core.paging.delivery import Pager
from incident_core.paging.store import PageStore
from incident_core.policy.model import Policy, load_policy
from incident_core.policy.store import PolicyStore
from incident_core.settings import Settings

# Slack's answer to one call on the page path, bounded well inside the function's 30 s timeout (a page
# makes a few calls; an unanswered one is an unknown outcome the next attempt checks in Slack).
PAGE_SLACK_TIMEOUT = 5
PAGE_PATH_CONNECT_TIMEOUT = 2  # seconds, per AWS call attempt
PAGE_PATH_READ_TIMEOUT = 3
PAGE_PATH_ATTEMPTS = 2  # the first try and one retry


def page_path_config() -> Any:
    """botocore settings for every AWS call the router makes (the page path): short timeouts and few
    retries, so an invocation with DynamoDB or Scheduler unreachable gives up within about 10 s, well
    inside the function's 30 s timeout, and the page is left for the next attempt or the sweep."""
    from botocore.config import Config

    return Config(
        connect_timeout=PAGE_PATH_CONNECT_TIMEOUT,
        read_timeout=PAGE_PATH_READ_TIMEOUT,
        retries={"max_attempts": PAGE_PATH_ATTEMPTS, "mode": "standard"},
    )


class PagePathClient:
    """A boto3 client with page_path_config(), made on first use (an invocation pays only for the clients
    it needs, as with adapters.aws.client)."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(self._service, config=page_path_config())
        return getattr(self._client, name)


@cache
def cached_policy(path: str) -> Policy:
    """The policy file, read once per container (it ships in the config layer)."""
    return load_policy(path)


def build_router(
    settings: Settings, clock: Callable[[], datetime] = utc_now, dynamodb: Any = None
) -> AlertRouter:
    """`dynamodb`: the page-path client to share with the idempotency store (one client per container)."""
    table = Table(settings.table_name, dynamodb or PagePathClient("dynamodb"))

    def slack():  # created on the first page, not for alerts that only get recorded
        from incident_core.adapters.slack import Slack

        # A post whose answer is lost is not re-posted by the client: the next attempt looks in Slack.
        return Slack.from_settings(settings, resend_unknown=False, timeout=PAGE_SLACK_TIMEOUT)

    urgent = None
    if settings.urgent_topic_arn:
        from incident_core.adapters.urgent import SnsUrgentNotifier

        urgent = SnsUrgentNotifier(settings.urgent_topic_arn, PagePathClient("sns"))
    phone = None
    if settings.paging_origination_identity:  # texts and calls through End User Messaging SMS and Voice v2
        from incident_core.adapters.sms_voice import SmsVoice

        phone = SmsVoice(
            settings.paging_origination_identity,
            settings.paging_configuration_set,
            PagePathClient("pinpoint-sms-voice-v2"),
        )
    ack_links = LazyAckLinks(settings) if settings.ack_link_url and settings.ack_link_secret_id else None
    pager = Pager(
        slack=slack,
        urgent=urgent,
        channel=settings.incidents_channel,
        texts=phone,
        caller=phone,
        ack_links=ack_links,
    )
    return AlertRouter(
        alerts=AlertStore(table),
        pages=PageStore(table),
        policy=lambda: cached_policy(settings.policy_file),
        windows=PolicyStore(table),
        pager=pager,
        scheduler=EventBridgeScheduler(
            group=settings.scheduler_group,
            role_arn=settings.scheduler_role_arn,
            bus_arn=settings.bus_arn,
            source=settings.event_source,
            dead_letter_arn=settings.scheduler_dlq_arn,
            scheduler_client=PagePathClient("scheduler"),
        ),
        bus=EventBridgeBus(settings.bus_name, settings.event_source, PagePathClient("events")),
        health=HealthFacts(table),
        clock=clock,
    )


class LazyAckLinks:
    """The `AckLinks` of the acknowledgement endpoint (functions/page_ack), its signing key read from
    Secrets Manager on the first text or e-mail that carries a link, not on every cold start."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._issuer: Any = None

    def link(self, alert_id: str, page_id: str, person: str, expires_at: datetime) -> str:
        if self._issuer is None:
            from incident_core.adapters.secrets import get_secret_field
            from incident_core.paging.ack_links import AckLinkIssuer

            key = get_secret_field(self._settings.ack_link_secret_id, "key").encode()
            self._issuer = AckLinkIssuer(self._settings.ack_link_url, key)
        return self._issuer.link(alert_id, page_id, person, expires_at)
