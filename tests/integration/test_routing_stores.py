"""The contracts other areas code against: AlertStore (the Slack app's buttons, the incident timeline,
the report) and PolicyStore (traction windows and silences), over moto's DynamoDB."""

from datetime import UTC, datetime, timedelta

import pytest

from incident_core.adapters.dynamo import Table
from incident_core.alerts.keys import alert_pk
from incident_core.alerts.store import AlertNotFound, AlertStore, OpenOutcome, alert_expires_at
from incident_core.models.alerts import Alert, AlertEvent, AlertSource, AlertStatus
from incident_core.paging.pages import Page, PageKind
from incident_core.policy.store import PolicyError, PolicyStore
from incident_core.settings import get_settings

NOW = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def stores(aws):
    table = Table(get_settings().table_name)
    return AlertStore(table), PolicyStore(table)


def new_alert(store: AlertStore, alert_id: str = "al-1", fingerprint: str = "journey-1") -> Alert:
    alert = Alert(
        alert_id=alert_id,
        fingerprint=fingerprint,
        title="Journey 'book-viewing' is failing",
        source=AlertSource.JOURNEY,
        journey="book-viewing",
        started_at=NOW,
        first_seen=NOW,
        last_seen=NOW,
    )
    outcome = store.open(alert, AlertEvent(at=NOW, what="raised"), [], notification_id="n-1")
    assert outcome == OpenOutcome.OPENED
    return alert


def test_acknowledge_is_idempotent_and_recorded_once(stores):
    alerts, _ = stores
    new_alert(alerts)
    first = alerts.acknowledge("al-1", "U0ALASTAIR", NOW + timedelta(minutes=2))
    again = alerts.acknowledge("al-1", "U0WISEN", NOW + timedelta(minutes=3))

    assert first.status == AlertStatus.ACKNOWLEDGED and first.acknowledged_by == "U0ALASTAIR"
    assert again == first
    assert [e.what for e in alerts.history("al-1")] == ["raised", "acknowledged by <@U0ALASTAIR>"]


def test_false_alarm_closes_paging_and_acknowledges(stores):
    alerts, _ = stores
    new_alert(alerts)
    marked = alerts.mark_false_alarm("al-1", "U0WISEN", NOW + timedelta(minutes=1))
    assert marked.status == AlertStatus.FALSE_ALARM and not marked.is_open
    assert marked.acknowledged_by == "U0WISEN" and marked.false_alarm_by == "U0WISEN"
    assert alerts.mark_false_alarm("al-1", "U0ALASTAIR", NOW + timedelta(minutes=2)) == marked
    # The alarm still firing is the same (false) alert, until it clears.
    assert alerts.open_alert_id("journey-1") == "al-1"


def test_link_incident_and_history_in_time_order(stores):
    alerts, _ = stores
    new_alert(alerts)
    alerts.acknowledge("al-1", "U0ALASTAIR", NOW + timedelta(minutes=4))
    alerts.link_incident("al-1", "INC-1", NOW + timedelta(minutes=5))
    alerts.link_incident("al-1", "INC-1", NOW + timedelta(minutes=6))  # idempotent
    history = alerts.history("al-1")

    assert alerts.get("al-1").incident_id == "INC-1"
    with pytest.raises(TypeError, match="at"):
        alerts.link_incident("al-1", "INC-2")  # the store never reads the clock: the caller says when
    assert [(e.at - NOW, e.what) for e in history] == [
        (timedelta(0), "raised"),
        (timedelta(minutes=4), "acknowledged by <@U0ALASTAIR>"),
        (timedelta(minutes=5), "linked to incident INC-1"),
    ]


def test_unknown_alerts_are_named_in_the_error(stores):
    alerts, _ = stores
    assert alerts.get("al-nope") is None
    with pytest.raises(AlertNotFound, match="al-nope"):
        alerts.acknowledge("al-nope", "U1", NOW)


def test_one_open_alert_per_fingerprint_and_resolution_releases_it(stores):
    alerts, _ = stores
    new_alert(alerts)
    second = Alert.model_validate({**alerts.get("al-1").model_dump(), "alert_id": "al-2"})
    assert alerts.open(second, AlertEvent(at=NOW, what="raised"), [], "n-2") == OpenOutcome.EXISTS
    assert alerts.get("al-2") is None  # nothing half-written

    resolved = alerts.resolve("al-1", NOW + timedelta(minutes=9), "resolved: recovered")
    assert resolved.status == AlertStatus.RESOLVED
    assert alerts.resolve("al-1", NOW + timedelta(minutes=10), "resolved") is None
    assert alerts.open_alert_id("journey-1") is None
    assert [a.alert_id for a in alerts.list_since(NOW - timedelta(days=1))] == ["al-1"]
    # A notification older than that resolution does not reopen; one within the flap window is flapping
    # (the router re-opens al-1); a newer one opens a new alert.
    assert alerts.open(second, AlertEvent(at=NOW, what="raised"), [], "n-3") == OpenOutcome.STALE
    soon = second.model_copy(update={"started_at": NOW + timedelta(minutes=20)})
    assert alerts.open(soon, AlertEvent(at=NOW, what="raised"), [], "n-4") == OpenOutcome.FLAPPING
    later = second.model_copy(update={"started_at": NOW + timedelta(minutes=30)})
    assert alerts.open(later, AlertEvent(at=NOW, what="raised"), [], "n-4") == OpenOutcome.OPENED


