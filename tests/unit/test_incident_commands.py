"""`/incident` parsing and times (pure)."""

from datetime import UTC, datetime

import pytest

from incident_core.incidents.acks import parse
from incident_core.incidents.commands import parse_when, user_id
from incident_core.incidents.service import CommandError

NOW = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)


def test_subcommands_and_the_incident_they_name():
    assert parse("").name == "help"
    assert parse("  HELP ").name == "help"
    note = parse("note INC-018f3c2a9b1 rolled back the deploy")
    assert (note.name, note.incident_id, note.rest) == ("note", "INC-018f3c2a9b1", "rolled back the deploy")
    update = parse("update the fix is out")
    assert (update.incident_id, update.rest) == (None, "the fix is out")
    status = parse("status inc-018f identified")
    assert (status.incident_id, status.words) == ("inc-018f", ["identified"])
    assert parse("lead <@U0WISEN|wisen>").rest == "<@U0WISEN|wisen>"


def test_unknown_subcommand_is_answered_with_help():
    command = parse("reboot everything")
    assert (command.name, command.given) == ("unknown", "reboot")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("update", "needs a text"),
        ("note INC-1", "needs a text"),
        ("lead", "Say who leads it"),
        ("action", "Say what must be done"),
    ],
)
def test_missing_arguments_are_known_before_looking_anything_up(text, problem):
    assert problem in parse(text).problem


def test_people_are_mentions():
    assert user_id("<@U0WISEN|wisen>") == "U0WISEN"
    assert user_id("<@W0ENTERPRISE>") == "W0ENTERPRISE"
    with pytest.raises(CommandError, match="is not a person"):
        user_id("@wisen")


def test_times_are_london_wall_clock_unless_they_say_otherwise():
    assert parse_when("now", NOW) == NOW
    assert parse_when("+90m", NOW) == datetime(2026, 3, 27, 17, 30, tzinfo=UTC)
    assert parse_when("+2d", NOW, base=datetime(2026, 3, 28, 9, tzinfo=UTC)) == datetime(
        2026, 3, 30, 9, tzinfo=UTC
    )
    # Before and after the clocks go forward on Sunday 29 March 2026 (GMT -> BST).
    assert parse_when("2026-03-28T18:00", NOW) == datetime(2026, 3, 28, 18, 0, tzinfo=UTC)
    assert parse_when("2026-03-30T18:00", NOW) == datetime(2026, 3, 30, 17, 0, tzinfo=UTC)
    assert parse_when("2026-10-26T18:00", NOW) == datetime(2026, 10, 26, 18, 0, tzinfo=UTC)  # back to GMT
    assert parse_when("2026-03-30T18:00+00:00", NOW) == datetime(2026, 3, 30, 18, 0, tzinfo=UTC)
    with pytest.raises(CommandError, match="`tomorrow` is not a time"):
        parse_when("tomorrow", NOW)
