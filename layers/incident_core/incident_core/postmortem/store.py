"""What the compiler remembers per incident, and the journey results it reads.

`POSTMORTEM#<incident_id>` / `DOCUMENT`: the document's version number and content hash, what each
publisher last received, and the thread posts made once per incident (the document's link, the
post-mortem session proposal) and the one-off metrics. Each one-off step is claimed with a conditional
write before it is done and completed after, so a retried or doubled compilation never posts twice; a
claim older than `STALE_CLAIM` (a crash mid-step) may be taken again. A step given back after a
failure is marked tried: Slack may have posted it, so the retry looks in the thread before posting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from incident_core.adapters.dynamo import Table, deserialize, serialize
from incident_core.postmortem.journeys import JourneyRun, run_from_item

STALE_CLAIM = timedelta(minutes=5)
Step = Literal["link", "session", "metrics", "pictures"]


@dataclass
class PostmortemRecord:
    incident_id: str
    version: int = 0
    content_sha256: str | None = None
    published: dict[str, str] = field(default_factory=dict)  # publisher -> content sha256
    links: dict[str, str] = field(default_factory=dict)  # publisher -> link people can open
    resolved_by: str | None = None
    link_ts: str | None = None
    session_ts: str | None = None
    session_url: str | None = None
    metrics_at: str | None = None
    tried: set[str] = field(default_factory=set)  # steps an earlier attempt failed part-way

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PostmortemRecord:
        return cls(
            incident_id=item["incident_id"],
            version=int(item.get("version") or 0),
            content_sha256=item.get("content_sha256"),
            published=dict(item.get("published") or {}),
            links=dict(item.get("links") or {}),
            resolved_by=item.get("resolved_by"),
            link_ts=item.get("link_done"),
            session_ts=item.get("session_done"),
            session_url=item.get("session_url"),
            metrics_at=item.get("metrics_done"),
            tried={step for step in ("link", "session", "metrics") if item.get(f"{step}_tried")},
        )


def _is_condition_failure(error: Exception) -> bool:
    return getattr(error, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class PostmortemRecords:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _key(self, incident_id: str) -> dict[str, Any]:
        return serialize({"pk": f"POSTMORTEM#{incident_id}", "sk": "DOCUMENT"})

    def get(self, incident_id: str) -> PostmortemRecord:
        item = self.table.get(f"POSTMORTEM#{incident_id}", "DOCUMENT")
        return PostmortemRecord.from_item(item) if item else PostmortemRecord(incident_id)

    def record_version(self, incident_id: str, content_sha256: str, resolved_by: str | None) -> int:
        """The document's version number: one more only when its content changed."""
        sets = [
            "incident_id = :id",
            "content_sha256 = :sha",
            "published = if_not_exists(published, :empty)",
            "links = if_not_exists(links, :empty)",
        ]
        values: dict[str, Any] = {":id": incident_id, ":sha": content_sha256, ":one": 1}
        if resolved_by:
            sets.append("resolved_by = if_not_exists(resolved_by, :by)")
            values[":by"] = resolved_by
        try:
            response = self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=self._key(incident_id),
                UpdateExpression="SET " + ", ".join(sets) + " ADD version :one",
                ConditionExpression="attribute_not_exists(content_sha256) OR content_sha256 <> :sha",
                ExpressionAttributeValues=serialize(values) | {":empty": {"M": {}}},
                ReturnValues="ALL_NEW",
            )
        except Exception as error:
            if _is_condition_failure(error):
                return self.get(incident_id).version
            raise
        return int(deserialize(response["Attributes"])["version"])

    def record_published(
        self, incident_id: str, publisher: str, content_sha256: str, link: str | None
    ) -> None:
        values: dict[str, Any] = {":sha": content_sha256}
        expression = "SET published.#publisher = :sha"
        if link:
            expression += ", links.#publisher = :link"
            values[":link"] = link
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=self._key(incident_id),
            UpdateExpression=expression,
            ExpressionAttributeNames={"#publisher": publisher},
            ExpressionAttributeValues=serialize(values),
        )

    def claim(self, incident_id: str, step: Step, now: datetime) -> bool:
        """True if this caller may do `step` now: not done yet, and nobody else is doing it."""
        try:
            self.table.dynamodb.update_item(
                TableName=self.table.name,
                Key=self._key(incident_id),
                UpdateExpression="SET #claim = :now, incident_id = :id",
                ConditionExpression=(
                    "attribute_not_exists(#done) AND (attribute_not_exists(#claim) OR #claim < :stale)"
                ),
                ExpressionAttributeNames={"#claim": f"{step}_claimed", "#done": f"{step}_done"},
                ExpressionAttributeValues=serialize(
                    {
                        ":now": now.astimezone(UTC).isoformat(),
                        ":stale": (now - STALE_CLAIM).astimezone(UTC).isoformat(),
                        ":id": incident_id,
                    }
                ),
            )
        except Exception as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def complete(self, incident_id: str, step: Step, done: str, **extra: str) -> None:
        names = {"#claim": f"{step}_claimed", "#done": f"{step}_done"}
        values = {":done": done}
        sets = ["#done = :done"]
        for index, (name, value) in enumerate(extra.items()):
            names[f"#x{index}"] = name
            values[f":x{index}"] = value
            sets.append(f"#x{index} = :x{index}")
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=self._key(incident_id),
            UpdateExpression="SET " + ", ".join(sets) + " REMOVE #claim",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=serialize(values),
        )

    def release(self, incident_id: str, step: Step) -> None:
        """Give a claim back after failing the step, so the retry can do it (and knows it was tried)."""
        self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=self._key(incident_id),
            UpdateExpression="SET #tried = :yes REMOVE #claim",
            ExpressionAttributeNames={"#claim": f"{step}_claimed", "#tried": f"{step}_tried"},
            ExpressionAttributeValues=serialize({":yes": True}),
        )


class DynamoJourneyResults:
    """Journey runs (`JOURNEY#<name>` / `RUN#<iso>#<run_id>`) within a window: one key-range query."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def runs(self, journey: str, start: datetime, end: datetime) -> list[JourneyRun]:
        low = "RUN#" + start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        high = "RUN#" + end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "~"
        items = self.table.query(f"JOURNEY#{journey}", sk_between=(low, high))
        return [run_from_item(journey, item) for item in items]
