"""AWS Health events, recorded as facts for the incident checklist ("is it AWS?"). Never paged.

Stored as AWSHEALTH / <start ISO>#<event ARN>, so the checklist reads the events around an incident with
one range query. A later update of the same event (open -> closed) overwrites an earlier one, never the
other way round. Items expire 30 days after the event ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from incident_core.adapters.dynamo import Table, model_item
from incident_core.alerts.intake import RejectedEvent
from incident_core.alerts.keys import iso

PARTITION = "AWSHEALTH"
KEEP_AFTER_END = timedelta(days=30)


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


def health_fact(event_id: str, event_time: datetime, detail: Any) -> HealthFact:
    """The fact in an `AWS Health Event` (its documented EventBridge schema)."""
    if not isinstance(detail, dict):
        raise RejectedEvent(f"AWS Health event {event_id}: detail is not an object")
    try:
        descriptions = detail.get("eventDescription") or []
        english = next((d for d in descriptions if d.get("language") == "en_US"), None)
        return HealthFact(
            event_arn=detail["eventArn"],
            service=detail["service"],
            event_type_code=detail["eventTypeCode"],
            category=detail.get("eventTypeCategory", ""),
            scope=detail.get("eventScopeCode", ""),
            status=detail.get("statusCode", ""),
            region=detail.get("eventRegion", ""),
            start_time=_rfc1123(detail["startTime"]),
            end_time=_rfc1123(detail["endTime"]) if detail.get("endTime") else None,
            updated_at=_rfc1123(detail["lastUpdatedTime"]) if detail.get("lastUpdatedTime") else event_time,
            description=(english or (descriptions[0] if descriptions else {})).get("latestDescription", ""),
        )
    except KeyError as error:
        raise RejectedEvent(f"AWS Health event {event_id}: detail has no {error.args[0]}") from error
    except (ValueError, TypeError, ValidationError) as error:
        raise RejectedEvent(f"AWS Health event {event_id}: {error}") from error


def _rfc1123(text: str) -> datetime:
    """AWS Health writes times like "Fri, 10 Jun 2022 05:01:10 GMT"."""
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError) as error:
        raise ValueError(f"unreadable time {text!r}") from error


class HealthFacts:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, fact: HealthFact) -> bool:
        """Store the fact; False if a newer update of the same event is already stored."""
        expires_at = int(((fact.end_time or fact.start_time) + KEEP_AFTER_END).timestamp())
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
