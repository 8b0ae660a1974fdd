"""Action items in the suite's table: `ACTION#<id>` / `ACTION`, listed by status on gsi1.

gsi1pk is `ACTIONS#<status>` and gsi1sk `<due date>#<id>`, so the open items come back oldest due
first. Items opened for a false alarm or a missing runbook get an id derived from what caused them:
Slack's or Lambda's retried deliveries then land on the same item instead of a second one.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from incident_core.adapters.dynamo import Table, deserialize, model_item, serialize
from incident_core.clock import utc_now
from incident_core.ids import new_id
from incident_core.models import ActionItem, ActionStatus
from incident_core.settings import Settings, get_settings

LONDON = ZoneInfo("Europe/London")
DEFAULT_DUE_BUSINESS_DAYS = 2
MAX_TEXT_LENGTH = 3000  # as long as a Slack command text the incident app accepts
REMINDER_MARK_TTL_SECONDS = 30 * 24 * 3600
# One item per cause for these sources; "manual" and "post-mortem" items are always new.
DEDUPLICATED_SOURCES = ("false-alarm", "missing-runbook")
SOURCES = ("manual", "false-alarm", "missing-runbook", "post-mortem")

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


class ActionNotFoundError(LookupError):
    """No action item has this id."""


def london_today(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError(f"'now' must be timezone-aware, got naive {now.isoformat()}")
    return now.astimezone(LONDON).date()


def default_due(now: datetime) -> date:
    """Two business days after today in London (weekends and England-and-Wales holidays skipped)."""
    from incident_core.policy.calendar import add_business_days

    return add_business_days(london_today(now), DEFAULT_DUE_BUSINESS_DAYS)


def slack_user_id(value: str | None, what: str) -> str | None:
    """A Slack user id from `U123`, `<@U123>` or `<@U123|name>`; a clear error for anything else."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    mention = _MENTION.match(value)
    if mention:
        return mention.group(1)
    if _USER_ID.match(value):
        return value
    raise ValueError(f"{what} must be a Slack user (U123 or <@U123>), got {value!r}")


def _derived_id(source: str, alert_id: str | None, incident_id: str | None) -> str:
    cause = f"{source}|{alert_id or ''}|{incident_id or ''}"
    return "act-" + hashlib.sha256(cause.encode()).hexdigest()[:15]


class ActionStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ActionStore:
        return cls(Table((settings or get_settings()).table_name))

    # ------------------------------------------------------------------ writes
    def open(
        self,
        text: str,
        *,
        owner: str | None,
        incident_id: str | None,
        alert_id: str | None,
        source: str,
        by: str | None,
        now: datetime,
        due: date | None = None,
        request_key: str | None = None,
    ) -> ActionItem:
        """Record a new P0 action item (owner defaults to whoever opened it, when that is a person).
        `request_key` names the request (Slack's trigger): the same request again returns the same item."""
        text = " ".join((text or "").split())
        if not text:
            raise ValueError("an action item needs a text saying what to do")
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"action item text is {len(text)} characters; at most {MAX_TEXT_LENGTH}")
        if source not in SOURCES:
            raise ValueError(f"action item source must be one of {', '.join(SOURCES)}, got {source!r}")
        owner_id = slack_user_id(owner, "owner")
        if owner_id is None:
            try:
                owner_id = slack_user_id(by, "by")
            except ValueError:
                owner_id = None  # opened by the system: unassigned until someone takes it
        deduplicated = source in DEDUPLICATED_SOURCES and (alert_id or incident_id)
        if deduplicated:
            action_id = _derived_id(source, alert_id, incident_id)
        elif request_key:  # Lambda's retry of a failed invocation, a replay within Slack's 5 minutes
            action_id = "act-" + hashlib.sha256(f"request|{request_key}".encode()).hexdigest()[:15]
        else:
            action_id = new_id("act", now)
        item = ActionItem(
            action_id=action_id,
            text=text,
            owner=owner_id,
            due=due or default_due(now),
            incident_id=incident_id,
            alert_id=alert_id,
            source=source,
            created_at=now,
            created_by=by,
        )
        client = self.table.dynamodb
        try:
            client.put_item(
                TableName=self.table.name,
                Item=self._item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            existing = self.get(item.action_id)
            if existing is None:  # pragma: no cover - a conditional failure means the item exists
                raise
            return existing
        return item

    def mark_done(self, action_id: str, by: str | None, now: datetime) -> ActionItem:
        """Close an item; closing it again keeps the first closer and time (a double click is harmless)."""
        return self._move(
            action_id,
            ActionStatus.OPEN,
            ActionStatus.DONE,
            "SET #status = :to, gsi1pk = :listing, done_at = :at, done_by = :by",
            {":at": now.isoformat(), ":by": by or "unknown"},
        )

    def reopen(self, action_id: str) -> ActionItem:
        """Open a done item again (its issue was reopened); opening an open item changes nothing."""
        return self._move(
            action_id,
            ActionStatus.DONE,
            ActionStatus.OPEN,
            "SET #status = :to, gsi1pk = :listing REMOVE done_at, done_by",
        )

    def _move(
        self,
        action_id: str,
        source: ActionStatus,
        target: ActionStatus,
        update: str,
        values: dict[str, Any] | None = None,
    ) -> ActionItem:
        """One conditional status change; an item already moved (or moved by someone else) is returned as
        it is, so repeating the change is harmless."""
        client = self.table.dynamodb
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": f"ACTION#{action_id}", "sk": "ACTION"}),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk) AND #status = :from",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {
                        ":from": source.value,
                        ":to": target.value,
                        ":listing": f"ACTIONS#{target.value}",
                        **(values or {}),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            existing = self.get(action_id)
            if existing is None:
                raise ActionNotFoundError(f"no action item {action_id!r}") from None
            return existing
        return self._model(deserialize(response["Attributes"]))

    def edit(
        self, action_id: str, *, text: str | None = None, owner: str | None = None, due: date | None = None
    ) -> ActionItem:
        """Change what the item says, who owns it or when it is due (its issue was edited)."""
        values: dict[str, Any] = {}
        if text is not None:
            text = " ".join(text.split())
            if not text or len(text) > MAX_TEXT_LENGTH:
                raise ValueError(f"an action item's text is 1 to {MAX_TEXT_LENGTH} characters")
            values["text"] = text
        if owner is not None:
            values["owner"] = slack_user_id(owner, "owner")
        if due is not None:
            values["due"] = due.isoformat()
            values["gsi1sk"] = f"{due.isoformat()}#{action_id}"
        if not values:
            item = self.get(action_id)
            if item is None:
                raise ActionNotFoundError(f"no action item {action_id!r}")
            return item
        return self._set(action_id, values)

    def record_tracker(self, action_id: str, **fields: Any) -> ActionItem:
        """Write the item's tracker fields (ActionItem.tracker_*); None removes one. The issue number is
        written once: a second, different number for the same item is refused (it would be a double)."""
        values = {
            f"tracker_{name}": value.isoformat() if isinstance(value, datetime) else value
            for name, value in fields.items()
        }
        condition = None
        if values.get("tracker_issue") is not None:
            condition = "attribute_not_exists(tracker_issue) OR tracker_issue = :tracker_issue"
        return self._set(action_id, values, condition)

    def claim_tracker(self, action_id: str, now: datetime, until: datetime) -> bool:
        """One sync of an item at a time (an event's run and the schedule's may meet): True when this one
        may talk to the tracker for it until `until`; a run that died leaves a claim that lapses."""
        client = self.table.dynamodb
        try:
            client.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": f"ACTION#{action_id}", "sk": "ACTION"}),
                UpdateExpression="SET tracker_claim = :until",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(tracker_claim) OR tracker_claim < :now)",
                ExpressionAttributeValues=serialize(
                    {":until": int(until.timestamp()), ":now": int(now.timestamp())}
                ),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_tracker(self, action_id: str) -> None:
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=serialize({"pk": f"ACTION#{action_id}", "sk": "ACTION"}),
            UpdateExpression="REMOVE tracker_claim",
        )

    def _set(self, action_id: str, values: dict[str, Any], condition: str | None = None) -> ActionItem:
        client = self.table.dynamodb
        names = {f"#{key}": key for key in values}
        setting = [f"#{key} = :{key}" for key, value in values.items() if value is not None]
        removing = [f"#{key}" for key, value in values.items() if value is None]
        expression = " ".join(
            part
            for part in (
                "SET " + ", ".join(setting) if setting else "",
                "REMOVE " + ", ".join(removing) if removing else "",
            )
            if part
        )
        attribute_values = {f":{key}": value for key, value in values.items() if value is not None}
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": f"ACTION#{action_id}", "sk": "ACTION"}),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)" + (f" AND ({condition})" if condition else ""),
                ExpressionAttributeNames=names,
                ReturnValues="ALL_NEW",
                **({"ExpressionAttributeValues": serialize(attribute_values)} if attribute_values else {}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            existing = self.get(action_id)
            if existing is None:
                raise ActionNotFoundError(f"no action item {action_id!r}") from None
            raise ValueError(
                f"action item {action_id!r} is already issue #{existing.tracker_issue}, not {values}"
            ) from None
        return self._model(deserialize(response["Attributes"]))

    def remember_delivery(self, delivery_id: str, now: datetime, keep_seconds: int) -> bool:
        """False when this tracker webhook delivery was seen before (a replay)."""
        client = self.table.dynamodb
        try:
            client.put_item(
                TableName=self.table.name,
                Item=serialize(
                    {
                        "pk": f"DELIVERY#{delivery_id}",
                        "sk": "DELIVERY",
                        "at": now.isoformat(),
                        "expires_at": int(now.timestamp()) + keep_seconds,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def forget_delivery(self, delivery_id: str) -> None:
        self.table.dynamodb.delete_item(
            TableName=self.table.name, Key=serialize({"pk": f"DELIVERY#{delivery_id}", "sk": "DELIVERY"})
        )

    def claim_reminder_day(self, day: date, now: datetime, lease_until: datetime) -> bool:
        """True when this run may send `day`'s reminder: the day is not done, and no other run holds it
        (a retried or doubled schedule does not remind twice). A claim lasts until `lease_until`, the end
        of the claiming run's time: a run that died then (a timeout skips any clean-up) is taken over by
        the next one, which posts only what is missing (the messages are marked)."""
        client = self.table.dynamodb
        try:
            client.put_item(
                TableName=self.table.name,
                Item=serialize(
                    {
                        "pk": f"REMINDER#{day.isoformat()}",
                        "sk": "REMINDER",
                        "claimed_at": now.isoformat(),
                        "lease_until": int(lease_until.timestamp()),
                        "expires_at": int(now.timestamp()) + REMINDER_MARK_TTL_SECONDS,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR "
                "(attribute_not_exists(done_at) AND lease_until < :now)",
                ExpressionAttributeValues=serialize({":now": int(utc_now().timestamp())}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def finish_reminder_day(self, day: date, at: datetime) -> None:
        """`day`'s reminder is sent: no later run sends it again."""
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=serialize({"pk": f"REMINDER#{day.isoformat()}", "sk": "REMINDER"}),
            UpdateExpression="SET done_at = :at",
            ExpressionAttributeValues=serialize({":at": at.isoformat()}),
        )

    def release_reminder_day(self, day: date) -> None:
        """Undo a claim whose reminder could not be sent, so the retry sends it."""
        self.table.dynamodb.delete_item(
            TableName=self.table.name, Key=serialize({"pk": f"REMINDER#{day.isoformat()}", "sk": "REMINDER"})
        )

    # ------------------------------------------------------------------ reads
    def get(self, action_id: str) -> ActionItem | None:
        stored = self.table.get(f"ACTION#{action_id}", "ACTION")
        return self._model(stored) if stored else None

    def list_open(self) -> list[ActionItem]:
        """Open items, the earliest due first."""
        return self._listing(ActionStatus.OPEN)

    def list_done(self) -> list[ActionItem]:
        return self._listing(ActionStatus.DONE)

    def list_done_since(self, day: date) -> list[ActionItem]:
        """Items done on `day` (London) or later."""
        return [item for item in self.list_done() if item.done_at and london_today(item.done_at) >= day]

    def list_for_incident(self, incident_id: str) -> list[ActionItem]:
        """Every item (open or done) of one incident, open first, each by due date."""
        return [
            item
            for status in (ActionStatus.OPEN, ActionStatus.DONE)
            for item in self._listing(status, incident_id=incident_id)
        ]

    # ------------------------------------------------------------------ helpers
    def _listing(self, status: ActionStatus, incident_id: str | None = None) -> list[ActionItem]:
        # A small team has tens to hundreds of items: one partition of the index, filtered server-side.
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :listing",
            "ExpressionAttributeValues": serialize({":listing": f"ACTIONS#{status.value}"}),
        }
        if incident_id is not None:
            kwargs["FilterExpression"] = "incident_id = :incident"
            kwargs["ExpressionAttributeValues"].update(serialize({":incident": incident_id}))
        items: list[ActionItem] = []
        while True:
            page = self.table.dynamodb.query(**kwargs)
            items.extend(self._model(deserialize(raw)) for raw in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @staticmethod
    def _item(item: ActionItem) -> dict[str, Any]:
        return model_item(
            item,
            pk=f"ACTION#{item.action_id}",
            sk="ACTION",
            gsi1pk=f"ACTIONS#{item.status.value}",
            gsi1sk=f"{item.due.isoformat()}#{item.action_id}",
        )

    @staticmethod
    def _model(stored: dict[str, Any]) -> ActionItem:
        return ActionItem.model_validate(
            {k: v for k, v in stored.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk", "tracker_claim")}
        )
