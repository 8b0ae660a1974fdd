"""IncidentStore against moto: conditional creation, optimistic updates, threads, an idempotent timeline."""

from datetime import UTC, datetime, timedelta

import pytest

from incident_core.incidents.store import (
    IncidentConflict,
    IncidentExists,
    IncidentStore,
    ThreadTaken,
)
from incident_core.models import Incident, IncidentStatus, TimelineEntry, TimelineKind

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def incident(incident_id: str = "INC-1", at: datetime = T0, **extra) -> Incident:
    fields = {
        "title": "Book viewing button missing",
        "declared_by": "U1",
        "started_at": at - timedelta(minutes=3),
        "detected_at": at - timedelta(minutes=2),
        "declared_at": at,
        **extra,
    }
    return Incident(incident_id=incident_id, **fields)


def entry(key: str, at: datetime, text: str = "x", incident_id: str = "INC-1", **extra) -> TimelineEntry:
    return TimelineEntry(
        incident_id=incident_id, at=at, kind=TimelineKind.SYSTEM, text=text, key=key, **extra
    )


@pytest.fixture
def store(aws) -> IncidentStore:
    return IncidentStore.from_settings()


def test_create_is_all_or_nothing_and_once(store):
    store.create(incident(), [entry("declared", T0, "declared")])
    with pytest.raises(IncidentExists):
        store.create(incident(title="again"), [entry("other", T0)])
    assert store.get("INC-1").title == "Book viewing button missing"
    # The refused second create wrote none of its entries.
    assert [e.key for e in store.timeline("INC-1")] == ["declared"]
    assert store.get("INC-unknown") is None


def test_update_refuses_a_stale_version_and_change_retries(store):
    store.create(incident())
    first, second = store.get("INC-1"), store.get("INC-1")
    first.latest_update = "rolled back"
    store.update(first)
    assert first.version == 1
    second.lead = "U9"
    with pytest.raises(IncidentConflict):
        store.update(second)
    changed = store.change("INC-1", lambda i: setattr(i, "lead", "U9"))
    assert (changed.lead, changed.latest_update, changed.version) == ("U9", "rolled back", 2)
    assert store.change("INC-1", lambda i: False).version == 2
    assert store.change("INC-missing", lambda i: None) is None


def test_open_and_since_listings_follow_status(store):
    store.create(incident("INC-a", T0))
    store.create(incident("INC-b", T0 + timedelta(days=2)))
    store.change("INC-a", lambda i: setattr(i, "status", IncidentStatus.RESOLVED))
    assert [i.incident_id for i in store.list_open()] == ["INC-b"]
    assert [i.incident_id for i in store.list_since(T0 - timedelta(days=1))] == ["INC-a", "INC-b"]
    assert [i.incident_id for i in store.list_since(T0 + timedelta(days=1))] == ["INC-b"]


def test_thread_links_once_both_ways(store):
    store.create(incident())
    linked = store.link_thread("INC-1", "C0INCIDENTS", "1700000000.000100")
    assert (linked.channel, linked.thread_ts, linked.version) == ("C0INCIDENTS", "1700000000.000100", 1)
    assert store.by_thread("C0INCIDENTS", "1700000000.000100") == "INC-1"
    assert store.by_thread("C0INCIDENTS", "1.2") is None
    with pytest.raises(ThreadTaken):
        store.link_thread("INC-1", "C0INCIDENTS", "1700000001.000100")


def test_timeline_is_idempotent_by_key_and_ordered_by_time(store):
    store.create(incident())
    assert store.add_timeline(entry("msg-2", T0 + timedelta(seconds=20), "second"))
    assert store.add_timeline(entry("msg-1", T0 + timedelta(seconds=10), "first"))
    # A retried delivery, even with another time, is refused by its key.
    assert not store.add_timeline(entry("msg-1", T0 + timedelta(seconds=99), "first again"))
    assert [(e.key, e.text) for e in store.timeline("INC-1")] == [("msg-1", "first"), ("msg-2", "second")]


def test_edits_apply_newest_last_and_deletion_is_final(store):
    store.create(incident())
    store.add_timeline(entry("msg-1", T0, "typo"))
    assert store.edit_timeline("INC-1", "msg-1", "fixed twice", T0 + timedelta(seconds=30))
    # An older edit delivered late does not overwrite the newer one.
    assert not store.edit_timeline("INC-1", "msg-1", "fixed once", T0 + timedelta(seconds=20))
    assert store.timeline("INC-1")[0].text == "fixed twice"
    assert store.delete_timeline("INC-1", "msg-1", T0 + timedelta(seconds=40))
    assert not store.edit_timeline("INC-1", "msg-1", "resurrected", T0 + timedelta(seconds=50))
    deleted = store.timeline("INC-1")[0]
    assert (deleted.deleted, deleted.text) == (True, "")
    assert not store.edit_timeline("INC-1", "msg-unknown", "x", T0)


def test_announcement_is_claimed_once(store):
    store.create(incident(), [entry("resolved", T0)])
    assert store.claim_announcement("INC-1", "resolved")
    assert not store.claim_announcement("INC-1", "resolved")
    assert not store.claim_announcement("INC-1", "no-such-entry")
