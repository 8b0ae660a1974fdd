"""A request stopped half-way (a crash, a timeout, a failed write) and then tried again finishes the job:
nothing is left half-written and no announcement is lost. Against DynamoDB in moto."""

from datetime import UTC, datetime

import pytest

from incident_core.actions.store import ActionStore
from incident_core.adapters.bus import RecordingBus
from incident_core.alerts.store import AlertStore
from incident_core.events import IncidentChanged, IncidentDeclared, IncidentResolved
from incident_core.incidents.service import CommandError, IncidentService
from incident_core.incidents.store import IncidentStore
from incident_core.models import AlertStatus, IncidentStatus
from tests.slack_support import ALASTAIR, WISEN, page_alert

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class Crash(Exception):
    """Stands for the Lambda stopping (timeout, throttled write) at that point."""


class FailingBus(RecordingBus):
    """A bus whose next `failures` puts fail, as EventBridge can."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.failures = failures

    def put(self, *events) -> None:
        if self.failures:
            self.failures -= 1
            raise Crash("PutEvents failed")
        super().put(*events)


@pytest.fixture
def service(aws) -> IncidentService:
    return IncidentService(
        incidents=IncidentStore.from_settings(),
        alerts=AlertStore.from_settings(),
        actions=ActionStore.from_settings(),
        bus=FailingBus(),
        now=lambda: NOW,
    )


def crash_once(monkeypatch, owner, name: str) -> None:
    """`owner.name` raises Crash on its next call, then works again."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash(f"{name} stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def test_false_alarm_retried_after_a_crash_still_opens_the_action_item(service, fake_slack, monkeypatch):
    alert, _ = page_alert(fake_slack)
    crash_once(monkeypatch, service.actions, "open")
    with pytest.raises(Crash):
        service.false_alarm(alert.alert_id, WISEN)
    assert service.alerts.get(alert.alert_id).status == AlertStatus.FALSE_ALARM
    assert service.actions.list_open() == []

    _, action = service.false_alarm(alert.alert_id, ALASTAIR)
    (item,) = service.actions.list_open()
    assert action.action_id == item.action_id
    assert (item.source, item.alert_id, item.owner) == ("false-alarm", alert.alert_id, WISEN)
    service.false_alarm(alert.alert_id, ALASTAIR)  # and again: still the one item
    assert len(service.actions.list_open()) == 1


def declared(service: IncidentService, fake_slack) -> str:
    alert, _ = page_alert(fake_slack)
    incident = service.declare_from_alert(alert.alert_id, ALASTAIR).incident
    service.bus.events.clear()
    return incident.incident_id


def test_a_change_whose_timeline_write_failed_is_completed_and_announced_on_retry(
    service, fake_slack, monkeypatch
):
    incident_id = declared(service, fake_slack)
    crash_once(monkeypatch, service.incidents, "_entry_puts")
    with pytest.raises(Crash):
        service.set_lead(service.incidents.get(incident_id), WISEN, ALASTAIR, "lead-k1")
    assert service.incidents.get(incident_id).lead == ALASTAIR  # nothing half-written

    changed = service.set_lead(service.incidents.get(incident_id), WISEN, ALASTAIR, "lead-k1")
    assert changed.lead == WISEN
    assert [e.key for e in service.incidents.timeline(incident_id)].count("lead-k1") == 1
    assert [(type(e), e.entry_key) for e in service.bus.events] == [(IncidentChanged, "lead-k1")]


def test_a_change_whose_event_was_lost_is_announced_on_retry(service, fake_slack):
    incident_id = declared(service, fake_slack)
    service.bus.failures = 1
    with pytest.raises(Crash):
        service.set_status(service.incidents.get(incident_id), IncidentStatus.IDENTIFIED, WISEN, "status-k2")
    again = service.set_status(
        service.incidents.get(incident_id), IncidentStatus.IDENTIFIED, WISEN, "status-k2"
    )
    assert again.status == IncidentStatus.IDENTIFIED
    assert [(type(e), e.entry_key) for e in service.bus.events] == [(IncidentChanged, "status-k2")]
    with pytest.raises(CommandError, match="already identified"):  # a new request changes nothing
        service.set_status(again, IncidentStatus.IDENTIFIED, WISEN, "status-k3")


def test_a_resolution_whose_timeline_write_failed_is_completed_and_announced_on_retry(
    service, fake_slack, monkeypatch
):
    incident_id = declared(service, fake_slack)
    crash_once(monkeypatch, service.incidents, "_entry_puts")
    with pytest.raises(Crash):
        service.resolve(service.incidents.get(incident_id), WISEN, "rolled back")

    resolved = service.resolve(service.incidents.get(incident_id), WISEN, "rolled back")
    assert resolved.status == IncidentStatus.RESOLVED
    assert service.incidents.has_entry(incident_id, "resolved")
    assert [type(e) for e in service.bus.events] == [IncidentResolved]


def test_a_declaration_whose_event_was_lost_is_announced_by_the_next_click(service, fake_slack):
    alert, _ = page_alert(fake_slack)
    service.bus.failures = 1
    with pytest.raises(Crash):
        service.declare_from_alert(alert.alert_id, ALASTAIR)
    # Seconds later (the same instant here), before any thread exists: announced again.
    again = service.declare_from_alert(alert.alert_id, WISEN)
    assert not again.created
    assert [(type(e), e.incident_id) for e in service.bus.events] == [
        (IncidentDeclared, again.incident.incident_id)
    ]


def test_a_declaration_from_the_form_whose_event_was_lost_is_announced_on_retry(service):
    service.bus.failures = 1
    with pytest.raises(Crash):
        service.declare("Checkout is down", "nobody can pay", ALASTAIR, request_key="V123")
    incident = service.declare("Checkout is down", "nobody can pay", ALASTAIR, request_key="V123")
    assert [(type(e), e.incident_id) for e in service.bus.events] == [
        (IncidentDeclared, incident.incident_id)
    ]
