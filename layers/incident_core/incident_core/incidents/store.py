"""Incidents, their timelines and thread lookups in the suite's table.

Items (single table):
- `INCIDENT#<id>` / `INCIDENT`: the incident; gsi1 `INCIDENTS#open` or `INCIDENTS#resolved` / declared at,
  so open incidents are one small query and "since" listings one range query per partition.
- `INCIDENT#<id>` / `TL#<time>#<key>`: a timeline entry, ordered by time.
- `INCIDENT#<id>` / `KEY#<key>`: the entry's key guard. It is written in the same transaction as the
  entry, so an entry with a given key exists at most once whatever its time says (Slack's retried
  deliveries, Lambda's retried invocations); it also remembers whether the entry was announced.
- `THREAD#<channel>#<ts>` / `THREAD`: which incident a Slack thread belongs to.

Every write is conditional: an incident is created once, updated only over the version it was read at,
and a thread is linked once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from incident_core.adapters.dynamo import Table, model_item, serialize
from incident_core.alerts.keys import iso
from incident_core.models import Incident, TimelineEntry

INCIDENT_SK = "INCIDENT"
OPEN_PARTITION = "INCIDENTS#open"
RESOLVED_PARTITION = "INCIDENTS#resolved"
# DynamoDB takes at most 100 items per transaction; two per timeline entry plus the incident.
MAX_ENTRIES_PER_CREATE = 45
_MODEL_ONLY = ("pk", "sk", "gsi1pk", "gsi1sk")


class IncidentExists(Exception):
    """create() for an id that is already taken."""


class IncidentConflict(Exception):
    """update() over a version somebody else has changed since it was read."""


class EntryExists(Exception):
    """update() with a timeline entry whose key is already taken: an earlier attempt made the change."""


class ThreadTaken(Exception):
    """link_thread() for a thread (or an incident) that is already linked."""


def incident_pk(incident_id: str) -> str:
    return f"INCIDENT#{incident_id}"


def thread_pk(channel: str, thread_ts: str) -> str:
    return f"THREAD#{channel}#{thread_ts}"


def _is_condition_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


class IncidentStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    @classmethod
    def from_settings(cls, settings: Any | None = None) -> IncidentStore:
        from incident_core.settings import get_settings

        return cls(Table((settings or get_settings()).table_name))

    # ------------------------------------------------------------------ incidents
    def _incident_item(self, incident: Incident) -> dict[str, Any]:
        partition = OPEN_PARTITION if incident.is_open else RESOLVED_PARTITION
        return model_item(
            incident,
            pk=incident_pk(incident.incident_id),
            sk=INCIDENT_SK,
            gsi1pk=partition,
            gsi1sk=f"{iso(incident.declared_at)}#{incident.incident_id}",
        )

    def create(self, incident: Incident, timeline: Iterable[TimelineEntry] = ()) -> None:
        """Store a new incident and its first timeline entries, all or nothing.

        Raises IncidentExists if the id is taken (a second click on "Real incident").
        """
        entries = list(timeline)
        if len(entries) > MAX_ENTRIES_PER_CREATE:
            raise ValueError(f"at most {MAX_ENTRIES_PER_CREATE} timeline entries can be created at once")
        incident.version = 0
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": self._incident_item(incident),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        for entry in entries:
            items.extend(self._entry_puts(entry))
        try:
            self.table.dynamodb.transact_write_items(TransactItems=items)
        except Exception as error:
            if _is_condition_failure(error) and self.get(incident.incident_id) is not None:
                raise IncidentExists(incident.incident_id) from error
            raise

    def get(self, incident_id: str) -> Incident | None:
        item = self.table.get(incident_pk(incident_id), INCIDENT_SK)
        return _incident(item) if item else None

    def update(self, incident: Incident, entry: TimelineEntry | None = None) -> None:
        """Write the incident over the version it was read at; the passed model gets the new version.
        With `entry`, its timeline entry (and key guard) is written in the same transaction: the change
        and its record exist together or not at all.

        Raises IncidentConflict when the stored version moved on (re-read and apply again; see change()),
        EntryExists when `entry`'s key is already taken (the change was made by an earlier attempt).
        """
        item = self._incident_item(incident.model_copy(update={"version": incident.version + 1}))
        put = {
            "TableName": self.table.name,
            "Item": item,
            "ConditionExpression": "attribute_exists(pk) AND #version = :read",
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": serialize({":read": incident.version}),
        }
        try:
            if entry is None:
                self.table.dynamodb.put_item(**put)
            else:
                self.table.dynamodb.transact_write_items(
                    TransactItems=[{"Put": put}, *self._entry_puts(entry)]
                )
        except Exception as error:
            if not _is_condition_failure(error):
                raise
            if entry is not None and self.has_entry(entry.incident_id, entry.key):
                raise EntryExists(entry.key) from error
            raise IncidentConflict(incident.incident_id) from error
        incident.version += 1

    def change(
        self,
        incident_id: str,
        mutate: Callable[[Incident], bool | None],
        attempts: int = 5,
        entry: TimelineEntry | None = None,
    ) -> Incident | None:
        """Read, apply `mutate`, write (with `entry`, atomically: see update()); again on a conflict.
        `mutate` returning False writes nothing (not the entry either).

        Returns the incident as stored afterwards, or None if there is no such incident.
        """
        for _ in range(attempts):
            incident = self.get(incident_id)
            if incident is None:
                return None
            if mutate(incident) is False:
                return incident
            try:
                self.update(incident, entry)
                return incident
            except IncidentConflict:
                continue
        raise IncidentConflict(f"{incident_id}: still changing after {attempts} attempts")

    def list_open(self) -> list[Incident]:
        return [_incident(item) for item in self.table.query(OPEN_PARTITION, index="gsi1")]

    def list_since(self, since: datetime) -> list[Incident]:
        """Incidents declared at or after `since` (open and resolved), oldest first."""
        low = iso(since)
        found = [
            _incident(item)
            for partition in (OPEN_PARTITION, RESOLVED_PARTITION)
            for item in self.table.query(partition, index="gsi1", sk_between=(low, "~"))
        ]
        return sorted(found, key=lambda incident: (incident.declared_at, incident.incident_id))

    # ------------------------------------------------------------------ threads
    def link_thread(self, incident_id: str, channel: str, thread_ts: str) -> Incident:
        """Record the incident's thread (its root message) and the lookup from the thread, atomically."""
        incident = self.get(incident_id)
        if incident is None:
            raise KeyError(f"no incident {incident_id}")
        if incident.thread_ts:
            raise ThreadTaken(f"{incident_id} already has thread {incident.channel}/{incident.thread_ts}")
        linked = incident.model_copy(update={"channel": channel, "thread_ts": thread_ts})
        item = self._incident_item(linked.model_copy(update={"version": incident.version + 1}))
        try:
            self.table.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": item,
                            "ConditionExpression": "#version = :read AND attribute_not_exists(thread_ts)",
                            "ExpressionAttributeNames": {"#version": "version"},
                            "ExpressionAttributeValues": serialize({":read": incident.version}),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": serialize(
                                {
                                    "pk": thread_pk(channel, thread_ts),
                                    "sk": "THREAD",
                                    "incident_id": incident_id,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except Exception as error:
            if _is_condition_failure(error):
                raise ThreadTaken(f"{incident_id}: thread {channel}/{thread_ts} not linked") from error
            raise
        linked.version = incident.version + 1
        return linked

    def by_thread(self, channel: str, thread_ts: str) -> str | None:
        item = self.table.get(thread_pk(channel, thread_ts), "THREAD", consistent=False)
        return item["incident_id"] if item else None

    # ------------------------------------------------------------------ timeline
    def _entry_puts(self, entry: TimelineEntry) -> list[dict[str, Any]]:
        pk = incident_pk(entry.incident_id)
        entry_sk = f"TL#{iso(entry.at)}#{entry.key}"
        # Same fixed-width form as later edits write, so "older edit" comparisons hold.
        edited = {"edited_at": iso(entry.edited_at)} if entry.edited_at else {}
        return [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": serialize({"pk": pk, "sk": f"KEY#{entry.key}", "entry_sk": entry_sk}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self.table.name, "Item": model_item(entry, pk=pk, sk=entry_sk, **edited)}},
        ]

    def add_timeline(self, entry: TimelineEntry) -> bool:
        """Add an entry once per key; False (and nothing written) if its key already exists."""
        try:
            self.table.dynamodb.transact_write_items(TransactItems=self._entry_puts(entry))
        except Exception as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        items = self.table.query(incident_pk(incident_id), "TL#")
        return [TimelineEntry.model_validate(_without_keys(item)) for item in items]

    def _entry_sk(self, incident_id: str, key: str) -> str | None:
        guard = self.table.get(incident_pk(incident_id), f"KEY#{key}")
        return guard["entry_sk"] if guard else None

    def edit_timeline(self, incident_id: str, key: str, text: str, edited_at: datetime) -> bool:
        """Follow an edit. Older edits delivered late never overwrite newer ones; deleted stays deleted."""
        return self._change_entry(incident_id, key, {"text": text, "edited_at": iso(edited_at)}, edited_at)

    def delete_timeline(self, incident_id: str, key: str, deleted_at: datetime) -> bool:
        """Follow a deletion: the entry stays (it happened) but its text is dropped, as its author asked."""
        return self._change_entry(
            incident_id, key, {"text": "", "deleted": True, "edited_at": iso(deleted_at)}, None
        )

    def _change_entry(
        self, incident_id: str, key: str, values: dict[str, Any], edited_at: datetime | None
    ) -> bool:
        entry_sk = self._entry_sk(incident_id, key)
        if entry_sk is None:
            return False
        names = {f"#{name}": name for name in (*values, "deleted", "edited_at")}
        expression_values = {f":{name}": value for name, value in values.items()}
        condition = "attribute_exists(pk) AND (attribute_not_exists(#deleted) OR #deleted = :false)"
        expression_values[":false"] = False
        if edited_at is not None:
            condition += " AND (attribute_not_exists(#edited_at) OR #edited_at < :edited_at)"
        try:
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": incident_pk(incident_id), "sk": entry_sk}),
                UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(expression_values),
            )
        except Exception as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def has_entry(self, incident_id: str, key: str) -> bool:
        return self._entry_sk(incident_id, key) is not None

    def is_announced(self, incident_id: str, key: str) -> bool:
        guard = self.table.get(incident_pk(incident_id), f"KEY#{key}")
        return bool(guard and guard.get("announced"))

    def claim_announcement(self, incident_id: str, key: str) -> bool:
        """True exactly once per timeline entry: whoever gets it posts the entry in the thread."""
        try:
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": incident_pk(incident_id), "sk": f"KEY#{key}"}),
                UpdateExpression="SET announced = :true",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(announced)",
                ExpressionAttributeValues=serialize({":true": True}),
            )
        except Exception as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def release_announcement(self, incident_id: str, key: str) -> None:
        """Give a claim back (its post failed), so a retried delivery posts the entry."""
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=serialize({"pk": incident_pk(incident_id), "sk": f"KEY#{key}"}),
            UpdateExpression="REMOVE announced",
            ConditionExpression="attribute_exists(pk)",
        )


def _without_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _MODEL_ONLY}


def _incident(item: dict[str, Any]) -> Incident:
    return Incident.model_validate(_without_keys(item))
