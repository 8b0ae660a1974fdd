"""Traction windows and silences (maintenance windows), stored in the suite's table.

Keys: POLICY / TRACTION#<window_id> and POLICY / SILENCE#<silence_id>, so one query reads everything the
paging decision needs. Items expire (TTL `expires_at`) a while after they end; they stay readable as
history until then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incident_core.adapters.dynamo import Table, deserialize, model_item, serialize
from incident_core.alerts.keys import iso
from incident_core.ids import new_id
from incident_core.models.windows import Silence, TractionWindow
from incident_core.settings import Settings, get_settings

PARTITION = "POLICY"
TRACTION = "TRACTION#"
SILENCE = "SILENCE#"
KEEP_AFTER_END = timedelta(days=90)


# Limits on what one person can switch off or on; Slack and incidentctl both come through this store.
MAX_SILENCE = timedelta(days=7)
MAX_TRACTION = timedelta(days=14)


class PolicyError(ValueError):
    """A request the policy store refuses, with the reason in words."""


class PolicyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PolicyStore:
        return cls(Table((settings or get_settings()).table_name))

    # ------------------------------------------------------------------ traction windows
    def add_traction(
        self, start: datetime, end: datetime, label: str, by: str | None, now: datetime
    ) -> TractionWindow:
        if not label.strip():
            raise PolicyError("a traction window needs a label (what the traction is for)")
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            raise PolicyError(
                f"traction window '{label}': end {end.isoformat()} is not after start {start.isoformat()}"
            )
        if end <= now:
            raise PolicyError(f"traction window '{label}' ends at {end.isoformat()}, which is already past")
        if end - start > MAX_TRACTION:
            raise PolicyError(
                f"a traction moment lasts at most {MAX_TRACTION.days} days; add another when it ends"
            )
        window = TractionWindow(
            window_id=new_id("tw", now), start=start, end=end, label=label.strip(), created_by=by
        )
        self._put(TRACTION + window.window_id, window, end)
        return window

    def list_traction(self, now: datetime, include_past: bool = False) -> list[TractionWindow]:
        windows = [TractionWindow.model_validate(item) for item in self.table.query(PARTITION, TRACTION)]
        if not include_past:
            windows = [w for w in windows if w.end > now]
        return sorted(windows, key=lambda w: w.start)

    def end_traction(self, window_id: str, now: datetime) -> TractionWindow:
        """End a window now; one that has not started yet is cancelled (removed)."""
        window = self._get(TRACTION + window_id, TractionWindow, "traction window")
        if window.end <= now:
            raise PolicyError(f"traction window {window_id} ('{window.label}') already ended at {window.end}")
        if window.start >= now:
            self._delete(TRACTION + window_id)
            return window
        return self._end_now(TRACTION + window_id, window, now)

    # ------------------------------------------------------------------ silences
    def add_silence(self, match: str, end: datetime, reason: str, by: str | None, now: datetime) -> Silence:
        if not match.strip():
            raise PolicyError("a silence needs a journey or alarm name to match ('name' or 'prefix*')")
        if not match.strip("* \t"):
            raise PolicyError(
                f"'{match}' would silence every alert: name a journey or alarm (a '*' may end a name, like "
                "'bookshop-*')"
            )
        end = _utc(end, "end")
        if end <= now:
            raise PolicyError(f"silence for '{match}' would end at {end.isoformat()}, which is already past")
        if end - now > MAX_SILENCE:
            raise PolicyError(f"a silence lasts at most {MAX_SILENCE.days} days; add another when it ends")
        silence = Silence(
            silence_id=new_id("si", now),
            match=match.strip(),
            start=now,
            end=end,
            reason=reason,
            created_by=by,
        )
        self._put(SILENCE + silence.silence_id, silence, end)
        return silence

    def list_silences(self, now: datetime) -> list[Silence]:
        """Silences that have not ended yet."""
        silences = [Silence.model_validate(item) for item in self.table.query(PARTITION, SILENCE)]
        return sorted((s for s in silences if s.end > now), key=lambda s: s.start)

    def end_silence(self, silence_id: str, now: datetime) -> Silence:
        silence = self._get(SILENCE + silence_id, Silence, "silence")
        if silence.end <= now:
            raise PolicyError(f"silence {silence_id} ('{silence.match}') already ended at {silence.end}")
        return self._end_now(SILENCE + silence_id, silence, now)

    # ------------------------------------------------------------------ for the paging decision
    def current(self, now: datetime) -> tuple[list[TractionWindow], list[Silence]]:
        """Traction windows and silences not yet ended, read with one query."""
        windows: list[TractionWindow] = []
        silences: list[Silence] = []
        for item in self.table.query(PARTITION):
            if item["sk"].startswith(TRACTION):
                windows.append(TractionWindow.model_validate(item))
            elif item["sk"].startswith(SILENCE):
                silences.append(Silence.model_validate(item))
        return [w for w in windows if w.end > now], [s for s in silences if s.end > now]

    # ------------------------------------------------------------------ internals
    def _put(self, sk: str, model: TractionWindow | Silence, end: datetime) -> None:
        expires_at = int((end + KEEP_AFTER_END).timestamp())
        self.table.dynamodb.put_item(
            TableName=self.table.name,
            Item=model_item(model, pk=PARTITION, sk=sk, expires_at=expires_at),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def _get[T: (TractionWindow, Silence)](self, sk: str, model: type[T], what: str) -> T:
        item = self.table.get(PARTITION, sk)
        if item is None:
            raise PolicyError(f"no {what} with id {sk.split('#', 1)[1]}")
        return model.model_validate(item)

    def _delete(self, sk: str) -> None:
        self.table.dynamodb.delete_item(TableName=self.table.name, Key=serialize({"pk": PARTITION, "sk": sk}))

    def _end_now[T: (TractionWindow, Silence)](self, sk: str, model: T, now: datetime) -> T:
        response = self.table.dynamodb.update_item(
            TableName=self.table.name,
            Key=serialize({"pk": PARTITION, "sk": sk}),
            UpdateExpression="SET #end = :now, expires_at = :expires",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#end": "end"},
            ExpressionAttributeValues=serialize(
                {":now": iso(now), ":expires": int((now + KEEP_AFTER_END).timestamp())}
            ),
            ReturnValues="ALL_NEW",
        )
        return type(model).model_validate(deserialize(response["Attributes"]))


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None:
        raise PolicyError(f"{what} {at.isoformat()} has no time zone; give one (e.g. 2026-12-01T18:00:00Z)")
    return at.astimezone(UTC)
