"""The support-hours policy as pure functions with an injected clock: business hours in London across the
daylight-saving changes, England-and-Wales holidays, traction windows and silences."""

from datetime import UTC, date, datetime, time

import pytest

from incident_core.models.alerts import Alert, AlertSource
from incident_core.models.windows import Silence, TractionWindow
from incident_core.policy.calendar import BusinessCalendar, add_business_days, is_business_day
from incident_core.policy.decide import Channel, Mode, decide, repage_audience
from incident_core.policy.model import PolicyFileError, load_policy, parse_policy
from incident_core.settings import get_settings
from stand_ins.aws import ROOT

POLICY = load_policy(ROOT / "config" / "policy.yaml")
# The shipped policy with another team's calendar: New York hours and US federal holidays.
NEW_YORK_POLICY = (
    (ROOT / "config" / "policy.yaml")
    .read_text()
    .replace("time_zone: Europe/London", "time_zone: America/New_York")
    .replace("country: GB", "country: US")
    .replace("subdiv: ENG", "subdiv: null")
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def traction(start: datetime, end: datetime, label: str = "spring campaign") -> TractionWindow:
    return TractionWindow(window_id="tw-1", start=start, end=end, label=label)


def alert(**changes) -> Alert:
    now = utc(2026, 6, 1, 12)
    fields = {
        "alert_id": "al-1",
        "fingerprint": "journey-abc",
        "title": "Journey 'book-viewing' is failing",
        "source": AlertSource.JOURNEY,
        "journey": "book-viewing",
        "started_at": now,
        "first_seen": now,
        "last_seen": now,
    }
    return Alert(**(fields | changes))


# ---------------------------------------------------------------------- calendar
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 25), False),  # Christmas Day (Friday)
        (date(2026, 12, 28), False),  # Boxing Day falls on a Saturday: substitute Monday 28th
        (date(2026, 12, 29), True),
        (date(2026, 4, 6), False),  # Easter Monday 2026
        (date(2027, 3, 29), False),  # Easter Monday 2027
        (date(2027, 3, 26), False),  # Good Friday 2027
        (date(2027, 12, 27), False),  # Christmas 2027 is a Saturday: substitute Monday
        (date(2027, 12, 28), False),  # Boxing Day 2027 is a Sunday: substitute Tuesday
        (date(2027, 12, 29), True),
        (date(2026, 6, 6), False),  # a Saturday
        (date(2026, 6, 8), True),
    ],
)
def test_business_days_follow_england_and_wales_holidays(day, expected):
    assert is_business_day(day) is expected


def test_add_business_days_skips_weekends_and_holidays():
    assert add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 29)  # over Christmas and Boxing Day
    assert add_business_days(date(2026, 4, 2), 2) == date(2026, 4, 8)  # Good Friday, Easter Monday
    assert add_business_days(date(2026, 6, 5), 2) == date(2026, 6, 9)  # over a weekend
    assert add_business_days(date(2026, 6, 9), -2) == date(2026, 6, 5)
    assert add_business_days(date(2026, 6, 6), 0) == date(2026, 6, 6)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Summer (BST, UTC+1): 09:00 London is 08:00 UTC.
        (utc(2026, 6, 8, 7, 59), False),
        (utc(2026, 6, 8, 8, 0), True),
        (utc(2026, 6, 8, 16, 29), True),
        (utc(2026, 6, 8, 16, 30), False),  # 17:30 BST: closed
        # Winter (GMT): 09:00 London is 09:00 UTC.
        (utc(2026, 12, 1, 8, 30), False),
        (utc(2026, 12, 1, 9, 0), True),
        (utc(2026, 12, 1, 17, 29), True),
        (utc(2026, 12, 1, 17, 30), False),
    ],
)
def test_business_hours_are_london_wall_clock(instant, expected):
    assert POLICY.calendar.is_business_hours(instant) is expected


def test_next_business_start_across_the_spring_dst_change():
    # Sun 29 Mar 2026 01:00 UTC the clocks go forward; Monday 09:00 BST is 08:00 UTC.
    saturday_night = utc(2026, 3, 28, 23, 0)
    assert POLICY.calendar.next_business_start(saturday_night) == utc(2026, 3, 30, 8, 0)
    # The Friday before, 09:00 was still GMT.
    assert POLICY.calendar.period_start(date(2026, 3, 27)) == utc(2026, 3, 27, 9, 0)


def test_next_business_start_across_the_autumn_dst_change():
    # Sun 25 Oct 2026 the clocks go back; Monday 09:00 GMT is 09:00 UTC, Friday's was 08:00 UTC.
    assert POLICY.calendar.period_start(date(2026, 10, 23)) == utc(2026, 10, 23, 8, 0)
    assert POLICY.calendar.next_business_start(utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 26, 9, 0)


