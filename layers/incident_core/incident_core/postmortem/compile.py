"""The Incident State Document and its blameless post-mortem draft, as Markdown.

`compile_document(inputs, now)` is pure: plain data in (the incident, its alert, the recorded timeline,
the thread as read from Slack, the journey results, the action items), text out. The same inputs always
give the same bytes, which is what the golden-file tests and the "new version only when something
changed" rule rely on.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from incident_core.models import ActionItem, ActionStatus, Alert, Incident, TimelineEntry, TimelineKind
from incident_core.postmortem.echoes import Recorded, echoed_entry
from incident_core.postmortem.evidence import KeptEvidence, missing_evidence
from incident_core.postmortem.instants import IncidentInstants, read_instants
from incident_core.postmortem.journeys import PASSING_RUNS_KEPT_DAYS, JourneyRun, JourneySummary, summarise
from incident_core.postmortem.thread import FileNote, ThreadReading, to_markdown

LONDON = ZoneInfo("Europe/London")
# Thresholds for the draft's hints; the session decides what they mean for this incident.
QUICK_DETECTION = timedelta(minutes=5)
QUICK_ACKNOWLEDGEMENT = timedelta(minutes=15)
LONG_RESOLUTION = timedelta(hours=1)
MAX_JOURNEY_REASONS = 5
SUITE_POST_CHARACTERS = 300


@dataclass
class DocumentInputs:
    incident: Incident
    timeline: list[TimelineEntry] = field(default_factory=list)
    thread: ThreadReading | None = None
    alert: Alert | None = None
    journey_runs: list[JourneyRun] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    # Slack user id -> display name; ids without a name are shown as they are.
    names: dict[str, str] = field(default_factory=dict)
    resolved_by: str | None = None
    # What could not be read (besides the thread's own problems), said at the top of the document.
    problems: list[str] = field(default_factory=list)
    # The evidence the alert links, with the copies kept alongside the document.
    evidence: list[KeptEvidence] = field(default_factory=list)
    # The pictures of the incident window stored beside the document: (title, path relative to it).
    pictures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class KeyDurations:
    to_detect: timedelta | None
    to_acknowledge: timedelta | None
    to_declare: timedelta | None
    to_resolve: timedelta | None
    of_impact: timedelta | None


def key_durations(incident: Incident, alert: Alert | None = None) -> KeyDurations:
    """Detect: started -> detected. Acknowledge, declare, resolve: from detection. Impact: start -> end."""
    acknowledged = acknowledged_at(incident, alert)

    def between(start: datetime | None, end: datetime | None) -> timedelta | None:
        return end - start if start and end and end >= start else None

    return KeyDurations(
        to_detect=between(incident.started_at, incident.detected_at),
        to_acknowledge=between(incident.detected_at, acknowledged),
        to_declare=between(incident.detected_at, incident.declared_at),
        to_resolve=between(incident.detected_at, incident.resolved_at),
        of_impact=between(incident.started_at, incident.resolved_at),
    )


def acknowledged_at(incident: Incident, alert: Alert | None) -> datetime | None:
    if incident.acknowledged_at:
        return incident.acknowledged_at
    if alert and alert.acknowledged_at:
        return alert.acknowledged_at
    # Declaring an incident is acknowledging it: someone is on it.
    return incident.declared_at


def instant(at: datetime | None) -> str:
    if at is None:
        return "not recorded"
    return at.astimezone(LONDON).strftime("%a %d %b %Y %H:%M:%S %Z")


def clock(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%d %b %H:%M:%S")


def duration(span: timedelta | None) -> str:
    if span is None:
        return "not recorded"
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


_LITERAL = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        **{c: "\\" + c for c in "\\[]"},
        "\n": " ",
        "\r": " ",
    }
)


def plain(text: str) -> str:
    """Text that did not come from Slack (titles, names, reasons): shown literally, never as HTML, a
    link, an image or emphasis: `[text](url)` in an incident title is shown as typed."""
    return text.translate(_LITERAL)


@dataclass(frozen=True)
class _Entry:
    at: datetime
    who: str
    text: str
    note: str = ""
    files: tuple[FileNote, ...] = ()


class _Writer:
    def __init__(self, inputs: DocumentInputs) -> None:
        self.inputs = inputs
        self.lines: list[str] = []

    def name(self, user_id: str | None) -> str:
        if not user_id:
            return "someone"
        return plain(self.inputs.names.get(user_id) or user_id)  # display names are chosen by people

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)


@dataclass(frozen=True)
class CompiledDocument:
    markdown: str
    # Hash of everything but the "compiled at" stamp: the same facts give the same hash, whenever compiled.
    content_sha256: str
    problems: list[str] = field(default_factory=list)  # all the document says it could not read


def compile_document(inputs: DocumentInputs, now: datetime) -> CompiledDocument:
    writer = _Writer(inputs)
    incident, alert = inputs.incident, inputs.alert
    durations = key_durations(incident, alert)
    entries, left_out = _timeline_entries(inputs, writer)
    summaries = summarise(inputs.journey_runs)
    instants = read_instants(incident, alert, summaries, inputs.timeline)
    problems = [
        *(inputs.thread.problems if inputs.thread else []),
        *inputs.problems,
        *missing_evidence(inputs.evidence),
        *_missing_journey_results(inputs, summaries),
    ]

    title = f"# Incident {incident.incident_id}: {plain(incident.title)}"
    stamp = (
        f"_Incident State Document, compiled {instant(now)} from the Slack thread, the recorded timeline, "
        "the alert and the synthetic journey results. A blameless post-mortem draft follows it._"
    )
    if problems:
        writer.add("> **Could not read everything.** This document was compiled from what could be read:")
        writer.add(*(f"> - {plain(problem)}" for problem in problems), "")

    _summary(writer, durations)
    _impact(writer, summaries)
    _key_instants(writer, durations, instants)
    _pictures(writer)
    _responders(writer, entries)
    _timeline(writer, entries, left_out)
    _checklist(writer)
    _war_room(writer)
    _journeys(writer, summaries)
    _evidence(writer)
    _action_items(writer, "## Action items")
    writer.add("---", "")
    _post_mortem(writer, durations, instants, summaries, problems)
    body = "\n".join(writer.lines).rstrip() + "\n"
    return CompiledDocument(
        markdown=f"{title}\n\n{stamp}\n\n{body}",
        content_sha256=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
        problems=problems,
    )


def _missing_journey_results(inputs: DocumentInputs, summaries: list[JourneySummary]) -> list[str]:
    """Journey results the document needs but the table no longer holds (passing runs expire first)."""
    alert = inputs.alert
    named = dict.fromkeys([*inputs.incident.journeys, *([alert.journey] if alert and alert.journey else [])])
    by_journey = {summary.journey: summary for summary in summaries}
    kept = f"(passing runs are kept {PASSING_RUNS_KEPT_DAYS} days)"
    problems = []
    for journey in named:
        summary = by_journey.get(journey)
        if summary is None:
            problems.append(
                f"No result of journey {journey} is stored for the incident's window {kept}: "
                "when it failed and recovered is not known from them."
            )
        elif summary.first_failure and not summary.passed_before_failing:
            problems.append(
                f"No passing run of journey {journey} before its first failure is stored {kept}: "
                f"it may have started failing before {clock(summary.first_failure.at)}."
            )
    return problems


# ---------------------------------------------------------------------- the document's sections
def _summary(writer: _Writer, durations: KeyDurations) -> None:
    incident, alert = writer.inputs.incident, writer.inputs.alert
    writer.add("## Summary", "")
    writer.add(f"- **Status:** {incident.status.value}")
    writer.add(f"- **Lead:** {writer.name(incident.lead) if incident.lead else 'not named'}")
    if alert:
        writer.add(f"- **Alert:** {plain(alert.title)} ({alert.source.value}, `{alert.alert_id}`)")
    affected = [*incident.journeys, *incident.alarms]
    if affected:
        writer.add(f"- **Affected:** {', '.join(f'`{name}`' for name in affected)}")
    writer.add(f"- **Impact lasted:** {duration(durations.of_impact)} (started → resolved)")
    if incident.latest_update:
        writer.add(f"- **Latest update:** {to_markdown(incident.latest_update, writer.inputs.names)}")
    writer.add("")


def _impact(writer: _Writer, summaries: list[JourneySummary]) -> None:
    incident = writer.inputs.incident
    writer.add("## Impact", "")
    if incident.impact:
        writer.add(to_markdown(incident.impact, writer.inputs.names), "")
    else:
        writer.add("_Not recorded. At the session: who could not do what, and for how long?_", "")
    for summary in summaries:
        if summary.failures:
            writer.add(
                f"- Journey `{summary.journey}` failed {summary.failures} of its {summary.runs} runs "
                f"stored from {clock(summary.first_run)} to {clock(summary.last_run)}."
            )
    if any(summary.failures for summary in summaries):
        writer.add("")


def _key_instants(writer: _Writer, durations: KeyDurations, instants: IncidentInstants) -> None:
    """Each instant with what it was read from; each measure with the instants it was computed from."""
    window = instants.detection
    rows = [(instants.started.name, instants.started.at, instants.started.source)]
    if window.journey and window.last_pass:
        rows.append(("last passing run", window.last_pass, f"journey `{window.journey}`"))
    if window.journey and window.first_failure:
        rows.append(("first failing run", window.first_failure, f"journey `{window.journey}`"))
    rows += [(i.name, i.at, i.source) for i in instants.markers()[1:]]
    writer.add("## Key instants and durations", "", "| | when (London) | read from |", "| --- | --- | --- |")
    writer.add(*(f"| {name.capitalize()} | {instant(at)} | {source} |" for name, at, source in rows))
    acknowledged = instants.acknowledged
    ack_source = acknowledged.source if acknowledged else "not recorded"
    writer.add(
        "",
        "| | how long | computed from |",
        "| --- | --- | --- |",
        f"| Time to detect | {_detection_span(instants)} | {_detection_source(instants)} |",
        f"| Time to acknowledge | {duration(durations.to_acknowledge)} | detected → acknowledged "
        f"({ack_source}) |",
        f"| Time to declare | {duration(durations.to_declare)} | detected → declared |",
        f"| Time to resolve | {duration(durations.to_resolve)} | detected → resolved |",
        f"| Impact | {duration(durations.of_impact)} | started ({instants.started.source}) → resolved |",
        "",
    )
    _reverts(writer)
    _phases_diagram(writer, instants)


def _pictures(writer: _Writer) -> None:
    if not writer.inputs.pictures:
        return
    writer.add(
        "## The incident window in pictures",
        "",
        "_CloudWatch graphs from before the first sign to after the resolution; the dotted lines mark the "
        "instants above. Journeys first, then the product's golden signals as the dashboard draws them._",
        "",
    )
    for title, path in writer.inputs.pictures:
        writer.add(f"![{plain(title)}]({path})", "")


def _detection_span(instants: IncidentInstants) -> str:
    """How long detection took, as a window when the failure's start is only known between two runs."""
    window = instants.detection
    if window.first_failure and window.last_pass:
        shortest = max(window.confirmed - window.first_failure, timedelta(0))
        longest = max(window.confirmed - window.last_pass, timedelta(0))
        return f"between {duration(shortest)} and {duration(longest)}"
    if window.first_failure:
        return f"at least {duration(max(window.confirmed - window.first_failure, timedelta(0)))}"
    return duration(max(window.confirmed - instants.started.at, timedelta(0)))


