"""Which acknowledgement links were used (ALERT#<alert_id> / LINKUSED#<page_id>#<person>): a link acts
once. Written with a condition, so two POSTs of the same link at once are one use and one refusal; it
expires with the alert's other items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incident_core.adapters.dynamo import Table, serialize
from incident_core.alerts.keys import alert_pk, iso

USED_PREFIX = "LINKUSED#"


def used_sk(page_id: str, person: str) -> str:
    return f"{USED_PREFIX}{page_id}#{person}"


class UsedLinks:
    def __init__(self, table: Table) -> None:
        self.table = table

    def used(self, alert_id: str, page_id: str, person: str) -> dict[str, Any] | None:
        """The use of this link (`used_at`), if it was used."""
        return self.table.get(alert_pk(alert_id), used_sk(page_id, person))

    def mark(self, alert_id: str, page_id: str, person: str, at: datetime, expires_at: int) -> bool:
        """Record the link's one use; False when it was used already (by another request)."""
        dynamodb = self.table.dynamodb
        try:
            dynamodb.put_item(
                TableName=self.table.name,
                Item=serialize(
                    {
                        "pk": alert_pk(alert_id),
                        "sk": used_sk(page_id, person),
                        "used_at": iso(at),
                        "expires_at": expires_at,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True
