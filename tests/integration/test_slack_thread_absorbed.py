"""An alert a declared incident absorbed (alert grouping, issue 22) reaches the incident's thread through
the suite bus: AlertRaised with the incident's id, delivered by the template's rule to the incident-thread
function, which names it in the Affected list and the timeline and replies in the thread, once."""

from datetime import UTC, datetime

from incident_core.adapters.bus import EventBridgeBus
from incident_core.events import AlertRaised
from incident_core.incidents.store import IncidentStore
from incident_core.settings import get_settings
from tests.integration import test_slack_thread as thread_tests
from tests.integration.test_slack_thread import declare, replies

# Fixtures (pytest finds them by name in the module).
world = thread_tests.world
zoom_server = thread_tests.zoom_server
status_server = thread_tests.status_server


def test_an_absorbed_alert_is_posted_in_the_incident_thread_and_listed_as_affected(world, fake_slack):
    _, _, incident = declare(world, fake_slack)
    absorbed = AlertRaised(
        alert_id="al-absorbed-1",
        fingerprint="journey-search",
        title="Journey 'search' is failing at step 'search'",
        source="journey",
        raised_at=datetime.now(UTC),
        incident_id=incident.incident_id,
        journey="search",
    )
    bus = EventBridgeBus(get_settings().bus_name, get_settings().event_source)
    bus.put(absorbed)
    bus.put(absorbed)  # a retried delivery: recorded and posted once
    bus.put(absorbed.model_copy(update={"alert_id": "al-not-absorbed", "incident_id": None}))  # not for it
    handled = world.suite.deliver()
    assert [e["detail"]["alert_id"] for _, e in handled] == ["al-absorbed-1", "al-absorbed-1"]

    stored = IncidentStore.from_settings().get(incident.incident_id)
    assert "search" in stored.journeys
    timeline = IncidentStore.from_settings().timeline(incident.incident_id)
    assert sum(e.key == "absorbed-al-absorbed-1" for e in timeline) == 1
    posted = [m for m in replies(fake_slack, incident) if "Also failing" in m["text"]]
    assert len(posted) == 1 and "nobody paged" in posted[0]["text"]
    root = fake_slack.thread(thread_tests.CHANNEL, incident.thread_ts)[0]
    assert "journey `search`" in thread_tests.block_text(root)
