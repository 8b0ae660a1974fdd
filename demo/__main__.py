"""`make demo`: the whole incident on this machine, narrated as the team would see it in Slack.

    python -m demo [--at 2026-11-28T02:00:00Z] [--traction FROM/TO] [--out demo-output]

By default the incident happens now (London time decides who is paged). The suite's functions run as
Lambda runs them, against local stand-ins: moto for AWS, a fake Slack Web API and Zoom API, fake vendor
status pages, and the bookshop site that loses its "Book viewing" button. Everything listens on
127.0.0.1; no AWS account or Slack workspace is needed. What the functions log goes to a log file.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from demo.incident import Rehearsal, SlackWorkspace, TractionMoment
from stand_ins.fake_sms_voice import CallOutcome
from stand_ins.slack_transcript import render_channel, render_message

LONDON = ZoneInfo("Europe/London")
PASSING_MINUTES = 5  # journeys passing before the deploy breaks the button


class Narrator:
    """Prints each step, then what appeared or changed in Slack since the last step."""

    def __init__(self, rehearsal: Rehearsal, out: TextIO) -> None:
        self.rehearsal = rehearsal
        self.out = out
        self.shown: dict[str, str] = {}

    def step(self, title: str) -> None:
        london = self.rehearsal.now.astimezone(LONDON).strftime("%a %d %b %H:%M %Z")
        print(f"\n>>> {london}  {title}", file=self.out)

    def say(self, text: str) -> None:
        print(f"    {text}", file=self.out)

    def slack(self) -> None:
        """New and edited messages in #incidents and the people's direct messages."""
        r = self.rehearsal
        channels = [(r.channel, "#incidents")]
        if r.workspace is None:  # the local fake shows the people's direct messages too
            channels += [
                ("D" + user.removeprefix("U")[:10], f"DM to {r.names[user]}")
                for user in (r.alastair, r.wisen)
            ]
        for channel, label in channels:
            for message in r.messages(channel):
                rendered = render_message(message, r.names, indent="      | " if _is_reply(message) else "")
                key = f"{channel}:{message['ts']}"
                if self.shown.get(key) == rendered:
                    continue
                change = "updated" if key in self.shown else "new"
                self.shown[key] = rendered
                print(f"  [{label}, {change}]\n{_indent(rendered)}", file=self.out)


def _is_reply(message: dict) -> bool:
    return message.get("thread_ts") not in (None, message["ts"])


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def play(rehearsal: Rehearsal, narrator: Narrator) -> dict[str, object]:
    """The incident, step by step. Returns what it produced (ids and paths)."""
    from incident_core.actions.store import ActionStore
    from incident_core.alerts.store import AlertStore
    from incident_core.incidents.store import IncidentStore

    r, n = rehearsal, narrator
    n.step("The stack is deployed. `incidentctl drill` proves the paging path without waking anyone.")
    drill = r.drill()
    hops = "; ".join(f"{hop['hop']} {hop['seconds']:.1f} s" for hop in drill["hops"])
    n.say(f"exit {drill['exit']}: the drill arrived ({hops}, on the rehearsal's clock).")
    n.slack()

    n.step("The journeys run on their one-minute schedule against the bookshop.")
    for _ in range(PASSING_MINUTES - 1):  # what normal looks like, in the pictures of the incident window
        r.tick()
        r.advance(minutes=1)
    outcome = r.tick()
    n.say(f"{outcome['passed']} of {outcome['ran']} journeys pass, minute after minute.")

    r.advance(seconds=35)
    version = r.deploy_frontend()
    n.step(
        f"A deploy moves the frontend's alias `live` to version {version}, which removes the 'Book viewing' "
        "button. Users can no longer book a viewing."
    )
    r.advance(seconds=25)
    n.step("The runner's next run: the journey fails, is run again at once, and fails again.")
    outcome = r.tick()
    n.say(f"failed: {', '.join(outcome['failed']) or 'none'}; announced on the bus: {outcome['announced']}")
    (alert,) = AlertStore.from_settings().list_open()
    n.say("The alert router applies the support-hours policy and pages:")
    n.slack()

    acknowledged = escalate(r, n, alert.alert_id)
    if not acknowledged:
        r.advance(minutes=2)
    page = r.page_message()
    if page is None:
        raise RuntimeError("the alert was not posted to #incidents")
    if acknowledged:
        n.step("Alastair, acknowledged from his phone, validates it in #incidents: Real incident.")
    else:
        n.step("Alastair sees it in #incidents and validates it: Acknowledge, then Real incident.")
        r.click("alert_acknowledge", alert.alert_id, page, r.alastair)
    r.click("alert_real_incident", alert.alert_id, r.page_message() or page, r.alastair)
    (incident,) = IncidentStore.from_settings().list_open()
    n.say(f"Incident {incident.incident_id} declared; the thread is the Live Incident State Document.")
    n.slack()

    r.advance(minutes=2)
    n.step("The responders work in the thread; every reply goes into the timeline.")
    r.reply(incident.thread_ts, "Checking the book page: the button is missing from the HTML.", r.alastair)
    r.advance(minutes=1)
    r.reply(
        incident.thread_ts, "The frontend deploy at the top of the checklist matches. Reverting it.", r.wisen
    )
    r.command(f"update {incident.incident_id} Reverting the frontend deploy", r.alastair)
    n.slack()

    n.step("Alastair asks for the picture of the incident so far: `/incident graph`.")
    r.command(f"graph {incident.incident_id}", r.alastair)
    n.slack()

    r.advance(minutes=1)
    n.step("Wisen presses Revert on the frontend's change in the checklist; Slack asks to confirm first.")
    r.press_revert(incident.thread_ts, r.wisen)
    n.say("The revert function moves the alias back; the journey runner checks the journey at once:")
    n.slack()

    r.advance(minutes=1)
    n.step("The runner's scheduled run a minute later: still passing.")
    outcome = r.tick()
    n.say(
        f"{outcome['passed']} of {outcome['ran']} journeys pass; announced on the bus: {outcome['announced']}"
    )
    n.slack()

    r.advance(minutes=3)
    n.step("Alastair resolves the incident; the post-mortem compiler writes the incident document.")
    r.command(f"resolve {incident.incident_id}", r.alastair)
    r.command(
        f"action {incident.incident_id} Check the button after every frontend deploy <@{r.wisen}>", r.alastair
    )
    n.slack()
    actions = ActionStore.from_settings().list_open()
    for item in actions:
        owner = r.names.get(item.owner or "", item.owner)
        n.say(f"action item {item.action_id} ({item.priority}, owner {owner}, due {item.due}): {item.text}")
    for _ in range(3):  # after the resolution: normal again, the right margin of the pictures
        r.advance(minutes=1)
        r.tick()
    issues = track_on_github(r, n)
    documents = r.download_documents()
    pictures = r.download_pictures()
    n.say(f"Pictures of the incident window beside the document: {', '.join(p.name for p in pictures)}")
    return {
        "incident_id": incident.incident_id,
        "alert_id": alert.alert_id,
        "documents": documents,
        "pictures": pictures,
        "actions": [item.action_id for item in actions],
        "issues": issues,
    }


