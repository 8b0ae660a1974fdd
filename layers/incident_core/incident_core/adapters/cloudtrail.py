"""CloudTrail's event history (LookupEvents): the account's management writes of the last 90 days,
free and without a trail.

One lookup of the window's writes (`ReadOnly=false`, the only attribute: LookupEvents takes one), newest
first, 50 a page, at most MAX_PAGES pages; the deploy-like ones are kept (changes/cloudtrail.py). When
an alias moved in the window and its earlier version is not among them, one more lookup
(`EventName=UpdateAlias20150331`, then `CreateAlias20150331`, before the window) finds it. LookupEvents
allows 2 requests a second per account and region: botocore's retries absorb a throttle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from incident_core.adapters.aws import client
from incident_core.changes.cloudtrail import (
    Parsed,
    Record,
    changes_from,
    parse_events,
    previous_alias_version,
)
from incident_core.changes.model import Change

MAX_PAGES = 10  # 500 writes in the window; more is said, not hidden (`truncated`)
HISTORY_PAGES = 2
HISTORY = timedelta(days=90)


class CloudTrailChanges:
    def __init__(self, cloudtrail: Any | None = None, max_pages: int = MAX_PAGES) -> None:
        self._cloudtrail = cloudtrail
        self.max_pages = max_pages
        self.truncated = False
        self.skipped: dict[str, int] = {}

    @property
    def cloudtrail(self) -> Any:
        return self._cloudtrail or client("cloudtrail")

    def _lookup(
        self, attribute: tuple[str, str], start: datetime, end: datetime, pages: int
    ) -> tuple[list, bool]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": attribute[0], "AttributeValue": attribute[1]}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": 50,
        }
        for _ in range(pages):
            answer = self.cloudtrail.lookup_events(**kwargs)
            events.extend(answer.get("Events", []))
            if not answer.get("NextToken"):
                return events, False
            kwargs["NextToken"] = answer["NextToken"]
        return events, True

    def changed_between(self, start: datetime, end: datetime) -> list[Change]:
        events, self.truncated = self._lookup(("ReadOnly", "false"), start, end, self.max_pages)
        parsed = parse_events(events)
        self.skipped = parsed.skipped
        history = self._alias_history(parsed, start)
        return changes_from(parsed.records, history)

    def _alias_history(self, parsed: Parsed, start: datetime) -> list[Record]:
        """Older alias events, only when a move in the window does not say where the alias was."""
        moves = [r for r in parsed.records if r.name == "UpdateAlias"]
        if not moves or all(previous_alias_version(r, parsed.records) for r in moves):
            return []
        history: list[Record] = []
        for name in ("UpdateAlias20150331", "CreateAlias20150331"):
            events, _ = self._lookup(("EventName", name), start - HISTORY, start, HISTORY_PAGES)
            history.extend(parse_events(events).records)
            if all(previous_alias_version(r, parsed.records + history) for r in moves):
                break
        return history
