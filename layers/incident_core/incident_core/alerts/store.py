"""Alerts in the suite's table: one alert per open problem (fingerprint), its history and its pages.

Exactly-once creation rests on one DynamoDB transaction: the ALERT item, the FP#<fingerprint> / OPEN lock,
the first history lines and the page intents are written together or not at all, each conditional on
not existing yet. Of any number of concurrent deliveries for the same fingerprint, one transaction
succeeds; the others see the lock and count as repeats.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from incident_core.adapters.dynamo import Table, deserialize, model_item, serialize
from incident_core.alerts.keys import (
    ALERT_SK,
    CLOSED_ALERTS,
    EVENT_PREFIX,
    OPEN_ALERTS,
    alert_pk,
    event_sk,
    fingerprint_pk,
    iso,
)
from incident_core.models.alerts import Alert, AlertEvent, AlertStatus
from incident_core.paging.pages import Page
from incident_core.paging.store import page_item
from incident_core.settings import Settings, get_settings

__all__ = ["AlertEvent", "AlertNotFound", "AlertStore", "OlderThanAlarm", "OpenOutcome", "alert_expires_at"]

# Alerts and their history are kept long enough for post-mortems and yearly reviews.
KEEP_ALERTS = timedelta(days=400)
KEEP_LAST_RESOLVED = timedelta(days=30)
# An alarm back in ALARM this soon after its alert resolved re-opens that alert instead of paging again.
FLAP_WINDOW = timedelta(minutes=15)
_TRANSACTION_ATTEMPTS = 6
# The fingerprint's lock item: `alert_id` while an alert is open, `resolved_at` of its last alert.
LOCK_SK = "OPEN"


def alert_expires_at(alert: Alert) -> int:
    """When the alert's items (the alert, its history, its pages) and its fingerprint's lock expire: TTL
    `expires_at`, epoch seconds, from when the suite first heard of it (never the source's own time)."""
    return int((alert.first_seen + KEEP_ALERTS).timestamp())


class OlderThanAlarm(RuntimeError):
    """A recovery older than the newest ALARM seen for the fingerprint: it resolves nothing."""


class AlertNotFound(LookupError):
    def __init__(self, alert_id: str) -> None:
        super().__init__(f"no alert with id {alert_id!r}")
        self.alert_id = alert_id


class OpenOutcome(StrEnum):
    OPENED = "opened"  # this call created the alert
    EXISTS = "exists"  # an alert for the fingerprint is already open: a repeat
    STALE = "stale"  # the notification is older than the fingerprint's last resolution: ignore
    FLAPPING = "flapping"  # its last alert resolved less than FLAP_WINDOW before: re-open that one
    GROUP_CHANGED = "group-changed"  # the group it was to join no longer takes members: choose again


class AlertStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AlertStore:
        return cls(Table((settings or get_settings()).table_name))

    # ------------------------------------------------------------------ reading
    def get(self, alert_id: str) -> Alert | None:
        item = self.table.get(alert_pk(alert_id), ALERT_SK)
        return Alert.model_validate(item) if item else None

    def history(self, alert_id: str) -> list[AlertEvent]:
        """The alert's history, oldest first (what the incident timeline copies): its opening line, kept
        on the alert itself, then one item per later line."""
        events = []
        for item in self.table.query(alert_pk(alert_id)):
            if item["sk"] == ALERT_SK and item.get("opening"):
                events.append(AlertEvent.model_validate(item["opening"]))
            elif item["sk"].startswith(EVENT_PREFIX):
                events.append(AlertEvent.model_validate(item))
        return sorted(events, key=lambda e: e.at)

    def open_alert_id(self, fingerprint: str) -> str | None:
        return self.lock(fingerprint).get("alert_id")

    def lock(self, fingerprint: str) -> dict[str, Any]:
        """The fingerprint's lock: `alert_id` (open alert), `alarm_at` (newest ALARM time seen while it is
        open), `resolved_at` (newest recovery seen), `last_alert_id` (the alert it last resolved)."""
        return self.table.get(fingerprint_pk(fingerprint), LOCK_SK) or {}

    def list_open(self) -> list[Alert]:
        return [Alert.model_validate(item) for item in self.table.query(OPEN_ALERTS, index="gsi1")]

    def list_since(self, since: datetime) -> list[Alert]:
        """Alerts that started at or after `since`, open or closed, oldest first."""
        alerts = [
            Alert.model_validate(item)
            for status in (OPEN_ALERTS, CLOSED_ALERTS)
            for item in self.table.query(status, index="gsi1", sk_between=(iso(since), "~"))
        ]
        return sorted(alerts, key=lambda a: a.started_at)

    # ------------------------------------------------------------------ the validation step (Slack buttons)
    def acknowledge(self, alert_id: str, by: str, at: datetime, how: str = "") -> Alert:
        """Someone has seen it: re-paging stops. Acknowledging again changes nothing. `how` ends the
        history line when it was not Slack's button (" by link")."""

        def verdict(alert: Alert) -> tuple[dict[str, Any], str] | None:
            if alert.acknowledged_at is not None:
                return None
            changes: dict[str, Any] = {"acknowledged_by": by, "acknowledged_at": iso(at)}
            if alert.status == AlertStatus.OPEN:
                changes["status"] = AlertStatus.ACKNOWLEDGED.value
            return changes, f"acknowledged by <@{by}>{how}"

        return self._with_group(self._apply(alert_id, at, verdict), at, verdict)

    def mark_false_alarm(self, alert_id: str, by: str, at: datetime) -> Alert:
        """Not an incident: re-paging stops. The fingerprint stays locked until the alarm clears, so the
        same still-firing alarm does not page again."""

        def verdict(alert: Alert) -> tuple[dict[str, Any], str] | None:
            if alert.status == AlertStatus.FALSE_ALARM:
                return None
            changes: dict[str, Any] = {
                "status": AlertStatus.FALSE_ALARM.value,
                "false_alarm_by": by,
                "false_alarm_at": iso(at),
            }
            if alert.acknowledged_at is None:
                changes |= {"acknowledged_by": by, "acknowledged_at": iso(at)}
            return changes, f"marked a false alarm by <@{by}>"

        return self._with_group(self._apply(alert_id, at, verdict), at, verdict)

    def link_incident(self, alert_id: str, incident_id: str, at: datetime) -> None:
        def verdict(alert: Alert) -> tuple[dict[str, Any], str] | None:
            if alert.incident_id == incident_id:
                return None
            return {"incident_id": incident_id}, f"linked to incident {incident_id}"

        self._with_group(self._apply(alert_id, at, verdict), at, verdict)

    # ------------------------------------------------------------------ the router's writes
    def open(
        self,
        alert: Alert,
        opening: AlertEvent,
        pages: Iterable[Page],
        notification_id: str,
        join: dict[str, Any] | None = None,
    ) -> OpenOutcome:
        """Create the alert (with its opening history line), take its fingerprint's lock and write its
        page intents, in one transaction: all or nothing. `join`: the item adding it to a group
        (alerts/group_store.py join_item), written with it or not at all."""
        expires_at = alert_expires_at(alert)
        pk = alert_pk(alert.alert_id)
        items: list[dict[str, Any]] = [
            _put(
                self.table.name,
                model_item(
                    alert,
                    pk=pk,
                    sk=ALERT_SK,
                    gsi1pk=OPEN_ALERTS,
                    gsi1sk=f"{iso(alert.started_at)}#{alert.alert_id}",
                    last_notification=notification_id,
                    last_seen=iso(alert.last_seen),
                    opening=opening.model_dump(mode="json"),
                    announced=False,
                    expires_at=expires_at,
                ),
            ),
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": serialize({"pk": fingerprint_pk(alert.fingerprint), "sk": LOCK_SK}),
                    # The lock expires with its alert, never after it (a lock pointing at nothing).
                    "UpdateExpression": "SET alert_id = :id, opened_at = :started, alarm_at = :started, "
                    "expires_at = :expires",
                    # One open alert per fingerprint; nothing older than its last recovery opens one; back
                    # in ALARM within FLAP_WINDOW of that recovery re-opens the last alert (FLAPPING).
                    "ConditionExpression": "attribute_not_exists(alert_id) "
                    "AND (attribute_not_exists(resolved_at) OR resolved_at < :started) "
                    "AND (attribute_not_exists(last_alert_id) OR resolved_at < :flap_from)",
                    "ExpressionAttributeValues": serialize(
                        {
                            ":id": alert.alert_id,
                            ":started": iso(alert.started_at),
                            ":flap_from": iso(alert.started_at - FLAP_WINDOW),
                            ":expires": expires_at,
                        }
                    ),
                }
            },
        ]
        items += [_put(self.table.name, page_item(page, expires_at)) for page in pages]
        if join is not None:
            items.append(join)
        reasons = self._transact(items)
        if reasons is None:
            return OpenOutcome.OPENED
        if (
            reasons[1] != "ConditionalCheckFailed"
            and join is not None
            and reasons[-1] == "ConditionalCheckFailed"
        ):
            return OpenOutcome.GROUP_CHANGED
        if reasons[1] != "ConditionalCheckFailed":
            raise RuntimeError(f"creating alert {alert.alert_id} was refused: {reasons}")
        lock = self.lock(alert.fingerprint)
        if lock.get("alert_id"):
            return OpenOutcome.EXISTS
        if lock.get("resolved_at", "") >= iso(alert.started_at):
            return OpenOutcome.STALE
        return OpenOutcome.FLAPPING

    def record_alarm(self, fingerprint: str, alert_id: str, at: datetime) -> bool:
        """Note a newer ALARM time on the open alert's lock (a recovery older than it resolves nothing).
        False if the lock no longer belongs to `alert_id` (it was resolved meanwhile)."""
        try:
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": fingerprint_pk(fingerprint), "sk": LOCK_SK}),
                UpdateExpression="SET alarm_at = :at",
                ConditionExpression="alert_id = :id AND (attribute_not_exists(alarm_at) OR alarm_at < :at)",
                ExpressionAttributeValues=serialize({":id": alert_id, ":at": iso(at)}),
            )
        except self.table.dynamodb.exceptions.ConditionalCheckFailedException:
            return self.open_alert_id(fingerprint) == alert_id
        return True

    def record_recovery(self, fingerprint: str, at: datetime, now: datetime) -> bool:
        """A recovery with no open alert (it came before its ALARM, or after a newer recovery): keep the
        newest, so an ALARM older than it opens nothing. True if it is now the newest recorded. It is no
        alert's recovery, so an ALARM soon after it is no flapping of the last alert (that one is let go)."""
        try:
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": fingerprint_pk(fingerprint), "sk": LOCK_SK}),
                UpdateExpression="SET resolved_at = :at, expires_at = :expires REMOVE last_alert_id",
                ConditionExpression="attribute_not_exists(alert_id) "
                "AND (attribute_not_exists(resolved_at) OR resolved_at < :at)",
                ExpressionAttributeValues=serialize(
                    {":at": iso(at), ":expires": int((now + KEEP_LAST_RESOLVED).timestamp())}
                ),
            )
        except self.table.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_dangling(self, fingerprint: str, alert_id: str, now: datetime) -> None:
        """The lock names an alert that no longer exists (expired): release it, so the fingerprint can
        open alerts again. Conditional on it still naming that alert."""
        with contextlib.suppress(self.table.dynamodb.exceptions.ConditionalCheckFailedException):
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": fingerprint_pk(fingerprint), "sk": LOCK_SK}),
                UpdateExpression="REMOVE alert_id, alarm_at SET expires_at = :expires",
                ConditionExpression="alert_id = :id",
                ExpressionAttributeValues=serialize(
                    {":id": alert_id, ":expires": int((now + KEEP_LAST_RESOLVED).timestamp())}
                ),
            )

    def reopen(self, fingerprint: str, alarm_at: datetime, line: AlertEvent) -> Alert | None:
        """Back in ALARM within FLAP_WINDOW of its last recovery: the fingerprint's last alert is open again
        (no new alert, no new page), with `line` in its history; in one transaction over the lock and the
        alert as read. None if that is no longer possible (a concurrent change): the caller opens anew."""
        for _ in range(_TRANSACTION_ATTEMPTS):
            lock = self.lock(fingerprint)
            last = lock.get("last_alert_id")
            alert = self.get(last) if last and not lock.get("alert_id") else None
            if alert is None or alert.resolved_at is None:
                return None
            status = (
                AlertStatus.FALSE_ALARM
                if alert.status == AlertStatus.FALSE_ALARM
                else (AlertStatus.ACKNOWLEDGED if alert.acknowledged_at else AlertStatus.OPEN)
            )
            items = [
                _update_alert(self.table.name, alert, {"status": status.value, "gsi1pk": OPEN_ALERTS}),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": serialize({"pk": fingerprint_pk(fingerprint), "sk": LOCK_SK}),
                        "UpdateExpression": "SET alert_id = :id, alarm_at = :at, expires_at = :expires",
                        "ConditionExpression": "attribute_not_exists(alert_id) AND resolved_at = :read",
                        "ExpressionAttributeValues": serialize(
                            {
                                ":id": alert.alert_id,
                                ":at": iso(alarm_at),
                                ":read": lock["resolved_at"],
                                ":expires": alert_expires_at(alert),
                            }
                        ),
                    }
                },
                _put(
                    self.table.name,
                    _event_item(alert_pk(alert.alert_id), line, alert_expires_at(alert)),
                    condition=None,
                ),
            ]
            items[0]["Update"]["UpdateExpression"] += " REMOVE resolved_at"
            if self._transact(items) is None:
                return alert.model_copy(update={"status": status, "resolved_at": None})
        return None

    def record_repeat(self, alert_id: str, seen_at: datetime, notification_id: str) -> Alert:
        """Count another notification of an open alert; the same notification is counted once."""
        key = serialize({"pk": alert_pk(alert_id), "sk": ALERT_SK})
        values = {":one": 1, ":nid": notification_id, ":seen": iso(seen_at)}
        attempts = (
            ("SET last_seen = :seen, last_notification = :nid ADD #count :one", "last_seen < :seen"),
            ("SET last_notification = :nid ADD #count :one", None),
        )
        for update, extra_condition in attempts:
            condition = "attribute_exists(pk) AND last_notification <> :nid"
            if extra_condition:
                condition += f" AND {extra_condition}"
            try:
                response = self.table.dynamodb.update_item(
                    TableName=self.table.name,
                    Key=key,
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#count": "count"},
                    ExpressionAttributeValues=serialize(
                        {k: v for k, v in values.items() if k in update or k in condition}
                    ),
                    ReturnValues="ALL_NEW",
                )
                return Alert.model_validate(deserialize(response["Attributes"]))
            except self.table.dynamodb.exceptions.ConditionalCheckFailedException:
                continue
        return self._require(alert_id)  # already counted (or the alert vanished: _require says so)

    def resolve(self, alert_id: str, at: datetime, what: str, now: datetime | None = None) -> Alert | None:
        """Close the alert (its recovery came at `at`) and release its fingerprint. None if it was already
        resolved; OlderThanAlarm if the fingerprint saw an ALARM newer than `at`."""
        return self._close(alert_id, at, AlertEvent(at=at, what=what), now or at, after_alarm=True)

    def close_unrecovered(
        self, alert_id: str, last_heard: datetime, line: AlertEvent, now: datetime | None = None
    ) -> Alert | None:
        """Close an alert whose recovery never arrived (see AlertRouter's staleness rule): resolved as of
        the last time it was heard of, with `line` saying so. None if it was already resolved."""
        return self._close(alert_id, last_heard, line, now or last_heard, after_alarm=False)

    def promote(self, promoted: Alert, line: AlertEvent, pages: Iterable[Page]) -> bool:
        """A recorded-only alert turns out to be an incident alarm (its incident-topic notification came
        after the EventBridge one). `promoted` carries the policy's new routing (`pages`, `reason`): the
        flag, the routing, the history line and the page intents are written in one transaction, so no
        crash can leave it promoted without its pages. True for the one caller that made the change."""
        expires_at = alert_expires_at(promoted)
        items = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": serialize({"pk": alert_pk(promoted.alert_id), "sk": ALERT_SK}),
                    "UpdateExpression": "SET incident_alarm = :yes, pages = :pages, reason = :reason",
                    "ConditionExpression": "incident_alarm = :no",
                    "ExpressionAttributeValues": serialize(
                        {":yes": True, ":no": False, ":pages": promoted.pages, ":reason": promoted.reason}
                    ),
                }
            },
            _put(self.table.name, _event_item(alert_pk(promoted.alert_id), line, expires_at), condition=None),
        ]
        items += [_put(self.table.name, page_item(page, expires_at)) for page in pages]
        return self._transact(items) is None

    def mark_announced(self, alert_id: str) -> None:
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=serialize({"pk": alert_pk(alert_id), "sk": ALERT_SK}),
            UpdateExpression="SET announced = :yes",
            ExpressionAttributeValues=serialize({":yes": True}),
        )

    def is_announced(self, alert_id: str) -> bool:
        item = self.table.get(alert_pk(alert_id), ALERT_SK)
        return bool(item and item.get("announced"))

    def set_channel_post(self, alert_id: str, channel: str, ts: str) -> None:
        """Remember the alert's first post in the incidents channel (resolutions reply in its thread)."""
        # Only the first post becomes the alert's thread; later pages' posts leave it as it is.
        with contextlib.suppress(self.table.dynamodb.exceptions.ConditionalCheckFailedException):
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": alert_pk(alert_id), "sk": ALERT_SK}),
                UpdateExpression="SET slack_channel = :channel, slack_ts = :ts",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(slack_ts)",
                ExpressionAttributeValues=serialize({":channel": channel, ":ts": ts}),
            )

    def add_event(self, alert_id: str, event: AlertEvent) -> None:
        alert = self._require(alert_id)
        self.table.dynamodb.put_item(
            TableName=self.table.name, Item=_event_item(alert_pk(alert_id), event, alert_expires_at(alert))
        )

    # ------------------------------------------------------------------ groups (alerts/grouping.py)
    def _with_group(
        self, alert: Alert, at: datetime, verdict: Callable[[Alert], tuple[dict[str, Any], str] | None]
    ) -> Alert:
        """A button on a group's page acts on every member. Idempotent: clicking again (after a crash
        part-way) finishes the members still missing, and a member already changed is left as it is."""
        if alert.group_id != alert.alert_id:
            return alert
        for member_id in sorted(set(alert.members) - {alert.alert_id}):
            with contextlib.suppress(AlertNotFound):  # expired before its leader
                self._apply(member_id, at, verdict)
        return alert

    # ------------------------------------------------------------------ internals
    def _require(self, alert_id: str) -> Alert:
        alert = self.get(alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        return alert

    def _apply(
        self,
        alert_id: str,
        at: datetime,
        verdict: Callable[[Alert], tuple[dict[str, Any], str] | None],
    ) -> Alert:
        """Apply a change and its history line together, only over the alert as read; if someone changed
        it in between, read again and re-judge (a few times, then give up loudly)."""
        for _ in range(_TRANSACTION_ATTEMPTS):
            alert = self._require(alert_id)
            judged = verdict(alert)
            if judged is None:
                return alert
            changes, what = judged
            items = [
                _update_alert(self.table.name, alert, changes),
                _put(
                    self.table.name,
                    _event_item(alert_pk(alert_id), AlertEvent(at=at, what=what), alert_expires_at(alert)),
                    condition=None,
                ),
            ]
            if self._transact(items) is None:
                return self._require(alert_id)
        raise RuntimeError(f"alert {alert_id} kept changing while updating it; try again")

    def _close(
        self, alert_id: str, resolved_at: datetime, line: AlertEvent, now: datetime, after_alarm: bool
    ) -> Alert | None:
        """Resolve the alert and release its fingerprint's lock, with its history line, in one transaction
        over the alert as read. An acknowledgement or false-alarm mark landing in between makes the
        transaction fail: read again and retry (a few times, then give up loudly: Lambda retries), so a
        recovery is never dropped and the lock never stays taken by a resolved problem."""
        for _ in range(_TRANSACTION_ATTEMPTS):
            alert = self._require(alert_id)
            if alert.resolved_at is not None:
                return None
            condition, values = "alert_id = :id", {":id": alert_id}
            if after_alarm:
                alarm_at = self.lock(alert.fingerprint).get("alarm_at")
                if alarm_at and alarm_at >= iso(resolved_at):
                    raise OlderThanAlarm(f"recovery at {iso(resolved_at)} is older than ALARM at {alarm_at}")
                condition += " AND (attribute_not_exists(alarm_at) OR alarm_at < :at)"
            status = alert.status if alert.status == AlertStatus.FALSE_ALARM else AlertStatus.RESOLVED
            items = [
                _update_alert(
                    self.table.name,
                    alert,
                    {"status": status.value, "resolved_at": iso(resolved_at), "gsi1pk": CLOSED_ALERTS},
                ),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": serialize({"pk": fingerprint_pk(alert.fingerprint), "sk": LOCK_SK}),
                        "UpdateExpression": "REMOVE alert_id, alarm_at "
                        "SET resolved_at = :at, expires_at = :expires, last_alert_id = :id",
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": serialize(
                            {
                                **values,
                                ":at": iso(resolved_at),
                                ":expires": int((now + KEEP_LAST_RESOLVED).timestamp()),
                            }
                        ),
                    }
                },
                _put(
                    self.table.name,
                    _event_item(alert_pk(alert_id), line, alert_expires_at(alert)),
                    condition=None,
                ),
            ]
            if self._transact(items) is None:
                return alert.model_copy(update={"status": status, "resolved_at": resolved_at})
        raise RuntimeError(f"alert {alert_id} kept changing while resolving it; try again")

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Run a transaction; None on success, else the per-item cancellation reasons. Conflicts with a
        concurrent transaction are retried (a short, bounded backoff)."""
        client = self.table.dynamodb
        for attempt in range(_TRANSACTION_ATTEMPTS):
            try:
                client.transact_write_items(TransactItems=items)
                return None
            except client.exceptions.TransactionCanceledException as error:
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                if "TransactionConflict" in reasons and attempt + 1 < _TRANSACTION_ATTEMPTS:
                    time.sleep(0.02 * 2**attempt)
                    continue
                if "ConditionalCheckFailed" in reasons:
                    return reasons
                raise
            except client.exceptions.TransactionConflictException:
                if attempt + 1 == _TRANSACTION_ATTEMPTS:
                    raise
                time.sleep(0.02 * 2**attempt)
        raise RuntimeError("unreachable")


def _put(table: str, item: dict[str, Any], condition: str | None = "attribute_not_exists(pk)") -> dict:
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _update_alert(table: str, alert: Alert, changes: dict[str, Any]) -> dict:
    """An Update of the ALERT item, conditional on it still being in the status and ack state we read."""
    names = {f"#f{i}": name for i, name in enumerate(changes)}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    condition = "#status = :read_status AND "
    if alert.acknowledged_at is None:
        condition += "attribute_not_exists(acknowledged_at)"
    else:
        condition += "acknowledged_at = :read_ack"
        values[":read_ack"] = iso(alert.acknowledged_at)
    names["#status"] = "status"
    values[":read_status"] = alert.status.value
    return {
        "Update": {
            "TableName": table,
            "Key": serialize({"pk": alert_pk(alert.alert_id), "sk": ALERT_SK}),
            "UpdateExpression": "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
        }
    }


def _event_item(pk: str, event: AlertEvent, expires_at: int) -> dict[str, Any]:
    return serialize(
        {
            "pk": pk,
            "sk": event_sk(event.at, event.what),
            "at": iso(event.at),
            "what": event.what,
            "expires_at": expires_at,
        }
    )
