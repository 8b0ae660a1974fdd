"""ActionStore against DynamoDB (moto): open, list, mark done, retries that must not duplicate."""

from datetime import UTC, date, datetime, timedelta

import pytest

from incident_core.actions.store import ActionNotFoundError, ActionStore
from incident_core.adapters.dynamo import Table
from incident_core.models import ActionStatus
from incident_core.settings import get_settings

NOW = datetime(2026, 1, 13, 10, 8, tzinfo=UTC)


@pytest.fixture
def store(aws):
    return ActionStore(Table(get_settings().table_name))


def test_open_defaults_to_p0_due_in_two_business_days_owned_by_whoever_opened_it(store):
    item = store.open(
        "Add a post-deploy check",
        owner=None,
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0ALASTAIR",
        now=NOW,
    )
    assert (item.priority, item.status, item.due, item.owner) == (
        "P0",
        ActionStatus.OPEN,
        date(2026, 1, 15),
        "U0ALASTAIR",
    )
    assert store.get(item.action_id) == item
    raw = store.table.get(f"ACTION#{item.action_id}", "ACTION")
    assert (raw["gsi1pk"], raw["gsi1sk"]) == ("ACTIONS#open", f"2026-01-15#{item.action_id}")


def test_owner_as_a_slack_mention_and_explicit_due(store):
    item = store.open(
        "Write the runbook",
        owner="<@U0WISEN01|wisen>",
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0ALASTAIR",
        now=NOW,
        due=date(2026, 2, 2),
    )
    assert (item.owner, item.due) == ("U0WISEN01", date(2026, 2, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "needs a text"),
        ({"text": "x" * 3001}, "at most 3000"),
        ({"owner": "alastair"}, "owner must be a Slack user"),
        ({"source": "dunno"}, "source must be one of"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_stored(store, kwargs, message):
    arguments = {
        "text": "do it",
        "owner": None,
        "incident_id": "INC-1",
        "alert_id": None,
        "source": "manual",
        "by": "U0ALASTAIR",
        "now": NOW,
    }
    with pytest.raises(ValueError, match=message):
        store.open(**{**arguments, **kwargs})
    assert store.list_open() == []


def test_system_opened_items_without_a_person_have_no_owner(store):
    item = store.open(
        "Write a runbook",
        owner=None,
        incident_id="INC-1",
        alert_id=None,
        source="missing-runbook",
        by=None,
        now=NOW,
    )
    assert item.owner is None


def test_false_alarm_and_missing_runbook_items_are_opened_once_per_cause(store):
    first = store.open(
        "Why was it false?",
        owner="U0ALASTAIR",
        incident_id=None,
        alert_id="alr-1",
        source="false-alarm",
        by="U0ALASTAIR",
        now=NOW,
    )
    again = store.open(
        "Why was it false?",
        owner="U0ALASTAIR",
        incident_id=None,
        alert_id="alr-1",
        source="false-alarm",
        by="U0ALASTAIR",
        now=NOW,
    )
    other = store.open(
        "Why was it false?",
        owner="U0ALASTAIR",
        incident_id=None,
        alert_id="alr-2",
        source="false-alarm",
        by="U0ALASTAIR",
        now=NOW,
    )
    assert first == again and first.action_id != other.action_id
    manual = [
        store.open(
            "same words",
            owner=None,
            incident_id="INC-1",
            alert_id=None,
            source="manual",
            by="U0ALASTAIR",
            now=NOW,
        )
        for _ in range(2)
    ]
    assert manual[0].action_id != manual[1].action_id
    assert len(store.list_open()) == 4


def test_list_open_is_by_due_date_and_list_for_incident_includes_done_ones(store):
    late = store.open(
        "late",
        owner=None,
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0A",
        now=NOW,
        due=date(2026, 3, 1),
    )
    early = store.open(
        "early",
        owner=None,
        incident_id="INC-2",
        alert_id=None,
        source="manual",
        by="U0A",
        now=NOW,
        due=date(2026, 1, 20),
    )
    middle = store.open(
        "middle",
        owner=None,
        incident_id="INC-1",
        alert_id=None,
        source="manual",
        by="U0A",
        now=NOW,
        due=date(2026, 2, 1),
    )
    store.mark_done(middle.action_id, "U0WISEN01", NOW)
    assert [i.text for i in store.list_open()] == ["early", "late"]
    assert [(i.text, i.status) for i in store.list_for_incident("INC-1")] == [
        ("late", ActionStatus.OPEN),
        ("middle", ActionStatus.DONE),
    ]
    assert [i.text for i in store.list_done()] == ["middle"]
    assert early.incident_id == "INC-2"
    assert [i.text for i in store.list_for_incident("INC-1") if i.status == ActionStatus.OPEN] == [late.text]


def test_mark_done_twice_keeps_the_first_closer(store):
    item = store.open(
        "do it", owner=None, incident_id="INC-1", alert_id=None, source="manual", by="U0A", now=NOW
    )
    done = store.mark_done(item.action_id, "U0WISEN01", datetime(2026, 1, 14, 9, tzinfo=UTC))
    again = store.mark_done(item.action_id, "U0ALASTAIR", datetime(2026, 1, 14, 10, tzinfo=UTC))
    assert done.status == ActionStatus.DONE and done.done_by == "U0WISEN01"
    assert again == done
    assert store.table.get(f"ACTION#{item.action_id}", "ACTION")["gsi1pk"] == "ACTIONS#done"


def test_mark_done_of_an_unknown_item_says_so(store):
    with pytest.raises(ActionNotFoundError, match="no action item 'act-nope'"):
        store.mark_done("act-nope", "U0A", NOW)


def test_reminder_day_is_claimed_once_and_can_be_released(store):
    day, running = date(2026, 1, 14), datetime.now(UTC) + timedelta(minutes=1)
    assert store.claim_reminder_day(day, NOW, running) is True
    assert store.claim_reminder_day(day, NOW, running) is False
    store.release_reminder_day(day)
    assert store.claim_reminder_day(day, NOW, running) is True


def test_a_reminder_day_whose_claim_ran_out_can_be_taken_over_until_it_is_done(store):
    day, ran_out = date(2026, 1, 14), datetime.now(UTC) - timedelta(seconds=1)
    assert store.claim_reminder_day(day, NOW, ran_out) is True
    assert store.claim_reminder_day(day, NOW, ran_out) is True  # its run died: taken over
    store.finish_reminder_day(day, NOW)
    assert store.claim_reminder_day(day, NOW, ran_out) is False  # done, whatever the claim