def _detection_source(instants: IncidentInstants) -> str:
    window = instants.detection
    confirmed = f"confirmed {clock(window.confirmed)} ({instants.detected.source})"
    if window.first_failure and window.last_pass:
        return (
            f"the failure began after the last passing run ({clock(window.last_pass)}) and by the first "
            f"failing run ({clock(window.first_failure)}); {confirmed}"
        )
    if window.first_failure:
        return (
            f"the first failing run ({clock(window.first_failure)}); no passing run before it is stored; "
            f"{confirmed}"
        )
    return f"started ({instants.started.source}) → {confirmed}"


# Mermaid's gantt chart: GitHub and GitLab draw it; other readers see the code block and the table above.
_PHASES = (
    ("Detect", "started", "detected"),
    ("Acknowledge", "detected", "acknowledged"),
    ("Declare", "detected", "declared"),
    ("Mitigate", "declared", "recovered"),
    ("Resolve", "recovered", "resolved"),
)


def _phases_diagram(writer: _Writer, instants: IncidentInstants) -> None:
    at = {marker.name: marker.at for marker in instants.markers()}
    if "reverted" in at and "recovered" not in at:
        at["recovered"] = at["reverted"]  # mitigated by the revert when no recovery was seen
    writer.add(
        "```mermaid",
        "gantt",
        "    title Phases of the incident (London time)",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
    )
    for phase, start, end in _PHASES:
        if start in at and end in at and at[end] >= at[start]:
            begin, finish = (f"{at[name].astimezone(LONDON):%Y-%m-%d %H:%M:%S}" for name in (start, end))
            writer.add(f"    section {phase}", f"    {start} to {end} : {phase.lower()}, {begin}, {finish}")
    writer.add("```", "")