def test_a_calendar_refuses_naive_times_and_empty_weeks():
    with pytest.raises(ValueError, match="no time zone"):
        POLICY.calendar.is_business_hours(datetime(2026, 6, 8, 10))
    london = {
        "time_zone": "Europe/London",
        "days": ["mon"],
        "start": time(9),
        "end": time(17),
        "country": "GB",
        "subdiv": "ENG",
    }
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessCalendar(**(london | {"days": []}))
    with pytest.raises(ValueError, match="not after"):
        BusinessCalendar(**(london | {"start": time(18), "end": time(9)}))


# ---------------------------------------------------------------------- the policy's time zone everywhere
@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    """POLICY_FILE pointing at a policy file the test writes (as the config layer's /opt/policy.yaml)."""

    def write(text: str | None):
        path = tmp_path / "policy.yaml"
        if text is not None:
            path.write_text(text)
        monkeypatch.setenv("POLICY_FILE", str(path))
        get_settings.cache_clear()
        return path

    yield write
    get_settings.cache_clear()


def test_business_days_for_other_areas_follow_the_deployed_policy_file(policy_file):
    policy_file(NEW_YORK_POLICY)
    assert is_business_day(date(2026, 7, 3)) is False  # Independence Day observed (the 4th is a Saturday)
    assert is_business_day(date(2026, 8, 31)) is True  # England's summer bank holiday is a US working day
    assert add_business_days(date(2026, 7, 2), 1) == date(2026, 7, 6)


def test_without_a_policy_file_business_days_are_the_policys_defaults(policy_file):
    policy_file(None)
    assert is_business_day(date(2026, 8, 31)) is False  # summer bank holiday, England and Wales
    assert is_business_day(date(2026, 7, 3)) is True


def test_the_decision_reads_hours_in_the_policys_time_zone():
    new_york = parse_policy(NEW_YORK_POLICY)
    monday_0930_edt = utc(2026, 6, 8, 13, 30)  # 14:30 in London, 09:30 in New York
    decision = decide(monday_0930_edt, new_york, [], [], alert())
    assert decision.page == ["alastair"] and "Mon 08 Jun 2026 09:30 EDT" in decision.reason
    evening = decide(utc(2026, 6, 8, 22, 0), new_york, [], [], alert())  # 18:00 EDT
    assert evening.page == [] and evening.hold_until == utc(2026, 6, 9, 13, 0)  # Tue 09:00 EDT


# ---------------------------------------------------------------------- decide: business as usual
def test_business_hours_page_alastair_on_slack():
    decision = decide(utc(2026, 6, 8, 9, 0), POLICY, [], [], alert())
    assert decision.mode == Mode.BUSINESS_AS_USUAL
    assert decision.business_hours is True
    assert decision.page == ["alastair"]
    assert decision.channels == [Channel.SLACK]
    assert decision.hold_until is None


def test_saturday_two_am_wakes_nobody_and_holds_until_monday_nine():
    decision = decide(utc(2026, 6, 6, 1, 0), POLICY, [], [], alert())  # Sat 02:00 BST
    assert decision.page == []
    assert decision.business_hours is False
    assert decision.post_without_mention is True
    assert decision.hold_until == utc(2026, 6, 8, 8, 0)  # Mon 09:00 BST


def test_christmas_morning_holds_until_the_first_business_day_after_boxing_day():
    decision = decide(utc(2026, 12, 25, 10, 0), POLICY, [], [])
    assert decision.page == []
    assert decision.hold_until == utc(2026, 12, 29, 9, 0)  # Tue 29 Dec 09:00 GMT


def test_easter_monday_2027_holds_until_tuesday():
    decision = decide(utc(2027, 3, 29, 10, 0), POLICY, [], [])  # Easter Monday, 11:00 BST
    assert decision.business_hours is False
    assert decision.hold_until == utc(2027, 3, 30, 8, 0)


def test_the_sunday_the_clocks_change_is_not_a_business_day():
    spring = decide(utc(2026, 3, 29, 8, 30), POLICY, [], [])  # Sun 09:30 BST
    autumn = decide(utc(2026, 10, 25, 9, 30), POLICY, [], [])  # Sun 09:30 GMT
    assert spring.hold_until == utc(2026, 3, 30, 8, 0)
    assert autumn.hold_until == utc(2026, 10, 26, 9, 0)


def test_the_monday_after_the_clocks_go_back_opens_at_nine_gmt():
    assert decide(utc(2026, 10, 26, 8, 30), POLICY, [], []).business_hours is False  # 08:30 GMT
    assert decide(utc(2026, 10, 26, 9, 0), POLICY, [], []).page == ["alastair"]


