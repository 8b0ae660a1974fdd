"""Environment variables as one validated model, read once per container."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field

from incident_core import env


class Settings(BaseModel):
    table_name: str = Field("incident-suite", alias="TABLE_NAME")
    idempotency_table_name: str = Field("incident-suite-idempotency", alias="IDEMPOTENCY_TABLE_NAME")
    bus_name: str = Field("incident-suite", alias="BUS_NAME")
    event_source: str = Field("incident-suite", alias="EVENT_SOURCE")
    incidents_channel: str = Field("#incidents", alias="INCIDENTS_CHANNEL")
    # Secrets Manager secret ids; the values never sit in environment variables.
    slack_secret_id: str = Field(env.DEFAULTS[env.SLACK_SECRET_ID], alias=env.SLACK_SECRET_ID)
    zoom_secret_id: str = Field("incident-suite/zoom", alias="ZOOM_SECRET_ID")
    # Overridable base URLs, so tests and the demo talk HTTP to local stand-ins.
    slack_api_url: str = Field(env.DEFAULTS[env.SLACK_API_URL], alias=env.SLACK_API_URL)
    zoom_api_url: str = Field("https://api.zoom.us/v2", alias="ZOOM_API_URL")
    zoom_oauth_url: str = Field("https://zoom.us/oauth/token", alias="ZOOM_OAUTH_URL")
    documents_bucket: str = Field("", alias="DOCUMENTS_BUCKET")
    # Optional second publisher of write-ups: the team's site, signed with the webhook secret.
    webhook_url: str = Field("", alias="WEBHOOK_URL")
    webhook_secret_id: str = Field("", alias="WEBHOOK_SECRET_ID")
    evidence_bucket: str = Field("", alias="EVIDENCE_BUCKET")
    # The tracker of the policy's `tracker:` section: its token, its webhook's secret, GitHub's API.
    tracker_secret_id: str = Field("incident-suite/tracker", alias="TRACKER_SECRET_ID")
    tracker_webhook_secret_id: str = Field(
        "incident-suite/tracker-webhook", alias="TRACKER_WEBHOOK_SECRET_ID"
    )
    github_api_url: str = Field("https://api.github.com", alias="GITHUB_API_URL")
    journeys_file: str = Field("/opt/journeys.yaml", alias="JOURNEYS_FILE")
    policy_file: str = Field("/opt/policy.yaml", alias="POLICY_FILE")
    runbooks_dir: str = Field("/opt/runbooks", alias="RUNBOOKS_DIR")
    scheduler_group: str = Field("default", alias="SCHEDULER_GROUP")
    scheduler_role_arn: str = Field("", alias="SCHEDULER_ROLE_ARN")
    urgent_topic_arn: str = Field("", alias="URGENT_TOPIC_ARN")
    # Alert routing: which alarms are incident alarms, and where EventBridge Scheduler puts PageDue.
    incident_alarm_prefix: str = Field("incident-", alias="INCIDENT_ALARM_PREFIX")
    incident_alarm_topic_arn: str = Field("", alias="INCIDENT_ALARM_TOPIC_ARN")
    bus_arn: str = Field("", alias="BUS_ARN")
    scheduler_dlq_arn: str = Field("", alias="SCHEDULER_DLQ_ARN")
    result_ttl_days: int = Field(14, alias="RESULT_TTL_DAYS")
    # Incident checklist: vendors' Atlassian Statuspage base URLs (comma-separated), how far before the
    # alert a CloudFormation update counts as a revert candidate, and each lookup's deadline.
    status_pages: str = Field("", alias="STATUS_PAGES")
    revert_window_minutes: int = Field(180, alias="REVERT_WINDOW_MINUTES")
    lookup_deadline_seconds: float = Field(4.0, alias="LOOKUP_DEADLINE_SECONDS")
    # Acknowledgement links (functions/page_ack): the signing key's secret ({"key": ...}) and the URL.
    ack_link_secret_id: str = Field("", alias="ACK_LINK_SECRET_ID")
    ack_link_url: str = Field("", alias="ACK_LINK_URL")
    # Texts and calls (End User Messaging SMS and Voice v2): the number or pool, the configuration set,
    # and the topic its events and two-way replies arrive on.
    paging_origination_identity: str = Field("", alias="PAGING_ORIGINATION_IDENTITY")
    paging_configuration_set: str = Field("", alias="PAGING_CONFIGURATION_SET")
    paging_events_topic_arn: str = Field("", alias="PAGING_EVENTS_TOPIC_ARN")
    # The product the pictures of an incident's window draw (the dashboard's template parameters).
    product_http_api_id: str = Field("", alias="PRODUCT_HTTP_API_ID")
    product_function_names: str = Field("", alias="PRODUCT_FUNCTION_NAMES")  # comma-separated
    product_table_names: str = Field("", alias="PRODUCT_TABLE_NAMES")  # comma-separated
    aws_region: str = Field("eu-west-2", alias="AWS_REGION")
    metrics_namespace: str = Field("IncidentSuite", alias="POWERTOOLS_METRICS_NAMESPACE")
    service_name: str = Field("incident-suite", alias="POWERTOOLS_SERVICE_NAME")
    # Revert (docs/revert.md): the suite's own stack and its resources' name prefixes are never candidates;
    # revert from the thread is off until the RevertEnabled stack parameter turns it on.
    suite_stack_name: str = Field("", alias="SUITE_STACK_NAME")
    suite_resource_prefixes: str = Field("", alias="SUITE_RESOURCE_PREFIXES")
    revert_enabled: bool = Field(False, alias="REVERT_ENABLED")
    revert_tag: str = Field("incident-suite:revert", alias="REVERT_TAG")
    revert_hook_secret_id: str = Field("", alias="REVERT_HOOK_SECRET_ID")

    model_config = {"populate_by_name": True, "extra": "ignore"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