def escalate(r: Rehearsal, n: Narrator, alert_id: str) -> bool:
    """A page with later plan steps (a traction night): the Slack DM and a text at once, the text carrying
    the acknowledgement link; a call 3 minutes on that nobody answers, its outcome brought to the router
    by the configuration set's events (SNS); then Alastair acknowledges by the link in his text, and
    nothing more is sent. False when the page has no later steps (business hours: Slack first)."""
    from incident_core.alerts.store import AlertStore
    from incident_core.paging.pages import PageKind
    from incident_core.paging.store import PageStore
    from incident_core.policy.model import load_policy

    store = AlertStore.from_settings()
    pages = PageStore(store.table).for_alert(alert_id)
    calls = [p.due_at for p in pages if p.kind == PageKind.STEP and "call" in p.channels]
    first_call = min(calls, default=None)
    if first_call is None:
        return False
    r.sms_voice.answer_calls(otherwise=CallOutcome.NO_ANSWER)  # nobody wakes to the phone tonight
    phones = {person.phone: person.name for person in load_policy(r.policy_file).people.values()}
    shown = show_phones(r, n, phones, 0)
    history = HistoryLines(r, store, alert_id)

    r.advance(seconds=(first_call - r.now).total_seconds())
    n.step("Nobody has acknowledged: the plan's next step, a phone call to each person standing by.")
    history.show(n)
    shown = show_phones(r, n, phones, shown)
    rings = (
        "The calls ring out unanswered; the configuration set's events reach the router (SNS), and each "
        "person's next call is brought forward.",
        "Those calls ring out unanswered too.",
    )
    for title in rings:
        r.advance(minutes=1)
        n.step(title)
        r.phone_events()
        history.show(n)
        shown = show_phones(r, n, phones, shown)
    n.slack()

    text = next(t for t in r.sms_voice.texts() if phones.get(t.destination) == "Alastair")
    link = re.search(r"https://\S+", text.body)
    if link is None:
        raise RuntimeError(f"Alastair's text carries no acknowledgement link: {text.body!r}")
    r.advance(minutes=1)
    n.step("Alastair wakes to the missed calls and opens the link in his text.")
    seen = r.open_link(link.group(0), "GET")
    n.say(
        f"GET (his phone fetches the page first, to preview it): {seen['statusCode']}, "
        f"'{_title(seen['body'])}': the alert and an Acknowledge button; "
        f"acknowledged: {store.get(alert_id).acknowledged_at is not None}"
    )
    done = r.open_link(link.group(0), "POST")
    n.say(f"POST (he presses Acknowledge): {done['statusCode']}, '{_title(done['body'])}'")
    history.show(n)
    n.slack()

    sent = len(r.sms_voice.texts()) + len(r.sms_voice.calls())
    r.advance(minutes=15)
    r.phone_events()
    later = len(r.sms_voice.texts()) + len(r.sms_voice.calls()) - sent
    stopped = "The plan stopped for everyone." if later == 0 else "The acknowledgement did NOT stop the plan."
    n.say(f"In the next 15 minutes: {later} more texts or calls. {stopped}")
    return True