def _reverts(writer: _Writer) -> None:
    """Reverts made from the thread (changes/thread.py records them): what, who, when, and whether the
    journeys passed again, how long after."""
    reverts = writer.inputs.incident.checklist.get("reverts") or {}
    if not isinstance(reverts, dict) or not reverts:
        return
    writer.add("| Revert | by | when (London) | then |", "| --- | --- | --- | --- |")
    for revert in reverts.values():
        if not isinstance(revert, dict):
            continue
        at = instant(datetime.fromisoformat(revert["at"])) if revert.get("at") else "?"
        if not revert.get("ok"):
            then = f"failed: {plain(str(revert.get('reason') or '?'))}"
        elif revert.get("recovered_after_seconds") is not None:
            then = f"journeys passed again {int(revert['recovered_after_seconds'])} s after the revert"
        elif revert.get("still_failing"):
            then = "journeys still failed: " + ", ".join(
                f"`{plain(str(j))}`" for j in revert["still_failing"]
            )
        else:
            then = "not checked again"
        who = writer.name(str(revert["by"])) if revert.get("by") else "?"
        writer.add(f"| {plain(str(revert.get('what') or '?'))} | {who} | {at} | {then} |")
    writer.add("")


def _responders(writer: _Writer, entries: list[_Entry]) -> None:
    inputs = writer.inputs
    incident, alert = inputs.incident, inputs.alert
    roles: dict[str, list[str]] = {}

    def role(user_id: str | None, what: str) -> None:
        if user_id and user_id.startswith(("U", "W")):
            roles.setdefault(user_id, [])
            if what and what not in roles[user_id]:
                roles[user_id].append(what)

    role(incident.lead, "lead")
    role(alert.acknowledged_by if alert else None, "acknowledged")
    role(incident.declared_by, "declared")
    role(inputs.resolved_by, "resolved")
    for responder in incident.responders:
        role(responder, "")
    messages = Counter(entry.who for entry in entries if entry.who.startswith(("U", "W")))
    for user_id in messages:
        role(user_id, "")
    writer.add("## Responders", "")
    if not roles:
        writer.add("_Nobody recorded._", "")
        return
    for user_id, what in roles.items():
        count = messages.get(user_id, 0)
        details = [*what, f"{count} message{'s' if count != 1 else ''} in the thread"]
        writer.add(f"- {writer.name(user_id)} ({', '.join(details)})")
    writer.add("")