def test_every_item_of_an_alert_expires_with_it(stores):
    alerts, _ = stores
    alert = new_alert(alerts, alert_id="al-r", fingerprint="alarm-1")
    promoted = alert.model_copy(update={"incident_alarm": True, "reason": "business hours"})
    page = Page(page_id="al-r-p0", alert_id="al-r", seq=0, kind=PageKind.PAGE, due_at=NOW, people=["a"])
    alerts.table.dynamodb.update_item(  # an alert first recorded only, then promoted with its page
        TableName=alerts.table.name,
        Key={"pk": {"S": alert_pk("al-r")}, "sk": {"S": "ALERT"}},
        UpdateExpression="SET incident_alarm = :no",
        ExpressionAttributeValues={":no": {"BOOL": False}},
    )
    assert alerts.promote(promoted, AlertEvent(at=NOW, what="marked an incident alarm"), [page])
    assert alerts.promote(promoted, AlertEvent(at=NOW, what="marked an incident alarm"), [page]) is False
    alerts.acknowledge("al-r", "U0ALASTAIR", NOW + timedelta(minutes=1))
    alerts.add_event("al-r", AlertEvent(at=NOW + timedelta(minutes=2), what="noted"))
    alerts.resolve("al-r", NOW + timedelta(minutes=3), "resolved")

    items = list(alerts.table.query(alert_pk("al-r")))
    assert len(items) == 6  # the alert, its page, and the promotion, ack, note and resolution lines
    assert {item["expires_at"] for item in items} == {alert_expires_at(alert)}
    assert alert_expires_at(alert) == int((NOW + timedelta(days=400)).timestamp())


def test_a_repeat_is_counted_once_per_notification(stores):
    alerts, _ = stores
    new_alert(alerts)
    alerts.record_repeat("al-1", NOW + timedelta(minutes=1), "n-2")
    alerts.record_repeat("al-1", NOW + timedelta(minutes=1), "n-2")  # the same notification retried
    older = alerts.record_repeat("al-1", NOW - timedelta(minutes=5), "n-3")  # late, out of order
    assert older.count == 3
    assert older.last_seen == NOW + timedelta(minutes=1)


def test_traction_windows_add_list_end(stores):
    _, policy = stores
    ahead = policy.add_traction(NOW + timedelta(days=1), NOW + timedelta(days=2), "ads", "alastair", NOW)
    current = policy.add_traction(NOW - timedelta(hours=1), NOW + timedelta(hours=5), "launch", "wisen", NOW)

    assert [w.label for w in policy.list_traction(NOW)] == ["launch", "ads"]
    ended = policy.end_traction(current.window_id, NOW + timedelta(hours=1))
    assert ended.end == NOW + timedelta(hours=1)
    assert [w.label for w in policy.list_traction(NOW + timedelta(hours=2))] == ["ads"]
    assert [w.label for w in policy.list_traction(NOW + timedelta(hours=2), include_past=True)] == [
        "launch",
        "ads",
    ]
    policy.end_traction(ahead.window_id, NOW)  # not started yet: cancelled
    assert policy.list_traction(NOW + timedelta(hours=2)) == []
    windows, silences = policy.current(NOW)
    assert [w.label for w in windows] == ["launch"] and silences == []


def test_traction_window_mistakes_are_refused_with_the_reason(stores):
    _, policy = stores
    with pytest.raises(PolicyError, match="not after start"):
        policy.add_traction(NOW, NOW - timedelta(hours=1), "backwards", None, NOW)
    with pytest.raises(PolicyError, match="already past"):
        policy.add_traction(NOW - timedelta(days=2), NOW - timedelta(days=1), "old", None, NOW)
    with pytest.raises(PolicyError, match="needs a label"):
        policy.add_traction(NOW, NOW + timedelta(hours=1), " ", None, NOW)
    with pytest.raises(PolicyError, match="no time zone"):
        policy.add_traction(datetime(2026, 6, 8), NOW + timedelta(hours=1), "naive", None, NOW)
    with pytest.raises(PolicyError, match="no traction window with id tw-missing"):
        policy.end_traction("tw-missing", NOW)


def test_silences_add_list_end(stores):
    _, policy = stores
    silence = policy.add_silence("incident-bookshop-*", NOW + timedelta(hours=2), "deploy", "alastair", NOW)
    assert silence.start == NOW and silence.matches("incident-bookshop-5xx")
    assert [s.silence_id for s in policy.list_silences(NOW)] == [silence.silence_id]
    assert policy.current(NOW)[1] == [silence]
    ended = policy.end_silence(silence.silence_id, NOW + timedelta(minutes=30))
    assert ended.end == NOW + timedelta(minutes=30)
    assert policy.list_silences(NOW + timedelta(minutes=31)) == []
    with pytest.raises(PolicyError, match="already ended"):
        policy.end_silence(silence.silence_id, NOW + timedelta(hours=1))
    with pytest.raises(PolicyError, match="journey or alarm name"):
        policy.add_silence("", NOW + timedelta(hours=1), "x", None, NOW)


@pytest.mark.parametrize(
    ("add", "refusal"),
    [
        (lambda store, now: store.add_silence("*", now + timedelta(hours=2), "x", "U1", now), "every alert"),
        (
            lambda store, now: store.add_silence(" ** ", now + timedelta(hours=2), "x", "U1", now),
            "every alert",
        ),
        (
            lambda store, now: store.add_silence("api", now + timedelta(days=8), "x", "U1", now),
            "at most 7 days",
        ),
        (
            lambda store, now: store.add_traction(now, now + timedelta(days=15), "launch", "U1", now),
            "at most 14 days",
        ),
    ],
)
def test_nobody_switches_paging_off_for_everything_or_for_ever_whichever_way_they_ask(stores, add, refusal):
    """The limits live in the store, so `/incident` and `incidentctl` both meet them."""
    _, policy = stores
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    with pytest.raises(PolicyError, match=refusal):
        add(policy, now)
    assert policy.list_silences(now) == [] and policy.list_traction(now) == []
