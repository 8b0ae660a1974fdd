"""Alert groups in the suite's table: the leader's ALERT item carries `members` (alerts/grouping.py).

Joining is part of the member's opening transaction (AlertStore.open's `join`): the member's alert, its
fingerprint's lock and its history line are written only if the leader is, at that instant, still open,
unacknowledged and not full. An acknowledgement (or false-alarm mark) of the leader is a conditional
write on its status, so no member can join after it: every member the acknowledgement must spread to is
listed on the leader when it lands.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from incident_core.adapters.dynamo import Table, serialize
from incident_core.alerts.keys import ALERT_SK, OPEN_ALERTS, alert_pk, iso
from incident_core.models.alerts import Alert, AlertStatus, GroupMember


def join_item(table: str, leader_id: str, member: Alert, max_size: int) -> dict[str, Any]:
    """The transaction item adding `member` to the group `leader_id` leads, if it still takes members."""
    listed = GroupMember(title=member.title, started_at=member.started_at)
    return {
        "Update": {
            "TableName": table,
            "Key": serialize({"pk": alert_pk(leader_id), "sk": ALERT_SK}),
            "UpdateExpression": "SET members.#member = :member",
            "ConditionExpression": "#status = :open AND group_id = :leader AND size(members) < :max "
            "AND attribute_not_exists(acknowledged_at)",
            "ExpressionAttributeNames": {"#member": member.alert_id, "#status": "status"},
            "ExpressionAttributeValues": serialize(
                {
                    ":member": listed.model_dump(mode="json"),
                    ":open": AlertStatus.OPEN.value,
                    ":leader": leader_id,
                    ":max": max_size,
                }
            ),
        }
    }


def absorb_item(table: str, leader: Alert, member: Alert, max_size: int) -> dict[str, Any]:
    """The transaction item adding `member` to the group whose declared incident absorbs it."""
    listed = GroupMember(title=member.title, started_at=member.started_at)
    return {
        "Update": {
            "TableName": table,
            "Key": serialize({"pk": alert_pk(leader.alert_id), "sk": ALERT_SK}),
            "UpdateExpression": "SET members.#member = :member",
            "ConditionExpression": "group_id = :leader AND incident_id = :incident "
            "AND attribute_not_exists(resolved_at) AND size(members) < :max",
            "ExpressionAttributeNames": {"#member": member.alert_id},
            "ExpressionAttributeValues": serialize(
                {
                    ":member": listed.model_dump(mode="json"),
                    ":leader": leader.alert_id,
                    ":incident": leader.incident_id,
                    ":max": max_size,
                }
            ),
        }
    }


class GroupStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def open_since(self, since: datetime) -> list[Alert]:
        """Open alerts that started at or after `since` (gsi1 ALERTS#open, by start time): the groups an
        alert may join are among them, however many older alerts are open."""
        items = self.table.query(OPEN_ALERTS, index="gsi1", sk_between=(iso(since), "~"))
        return [Alert.model_validate(item) for item in items]

    def mark_recovered(self, leader_id: str, member_id: str, at: datetime | None) -> Alert | None:
        """The member's line in its group's page says it recovered (`at`), or fails again (None: it
        re-opened); the leader as it is now (None if the leader is gone)."""
        client = self.table.dynamodb
        change: dict[str, Any] = {"UpdateExpression": "REMOVE members.#member.recovered_at"}
        if at is not None:
            change = {
                "UpdateExpression": "SET members.#member.recovered_at = :at",
                "ExpressionAttributeValues": serialize({":at": iso(at)}),
            }
        with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
            client.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": alert_pk(leader_id), "sk": ALERT_SK}),
                ConditionExpression="attribute_exists(members.#member)",
                ExpressionAttributeNames={"#member": member_id},
                **change,
            )
        item = self.table.get(alert_pk(leader_id), ALERT_SK)
        return Alert.model_validate(item) if item else None

    def claim_all_recovered(self, leader_id: str, at: datetime) -> bool:
        """True for the one caller that notes the whole group recovered (its thread says so once)."""
        client = self.table.dynamodb
        try:
            client.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": alert_pk(leader_id), "sk": ALERT_SK}),
                UpdateExpression="SET group_recovered_at = :at",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(group_recovered_at)",
                ExpressionAttributeValues=serialize({":at": iso(at)}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True