def _timeline(writer: _Writer, entries: list[_Entry], left_out: Counter) -> None:
    writer.add("## Timeline", "")
    if not entries:
        writer.add("_Nothing was recorded._", "")
    for entry in entries:
        who = "Suite" if entry.who == "suite" else writer.name(entry.who)
        text = entry.text.strip() or "_(no text)_"
        first, *rest = text.splitlines() or [""]
        note = f" _{entry.note}_" if entry.note else ""
        writer.add(f"- `{clock(entry.at)}` **{who}:** {_line(first)}{note}")
        writer.add(*(f"  {_line(line)}" if line.strip() else "" for line in rest))
        for file in entry.files:
            if file.readable and file.link and file.link.startswith(("https://", "http://")):
                writer.add(f"  - file: [{plain(file.name)}]({file.link})")
            else:
                writer.add(f"  - file {plain(file.name)}: could not be read (deleted, or hidden by Slack)")
    if left_out:
        parts = ", ".join(f"{reason}: {count}" for reason, count in left_out.items())
        writer.add("", f"_Left out of the timeline: {parts}._")
    writer.add("")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _line(text: str) -> str:
    # A reply starting with "#" or ">" must not turn into a heading or a quote inside the list.
    return "\\" + text if text.lstrip().startswith(("#", ">", "---")) else text


