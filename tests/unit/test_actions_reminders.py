"""Which reminders go out, with an injected clock: business days in London, weekends and holidays."""

from datetime import UTC, date, datetime

import pytest

from incident_core.actions.reminders import plan_reminders
from incident_core.actions.store import default_due
from incident_core.models import ActionItem, ActionStatus


def item(number, due, owner="U0WISEN01", **extra):
    return ActionItem(
        action_id=f"act-{number:04d}",
        text=f"thing {number}",
        owner=owner,
        due=due,
        incident_id="INC-1",
        created_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
        **extra,
    )


# --------------------------------------------------------------------- due dates: 2 business days
@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (datetime(2026, 1, 13, 10, 8, tzinfo=UTC), date(2026, 1, 15)),  # Tue -> Thu
        (datetime(2026, 1, 16, 18, 30, tzinfo=UTC), date(2026, 1, 20)),  # a Friday evening -> Tue
        (datetime(2026, 6, 5, 23, 30, tzinfo=UTC), date(2026, 6, 9)),  # Fri 23:30 UTC is Sat 00:30 in London
        (datetime(2026, 12, 23, 16, 0, tzinfo=UTC), date(2026, 12, 29)),  # Christmas, Boxing Day (Mon 28)
        (datetime(2025, 12, 24, 9, 0, tzinfo=UTC), date(2025, 12, 30)),  # Thu 25 and Fri 26 are holidays
        (datetime(2026, 4, 2, 12, 0, tzinfo=UTC), date(2026, 4, 8)),  # Good Friday and Easter Monday
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), date(2027, 1, 5)),  # New Year's Day, then the weekend
    ],
)
def test_default_due_is_two_london_business_days_later(opened, due):
    assert default_due(opened) == due


def test_a_naive_clock_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        default_due(datetime(2026, 1, 13, 10))


# --------------------------------------------------------------------- which days remind
@pytest.mark.parametrize(
    "morning",
    [
        datetime(2026, 1, 17, 9, 30, tzinfo=UTC),  # Saturday
        datetime(2026, 1, 18, 9, 30, tzinfo=UTC),  # Sunday
        datetime(2026, 12, 25, 9, 30, tzinfo=UTC),  # Christmas Day (Friday)
        datetime(2026, 12, 28, 9, 30, tzinfo=UTC),  # Boxing Day, observed on Monday
        datetime(2026, 4, 3, 8, 30, tzinfo=UTC),  # Good Friday, 09:30 BST
        datetime(2026, 4, 6, 8, 30, tzinfo=UTC),  # Easter Monday, 09:30 BST
    ],
)
def test_no_reminder_on_weekends_and_holidays(morning):
    assert plan_reminders([item(1, date(2026, 1, 1))], morning) is None


def test_business_day_reminds_channel_and_each_owner_overdue_first():
    # Tue 29 Dec 2026, 09:30 London: the first business day after Christmas.
    morning = datetime(2026, 12, 29, 9, 30, tzinfo=UTC)
    items = [
        item(1, date(2026, 12, 31), owner="U0ALASTAIR"),
        item(2, date(2026, 12, 24), owner="U0WISEN01"),  # overdue since before Christmas
        item(3, date(2026, 12, 29), owner="U0WISEN01"),  # due today
        item(4, date(2026, 12, 30), owner=None),
        item(5, date(2026, 12, 1), status=ActionStatus.DONE),  # done: never reminded again
    ]
    plan = plan_reminders(items, morning)
    assert plan is not None and plan.day == date(2026, 12, 29)
    assert (plan.open_count, plan.overdue_count) == (4, 1)
    channel_lines = [b["text"]["text"] for b in plan.channel.blocks if b.get("accessory")]
    assert [line.split(" · ")[0] for line in channel_lines] == [
        "*P0* thing 2",
        "*P0* thing 3",
        "*P0* thing 4",
        "*P0* thing 1",
    ]
    assert "*overdue* since Thu 24 Dec (5 days)" in channel_lines[0]
    assert plan.channel.text == "Action items on Tue 29 Dec: 4, 1 overdue"
    assert "1 item(s) have no owner" in plan.channel.blocks[-1]["elements"][0]["text"]
    # Each owner hears about their own items only; the unowned one goes to the channel only.
    assert set(plan.direct) == {"U0ALASTAIR", "U0WISEN01"}
    wisen = [b["accessory"]["value"] for b in plan.direct["U0WISEN01"].blocks if b.get("accessory")]
    assert wisen == ["act-0002", "act-0003"]


def test_friday_evening_clock_still_counts_as_friday():
    # Fri 16 Jan 2026, 18:00 London: a business day (a late manual run still reminds).
    plan = plan_reminders([item(1, date(2026, 1, 16))], datetime(2026, 1, 16, 18, 0, tzinfo=UTC))
    assert plan is not None and plan.overdue_count == 0
    # The same clock in summer at 23:30 UTC is already Saturday in London: no reminder.
    assert plan_reminders([item(1, date(2026, 6, 5))], datetime(2026, 6, 5, 23, 30, tzinfo=UTC)) is None


def test_nothing_open_nothing_to_post():
    plan = plan_reminders(
        [item(1, date(2026, 1, 1), status=ActionStatus.DONE)], datetime(2026, 1, 14, 9, 30, tzinfo=UTC)
    )
    assert plan is not None and plan.is_empty