def show_phones(r: Rehearsal, n: Narrator, phones: dict[str | None, str], shown: int) -> int:
    """What each person's phone received since the `shown` first messages: texts (with their link) and
    calls (what Amazon Polly says; how each ended is in the alert's history). Returns how many are shown."""
    sent = r.sms_voice.sent()
    for message in sent[shown:]:
        name = phones.get(message.destination, message.destination)
        if message.kind == "text":
            n.say(f"[text to {name}, {message.destination}] {' / '.join(message.body.splitlines())}")
        else:
            script = " ".join(re.sub(r"<[^>]+>", " ", message.body).split())
            n.say(f"[call to {name}, {message.destination}] says: {script}")
    return len(sent)


class HistoryLines:
    """The alert's history, each line shown once, people by name."""

    def __init__(self, r: Rehearsal, store: Any, alert_id: str) -> None:
        self.r, self.store, self.alert_id = r, store, alert_id
        self.seen = {e.what for e in store.history(alert_id)}

    def show(self, n: Narrator) -> None:
        for event in self.store.history(self.alert_id):
            if event.what in self.seen:
                continue
            self.seen.add(event.what)
            line = event.what
            for user, name in self.r.names.items():
                line = line.replace(f"<@{user}>", f"@{name}")
            n.say(f"history: {line}")


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page)
    return html.unescape(found.group(1)) if found else ""


def track_on_github(r: Rehearsal, n: Narrator) -> list[str]:
    """The action item as an issue in the team's repository, closed there, done in Slack (issue 19)."""
    from datetime import time

    from incident_core.actions.store import ActionStore, london_today
    from incident_core.policy.calendar import add_business_days

    r.advance(minutes=15)
    pending = r.suite.function("TrackerSyncFunction").invoke({"run": "pending"})
    issues = r.github.issues()
    if not issues:
        return []
    n.step("Each action item is an issue in the team's GitHub repository, where the next work is chosen.")
    n.say(f"(the 15-minute run made the issues of items opened elsewhere: {pending['outcomes']})")
    for issue in issues:
        labels = ", ".join(label["name"] for label in issue["labels"])
        owner = ", ".join(a["login"] for a in issue["assignees"]) or "nobody"
        n.say(f"{issue['html_url']}  [{labels}]  assigned to {owner}: {issue['title']}")
    r.advance(hours=2)
    issue = issues[0]  # the post-mortem's item, Wisen's
    n.step(
        f"Wisen does it and closes issue #{issue['number']} on GitHub; its signed webhook tells the suite."
    )
    r.github_change(issue["number"], "wisen-gh", "closed", state="closed")
    n.slack()
    morning = datetime.combine(add_business_days(london_today(r.now), 1), time(9, 30), tzinfo=LONDON)
    if r.workspace is None:
        n.step("The next business morning's reminder: the closed item said done, the open one chased.")
        outcome = r.remind(morning)
        n.say(f"reminder: {outcome}")
        n.slack()
    for item in ActionStore.from_settings().list_done():
        n.say(f"action item {item.action_id}: done, issue #{item.tracker_issue} {item.tracker_state}")
    return [issue["html_url"] for issue in r.github.issues()]


def london_instant(value: str) -> datetime:
    """ISO-8601; without an offset it is London wall-clock time, as the policy reads it."""
    instant = datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=LONDON)


def parse_traction(value: str) -> TractionMoment:
    start, _, end = value.partition("/")
    return TractionMoment(london_instant(start), london_instant(end), "traction moment")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--at",
        type=datetime.fromisoformat,
        default=None,
        help="when the incident happens (ISO-8601; default: now)",
    )
    parser.add_argument(
        "--traction",
        type=parse_traction,
        action="append",
        default=[],
        help="a traction moment FROM/TO (ISO-8601), e.g. for an off-hours incident",
    )
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    args = parser.parse_args(argv)
    workspace = SlackWorkspace.from_environment()
    if workspace and args.at:
        parser.error(
            "--at needs the local Slack stand-in: a real workspace stamps messages with the real time"
        )
    policy = Path(os.environ.get("POLICY_FILE") or Path(__file__).parent.parent / "config" / "policy.yaml")
    start = (args.at or datetime.now(UTC)).astimezone(UTC)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    began = time.monotonic()
    out = sys.stdout
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / "functions.log"
    where = f"Slack workspace, channel {workspace.channel}" if workspace else "local Slack stand-in"
    print(f"The whole incident, locally ({where}). Functions log to {log_path}.", file=out)
    with (
        log_path.open("w") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
        Rehearsal(
            start=start, workdir=args.out, traction=args.traction, workspace=workspace, policy_file=policy
        ) as rehearsal,
    ):
        result = play(rehearsal, Narrator(rehearsal, out))
        transcript = args.out / "slack-transcript.txt"
        transcript.write_text(render_channel(rehearsal.messages(), rehearsal.names, "#incidents") + "\n")
    print(f"\nDone in {time.monotonic() - began:.1f} s. Written:", file=out)
    for path in [*result["documents"], *result["pictures"], transcript, log_path]:
        print(f"  {path}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
