"""`make demo` itself (python -m demo), as a new user runs it: on the local stand-ins, and posting to a
Slack workspace through the Web API (here a standalone fake Slack Web API stands in for the workspace)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from stand_ins.aws import ROOT
from stand_ins.fake_slack import FakeSlack


def run_demo(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "demo", "--out", str(out), *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_plays_the_incident_and_ends_with_what_it_wrote(tmp_path: Path) -> None:
    done = run_demo(tmp_path, "--at", "2026-11-24T10:00")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Policy: business hours" in done.stdout
    assert "[DM to Alastair, new]" in done.stdout
    assert "[text to" not in done.stdout and "[call to" not in done.stdout  # acknowledged in Slack at once
    written = [line.strip() for line in done.stdout.split("Written:")[1].splitlines() if line.strip()]
    pictures = [Path(path) for path in written if path.endswith(".png")]
    document, transcript, log = (Path(path) for path in written if not path.endswith(".png"))
    assert pictures and all(p.read_bytes().startswith(b"\x89PNG") for p in pictures)
    assert document.name.startswith("INC-") and "# Post-mortem:" in document.read_text()
    assert "Checklist" in transcript.read_text()
    assert log.stat().st_size > 0
    # The checklist lists the product's changes only; the responders revert the frontend from the thread,
    # and the journey's recovery is shown with the time it took, in the thread and the post-mortem.
    slack = transcript.read_text()
    checklist = slack.split("Is it our change? Can we revert?")[1].split("Is it AWS")[0]
    assert "alias `live` of `bookshop-frontend` 1" in checklist and "[Revert]" in checklist
    assert "incident-suite-demo" not in checklist
    assert "Reverted by @Wisen: alias `live` of `bookshop-frontend` from version 2 to 1" in slack
    assert re.search(r"`browse-catalogue` passes again \d+ s after the revert", slack)
    assert re.search(
        r"\| Wisen \| .* \| journeys passed again \d+ s after the revert \|", document.read_text()
    )
    # The revert is one of the incident's instants: in the key instants, and so a marker in the pictures.
    assert "| Reverted | " in document.read_text()


def narrated_steps(stdout: str) -> list[tuple[str, str]]:
    """The narration as (London clock HH:MM, what the step printed), in order."""
    steps = []
    for chunk in stdout.split("\n>>> ")[1:]:
        header, _, body = chunk.partition("\n")
        steps.append((re.search(r"\d\d:\d\d", header).group(0), header + "\n" + body))
    return steps


def test_a_traction_night_texts_and_calls_and_is_acknowledged_by_the_link(tmp_path: Path) -> None:
    """Saturday 02:00 in a traction moment: the Slack DM and a text carrying the acknowledgement link at
    once, a call 3 minutes on that nobody answers, then Alastair's phone opens the link (a GET that
    changes nothing) and he presses Acknowledge (a POST): nothing more is sent to anyone."""
    night = ("--at", "2026-11-28T02:00:00Z", "--traction", "2026-11-27T00:00/2026-11-30T00:00")
    done = run_demo(tmp_path, *night)
    assert done.returncode == 0, done.stderr[-3000:]
    steps = narrated_steps(done.stdout)
    [(paged_at, paged)] = [(at, text) for at, text in steps if "applies the support-hours policy" in text]
    assert paged_at == "02:05"
    for name, phone in (("Alastair", "+447700900001"), ("Wisen", "+447700900002")):
        assert f"[DM to {name}, new]" in paged
        assert re.search(rf"\[text to {name}, \{phone}\] .*Acknowledge: https://\S+/\S+", paged)
        assert f"[call to {name}" not in paged
    [(called_at, called)] = [(at, text) for at, text in steps if "a phone call to each person" in text]
    assert called_at == "02:08"  # +3 minutes
    assert "[call to Alastair, +447700900001] says: " in called and "To acknowledge" in called
    outcomes = "".join(text for _, text in steps if "ring out unanswered" in text)
    assert "history: called Alastair 02:08: no answer" in outcomes

    [acknowledged] = [text for _, text in steps if "opens the link in his text" in text]
    get, post = (line for line in acknowledged.splitlines() if line.strip().startswith(("GET", "POST")))
    assert ": 200, " in get and get.endswith("acknowledged: False")  # the prefetch changed nothing
    assert ": 200, 'Acknowledged'" in post
    assert "history: acknowledged by @Alastair by link" in acknowledged
    after = done.stdout.split("he presses Acknowledge")[1]
    assert "[text to" not in after and "[call to" not in after
    assert "In the next 15 minutes: 0 more texts or calls." in after


def test_with_a_workspace_token_the_demo_posts_through_the_slack_web_api(tmp_path: Path) -> None:
    workspace = FakeSlack(clock=lambda: datetime.now(UTC)).start()
    workspace.add_channel("C0TEAMCHAN")  # the team's channel, the bot in it (as the README asks)
    try:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-placeholder",
            "SLACK_CHANNEL": "C0TEAMCHAN",
            "SLACK_API_URL": workspace.url,
        }
        done = run_demo(tmp_path, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Slack workspace, channel C0TEAMCHAN" in done.stdout
        posted = workspace.messages("C0TEAMCHAN")
        assert any("played by the demo" in m["text"] for m in posted)
        assert {"conversations.history", "conversations.replies", "chat.update"} <= {
            call.method for call in workspace.calls()
        }
        # Every Web API call carries the bot token; the upload URL files.getUploadURLExternal gave is its
        # own credential (as a response_url is).
        assert {call.token for call in workspace.calls() if call.method != "upload"} == {"xoxb-placeholder"}
        assert workspace.calls("upload")
    finally:
        workspace.stop()
