"""AWS Health events, recorded as facts for the incident checklist ("is it AWS?"). Never paged.

Stored as AWSHEALTH / <start ISO>#<event ARN>, so the checklist reads the events around an incident with
one range query. A later update of the same event (open -> closed) overwrites an earlier one, never the
other way round. Items expire 30 days after the event ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from incident_core.adapters.dynamo import Table, model_item
from incident_core.alerts.intake import NAME_LIMIT, RejectedEvent, clean_text, excerpt, problems, utc
from incident_core.alerts.keys import iso

PARTITION = "AWSHEALTH"
KEEP_AFTER_END = timedelta(days=30)
# An event's end beyond this is not believed for its expiry (the fact is kept from when it was heard of).
LONGEST_EVENT = timedelta(days=365)
ARN_LIMIT = 1024  # the sort key holds it; DynamoDB allows 1024 bytes for a sort key
DESCRIPTION_LIMIT = 4000


class HealthFact(BaseModel):
    event_arn: str
    service: str
    event_type_code: str
    category: str
    scope: str  # PUBLIC, ACCOUNT_SPECIFIC, NONE
    status: str  # open, upcoming, closed
    region: str
    start_time: datetime
    end_time: datetime | None = None
    updated_at: datetime
    description: str = ""

    @property
    def sort_key(self) -> str:
        return f"{iso(self.start_time)}#{self.event_arn}"


class _Description(BaseModel):
    language: str = ""
    latestDescription: str = ""


class HealthDetail(BaseModel):
    """`detail` of an `AWS Health Event` (its documented EventBridge schema), the fields the suite uses."""

    model_config = ConfigDict(extra="allow")

    eventArn: str = Field(min_length=1, max_length=ARN_LIMIT)
    service: str
    eventTypeCode: str
    eventTypeCategory: str = ""
    eventScopeCode: str = ""
    statusCode: str = ""
    eventRegion: str = ""
    startTime: str
    endTime: str | None = None
    lastUpdatedTime: str | None = None
    eventDescription: list[_Description] = Field(default_factory=list)


def health_fact(event_id: str, event_time: datetime, detail: Any) -> HealthFact:
    """The fact in an `AWS Health Event`; RejectedEvent naming the field when it does not fit."""
    if not isinstance(detail, dict):
        raise RejectedEvent(f"AWS Health event {excerpt(event_id)}: detail is not an object")
    if "eventArn" not in detail:
        raise RejectedEvent(f"AWS Health event {excerpt(event_id)}: detail has no eventArn")
    try:
        parsed = HealthDetail.model_validate(detail)
        english = next((d for d in parsed.eventDescription if d.language == "en_US"), None)
        description = english or (parsed.eventDescription[0] if parsed.eventDescription else _Description())
        return HealthFact(
            event_arn=clean_text(parsed.eventArn, ARN_LIMIT),
            service=clean_text(parsed.service, NAME_LIMIT),
            event_type_code=clean_text(parsed.eventTypeCode, NAME_LIMIT),
            category=clean_text(parsed.eventTypeCategory, NAME_LIMIT),
            scope=clean_text(parsed.eventScopeCode, NAME_LIMIT),
            status=clean_text(parsed.statusCode, NAME_LIMIT),
            region=clean_text(parsed.eventRegion, NAME_LIMIT),
            start_time=_rfc1123("startTime", parsed.startTime),
            end_time=_rfc1123("endTime", parsed.endTime) if parsed.endTime else None,
            updated_at=_rfc1123("lastUpdatedTime", parsed.lastUpdatedTime)
            if parsed.lastUpdatedTime
            else utc(event_time),
            description=clean_text(description.latestDescription, DESCRIPTION_LIMIT),
        )
    except ValidationError as error:
        raise RejectedEvent(f"AWS Health event {excerpt(event_id)}: {problems(error)}") from error


def _rfc1123(field: str, text: str) -> datetime:
    """AWS Health writes times like "Fri, 10 Jun 2022 05:01:10 GMT"; one without a zone is UTC."""
    try:
        return utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError) as error:
        raise RejectedEvent(f"AWS Health event: {field} is not a time: {excerpt(text)}") from error


class HealthFacts:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, fact: HealthFact, now: datetime) -> bool:
        """Store the fact; False if a newer update of the same event is already stored. It expires
        KEEP_AFTER_END after the event ends, counted from the time of receipt at the earliest and
        within LONGEST_EVENT of it (AWS's times are not trusted to set a TTL in 2002 or 9999)."""
        end = min(max(fact.end_time or fact.start_time, now), now + LONGEST_EVENT)
        expires_at = int((end + KEEP_AFTER_END).timestamp())
        client = self.table.dynamodb
        try:
            client.put_item(
                TableName=self.table.name,
                Item=model_item(
                    fact,
                    pk=PARTITION,
                    sk=fact.sort_key,
                    updated_at=iso(fact.updated_at),
                    expires_at=expires_at,
                ),
                ConditionExpression="attribute_not_exists(pk) OR updated_at <= :updated",
                ExpressionAttributeValues={":updated": {"S": iso(fact.updated_at)}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def between(self, start: datetime, end: datetime) -> list[HealthFact]:
        """Events that started in [start, end], oldest first."""
        items = self.table.query(PARTITION, sk_between=(iso(start), iso(end) + "~"))
        return [HealthFact.model_validate(item) for item in items]