def _checklist(writer: _Writer) -> None:
    """The incident thread's checklist record: revert candidates, AWS Health and vendors, runbook."""
    checklist = dict(writer.inputs.incident.checklist)
    writer.add("## What the checklist found", "")
    if not checklist:
        writer.add("_The checklist's answers were not recorded._", "")
        return
    checked_at = checklist.pop("checked_at", None)
    checklist.pop("reverts", None)  # in "Key instants and durations"
    writer.add(*_revert_lines(checklist.pop("revert", None)))
    writer.add(*_outside_lines(checklist.pop("aws_health_and_vendor_status", None)))
    writer.add(*_runbook_lines(checklist.pop("runbook", None)))
    war_room = checklist.pop("war_room", None)
    if isinstance(war_room, dict) and war_room.get("error"):
        writer.add(f"- **War room:** Zoom could not start one ({plain(str(war_room['error']))}).")
    for question, answer in checklist.items():  # anything else recorded, shown as it is
        _value(writer, str(question), answer, depth=0)
    if checked_at:
        writer.add("", f"_Checked {instant(datetime.fromisoformat(str(checked_at)))}._")
    writer.add("")


def _not_checked(record: dict) -> str:
    return f"could not be checked ({plain(str(record['error']))})" if record.get("error") else "not checked"


def _revert_lines(record: object) -> list[str]:
    if not isinstance(record, dict):
        return []
    if not record.get("checked"):
        return [f"- **Revert?** Recent deployments {_not_checked(record)}."]
    candidates = record.get("candidates") or []
    if not candidates:
        return ["- **Revert?** Nothing of the product changed in the hours before it started."]
    lines = ["- **Revert?** Changed shortly before it started (most likely first):"]
    for change in candidates:
        at = instant(datetime.fromisoformat(change["at"])) if change.get("at") else "at an unknown time"
        what = plain(str(change.get("kind") or change.get("change") or "changed"))
        resource = plain(str(change.get("resource") or f"`{change.get('stack')}`"))
        moved = f" {plain(str(change.get('before') or '?'))} → {plain(str(change.get('after') or '?'))}"
        moved = moved if change.get("before") or change.get("after") else ""
        by = f" by {plain(str(change['who']))}" if change.get("who") else ""
        status = f" ({change['status']})" if change.get("status") else ""
        lines.append(f"  - {what}: {resource}{moved} {at}{by}{status}")
    return lines


def _outside_lines(record: object) -> list[str]:
    if not isinstance(record, dict):
        return []
    lines = []
    health = record.get("aws_health") or {}
    if not health.get("checked"):
        lines.append(f"- **AWS Health:** {_not_checked(health)}.")
    elif not health.get("events"):
        lines.append("- **AWS Health:** no open event for this account.")
    else:
        lines.append("- **AWS Health:**")
        for event in health["events"]:
            region = event.get("region") or "all regions"
            lines.append(
                f"  - `{plain(str(event.get('type')))}` in {region} ({event.get('status') or 'open'})"
            )
    vendors = record.get("vendors") or []
    if not vendors:
        lines.append("- **Vendors:** no status page configured.")
    for vendor in vendors:
        page = plain(str(vendor.get("page")))
        if not vendor.get("checked"):
            lines.append(f"- **Vendor** <{page}>: {_not_checked(vendor)}.")
            continue
        said = plain(str(vendor.get("description") or vendor.get("indicator") or "no status"))
        open_incidents = ", ".join(plain(str(name)) for name in vendor.get("incidents") or [])
        lines.append(
            f"- **Vendor** <{page}>: {said}" + (f"; open: {open_incidents}" if open_incidents else "")
        )
    return lines


