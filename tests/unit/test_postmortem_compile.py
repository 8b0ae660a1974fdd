"""The incident document and post-mortem draft from a realistic recorded thread (golden files)."""

import os
from datetime import timedelta

import pytest

from incident_core.models import TimelineEntry, TimelineKind
from incident_core.postmortem.compile import compile_document, key_durations
from incident_core.postmortem.thread import clean_thread
from tests.helpers_postmortem import POSTMORTEM_FIXTURES, inputs_from_fixture, load_fixture, now_of

GOLDEN = ["book_viewing_outage"]


@pytest.mark.parametrize("name", GOLDEN)
def test_document_matches_the_golden_file(name):
    """The expected Markdown is reviewed by hand; UPDATE_GOLDEN=1 rewrites it after a deliberate change."""
    fixture = load_fixture(name)
    document = compile_document(inputs_from_fixture(fixture), now_of(fixture)).markdown
    golden = POSTMORTEM_FIXTURES / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(document)
    assert document == golden.read_text()


def test_document_has_every_section_in_order():
    fixture = load_fixture("book_viewing_outage")
    document = compile_document(inputs_from_fixture(fixture), now_of(fixture)).markdown
    headings = [line for line in document.splitlines() if line.startswith("#")]
    assert headings == [
        "# Incident INC-019bb7a0d5b07e41aa: Book viewing button missing",
        "## Summary",
        "## Impact",
        "## Key instants and durations",
        "## Responders",
        "## Timeline",
        "## What the checklist found",
        "## War room",
        "## Synthetic journeys over the incident window",
        "## Action items",
        "# Post-mortem: Book viewing button missing",
        "## What happened",
        "## Why: contributing causes",
        "## What went well",
        "## What went badly",
        "## Where we were lucky",
        "## Action items (P0, before product work)",
    ]


def test_thread_cleaning_in_the_document():
    fixture = load_fixture("book_viewing_outage")
    document = compile_document(inputs_from_fixture(fixture), now_of(fixture)).markdown
    timeline = document.split("## Timeline")[1].split("## What the checklist found")[0]
    # Edits: the latest text, marked; deletions, other bots, joins and the document's own post: left out.
    assert "the API still answers 200. _(edited)_" in timeline
    assert "Deploy bookshop-web #482" not in timeline
    assert "has joined the channel" not in timeline
    assert "📄" not in timeline
    assert "deleted messages: 1" in timeline
    # Files are noted, with what could not be read said so.
    assert "[rollback in progress](https://example.slack.com/files/" in timeline
    assert "file F0OLDSHOT01: could not be read" in timeline
    # Entries are in time order.
    stamps = [line.split("`")[1] for line in timeline.splitlines() if line.startswith("- `")]
    assert stamps == sorted(stamps)


def test_compiled_again_later_the_content_hash_stays_the_same():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    first = compile_document(inputs, now_of(fixture))
    later = compile_document(inputs, now_of(fixture) + timedelta(hours=3))
    assert first.markdown != later.markdown  # the compiled-at stamp
    assert first.content_sha256 == later.content_sha256


def test_a_new_reply_changes_the_content_hash():
    fixture = load_fixture("book_viewing_outage")
    before = compile_document(inputs_from_fixture(fixture), now_of(fixture))
    reply = {**fixture["thread"][-1], "ts": "1768301400.000700", "text": "One more thing: the CDN cached it."}
    after = compile_document(inputs_from_fixture(fixture, [*fixture["thread"], reply]), now_of(fixture))
    assert after.content_sha256 != before.content_sha256
    assert "One more thing: the CDN cached it." in after.markdown


def test_key_durations():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    durations = key_durations(inputs.incident, inputs.alert)
    assert durations.to_detect == timedelta(minutes=1, seconds=10)
    assert durations.to_acknowledge == timedelta(minutes=3, seconds=30)
    assert durations.to_declare == timedelta(minutes=4, seconds=55)
    assert durations.to_resolve == timedelta(minutes=22, seconds=50)
    assert durations.of_impact == timedelta(minutes=24)
    # Without a recorded acknowledgement, declaring it counts as acknowledging it.
    unacknowledged = inputs.incident.model_copy(update={"acknowledged_at": None})
    assert key_durations(unacknowledged).to_acknowledge == timedelta(minutes=4, seconds=55)


def test_thread_read_in_part_falls_back_to_the_recorded_timeline():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    # Only the first five messages could be read before Slack failed.
    inputs.thread = clean_thread(
        fixture["thread"][:5],
        inputs.incident.thread_ts,
        set(fixture["suite_bot_ids"]),
        ["Slack thread could not be read after the first 5 messages: HTTP 500 (internal_error)"],
    )
    document = compile_document(inputs, now_of(fixture)).markdown
    assert document.count("Could not read everything") == 1
    assert "after the first 5 messages: HTTP 500" in document
    # Wisen's reply was not read from Slack but the timeline recorded it: it is there, marked.
    assert "shall we revert? _(from the recorded timeline)_" in document
    # The deleted one stays out.
    assert "deleted messages: 1" in document


