"""The policy's checklist, answered by the suite itself, each lookup within a deadline.

- Revert? What changed shortly before the incident started (CloudFormation stacks, CloudTrail's deploy-like
  writes, the team's deploy markers), the suite's own left out, ranked (incident_core.changes.rank); a
  Revert button on each change the suite can revert, when revert is turned on (docs/revert.md).
- AWS or a SaaS vendor? AWS Health events recorded for the account, and each configured vendor's
  Atlassian Statuspage (indicator and unresolved incidents).
- Runbook? `<runbooks dir>/<journey or alarm>.md`, matched by name; none opens an action item.

The lookups run concurrently; whatever has not answered by the deadline, or failed, is reported as
"could not check" with the reason, and the incident goes on without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from incident_core.adapters.deploys import DeploySource, StackChange, as_change
from incident_core.adapters.statuspage import StatusSource, VendorStatus
from incident_core.changes.model import Change
from incident_core.changes.rank import Dependencies, Own, rank
from incident_core.concurrency import ContextThreadPool
from incident_core.incidents.render import clip, mrkdwn, when
from incident_core.models import Incident

HEALTH_LOOKBACK = timedelta(days=7)
RUNBOOK_EXCERPT = 2800


@dataclass
class Lookups:
    """Where the answers come from; each source is optional (absent: "not configured")."""

    deploys: DeploySource | None = None
    health: Any | None = None  # incident_core.alerts.health.HealthFacts: between(start, end)
    status_pages: StatusSource | None = None
    vendor_pages: list[str] = field(default_factory=list)
    runbooks_dir: Path | None = None
    alarm_prefix: str = ""
    revert_window: timedelta = timedelta(hours=3)
    deadline_seconds: float = 4.0
    # Other sources of changes, by name ("CloudTrail", "deploy markers"): changed_between(start, end).
    change_sources: dict[str, Any] = field(default_factory=dict)
    # What the incident's failing journeys and alarms depend on; the suite's own stack and resources.
    depends: Callable[[Incident], Dependencies] | None = None
    own: Own = field(default_factory=Own)
    revert_enabled: bool = False


@dataclass
class Answer:
    """One question's answer: `lines` for the thread, `record` for the incident's checklist."""

    question: str
    lines: list[str]
    record: dict[str, Any]
    unchecked: list[str] = field(default_factory=list)  # what could not be checked, and why
    blocks: list[dict] = field(default_factory=list)  # shown after the answer (the changes' Revert buttons)


@dataclass
class Runbook:
    name: str
    path: Path
    title: str
    text: str


@dataclass
class ChecklistResult:
    revert: Answer
    vendors: Answer
    runbook: Answer
    runbook_found: Runbook | None
    runbook_missing_for: str | None  # the name a runbook should be written for

    @property
    def answers(self) -> list[Answer]:
        return [self.revert, self.vendors, self.runbook]

    def record(self, checked_at: datetime) -> dict[str, Any]:
        return {
            "revert": self.revert.record,
            "aws_health_and_vendor_status": self.vendors.record,
            "runbook": self.runbook.record,
            "checked_at": checked_at.isoformat(),
        }


# ---------------------------------------------------------------------- running lookups with a deadline
def run_with_deadline(calls: dict[str, Callable[[], Any]], deadline_seconds: float) -> dict[str, Any]:
    """Run the calls concurrently; each result is its value, or an Exception (raised, or too late)."""
    if not calls:
        return {}
    pool = ContextThreadPool(max_workers=len(calls), thread_name_prefix="lookup")
    futures: dict[str, Future] = {name: pool.submit(call) for name, call in calls.items()}
    wait(futures.values(), timeout=deadline_seconds)
    # Late lookups are abandoned, not awaited: their own HTTP timeouts end them.
    pool.shutdown(wait=False, cancel_futures=True)
    results: dict[str, Any] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = TimeoutError(f"no answer within {deadline_seconds:g} s")
        elif future.exception() is not None:
            results[name] = future.exception()
        else:
            results[name] = future.result()
    return results


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


# ---------------------------------------------------------------------- runbooks
def runbook_names(incident: Incident, alarm_prefix: str = "") -> list[str]:
    """The names a runbook may be filed under, most specific first."""
    names = list(incident.journeys)
    for alarm in incident.alarms:
        names.append(alarm)
        if alarm_prefix and alarm.startswith(alarm_prefix):
            names.append(alarm[len(alarm_prefix) :])
    return names


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def find_runbook(directory: Path, names: list[str]) -> Runbook | None:
    if not directory.is_dir():
        return None
    files = {slug(path.stem): path for path in sorted(directory.glob("*.md"))}
    for name in names:
        path = files.get(slug(name))
        if path is not None:
            text = path.read_text(encoding="utf-8")
            heading = next(
                (line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")), ""
            )
            return Runbook(name=name, path=path, title=heading or path.stem, text=text)
    return None


# ---------------------------------------------------------------------- the answers
MAX_CHANGES_SHOWN = 8
MAX_CHANGES_RECORDED = 25
REVERT_ACTION = "change_revert"


def _revert_answer(
    results: dict[str, Any], incident: Incident, lookups: Lookups, sources: list[str]
) -> Answer:
    question = "Is it our change? Can we revert?"
    hours = lookups.revert_window.total_seconds() / 3600
    if not sources:
        return Answer(question, ["Recent deployments are not looked up here."], {"checked": False})
    found: list[Change] = []
    unchecked: list[str] = []
    for source in sources:
        result = results.get(f"changes:{source}")
        if isinstance(result, BaseException):
            unchecked.append(f"{source} could not be checked ({_reason(result)})")
            continue
        found += [as_change(c) if isinstance(c, StackChange) else c for c in result or []]
    depends = lookups.depends(incident) if lookups.depends else Dependencies(names=_own_names(incident))
    changes = rank(found, incident.started_at, depends, lookups.own)
    record: dict[str, Any] = {
        "checked": len(unchecked) < len(sources),
        "sources": sources,
        "candidates": [c.model_dump(mode="json") for c in changes[:MAX_CHANGES_RECORDED]],
    }
    if unchecked:
        record["error"] = "; ".join(unchecked)
    lines = [f":warning: {why}." for why in unchecked]
    if not changes:
        looked = ", ".join(sources)
        lines.insert(0, f"Nothing of the product changed in the {hours:g} h before it started ({looked}).")
        return Answer(question, lines, record, unchecked)
    lines.insert(0, f"{len(changes)} change(s) in the {hours:g} h before it started, most likely first:")
    blocks = []
    for change in changes[:MAX_CHANGES_SHOWN]:
        line = change_line(change, incident)
        if change.revert is not None and lookups.revert_enabled:
            blocks.append(_revert_section(line, change, incident))
        else:
            why = change.note or ("revert from the thread is off (RevertEnabled)" if change.revert else "")
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(f"{line}\n_{why}_")}})
    if len(changes) > MAX_CHANGES_SHOWN:
        more = len(changes) - MAX_CHANGES_SHOWN
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {more} more."}]})
    return Answer(question, lines, record, unchecked, blocks)


def _own_names(incident: Incident) -> tuple[str, ...]:
    return (*incident.journeys, *incident.alarms)


def change_line(change: Change, incident: Incident) -> str:
    """Who changed what, when, from what to what, and what it touches."""
    what = f"<{change.link}|{mrkdwn(change.kind)}>" if change.link else mrkdwn(change.kind)
    line = f"• *{what}*: {mrkdwn(change.resource)}"
    if change.before or change.after:
        line += f" {mrkdwn(change.before or '?')} → {mrkdwn(change.after or '?')}"
    if change.status:
        line += f" (`{change.status}`)"
    before_start = (incident.started_at - change.at).total_seconds()
    lead = f"{int(before_start // 60)} min before it started" if before_start >= 0 else "after it started"
    line += f", {when(change.at)} ({lead})"
    if change.who:
        line += f", by {mrkdwn(change.who)}"
    if change.touches:
        line += f". Touches {', '.join(change.touches)}"
    return line


def _revert_section(line: str, change: Change, incident: Incident) -> dict:
    assert change.revert is not None
    return {
        "type": "section",
        "block_id": f"revert:{change.change_id}",
        "text": {"type": "mrkdwn", "text": clip(line)},
        "accessory": {
            "type": "button",
            "action_id": REVERT_ACTION,
            "text": {"type": "plain_text", "text": "Revert"},
            "style": "danger",
            "value": f"{incident.incident_id}|{change.change_id}",
            # Slack's own confirmation: nothing is sent until the responder confirms exactly this.
            "confirm": {
                "title": {"type": "plain_text", "text": "Revert this change?"},
                "text": {"type": "mrkdwn", "text": clip(f"Revert {mrkdwn(change.revert.describe())}.", 300)},
                "confirm": {"type": "plain_text", "text": "Revert"},
                "deny": {"type": "plain_text", "text": "Cancel"},
                "style": "danger",
            },
        },
    }


def health_link(event_arn: str) -> str:
    return f"https://health.aws.amazon.com/health/home#/account/event-log?eventID={quote(event_arn, safe='')}"


def health_active(fact: Any, started_at: datetime) -> bool:
    """Open, or closed no earlier than an hour before the incident started (it may still be the cause)."""
    if fact.status != "closed":
        return True
    return fact.end_time is not None and fact.end_time >= started_at - timedelta(hours=1)


def _health_lines(result: Any, started_at: datetime) -> tuple[list[str], dict[str, Any], list[str]]:
    if isinstance(result, BaseException):
        why = f"AWS Health could not be checked ({_reason(result)})"
        return [f":warning: {why}."], {"checked": False, "error": _reason(result)}, [why]
    if result is None:
        return ["AWS Health is not looked up here."], {"checked": False}, []
    facts = [fact for fact in result if health_active(fact, started_at)]
    if not facts:
        return ["AWS Health: no open event recorded for this account."], {"checked": True, "events": []}, []
    lines = [
        f"• AWS Health: <{health_link(f.event_arn)}|{mrkdwn(f.event_type_code)}> in "
        f"{f.region or 'all regions'}, {f.status or 'open'} since {when(f.start_time)}"
        for f in facts
    ]
    record = {
        "checked": True,
        "events": [
            {"type": f.event_type_code, "region": f.region, "status": f.status, "arn": f.event_arn}
            for f in facts
        ],
    }
    return lines, record, []


def _vendor_line(page: str, result: Any) -> tuple[str, dict[str, Any], str | None]:
    if isinstance(result, BaseException):
        why = f"{page} could not be checked ({_reason(result)})"
        return f":warning: {why}.", {"page": page, "checked": False, "error": _reason(result)}, why
    status: VendorStatus = result
    mark = ":white_check_mark:" if status.operational else ":warning:"
    line = f"{mark} <{status.link}|{mrkdwn(status.name)}>: {mrkdwn(status.description or status.indicator)}"
    for incident in status.incidents[:3]:
        title = mrkdwn(incident.name)
        line += f"\n      ◦ {f'<{incident.link}|{title}>' if incident.link else title} ({incident.status})"
    record = {
        "page": page,
        "checked": True,
        "indicator": status.indicator,
        "description": status.description,
        "incidents": [i.name for i in status.incidents],
    }
    return line, record, None


def _vendors_answer(health: Any, pages: dict[str, Any], started_at: datetime) -> Answer:
    lines, health_record, unchecked = _health_lines(health, started_at)
    vendors = []
    for page, result in pages.items():
        line, record, why = _vendor_line(page, result)
        lines.append(line)
        vendors.append(record)
        if why:
            unchecked.append(why)
    if not pages:
        lines.append("No vendor status page is configured (STATUS_PAGES).")
    return Answer(
        "Is it AWS or a SaaS vendor?", lines, {"aws_health": health_record, "vendors": vendors}, unchecked
    )


def _runbook_answer(result: Any, names: list[str]) -> tuple[Answer, Runbook | None, str | None]:
    question = "Is there a runbook?"
    if isinstance(result, BaseException):
        why = f"the runbooks could not be read ({_reason(result)})"
        return (
            Answer(question, [f":warning: {why}."], {"found": False, "error": _reason(result)}, [why]),
            None,
            None,
        )
    if result is not None:
        runbook: Runbook = result
        line = f"Yes: *{mrkdwn(runbook.title)}* (`runbooks/{runbook.path.name}`), posted below."
        return Answer(question, [line], {"found": True, "file": runbook.path.name}), runbook, None
    if not names:
        line = "No journey or alarm is named, so no runbook could be matched."
        return Answer(question, [line], {"found": False}), None, None
    wanted = slug(names[0])
    line = (
        f"None for `{mrkdwn(names[0])}`. An action item asks for one: `config/runbooks/{wanted}.md` "
        "(what it looks like when broken, how to check, how to fix or revert)."
    )
    return Answer(question, [line], {"found": False, "wanted": f"{wanted}.md"}), None, names[0]


def run_checklist(incident: Incident, lookups: Lookups) -> ChecklistResult:
    """Every lookup at once, each within the deadline; never raises for a failing source."""
    since = incident.started_at - lookups.revert_window
    until = max(incident.detected_at, incident.started_at)
    names = runbook_names(incident, lookups.alarm_prefix)
    calls: dict[str, Callable[[], Any]] = {}
    sources = dict(lookups.change_sources)
    if lookups.deploys is not None:
        sources = {"CloudFormation": lookups.deploys, **sources}
    for name, source in sources.items():
        calls[f"changes:{name}"] = lambda source=source: source.changed_between(since, until)
    if lookups.health is not None:
        calls["health"] = lambda: lookups.health.between(  # type: ignore[union-attr]
            incident.started_at - HEALTH_LOOKBACK, max(until, incident.declared_at)
        )
    for page in lookups.vendor_pages:
        if lookups.status_pages is not None:
            calls[f"page:{page}"] = lambda page=page: lookups.status_pages.status(page)  # type: ignore[union-attr]
    if lookups.runbooks_dir is not None:
        calls["runbook"] = lambda: find_runbook(lookups.runbooks_dir, names)  # type: ignore[arg-type]
    results = run_with_deadline(calls, lookups.deadline_seconds)
    pages = {page: results[f"page:{page}"] for page in lookups.vendor_pages if f"page:{page}" in results}
    runbook_answer, found, missing = _runbook_answer(results.get("runbook"), names)
    return ChecklistResult(
        revert=_revert_answer(results, incident, lookups, list(sources)),
        vendors=_vendors_answer(results.get("health"), pages, incident.started_at),
        runbook=runbook_answer,
        runbook_found=found,
        runbook_missing_for=missing,
    )


def checklist_message(result: ChecklistResult, incident: Incident) -> tuple[str, list[dict]]:
    blocks: list[dict] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Checklist*, answered by the suite: leads to check, not conclusions. Keep calm.",
            },
        }
    ]
    for number, answer in enumerate(result.answers, start=1):
        body = "\n".join(answer.lines)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(f"*{number}. {answer.question}*\n{body}")},
            }
        )
        blocks.extend(answer.blocks)
    blocks.append(
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*4. Troubleshoot.* Say here what you see and what you do: every reply goes into the "
                f"timeline. `/incident update {incident.incident_id} <text>` keeps the top message current.",
            },
        }
    )
    unchecked = [why for answer in result.answers for why in answer.unchecked]
    if unchecked:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": clip("*Could not check:* " + "; ".join(unchecked) + ". Look by hand."),
                    }
                ],
            }
        )
    text = "Checklist: " + " | ".join(f"{a.question} {a.lines[0] if a.lines else ''}" for a in result.answers)
    return clip(text), blocks


def runbook_message(runbook: Runbook) -> tuple[str, list[dict]]:
    excerpt = runbook.text if len(runbook.text) <= RUNBOOK_EXCERPT else runbook.text[:RUNBOOK_EXCERPT] + "\n…"
    text = f"Runbook: {runbook.title}"
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Runbook: {mrkdwn(runbook.title)}*"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip("```" + excerpt.replace("```", "'''") + "```")},
        },
    ]
