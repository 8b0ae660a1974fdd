"""The acknowledgement link against the real router (issue 17): a traction-moment page to Alastair and
Wisen, acknowledged by Wisen's link through the page_ack handler, stops every further page for both;
the router's own page post is the one edited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.paging.store import PageStore
from incident_core.policy.store import PolicyStore
from tests import routing_support
from tests.page_ack_support import PageAck, load_page_ack, store_signing_key, token_for
from tests.routing_support import ALASTAIR, WISEN, event

router = routing_support.router
routing_env = routing_support.routing_env
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
SATURDAY_2AM = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)  # 02:00 BST, in a traction moment


def test_acknowledging_by_link_stops_repaging_for_everyone(router, monkeypatch):
    store_signing_key(monkeypatch)
    router.clock.now = SATURDAY_2AM
    PolicyStore.from_settings().add_traction(
        SATURDAY_2AM - timedelta(hours=8),
        SATURDAY_2AM + timedelta(days=1),
        "launch",
        "alastair",
        SATURDAY_2AM,
    )
    router.invoke(event("alert_router_journey_failed.json"))
    [alert] = AlertStore.from_settings().list_open()
    page = PageStore(AlertStore.from_settings().table).for_alert(alert.alert_id)[0]  # the first page
    assert sorted(page.people) == ["alastair", "wisen"]
    assert len(router.dms(ALASTAIR)) == 1 and len(router.dms(WISEN)) == 1

    link = PageAck(load_page_ack())
    token = token_for(alert.alert_id, page.page_id, "wisen")
    assert link.get(token)["statusCode"] == 200  # the phone's preview: nothing happens
    router.run_until(SATURDAY_2AM + timedelta(minutes=5, seconds=30))
    assert len(router.dms(ALASTAIR)) == 2  # not acknowledged yet: the re-page went out

    assert link.post(token)["statusCode"] == 200
    router.run_until(SATURDAY_2AM + timedelta(minutes=60))
    assert len(router.dms(ALASTAIR)) == 2 and len(router.dms(WISEN)) == 2  # nothing after the link
    history = [e.what for e in AlertStore.from_settings().history(alert.alert_id)]
    assert f"acknowledged by <@{WISEN}> by link" in history
    [update] = router.slack.calls("chat.update")
    assert update.args["ts"] == page.delivered["channel"]  # the router's own post of that page
    assert "by link: re-paging stopped" in str(update.args["blocks"])
