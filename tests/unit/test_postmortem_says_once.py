"""The document says each thing once, gives detection as a window and says what each measure is from."""

from datetime import timedelta

from incident_core.postmortem.compile import compile_document
from tests.helpers_postmortem import inputs_from_fixture, load_fixture, now_of

BOT = {"bot_id": "B0BOT00001", "user": "U0BOT00001", "app_id": "A0SUITE001", "type": "message"}


def _timeline_of(markdown: str) -> list[str]:
    section = markdown.split("## Timeline")[1].split("## What the checklist found")[0]
    return [line for line in section.splitlines() if line.startswith("- `")]


def _suite_post(fixture: dict, ts: float, text: str) -> dict:
    return {**BOT, "ts": f"{ts:.6f}", "text": text, "thread_ts": fixture["incident"]["thread_ts"]}


def test_suite_posts_echoing_a_timeline_entry_are_merged_into_it():
    # The posts the suite makes for the war room, the recovery and the resolution, worded as the demo's.
    fixture = load_fixture("book_viewing_outage")
    posts = [
        _suite_post(
            fixture,
            1768299840.5,  # 10:24:00.5, the recovery recorded at 10:24:00
            ":white_check_mark: Journey `book-viewing` recovered Tue 13 Jan 10:24 GMT (failing since "
            "10:02). If users are fine, `/incident resolve INC-019bb7a0d5b07e41aa`.",
        ),
        _suite_post(
            fixture,
            1768299960.2,  # 10:26:00.2
            ":large_green_circle: Resolved by <@U0ALASTAIR>: Reverted bookshop-web; the button is back. "
            "Tue 13 Jan 10:26 GMT after 24 min. Time to learn from it.",
        ),
    ]
    thread = [*fixture["thread"], *posts]
    document = compile_document(inputs_from_fixture(fixture, thread), now_of(fixture)).markdown
    timeline = _timeline_of(document)
    assert sum("war room" in line.lower() for line in timeline) == 1
    assert sum("recovered" in line for line in timeline) == 1
    assert sum("Resolved by" in line for line in timeline) == 1
    # What stays is the recorded entry, at its instant.
    assert "- `13 Jan 10:08:09` **Suite:** Zoom war room started: https://zoom.us/j/85746065001" in timeline
    assert "suite posts merged into the timeline entry they echo: 4" in document
    # A post saying something else at the same moment stays.
    assert any("**Suite:** Checklist: Is it our change?" in line for line in timeline)


def test_an_echo_long_after_the_entry_is_not_merged():
    # The same words an hour later are another event (a second war room post), not an echo.
    fixture = load_fixture("book_viewing_outage")
    late = _suite_post(
        fixture,
        1768298889.0002 + 3600,
        ":video_camera: War room: https://zoom.us/j/85746065001 (Zoom meeting 85746065001). Join.",
    )
    document = compile_document(
        inputs_from_fixture(fixture, [*fixture["thread"], late]), now_of(fixture)
    ).markdown
    assert sum("war room" in line.lower() for line in _timeline_of(document)) == 2


def test_detection_is_a_window_from_the_last_passing_run_to_the_confirmation():
    fixture = load_fixture("book_viewing_outage")
    document = compile_document(inputs_from_fixture(fixture), now_of(fixture)).markdown
    assert "| Last passing run | Tue 13 Jan 2026 10:01:00 GMT | journey `book-viewing` |" in document
    assert "| First failing run | Tue 13 Jan 2026 10:02:00 GMT | journey `book-viewing` |" in document
    assert (
        "| Time to detect | between 1 min 10 s and 2 min 10 s | the failure began after the last passing "
        "run (13 Jan 10:01:00) and by the first failing run (13 Jan 10:02:00); confirmed 13 Jan 10:03:10 "
        "(the alert was raised) |"
    ) in document
    assert "Time to detect: 0 s" not in document


def test_detection_caught_in_the_first_failing_run_is_not_called_zero():
    # The demo's case: the runner's confirming re-run raised the alert in the same minute.
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    first_failure = min(run.at for run in inputs.journey_runs if not run.ok)
    inputs.incident.started_at = inputs.incident.detected_at = first_failure
    document = compile_document(inputs, now_of(fixture)).markdown
    assert "| Time to detect | between 0 s and 1 min 00 s |" in document


def test_every_measure_says_what_it_was_computed_from():
    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.incident.acknowledged_at = None
    inputs.alert = inputs.alert.model_copy(update={"acknowledged_at": None})
    document = compile_document(inputs, now_of(fixture)).markdown
    table = document.split("| | how long | computed from |")[1].split("```mermaid")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 5
    assert all(row.split("|")[3].strip() for row in rows)
    assert "detected → acknowledged (the declaration (no acknowledgement recorded)) |" in table


def test_the_phases_are_a_mermaid_diagram_beside_the_table():
    fixture = load_fixture("book_viewing_outage")
    document = compile_document(inputs_from_fixture(fixture), now_of(fixture)).markdown
    diagram = document.split("```mermaid\n")[1].split("```")[0]
    assert diagram.startswith("gantt\n")
    for phase in ("Detect", "Acknowledge", "Declare", "Mitigate", "Resolve"):
        assert f"    section {phase}\n" in diagram
    assert "declared to recovered : mitigate, 2026-01-13 10:08:05, 2026-01-13 10:24:00" in diagram
    assert "| Resolved | Tue 13 Jan 2026 10:26:00 GMT |" in document  # the table stays


def test_a_recorded_revert_is_an_instant_of_the_document():
    from incident_core.models import TimelineEntry, TimelineKind

    fixture = load_fixture("book_viewing_outage")
    inputs = inputs_from_fixture(fixture)
    inputs.timeline.append(
        TimelineEntry(
            incident_id=inputs.incident.incident_id,
            at=inputs.incident.declared_at + timedelta(minutes=6),
            kind=TimelineKind.SYSTEM,
            text="Reverted bookshop-web to its previous version",
            key="reverted-bookshop-web",
        )
    )
    document = compile_document(inputs, now_of(fixture)).markdown
    assert "| Reverted | Tue 13 Jan 2026 10:14:05 GMT | the revert recorded in the timeline |" in document