def _runbook_lines(record: object) -> list[str]:
    if not isinstance(record, dict):
        return []
    if record.get("found"):
        return [f"- **Runbook:** `runbooks/{plain(str(record.get('file')))}`."]
    if record.get("error"):
        return [f"- **Runbook:** {_not_checked(record)}."]
    if record.get("wanted"):
        asked = f" (action item `{record['action_id']}`)" if record.get("action_id") else ""
        return [f"- **Runbook:** none; `config/runbooks/{plain(str(record['wanted']))}` is wanted{asked}."]
    return ["- **Runbook:** none matched (no journey or alarm named)."]


def _value(writer: _Writer, label: str, value: object, depth: int) -> None:
    indent = "  " * depth
    heading = f"**{plain(label)}**" if depth == 0 else plain(label)
    if isinstance(value, dict):
        writer.add(f"{indent}- {heading}")
        for key, inner in value.items():
            _value(writer, str(key), inner, depth + 1)
    elif isinstance(value, list):
        writer.add(f"{indent}- {heading}" + ("" if value else ": none"))
        for inner in value:
            if isinstance(inner, dict):
                summary = ", ".join(f"{k}: {plain(str(v))}" for k, v in inner.items() if v not in (None, ""))
                writer.add(f"{indent}  - {summary}")
            else:
                writer.add(f"{indent}  - {plain(str(inner))}")
    else:
        shown = "not known" if value in (None, "") else plain(str(value))
        writer.add(f"{indent}- {heading}: {shown}")


def _war_room(writer: _Writer) -> None:
    url = writer.inputs.incident.war_room_url
    writer.add("## War room", "")
    writer.add(f"Zoom: <{url}>" if url else "_No war room link was recorded._", "")


def _journeys(writer: _Writer, summaries: list[JourneySummary]) -> None:
    if not summaries:
        return
    writer.add("## Synthetic journeys over the incident window", "")
    writer.add("| journey | runs | failed | first failure | last failure | next success |")
    writer.add("| --- | --- | --- | --- | --- | --- |")
    for s in summaries:
        writer.add(
            f"| `{s.journey}` | {s.runs} | {s.failures} | "
            f"{clock(s.first_failure.at) if s.first_failure else '-'} | "
            f"{clock(s.last_failure.at) if s.last_failure else '-'} | "
            f"{clock(s.first_success_after_failure.at) if s.first_success_after_failure else '-'} |"
        )
    writer.add("")
    for s in summaries:
        for reason, count in s.reasons[:MAX_JOURNEY_REASONS]:
            writer.add(f"- `{s.journey}` {plain(reason)} ({count} times)")
    if any(s.reasons for s in summaries):
        writer.add("")


def _evidence(writer: _Writer) -> None:
    kept = [piece for piece in writer.inputs.evidence if piece.kept]
    if not kept:
        return
    writer.add("## Evidence", "", "Kept with this document (the originals expire):", "")
    writer.add(*(f"- {plain(piece.label)}: <{piece.kept}>" for piece in kept), "")


def _issue(action: ActionItem) -> str:
    """The item's issue in the team's tracker, linked, with its state."""
    if action.tracker_issue is None:
        return ""
    name = f"issue #{action.tracker_issue}"
    linked = f"[{name}]({action.tracker_url})" if action.tracker_url else name
    return f", {linked} {action.tracker_state or 'open'}"


def _action_items(writer: _Writer, heading: str) -> None:
    actions = sorted(
        writer.inputs.actions, key=lambda a: (a.status != ActionStatus.OPEN, a.due, a.created_at)
    )
    writer.add(heading, "")
    if not actions:
        writer.add("_None yet._", "")
    for action in actions:
        box = "x" if action.status == ActionStatus.DONE else " "
        owner = writer.name(action.owner) if action.owner else "no owner yet"
        done = f", done by {writer.name(action.done_by)}" if action.status == ActionStatus.DONE else ""
        writer.add(
            f"- [{box}] **{action.priority}** {to_markdown(action.text, writer.inputs.names)} "
            f"({owner}, due {action.due:%a %d %b %Y}, from {action.source}{done}, `{action.action_id}`"
            f"{_issue(action)})"
        )
    writer.add("")


