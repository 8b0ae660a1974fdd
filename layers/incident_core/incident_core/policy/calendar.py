"""Business days and hours in the team's time zone, with its public holidays: the policy file's
`time_zone`, `business_hours` and `holidays` (config/policy.yaml: Europe/London, England and Wales).

All instants are timezone-aware datetimes. Local wall-clock rules (09:00-17:30 in the policy's zone) are
applied with zoneinfo, so the daylight-saving changes move the UTC instants and nothing else. `holidays`
is imported on first use, not at import, and only the policy's country, to keep cold starts small.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Searching further than this for a business day means the calendar has none (a configuration error).
_MAX_SEARCH_DAYS = 366


class BusinessCalendar:
    """When the team works: weekdays and hours in `time_zone`, minus public holidays and closed days.
    The defaults live in one place, the policy file's model (incident_core.policy.model)."""

    def __init__(
        self,
        *,
        time_zone: str,
        days: Iterable[str],
        start: time,
        end: time,
        country: str,
        subdiv: str | None,
        closed_days: Iterable[date] = (),
    ) -> None:
        if end <= start:
            raise ValueError(f"business hours end {end} is not after their start {start}")
        self.zone = ZoneInfo(time_zone)
        self.weekdays = frozenset(WEEKDAYS.index(day) for day in days)
        if not self.weekdays:
            raise ValueError("business hours need at least one working day")
        self.start = start
        self.end = end
        self.country = country
        self.subdiv = subdiv
        self.closed_days = frozenset(closed_days)
        self._holidays_by_year: dict[int, dict[date, str]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ days
    def holiday_name(self, day: date) -> str | None:
        """The public holiday (or closed day) on `day`, if any."""
        if day in self.closed_days:
            return "closed day"
        return self._holidays(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and self.holiday_name(day) is None

    def add_business_days(self, day: date, n: int) -> date:
        """The business day `n` business days after `day` (before it if n < 0); n == 0 gives `day`."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        current = day
        while remaining:
            current += timedelta(days=step)
            if self.is_business_day(current):
                remaining -= 1
        return current

    # ------------------------------------------------------------------ instants
    def local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError(f"{at.isoformat()} has no time zone; give an aware datetime (e.g. UTC)")
        return at.astimezone(self.zone)

    def is_business_hours(self, at: datetime) -> bool:
        local = self.local(at)
        return self.is_business_day(local.date()) and self.start <= local.time() < self.end

    def next_business_start(self, at: datetime) -> datetime:
        """The first start of a business period strictly after `at` (in UTC)."""
        first_day = self.local(at).date()
        for offset in range(_MAX_SEARCH_DAYS):
            day = first_day + timedelta(days=offset)
            if not self.is_business_day(day):
                continue
            start = self.period_start(day)
            if start > at:
                return start
        raise ValueError(f"no business day within {_MAX_SEARCH_DAYS} days of {at.isoformat()}")

    def period_start(self, day: date) -> datetime:
        # Via UTC and back, so a start inside a DST gap resolves to a real instant.
        return datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)

    # ------------------------------------------------------------------ internals
    def _holidays(self, year: int) -> dict[date, str]:
        cached = self._holidays_by_year.get(year)
        if cached is not None:
            return cached
        with self._lock:
            if year not in self._holidays_by_year:
                table = country_holidays(self.country, subdiv=self.subdiv, years=year)
                self._holidays_by_year[year] = dict(table.items())
            return self._holidays_by_year[year]


def country_holidays(country: str, subdiv: str | None, years: int) -> Any:
    """`holidays.country_holidays`, loading only that country's module. The library's lazy loader imports
    the holidays.countries package, which imports every country's module (about 0.3 s of a cold start) to
    use one. A code the library's registry does not know goes to the library, which names the problem."""
    entity = _country_class(country)
    if entity is None:
        import holidays

        return holidays.country_holidays(country, subdiv=subdiv, years=years)
    return entity(years=years, subdiv=subdiv)


@cache
def _country_class(country: str) -> Any:
    import importlib.util
    import sys

    from holidays import registry  # deferred: the library's base (~0.2 s) is paid on the first lookup

    for module_name, (class_name, *codes) in registry.COUNTRIES.items():
        if country not in (class_name, *codes):
            continue
        name = f"holidays.countries.{module_name}"
        module = sys.modules.get(name)  # already loaded the library's way
        if module is None:
            path = Path(registry.__file__).with_name("countries") / f"{module_name}.py"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                return None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # the library's own import of it, if any comes, finds this one
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        return getattr(module, class_name)
    return None


def default_calendar() -> BusinessCalendar:
    """The team's calendar: that of the policy file (settings POLICY_FILE, /opt/policy.yaml in Lambda).
    A function deployed without the config layer gets the policy's documented defaults (Mon-Fri
    09:00-17:30 Europe/London, England-and-Wales holidays), with a warning saying so."""
    from incident_core.settings import get_settings

    return _calendar_of(get_settings().policy_file)


@cache
def _calendar_of(policy_file: str) -> BusinessCalendar:
    from incident_core.policy.model import CalendarRules, load_policy

    if not Path(policy_file).is_file():
        logger.warning(
            "no policy file at %s: business days follow the policy's defaults (Europe/London, GB-ENG)",
            policy_file,
        )
        return CalendarRules().calendar
    return load_policy(policy_file).calendar


def is_business_day(day: date) -> bool:
    """Is `day` a business day of the team (a working day of the policy, not a public holiday)?"""
    return default_calendar().is_business_day(day)


def add_business_days(day: date, n: int) -> date:
    """`n` business days of the team after `day` (e.g. an action item's due date)."""
    return default_calendar().add_business_days(day, n)
