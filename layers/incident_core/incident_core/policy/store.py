"""Traction windows and silences (maintenance windows), stored in the suite's table.

Keys: POLICY / TRACTION#<window_id> and POLICY / SILENCE#<silence_id>, so one query reads everything the
paging decision needs. Items expire (TTL `expires_at`) a while after they end; they stay readable as
history until then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incident_core.adapters.dynamo import Table, deserialize, model_item, serialize
from incident_core.alerts.keys import iso
from incident_core.ids import new_id
from incident_core.models.windows import Silence, TractionWindow
from incident_core.policy.model import Policy, SilenceLimits, TractionLimits, load_policy
from incident_core.settings import Settings, get_settings
from incident_core.text import MAX_LABEL, too_long

PARTITION = "POLICY"
TRACTION = "TRACTION#"
SILENCE = "SILENCE#"
KEEP_AFTER_END = timedelta(days=90)


ROLLING = timedelta(days=30)


class PolicyError(ValueError):
    """A request the policy store refuses, with the reason in words."""


class PolicyStore:
    """Limits on what one person can switch off or on (the policy's `silences` and `traction`); Slack and
    incidentctl both come through this store. `journeys` and `alarm_prefix` say what "every incident
    alarm" is, which no silence may cover."""

    def __init__(
        self,
        table: Table,
        silence_limits: SilenceLimits | None = None,
        traction_limits: TractionLimits | None = None,
        journeys: Sequence[str] = (),
        alarm_prefix: str = "incident-",
    ) -> None:
        self.table = table
        self.silence_limits = silence_limits or SilenceLimits()
        self.traction_limits = traction_limits or TractionLimits()
        self.journeys = list(journeys)
        self.alarm_prefix = alarm_prefix

    @classmethod
    def from_settings(cls, settings: Settings | None = None, policy: Policy | None = None) -> PolicyStore:
        settings = settings or get_settings()
        if policy is None and Path(settings.policy_file).is_file():
            policy = load_policy(settings.policy_file)
        return cls(
            Table(settings.table_name),
            policy.silences if policy else None,
            policy.traction if policy else None,
            journeys=journey_names(settings.journeys_file),
            alarm_prefix=settings.incident_alarm_prefix,
        )

    # ------------------------------------------------------------------ traction windows
    def add_traction(
        self,
        start: datetime,
        end: datetime,
        label: str,
        by: str | None,
        now: datetime,
        key: str | None = None,
    ) -> TractionWindow:
        """`key` names the request (Slack's trigger): the same request again adds nothing (PolicyError)."""
        window_id = self._new_id("tw", TRACTION, key, now)
        if not label.strip():
            raise PolicyError("a traction window needs a label (what the traction is for)")
        if problem := too_long("the traction label", label, MAX_LABEL):
            raise PolicyError(problem)
        limits = self.traction_limits
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            raise PolicyError(
                f"traction window '{label}': end {end.isoformat()} is not after start {start.isoformat()}"
            )
        if end <= now:
            raise PolicyError(f"traction window '{label}' ends at {end.isoformat()}, which is already past")
        if end - start > timedelta(days=limits.max_days):
            raise PolicyError(
                f"a traction moment lasts at most {limits.max_days} days; add another when it ends"
            )
        if start > now + timedelta(days=limits.horizon_days):
            raise PolicyError(
                f"a traction moment must start within {limits.horizon_days} days (this one starts "
                f"{start.isoformat()}); add it nearer the time"
            )
        window = TractionWindow(window_id=window_id, start=start, end=end, label=label.strip(), created_by=by)
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
    def add_silence(
        self, match: str, end: datetime, reason: str, by: str | None, now: datetime, key: str | None = None
    ) -> Silence:
        """`key` names the request (Slack's trigger): the same request again adds nothing (PolicyError)."""
        silence_id = self._new_id("si", SILENCE, key, now)
        if not match.strip():
            raise PolicyError("a silence needs a journey or alarm name to match ('name' or 'prefix*')")
        match = match.strip()
        self._check_match(match)
        if problem := too_long("the silence reason", reason, MAX_LABEL):
            raise PolicyError(problem)
        limits = self.silence_limits
        end = _utc(end, "end")
        if end <= now:
            raise PolicyError(f"silence for '{match}' would end at {end.isoformat()}, which is already past")
        if end - now > timedelta(days=limits.max_days):
            raise PolicyError(f"a silence lasts at most {limits.max_days} days; add another when it ends")
        stored = [Silence.model_validate(item) for item in self.table.query(PARTITION, SILENCE)]
        active = [s for s in stored if s.end > now]
        if len(active) >= limits.max_active:
            raise PolicyError(
                f"{len(active)} silences are active, the most the policy allows ({limits.max_active}); "
                "end one first (`silence list`)"
            )
        targets = self._targets(match)
        window_start = now - ROLLING
        used = sum(
            (
                _overlap(s.start, s.end, window_start, max(end, s.end))
                for s in stored
                if self._targets(s.match) & targets
            ),
            timedelta(),
        )
        cap = timedelta(days=limits.max_days_per_30_days)
        if used + (end - now) > cap:
            raise PolicyError(
                f"'{match}' has been silenced for {_hours(used)} in the last 30 days (with those still "
                f"running); another {_hours(end - now)} would pass the policy's "
                f"{limits.max_days_per_30_days} days in any 30: fix what keeps alerting instead"
            )
        silence = Silence(
            silence_id=silence_id,
            match=match,
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
    def _check_match(self, match: str) -> None:
        if not match:
            raise PolicyError("a silence needs a journey or alarm name to match ('name' or 'prefix*')")
        prefix = match.rstrip("*")
        if "*" in prefix:
            raise PolicyError(f"'{match}': a '*' may only end a name, like 'bookshop-*'")
        if not match.endswith("*"):
            return
        minimum = self.silence_limits.min_prefix
        covers_all_journeys = len(self.journeys) > 1 and all(j.startswith(prefix) for j in self.journeys)
        if len(prefix) < minimum or self.alarm_prefix.startswith(prefix) or covers_all_journeys:
            raise PolicyError(
                f"'{match}' would silence every alert (all incident alarms or all journeys): name one (a "
                f"'*' may end a name of at least {minimum} characters narrower than all, like 'bookshop-*')"
            )

    def _targets(self, match: str) -> set[str]:
        """The journeys a match silences, or the match itself (an alarm name or an unknown journey)."""
        probe = Silence(silence_id="-", match=match, start=datetime.min, end=datetime.max, reason="")
        return {name for name in self.journeys if probe.matches(name)} or {match}

    def _new_id(self, prefix: str, kind: str, key: str | None, now: datetime) -> str:
        """A new id, or for a request key always the same one: a repeated request (Lambda's retry of a
        failed invocation, a replay within Slack's 5 minutes) is refused before it counts twice."""
        if key is None:
            return new_id(prefix, now)
        keyed = f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:18]}"
        if self.table.get(PARTITION, kind + keyed) is not None:
            raise PolicyError(
                f"this request already added `{keyed}` (it arrived twice); nothing more was done"
            )
        return keyed

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


def journey_names(path: str | Path) -> list[str]:
    """The journeys' names in the journeys file, or none when there is no file (incidentctl elsewhere)."""
    from incident_core.yaml_safe import YamlLimits, load_yaml

    path = Path(path)
    if not path.is_file():
        return []
    data = load_yaml(path.read_bytes(), str(path), YamlLimits())
    journeys = data.get("journeys") if isinstance(data, dict) else None
    return [str(j["name"]) for j in journeys or [] if isinstance(j, dict) and j.get("name")]


def _overlap(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> timedelta:
    return max(timedelta(), min(end, window_end) - max(start, window_start))


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.0f} h"


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None:
        raise PolicyError(f"{what} {at.isoformat()} has no time zone; give one (e.g. 2026-12-01T18:00:00Z)")
    return at.astimezone(UTC)
