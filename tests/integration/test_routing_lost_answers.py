"""Exactly once at Slack when Slack's answer is lost: Slack posted the page, but the router never heard so
(the connection reset, the answer came after the client's timeout, a 5xx in front of Slack). A proxy in
front of the fake Slack (stand_ins/lossy_proxy.py) forwards the post and then loses the answer, for the
page's DM, its channel post and a re-page's. Pages are counted by the block id that names each page and
target: lost = a page due but never posted, doubled = posted more than once. Both must be 0.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from incident_core.alerts import wiring
from incident_core.alerts.store import AlertStore
from incident_core.settings import get_settings
from stand_ins.fake_slack import FakeSlack
from stand_ins.lossy_proxy import LossyProxy
from tests import routing_support
from tests.routing_support import ALASTAIR, CHANNEL, RouterHarness, event, pages_lost_and_doubled, posted

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

CLIENT_TIMEOUT = 1  # seconds: the router's Slack client gives up on an answer this late
LATE = 11  # seconds: later than any client timeout the router has ever used (slack_sdk's 10 s included)


@pytest.fixture
def lossy(
    router: RouterHarness, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LossyProxy]:
    """The router talking to the fake Slack through the lossy proxy."""
    proxy = LossyProxy(fake_slack.url.removesuffix("/api/"), delay=LATE).start()
    monkeypatch.setenv("SLACK_API_URL", proxy.origin + "/api/")
    monkeypatch.setattr(wiring, "PAGE_SLACK_TIMEOUT", CLIENT_TIMEOUT, raising=False)
    get_settings.cache_clear()
    router.module.Runtime.__init__(router.runtime, clock=router.clock)
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("loss", ["reset", "timeout", "5xx"])
@pytest.mark.parametrize(
    "which", [0, 1, 2, 3], ids=["page-dm", "page-channel", "repage-dm", "repage-channel"]
)
def test_a_post_whose_answer_is_lost_is_found_in_slack_not_posted_again(router, lossy, loss, which):
    lossy.lose("chat.postMessage", *["pass"] * which, loss)

    router.invoke(event("alert_router_sns_alarm.json"))
    router.run_until(router.clock.now + timedelta(minutes=12))  # the page, two re-pages, any retries

    assert lossy.lost == [("chat.postMessage", loss)]  # Slack did post it; its answer was lost
    [alert] = AlertStore.from_settings().list_open()
    lost, doubled = pages_lost_and_doubled(router, alert.alert_id)
    print(f"\n{loss} after post #{which}: {lost} pages lost, {doubled} doubled")
    assert (lost, doubled) == (0, 0), posted(router)
    assert len(router.dms(ALASTAIR)) == len(router.posts()) == 3  # the page and two re-pages, once each


def test_the_router_client_never_reposts_after_an_unknown_outcome(router, lossy):
    """slack_sdk's connection-error and server-error retry handlers would post again at once; the
    router's client leaves that to the next attempt, which looks in Slack first."""
    lossy.lose("chat.postMessage", "5xx")
    router.invoke(event("alert_router_sns_alarm.json"))

    assert len(router.slack.calls("chat.postMessage")) == 1  # not re-sent by the client
    assert router.slack.calls("conversations.history") == []
    router.run_until(router.clock.now + timedelta(minutes=2))
    assert router.slack.calls("conversations.history")  # the retry looked first
    assert [m["blocks"][0]["block_id"] for m in router.dms(ALASTAIR)][:1] == [
        f"page:{AlertStore.from_settings().list_open()[0].alert_id}-p0:dm:alastair"
    ]
    assert len(router.posts(CHANNEL)) >= 1


@pytest.mark.parametrize("loss", ["reset", "5xx"])
def test_a_drills_page_me_dm_whose_answer_is_lost_is_sent_once_when_the_drill_is_retried(router, lossy, loss):
    """The drill's DM used to be posted again by Lambda's retry of the drill (a plain post, not marked)."""
    drill = {
        "version": "0",
        "id": "5b0c8a52-drill-0001",
        "detail-type": "DrillRequested",
        "source": get_settings().event_source,
        "account": "123456789012",
        "time": router.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-2",
        "resources": [],
        "detail": {
            "drill_id": "dr-lost-answer",
            "requested_by": "alastair",
            "requested_at": router.clock.now.isoformat(),
            "page_me": ALASTAIR,
        },
    }
    lossy.lose("chat.postMessage", "pass", loss)  # the channel post is answered; the DM's answer is lost

    try:
        router.invoke(drill)
    except Exception:  # the outcome was unknown and not found: Lambda retries the drill
        time.sleep(0.06)  # the failed invocation's idempotency record is released (wall clock)
        router.invoke(drill)

    assert lossy.lost == [("chat.postMessage", loss)]
    assert len(router.dms(ALASTAIR)) == 1
    # One drill post, and one report of the plan's steps in its thread (alerts/drill_plan.py).
    drill_post, report = router.posts(CHANNEL)
    assert report.get("thread_ts") == drill_post["ts"] and "step" in report["text"]