# ---------------------------------------------------------------------- timeline assembly
def _timeline_entries(inputs: DocumentInputs, writer: _Writer) -> tuple[list[_Entry], Counter]:
    """System entries from the store, replies from the thread as it reads now.

    The thread is the truth for replies: a reply recorded in the timeline but no longer in a thread that
    was read completely was deleted, so it is left out. When the thread could not be read (or only in
    part), replies recorded in the timeline stand in for it, marked as such.
    """
    thread = inputs.thread
    left_out: Counter = Counter(thread.left_out if thread else {})
    entries: list[_Entry] = []
    thread_complete = thread is not None and thread.complete
    for entry in inputs.timeline:
        if entry.kind == TimelineKind.SYSTEM:
            # System entries are written in Slack's format (mentions like <@U1>), as the thread shows them.
            entries.append(_Entry(entry.at, "suite", to_markdown(entry.text, inputs.names)))
            continue
        if entry.slack_ts and thread is not None and thread.has(entry.slack_ts):
            continue  # shown as the thread reads now, below
        if entry.deleted or (entry.slack_ts and thread_complete):
            left_out["deleted messages"] += 1  # gone from a thread read in full: deleted since recorded
            continue
        recorded = "(from the recorded timeline)" if entry.slack_ts else ""
        entries.append(
            _Entry(
                entry.at,
                entry.author or "unknown",
                to_markdown(entry.text, inputs.names),
                note=f"(edited) {recorded}".strip() if entry.edited_at else recorded,
            )
        )
    recorded = [Recorded(e.at, e.text) for e in inputs.timeline if e.kind == TimelineKind.SYSTEM]
    for message in thread.messages if thread else []:
        text = message.text
        if message.by_suite:
            # The suite's posts: their first line (checklists and runbooks are long, and are shown in
            # their own sections); a post that echoes a timeline entry is merged into that entry.
            lines = text.strip().splitlines()
            text = _clip(lines[0] if lines else "", SUITE_POST_CHARACTERS)
            if echoed_entry(message.at, text, recorded) is not None:
                left_out["suite posts merged into the timeline entry they echo"] += 1
                continue
        entries.append(
            _Entry(
                message.at,
                "suite" if message.by_suite else message.author,
                to_markdown(text, inputs.names, by_suite=message.by_suite),
                note="(edited)" if message.edited_at else "",
                files=message.files,
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries, +left_out


# ---------------------------------------------------------------------- the post-mortem draft
def _post_mortem(
    writer: _Writer,
    durations: KeyDurations,
    instants: IncidentInstants,
    summaries: list[JourneySummary],
    problems: list[str],
) -> None:
    incident = writer.inputs.incident
    writer.add(
        f"# Post-mortem: {plain(incident.title)}",
        "",
        "_A blameless draft to finish together at the brainstorming session. We ask how the system and "
        "our process let this happen and how to make it less likely, never who is to blame. The bullets "
        "below come from the record above; add what the record cannot know._",
        "",
        "## What happened",
        "",
        *_story(writer, durations, instants, summaries),
        "",
        "## Why: contributing causes",
        "",
        *_causes(writer, summaries),
        "- _What made it possible? What made it worse? What stopped us seeing it sooner?_",
        "",
        "## What went well",
        "",
        *_went_well(writer, durations, instants, summaries),
        "- _Add yours._",
        "",
        "## What went badly",
        "",
        *_went_badly(writer, durations, problems),
        "- _Add yours._",
        "",
        "## Where we were lucky",
        "",
        "- _What could have made this much worse, and did not happen only by chance?_",
        "",
    )
    _action_items(writer, "## Action items (P0, before product work)")
    writer.add(
        "_New items: `/incident action <what to do> @owner` in the incident thread. Each is due in 2 "
        "business days unless said otherwise, and reminded every business morning until it is done._"
    )


def _story(
    writer: _Writer, durations: KeyDurations, instants: IncidentInstants, summaries: list[JourneySummary]
) -> list[str]:
    incident, alert = writer.inputs.incident, writer.inputs.alert
    lines = []
    failing = [s for s in summaries if s.first_failure]
    if failing:
        first = min(failing, key=lambda s: s.first_failure.at)  # type: ignore[union-attr]
        run = first.first_failure
        assert run is not None
        where = f" at step `{run.step}`" if run.step else ""
        lines.append(
            f"- {clock(run.at)}: journey `{first.journey}` started failing{where}: {plain(run.reason)}."
        )
    detected = f"detected {_detection_span(instants)} after it began"
    if alert and alert.first_seen == incident.detected_at:  # one event: the alert is the detection
        lines.append(f"- {clock(alert.first_seen)}: alert raised: {plain(alert.title)}; {detected}.")
    else:
        if alert:
            lines.append(f"- {clock(alert.first_seen)}: alert raised: {plain(alert.title)}.")
        lines.append(f"- {clock(incident.detected_at)}: {detected} ({instants.detected.source}).")
    if alert and alert.acknowledged_by and alert.acknowledged_at:
        lines.append(
            f"- {clock(alert.acknowledged_at)}: acknowledged by {writer.name(alert.acknowledged_by)}, "
            f"{duration(durations.to_acknowledge)} after detection."
        )
    lines.append(
        f"- {clock(incident.declared_at)}: {writer.name(incident.declared_by)} declared an incident."
    )
    if incident.resolved_at:
        by = f" by {writer.name(writer.inputs.resolved_by)}" if writer.inputs.resolved_by else ""
        lines.append(
            f"- {clock(incident.resolved_at)}: resolved{by}, {duration(durations.to_resolve)} after "
            f"detection; users were affected for {duration(durations.of_impact)}."
        )
    return lines


def _causes(writer: _Writer, summaries: list[JourneySummary]) -> list[str]:
    lines = []
    for summary in summaries:
        for reason, count in summary.reasons[:1]:
            lines.append(f"- The journey `{summary.journey}` failed at {plain(reason)} ({count} times).")
    checklist = writer.inputs.incident.checklist
    for change in ((checklist.get("revert") or {}).get("candidates") or [])[:3]:
        resource = plain(str(change.get("resource") or f"stack `{change.get('stack')}`"))
        lines.append(f"- The {resource} changed just before: was it the cause?")
    outside = checklist.get("aws_health_and_vendor_status") or {}
    if (outside.get("aws_health") or {}).get("events"):
        lines.append("- AWS Health had an open event for the account: did it play a part?")
    for vendor in outside.get("vendors") or []:
        if vendor.get("incidents"):
            lines.append(f"- <{plain(str(vendor.get('page')))}> had open incidents: did they play a part?")
    return lines


def _went_well(
    writer: _Writer, durations: KeyDurations, instants: IncidentInstants, summaries: list[JourneySummary]
) -> list[str]:
    lines = []
    window = instants.detection
    # The longest it can have taken: from the last passing run when known, else from the recorded start.
    longest = window.confirmed - (window.last_pass or window.first_failure or instants.started.at)
    if longest <= QUICK_DETECTION:
        how = "a synthetic journey" if summaries else "our alerting"
        lines.append(f"- Detected by {how} {_detection_span(instants)} after it began.")
    if durations.to_acknowledge is not None and durations.to_acknowledge <= QUICK_ACKNOWLEDGEMENT:
        lines.append(f"- Acknowledged {duration(durations.to_acknowledge)} after detection.")
    if writer.inputs.incident.war_room_url:
        lines.append("- A war room was open for everyone to join.")
    return lines


def _went_badly(writer: _Writer, durations: KeyDurations, problems: list[str]) -> list[str]:
    lines = []
    if durations.to_acknowledge is not None and durations.to_acknowledge > QUICK_ACKNOWLEDGEMENT:
        lines.append(
            f"- It took {duration(durations.to_acknowledge)} to acknowledge the alert after detection."
        )
    if durations.to_resolve is not None and durations.to_resolve > LONG_RESOLUTION:
        lines.append(f"- It took {duration(durations.to_resolve)} to resolve after detection.")
    runbook = writer.inputs.incident.checklist.get("runbook") or {}
    if isinstance(runbook, dict) and runbook.get("wanted"):
        lines.append("- There was no runbook for this (an action item asks for one).")
    if problems:
        lines.append("- Part of the record could not be read (see the note at the top).")
    return lines