def test_without_thread_or_alert_the_document_still_compiles():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.thread, inputs.alert, inputs.journey_runs, inputs.actions = None, None, [], []
    inputs.incident.checklist = {}
    inputs.problems = ["The incident has no Slack thread recorded; only the stored timeline was used."]
    document = compile_document(inputs, now_of(fixture)).markdown
    assert "only the stored timeline was used" in document
    assert "_The checklist's answers were not recorded._" in document
    assert "## Synthetic journeys" not in document
    assert "_None yet._" in document
    # Replies recorded in the timeline stand in for the thread.
    assert (
        "**Wisen:** Stack bookshop-web was updated at 09:58, 4 min before the first failure. @Alastair shall "
        "we revert? _(from the recorded timeline)_"
    ) in document


def test_text_from_outside_slack_cannot_inject_html():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.incident.title = "<script>alert(1)</script> checkout"
    inputs.timeline.append(
        TimelineEntry(
            incident_id=inputs.incident.incident_id,
            at=inputs.incident.resolved_at,
            kind=TimelineKind.MESSAGE,
            text="# not a heading",
            key="note-1",
        )
    )
    document = compile_document(inputs, now_of(fixture)).markdown
    assert "<script>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt; checkout" in document
    assert "**unknown:** \\# not a heading" in document


def test_unknown_checklist_answers_are_shown_as_recorded():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.incident.checklist = {"feature flags": {"checked": True, "recently_flipped": ["new-booking-form"]}}
    document = compile_document(inputs, now_of(fixture)).markdown
    section = document.split("## What the checklist found")[1].split("## War room")[0]
    assert "- **feature flags**\n  - checked: True\n  - recently_flipped\n    - new-booking-form" in section


def test_journey_runs_expired_before_the_first_failure_are_said_plainly():
    # Compiled long after: the passing runs before the first failure have expired (kept 14 days), the
    # failures (kept 400 days) remain. The document must not pass the first stored failure off as the start.
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    first_failure = min(run.at for run in inputs.journey_runs if not run.ok)
    inputs.journey_runs = [run for run in inputs.journey_runs if not run.ok or run.at > first_failure]
    document = compile_document(inputs, now_of(fixture) + timedelta(days=40)).markdown
    assert "> **Could not read everything.**" in document
    assert (
        "No passing run of journey book-viewing before its first failure is stored (passing runs are "
        "kept 14 days): it may have started failing before 13 Jan 10:02:00." in document
    )


def test_a_journey_without_any_stored_result_is_said_plainly():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.journey_runs = []
    document = compile_document(inputs, now_of(fixture)).markdown
    assert (
        "No result of journey book-viewing is stored for the incident's window (passing runs are kept "
        "14 days): when it failed and recovered is not known from them." in document
    )


def test_complete_journey_results_raise_no_problem():
    fixture = load_fixture("book_viewing_outage")
    document = compile_document(inputs_from_fixture(fixture), now_of(fixture)).markdown
    assert "Could not read everything" not in document


def test_an_action_items_issue_is_linked_with_its_state_in_the_document():
    from datetime import UTC, date, datetime

    from incident_core.models import ActionItem
    from incident_core.postmortem.compile import _issue

    item = ActionItem(
        action_id="act-1",
        text="Check the button",
        due=date(2026, 12, 23),
        created_at=datetime(2026, 12, 21, tzinfo=UTC),
        tracker_issue=12,
        tracker_url="https://github.com/example-org/product/issues/12",
        tracker_state="closed",
    )
    assert _issue(item) == ", [issue #12](https://github.com/example-org/product/issues/12) closed"
    assert _issue(item.model_copy(update={"tracker_issue": None})) == ""


def test_a_revert_and_the_time_to_recovery_are_among_the_key_measures():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.incident.checklist["reverts"] = {
        "chg-1": {
            "what": "Lambda alias moved: alias `live` of `bookshop-web` from version 2 to 1",
            "by": inputs.incident.lead,
            "at": (inputs.incident.declared_at + timedelta(minutes=3)).isoformat(),
            "ok": True,
            "recovered_after_seconds": 41,
        },
        "chg-2": {"what": "ECS service `api`", "by": None, "at": None, "ok": False, "reason": "not tagged"},
    }
    document = compile_document(inputs, now_of(fixture)).markdown
    measures = document.split("## Key instants and durations", 1)[1].split("## Responders", 1)[0]
    assert "| Revert | by | when (London) | then |" in measures
    assert "journeys passed again 41 s after the revert" in measures
    assert "failed: not tagged" in measures
    assert "reverts" not in document.split("## What the checklist found", 1)[1].split("## War room", 1)[0]
