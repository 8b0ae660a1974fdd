"""Page items (ALERT#<alert_id> / PAGE#<page_id>): the page intent, its claim and its deliveries.

Every state change is a conditional write, so two deliverers never both hold a page:
- claim: pending -> sending (with a claim token and a lease), or take over a `sending` page whose lease
  ran out (its deliverer crashed);
- record_delivery / finish / release: only by the holder of the claim token.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from incident_core.adapters.dynamo import Table, deserialize, model_item, serialize
from incident_core.alerts.keys import PAGE_PREFIX, alert_pk, iso
from incident_core.paging.pages import CLAIM_LEASE, Page, PageStatus

__all__ = ["CLAIM_LEASE", "LeaseLost", "PageStore", "page_item"]


class LeaseLost(RuntimeError):
    """Another deliverer took the page over (our lease ran out): stop sending."""


class PageStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    @property
    def _client(self) -> Any:
        return self.table.dynamodb

    def get(self, alert_id: str, page_id: str) -> Page | None:
        item = self.table.get(alert_pk(alert_id), PAGE_PREFIX + page_id)
        return Page.model_validate(item) if item else None

    def for_alert(self, alert_id: str) -> list[Page]:
        pages = [Page.model_validate(i) for i in self.table.query(alert_pk(alert_id), PAGE_PREFIX)]
        return sorted(pages, key=lambda p: p.seq)

    def claim(
        self,
        page: Page,
        now: datetime,
        people: list[str] | None = None,
        channels: list[str] | None = None,
        person_channels: dict[str, list[str]] | None = None,
    ) -> Page | None:
        """Take the page for delivery; None if someone else holds it (or it is finished).

        `people`/`channels` fix the audience of a page decided at delivery time (held pages, re-pages);
        a page that already has its audience keeps it, so a retry sends to the same people.
        """
        sets = [
            "#status = :sending",
            "claim_token = :token",
            "claimed_until = :until",
            "attempts = attempts + :one",
            "first_claimed_at = if_not_exists(first_claimed_at, :now)",
        ]
        values: dict[str, Any] = {
            ":sending": PageStatus.SENDING.value,
            ":pending": PageStatus.PENDING.value,
            ":token": secrets.token_hex(8),
            ":until": iso(now + CLAIM_LEASE),
            ":now": iso(now),
            ":one": 1,
        }
        condition = "(#status = :pending OR (#status = :sending AND claimed_until < :now))"
        if page.people is None and people is not None:
            sets += ["people = :people", "channels = :channels", "person_channels = :person_channels"]
            values |= {
                ":people": people,
                ":channels": channels or [],
                ":person_channels": person_channels or {},
            }
            condition += " AND attribute_not_exists(people)"
        try:
            response = self._client.update_item(
                TableName=self.table.name,
                Key=self._key(page),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return Page.model_validate(deserialize(response["Attributes"]))

    def record_delivery(self, page: Page, target: str, reference: str) -> None:
        try:
            self._client.update_item(
                TableName=self.table.name,
                Key=self._key(page),
                UpdateExpression="SET delivered.#target = :ref",
                ConditionExpression="claim_token = :token",
                ExpressionAttributeNames={"#target": target},
                ExpressionAttributeValues=serialize({":ref": reference, ":token": page.claim_token}),
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            raise LeaseLost(f"page {page.page_id} was taken over while delivering") from error
        page.delivered[target] = reference

    def finish(self, page: Page, now: datetime, next_page: Page | None, expires_at: int) -> bool:
        """Mark the page sent and, in the same transaction, write the re-page that follows it."""
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": self._key(page),
                    "UpdateExpression": "SET #status = :sent, sent_at = :now "
                    "REMOVE claim_token, claimed_until",
                    "ConditionExpression": "claim_token = :token",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": serialize(
                        {":sent": PageStatus.SENT.value, ":now": iso(now), ":token": page.claim_token}
                    ),
                }
            }
        ]
        if next_page is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": self._item(next_page, expires_at),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True

    def release(self, page: Page, error: str, retry_at: datetime) -> Page:
        """Give a page that could not be sent back to pending, due again at `retry_at`."""
        response = self._client.update_item(
            TableName=self.table.name,
            Key=self._key(page),
            UpdateExpression="SET #status = :pending, due_at = :retry, last_error = :error "
            "REMOVE claim_token, claimed_until",
            ConditionExpression="claim_token = :token",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=serialize(
                {
                    ":pending": PageStatus.PENDING.value,
                    ":retry": iso(retry_at),
                    ":error": error[:500],
                    ":token": page.claim_token,
                }
            ),
            ReturnValues="ALL_NEW",
        )
        return Page.model_validate(deserialize(response["Attributes"]))

    def postpone(self, page: Page, due_at: datetime, reason: str) -> Page | None:
        """Hold a pending page until `due_at` (the policy says not now)."""
        try:
            response = self._client.update_item(
                TableName=self.table.name,
                Key=self._key(page),
                UpdateExpression="SET due_at = :due, reason = :reason",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {":due": iso(due_at), ":reason": reason, ":pending": PageStatus.PENDING.value}
                ),
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return Page.model_validate(deserialize(response["Attributes"]))

    def cancel(self, page: Page, now: datetime, reason: str) -> bool:
        """Drop a page nobody needs any more (acknowledged, resolved) unless someone is sending it."""
        try:
            self._client.update_item(
                TableName=self.table.name,
                Key=self._key(page),
                UpdateExpression="SET #status = :cancelled, reason = :reason",
                ConditionExpression="#status = :pending OR (#status = :sending AND claimed_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {
                        ":cancelled": PageStatus.CANCELLED.value,
                        ":pending": PageStatus.PENDING.value,
                        ":sending": PageStatus.SENDING.value,
                        ":reason": reason,
                        ":now": iso(now),
                    }
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add(self, pages: list[Page], expires_at: int) -> None:
        """Write page intents decided after their alert was written (a held page's plan steps, decided when
        it goes out); one already written (a retry) is left as it is."""
        for page in pages:
            try:
                self._client.put_item(
                    TableName=self.table.name,
                    Item=self._item(page, expires_at),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                continue

    def mark_scheduled(self, page: Page, at: datetime) -> None:
        self._client.update_item(
            TableName=self.table.name,
            Key=self._key(page),
            UpdateExpression="SET scheduled_for = :at",
            ExpressionAttributeValues=serialize({":at": iso(at)}),
        )

    # ------------------------------------------------------------------ internals
    def _key(self, page: Page) -> dict[str, Any]:
        return serialize({"pk": alert_pk(page.alert_id), "sk": PAGE_PREFIX + page.page_id})

    def _item(self, page: Page, expires_at: int) -> dict[str, Any]:
        return page_item(page, expires_at)


def page_item(page: Page, expires_at: int) -> dict[str, Any]:
    """A page as an item; times in the fixed-width format the conditions compare."""
    times = {"due_at": iso(page.due_at)}
    if page.claimed_until:
        times["claimed_until"] = iso(page.claimed_until)
    if page.first_claimed_at:
        times["first_claimed_at"] = iso(page.first_claimed_at)
    return model_item(
        page, pk=alert_pk(page.alert_id), sk=PAGE_PREFIX + page.page_id, expires_at=expires_at, **times
    )
