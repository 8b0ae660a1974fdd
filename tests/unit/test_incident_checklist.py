"""The checklist's lookups: deadlines, failures said plainly, runbooks matched by name (no AWS, no HTTP)."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incident_core.adapters.deploys import changes_in_window
from incident_core.adapters.statuspage import VendorIncident, VendorStatus
from incident_core.alerts.health import HealthFact
from incident_core.incidents.checklist import (
    Lookups,
    checklist_message,
    find_runbook,
    run_checklist,
    run_with_deadline,
    runbook_names,
)
from incident_core.models import Incident

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def incident(**extra) -> Incident:
    fields = {
        "incident_id": "INC-1",
        "title": "Book viewing button missing",
        "declared_by": "U1",
        "started_at": START,
        "detected_at": START + timedelta(minutes=1),
        "declared_at": START + timedelta(minutes=4),
        "journeys": ["book-viewing"],
        **extra,
    }
    return Incident(**fields)


def summary(name: str, status: str, created: datetime, updated: datetime | None = None, **extra) -> dict:
    """A ListStacks StackSummary as the CloudFormation API reference describes it."""
    item = {
        "StackId": f"arn:aws:cloudformation:eu-west-2:123456789012:stack/{name}/0f1e2d3c",
        "StackName": name,
        "CreationTime": created,
        "StackStatus": status,
        **extra,
    }
    if updated:
        item["LastUpdatedTime"] = updated
    return item


class Deploys:
    def __init__(self, summaries, delay=0.0, error=None):
        self.summaries, self.delay, self.error = summaries, delay, error

    def changed_between(self, start, end):
        time.sleep(self.delay)
        if self.error:
            raise self.error
        return changes_in_window(self.summaries, start, end)


class Health:
    def __init__(self, facts):
        self.facts = facts

    def between(self, start, end):
        return [f for f in self.facts if start <= f.start_time <= end]


class Pages:
    def __init__(self, answers, slow=()):
        self.answers, self.slow = answers, slow

    def status(self, page):
        if page in self.slow:
            time.sleep(2)
        answer = self.answers[page]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_revert_candidates_are_root_stacks_changed_just_before_it_started():
    summaries = [
        summary("bookshop", "UPDATE_COMPLETE", START - timedelta(days=30), START - timedelta(minutes=12)),
        summary(
            "payments", "UPDATE_ROLLBACK_COMPLETE", START - timedelta(days=9), START - timedelta(hours=2)
        ),
        summary("search", "CREATE_COMPLETE", START - timedelta(minutes=30)),
        summary("old", "UPDATE_COMPLETE", START - timedelta(days=9), START - timedelta(hours=5)),
        summary(
            "bookshop-nested",
            "UPDATE_COMPLETE",
            START - timedelta(days=30),
            START - timedelta(minutes=12),
            ParentId="arn:aws:cloudformation:eu-west-2:123456789012:stack/bookshop/0f1e2d3c",
        ),
        summary(
            "gone", "DELETE_COMPLETE", START - timedelta(days=9), DeletionTime=START - timedelta(minutes=50)
        ),
        summary("later", "UPDATE_IN_PROGRESS", START - timedelta(days=9), START + timedelta(minutes=30)),
    ]
    result = run_checklist(incident(), Lookups(deploys=Deploys(summaries), deadline_seconds=1))
    candidates = result.revert.record["candidates"]
    assert [(c["names"], c["kind"]) for c in candidates] == [
        (["bookshop"], "stack updated"),
        (["search"], "stack created"),
        (["gone"], "stack deleted"),
        (["payments"], "stack updated"),
    ]
    text = json.dumps(result.revert.blocks)
    assert "|stack updated>*: stack `bookshop` (`UPDATE_COMPLETE`)" in text
    assert "rolled back already" in text
    assert "stackId=arn%3Aaws%3Acloudformation%3Aeu-west-2" in text


def test_every_source_failing_or_slow_is_said_and_nothing_waits_past_the_deadline():
    lookups = Lookups(
        deploys=Deploys([], delay=3),
        health=Health([]),
        status_pages=Pages(
            {
                "https://status.slow.example": VendorStatus(
                    base_url="x", name="x", indicator="none", description=""
                ),
                "https://status.broken.example": ConnectionError("connection refused"),
            },
            slow=("https://status.slow.example",),
        ),
        vendor_pages=["https://status.slow.example", "https://status.broken.example"],
        runbooks_dir=ROOT / "config" / "runbooks",
        deadline_seconds=0.5,
    )
    began = time.monotonic()
    result = run_checklist(incident(), lookups)
    assert time.monotonic() - began < 1.5
    unchecked = [why for answer in result.answers for why in answer.unchecked]
    assert any("CloudFormation could not be checked (no answer within 0.5 s)" in why for why in unchecked)
    assert any("status.slow.example could not be checked" in why for why in unchecked)
    assert any("connection refused" in why for why in unchecked)
    assert result.runbook_found is not None  # what could be checked still was
    _, blocks = checklist_message(result, incident())
    assert "Could not check" in blocks[-1]["elements"][0]["text"]


def test_aws_health_and_vendor_answers_with_links():
    open_issue = HealthFact(
        event_arn="arn:aws:health:eu-west-2::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1",
        service="EC2",
        event_type_code="AWS_EC2_OPERATIONAL_ISSUE",
        category="issue",
        scope="PUBLIC",
        status="open",
        region="eu-west-2",
        start_time=START - timedelta(minutes=40),
        updated_at=START,
    )
    long_closed = open_issue.model_copy(
        update={"event_arn": "old", "status": "closed", "end_time": START - timedelta(hours=3)}
    )
    degraded = VendorStatus(
        base_url="https://status.vendor.example",
        name="Vendor",
        indicator="minor",
        description="Partially Degraded Service",
        incidents=[VendorIncident(name="Slow API", status="identified", link="https://stspg.io/x")],
    )
    lookups = Lookups(
        health=Health([open_issue, long_closed]),
        status_pages=Pages({"https://status.vendor.example": degraded}),
        vendor_pages=["https://status.vendor.example"],
        deadline_seconds=1,
    )
    result = run_checklist(incident(), lookups)
    text = "\n".join(result.vendors.lines)
    assert "AWS_EC2_OPERATIONAL_ISSUE" in text and "event-log?eventID=arn%3Aaws%3Ahealth" in text
    assert "old" not in str(result.vendors.record["aws_health"])
    assert "<https://status.vendor.example|Vendor>: Partially Degraded Service" in text
    assert "<https://stspg.io/x|Slow API> (identified)" in text
    assert result.vendors.unchecked == []


def test_runbooks_match_journeys_and_alarms_by_name(tmp_path):
    (tmp_path / "API-5xx.md").write_text("# API errors\nroll back")
    alarm_incident = incident(journeys=[], alarms=["incident-api-5xx"])
    names = runbook_names(alarm_incident, alarm_prefix="incident-")
    assert names == ["incident-api-5xx", "api-5xx"]
    runbook = find_runbook(tmp_path, names)
    assert (runbook.title, runbook.path.name) == ("API errors", "API-5xx.md")
    assert find_runbook(tmp_path, ["book-viewing"]) is None
    assert find_runbook(tmp_path / "missing", ["x"]) is None
    result = run_checklist(incident(journeys=["search"]), Lookups(runbooks_dir=tmp_path, deadline_seconds=1))
    assert (result.runbook_missing_for, result.runbook.record["wanted"]) == ("search", "search.md")


def test_run_with_deadline_returns_values_errors_and_timeouts():
    results = run_with_deadline(
        {"fast": lambda: 1, "broken": lambda: 1 / 0, "slow": lambda: time.sleep(1)}, deadline_seconds=0.2
    )
    assert results["fast"] == 1
    assert isinstance(results["broken"], ZeroDivisionError)
    assert isinstance(results["slow"], TimeoutError)