# ---------------------------------------------------------------------- decide: traction moments
def test_a_traction_window_off_hours_pages_alastair_and_wisen_by_slack_and_sms():
    window = traction(utc(2026, 12, 24, 18), utc(2026, 12, 27, 9))
    decision = decide(utc(2026, 12, 25, 10, 0), POLICY, [window], [], alert())
    assert decision.mode == Mode.TRACTION
    assert decision.page == ["alastair", "wisen"]
    assert decision.channels == [Channel.SLACK, Channel.SMS]  # the plan's first step; calls follow
    assert decision.hold_until is None
    assert decision.traction_window == "spring campaign"


def test_a_traction_window_in_business_hours_pages_alastair_only():
    window = traction(utc(2026, 6, 8, 0), utc(2026, 6, 9, 0))
    decision = decide(utc(2026, 6, 8, 10, 0), POLICY, [window], [])
    assert decision.mode == Mode.TRACTION
    assert decision.page == ["alastair"]
    # ... and a re-page escalates to everyone standing by.
    assert repage_audience(POLICY, decision, ["alastair"]) == ["alastair", "wisen"]


def test_outside_the_window_it_is_business_as_usual_again():
    window = traction(utc(2026, 6, 6, 18), utc(2026, 6, 7, 6))
    assert decide(utc(2026, 6, 7, 6, 0), POLICY, [window], []).mode == Mode.BUSINESS_AS_USUAL
    assert decide(utc(2026, 6, 7, 5, 59), POLICY, [window], []).mode == Mode.TRACTION


def test_a_held_page_is_released_when_a_traction_window_starts_before_business_hours():
    window = traction(utc(2026, 6, 6, 18), utc(2026, 6, 7, 6), "Saturday night ads")
    decision = decide(utc(2026, 6, 6, 12), POLICY, [window], [])  # Saturday noon, window starts 19:00 BST
    assert decision.hold_until == utc(2026, 6, 6, 18)


def test_business_as_usual_repages_the_same_people():
    decision = decide(utc(2026, 6, 8, 10, 0), POLICY, [], [])
    assert repage_audience(POLICY, decision, ["alastair"]) == ["alastair"]


# ---------------------------------------------------------------------- decide: what never pages
def test_an_alarm_not_marked_as_an_incident_alarm_is_recorded_only():
    decision = decide(
        utc(2026, 6, 8, 10), POLICY, [], [], alert(incident_alarm=False, reason="no incident prefix")
    )
    assert decision.page == [] and decision.hold_until is None
    assert "recorded, never paged" in decision.reason and "no incident prefix" in decision.reason


def test_a_silence_records_matching_alerts_and_holds_until_it_ends():
    silence = Silence(
        silence_id="si-1",
        match="book-*",
        start=utc(2026, 6, 8, 9),
        end=utc(2026, 6, 8, 11),
        reason="database upgrade",
    )
    decision = decide(utc(2026, 6, 8, 10), POLICY, [], [silence], alert())
    assert decision.page == []
    assert decision.silenced_by == "si-1"
    assert decision.hold_until == utc(2026, 6, 8, 11)
    # Another journey is not silenced; and the silence ends by itself.
    assert decide(utc(2026, 6, 8, 10), POLICY, [], [silence], alert(journey="search")).page == ["alastair"]
    assert decide(utc(2026, 6, 8, 11), POLICY, [], [silence], alert()).page == ["alastair"]


def test_decide_refuses_a_naive_clock():
    with pytest.raises(ValueError, match="no time zone"):
        decide(datetime(2026, 6, 8, 10), POLICY, [], [])


# ---------------------------------------------------------------------- the policy file
def test_the_policy_file_names_the_field_that_is_wrong():
    with pytest.raises(PolicyFileError, match=r"always_alerted names \['bob'\]"):
        parse_policy("people: {alastair: {name: A, slack: U0A}}\nalways_alerted: [bob]\n")
    with pytest.raises(PolicyFileError, match=r"business_hours\.start"):
        parse_policy(
            "people: {a: {name: A, slack: U0A}}\nalways_alerted: [a]\n"
            "business_hours: {start: '18:00', end: '09:00'}\n"
        )
    with pytest.raises(PolicyFileError, match="unknown time zone"):
        parse_policy("time_zone: Europe/Londres\npeople: {a: {name: A, slack: U0A}}\nalways_alerted: [a]\n")
    with pytest.raises(PolicyFileError, match=r"people\.a\.phone"):
        parse_policy("people: {a: {name: A, slack: U0A, phone: '07700 900000'}}\nalways_alerted: [a]\n")
    with pytest.raises(PolicyFileError, match="cannot read"):
        load_policy(ROOT / "config" / "missing.yaml")


def test_the_shipped_policy_is_the_teams():
    assert POLICY.time_zone == "Europe/London"
    assert POLICY.always_alerted == ["alastair"]
    assert POLICY.traction_standby == ["alastair", "wisen"]
    assert POLICY.ack_timeout_minutes == 5
    assert (POLICY.business_hours.start, POLICY.business_hours.end) == (time(9), time(17, 30))
