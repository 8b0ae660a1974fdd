"""Alert grouping (issue 22) through the real router handler: moto, the fake Slack, the test clock and
EventBridge Scheduler's one-time schedules fired as the clock passes them.

The storm: the database goes down and 8 alarms and 4 journeys fail within 2 minutes, in business hours.
Before grouping that was 12 DMs in 2 minutes and 48 in 15 (each alert re-paged every 5 minutes)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_core.alerts.store import AlertStore
from incident_core.models.alerts import AlertStatus
from incident_core.policy.model import load_policy
from tests import routing_support
from tests.grouping_support import (
    STORM_ALARMS,
    STORM_JOURNEYS,
    alarm,
    counts,
    journey_failed,
    journey_recovered,
    top_level_posts,
)
from tests.routing_support import ALASTAIR

bus_events = routing_support.bus_events
router = routing_support.router
routing_env = routing_support.routing_env

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def alerts() -> AlertStore:
    return AlertStore.from_settings()


def storm(router) -> list[dict]:
    """12 signals, one every 10 seconds (the last at 1 min 50 s); the router's results."""
    signals = [*STORM_ALARMS, *STORM_JOURNEYS]
    results = []
    for index, name in enumerate(signals):
        if index:
            router.clock.advance(seconds=10)
        at = router.clock.now
        notification = alarm(name, at) if name in STORM_ALARMS else journey_failed(name, at)
        results.append(router.invoke(notification)["results"][0])
    return results


def the_leader():
    [leader] = [a for a in alerts().list_open() if a.group_id == a.alert_id]
    return leader


def test_a_storm_of_12_signals_is_one_page_at_once_and_three_repages_in_15_minutes(router):
    start = router.clock.now
    results = storm(router)

    assert [r["action"] for r in results] == ["opened"] + ["grouped"] * 11
    assert counts(router)["dms"] == 1 and counts(router)["posts"] == 1  # was 12 and 12
    leader = the_leader()
    assert len(leader.members) == 12
    assert {a.group_id for a in alerts().list_open()} == {leader.alert_id}
    # The one page grew in place: it says how many things fail and lists them (10, then "and 2 more").
    [post] = top_level_posts(router)
    listing = post["blocks"][2]["text"]["text"]
    assert listing.startswith("*12 alerts in this group: 12 failing*")
    assert listing.count("• ") == 10 and listing.endswith("and 2 more")
    [dm] = router.dms(ALASTAIR)
    assert dm["blocks"][2] == post["blocks"][2] and "edited" in dm

    router.run_until(start + timedelta(minutes=15))
    assert counts(router)["dms"] == 4  # the page and 3 re-pages of the group (was 48)
    assert counts(router)["posts"] == 4


def test_a_storm_at_night_is_one_notice_and_one_held_page_in_the_morning(router):
    router.clock.now = datetime(2026, 3, 31, 1, 0, tzinfo=UTC)  # Tue 02:00 BST
    results = storm(router)

    assert [r["action"] for r in results] == ["opened"] + ["grouped"] * 11
    assert counts(router)["dms"] == 0 and counts(router)["posts"] == 1  # posted without a mention
    router.run_until(datetime(2026, 3, 31, 8, 1, tzinfo=UTC))  # 09:01 BST: the held page goes out
    assert counts(router)["dms"] == 1 and counts(router)["posts"] == 2
    held = router.dms(ALASTAIR)[0]
    assert "12 alerts in this group: 12 failing" in held["blocks"][2]["text"]["text"]


def test_one_acknowledgement_stops_the_whole_group(router):
    storm(router)
    leader = the_leader()
    alerts().acknowledge(leader.alert_id, ALASTAIR, router.clock.now)  # the page's Acknowledge button

    router.run_until(router.clock.now + timedelta(minutes=30))
    assert counts(router)["dms"] == 1
    group = [a for a in alerts().list_open() if a.group_id == leader.alert_id]
    assert len(group) == 12
    assert {a.status for a in group} == {AlertStatus.ACKNOWLEDGED}
    assert {a.acknowledged_by for a in group} == {ALASTAIR}


def test_an_unrelated_alarm_an_hour_later_pages_on_its_own(router):
    storm(router)
    router.clock.advance(hours=1)
    result = router.invoke(alarm("incident-payments-provider", router.clock.now))["results"][0]

    assert result["action"] == "opened" and result["pages_sent"] == 1
    later = alerts().get(result["alert_id"])
    assert later.group_id == later.alert_id and len(later.members) == 1


def test_a_false_alarm_on_a_group_does_not_hide_an_unrelated_alert_that_fires_later(router):
    storm(router)
    leader = the_leader()
    alerts().mark_false_alarm(leader.alert_id, ALASTAIR, router.clock.now)
    group = [a for a in alerts().list_open() if a.group_id == leader.alert_id]
    assert {a.status for a in group} == {AlertStatus.FALSE_ALARM}

    router.clock.advance(seconds=30)  # well within the group's window
    result = router.invoke(alarm("incident-payments-provider", router.clock.now))["results"][0]
    assert result["action"] == "opened" and result["pages_sent"] == 1
    assert counts(router)["dms"] == 2


def test_re_pages_follow_the_group_while_any_member_still_fails(router):
    start = router.clock.now
    storm(router)
    leader = the_leader()
    router.clock.advance(seconds=30)
    # The first alarm (the leader) recovers; the others still fail, nobody has answered.
    router.invoke(alarm(STORM_ALARMS[0], router.clock.now, state="OK"))
    assert alerts().get(leader.alert_id).status == AlertStatus.RESOLVED

    router.run_until(start + timedelta(minutes=6))
    assert counts(router)["dms"] == 2  # the group was re-paged
    [post] = top_level_posts(router)[:1]
    assert "11 failing, 1 recovered" in post["blocks"][2]["text"]["text"]
    assert "(recovered)" in post["blocks"][2]["text"]["text"]


def test_a_member_back_in_alarm_is_listed_as_failing_again(router):
    storm(router)
    router.clock.advance(seconds=30)
    router.invoke(alarm(STORM_ALARMS[1], router.clock.now, state="OK"))
    [post] = top_level_posts(router)
    assert "11 failing, 1 recovered" in post["blocks"][2]["text"]["text"]
    router.clock.advance(seconds=30)
    result = router.invoke(alarm(STORM_ALARMS[1], router.clock.now))["results"][0]  # flapping

    assert result["action"] == "reopened" and counts(router)["dms"] == 1
    [post] = top_level_posts(router)
    assert post["blocks"][2]["text"]["text"].startswith("*12 alerts in this group: 12 failing*")


def test_the_group_resolves_when_every_member_has(router):
    storm(router)
    leader = the_leader()
    router.clock.advance(minutes=1)
    for name in STORM_ALARMS:
        router.invoke(alarm(name, router.clock.now, state="OK"))
    for name in STORM_JOURNEYS:
        router.invoke(journey_recovered(name, router.clock.now))

    assert alerts().list_open() == []
    [post] = top_level_posts(router)
    assert "0 failing, 12 recovered" in post["blocks"][2]["text"]["text"]
    replies = router.slack.thread(routing_support.CHANNEL, leader.slack_ts)
    assert replies[-1]["text"] == ":white_check_mark: All 12 alerts of this group recovered."
    router.run_until(router.clock.now + timedelta(minutes=30))
    assert counts(router)["dms"] == 1


def test_an_alert_whose_group_is_acknowledged_while_it_joins_pages_on_its_own(router, monkeypatch):
    router.invoke(alarm("incident-db-cpu", router.clock.now))
    leader = the_leader()
    store = router.runtime.router.alerts
    real_open = store.open

    def open_after_an_ack(alert, opening, pages, notification_id, join=None):
        if join is not None:  # the Acknowledge button lands between the choice and the transaction
            alerts().acknowledge(leader.alert_id, ALASTAIR, router.clock.now)
        return real_open(alert, opening, pages, notification_id, join=join)

    monkeypatch.setattr(store, "open", open_after_an_ack)
    router.clock.advance(seconds=10)
    result = router.invoke(alarm("incident-api-5xx", router.clock.now))["results"][0]

    assert result["action"] == "opened" and result["pages_sent"] == 1
    assert counts(router)["dms"] == 2
    later = alerts().get(result["alert_id"])
    assert later.group_id == later.alert_id and later.status == AlertStatus.OPEN
    assert set(alerts().get(leader.alert_id).members) == {leader.alert_id}


def test_past_the_largest_group_a_new_group_starts_and_pages(router):
    names = [f"incident-storm-{i:02}" for i in range(27)]  # max_size is 25
    results = []
    for name in names:
        router.clock.advance(seconds=2)
        results.append(router.invoke(alarm(name, router.clock.now))["results"][0])

    assert [r["action"] for r in results] == ["opened"] + ["grouped"] * 24 + ["opened", "grouped"]
    assert counts(router)["dms"] == 2
    sizes = sorted(len(a.members) for a in alerts().list_open() if a.group_id == a.alert_id)
    assert sizes == [2, 25]


def test_declaring_the_group_an_incident_makes_every_member_affected_and_linked(router):
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.bus import RecordingBus
    from incident_core.incidents.render import root_message
    from incident_core.incidents.service import IncidentService
    from incident_core.incidents.store import IncidentStore

    storm(router)
    leader = the_leader()
    service = IncidentService(
        incidents=IncidentStore.from_settings(),
        alerts=alerts(),
        actions=ActionStore.from_settings(),
        bus=RecordingBus(),
        now=router.clock,
    )
    incident = service.declare_from_alert(leader.alert_id, ALASTAIR).incident  # the Real incident button

    assert incident.alarms == STORM_ALARMS and incident.journeys == STORM_JOURNEYS
    _, blocks = root_message(incident)  # the thread's root: its Affected list
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    [listed] = [text for text in sections if text.startswith("*Affected*")]
    assert all(f"`{name}`" in listed for name in [*STORM_ALARMS, *STORM_JOURNEYS])
    group = [a for a in alerts().list_open() if a.group_id == leader.alert_id]
    assert {(a.incident_id, a.status) for a in group} == {(incident.incident_id, AlertStatus.ACKNOWLEDGED)}
    router.run_until(router.clock.now + timedelta(minutes=20))
    assert counts(router)["dms"] == 1


def test_an_alert_after_the_group_was_declared_an_incident_goes_to_its_thread_and_pages_nobody(
    router, bus_events
):
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.bus import RecordingBus
    from incident_core.incidents.service import IncidentService
    from incident_core.incidents.store import IncidentStore

    storm(router)
    leader = the_leader()
    service = IncidentService(
        incidents=IncidentStore.from_settings(),
        alerts=alerts(),
        actions=ActionStore.from_settings(),
        bus=RecordingBus(),
        now=router.clock,
    )
    incident = service.declare_from_alert(leader.alert_id, ALASTAIR).incident
    bus_events.drain()
    router.clock.advance(minutes=20)  # long after the group's window: the incident is still open
    result = router.invoke(journey_failed("payments", router.clock.now))["results"][0]

    assert result["action"] == "grouped" and result["pages_sent"] == 0
    assert counts(router)["dms"] == 1
    absorbed = alerts().get(result["alert_id"])
    assert (absorbed.group_id, absorbed.incident_id) == (leader.alert_id, incident.incident_id)
    [raised] = bus_events.drain()  # the incident-thread function's rule matches this one
    assert raised["detail-type"] == "AlertRaised"
    assert raised["detail"]["incident_id"] == incident.incident_id
    assert raised["detail"]["journey"] == "payments"


def test_policy_who_explains_whether_an_alert_at_a_time_would_join_an_open_group(router, capsys):
    from incident_core.cli.main import main

    start = router.clock.now
    storm(router)
    leader = the_leader()
    capsys.readouterr()

    def who(at) -> str:
        assert main(["policy", "who", "--at", at.isoformat()]) == 0
        return capsys.readouterr().out

    inside = who(start + timedelta(minutes=3))
    assert f"grouping: group of {leader.alert_id} (" in inside and "12 alerts): would join it" in inside
    outside = who(start + timedelta(minutes=9))
    assert "no open group started within 5 min of that time: an alert then leads a new group" in outside
    alerts().acknowledge(leader.alert_id, ALASTAIR, router.clock.now)
    assert "would not join: its group is acknowledged" in who(start + timedelta(minutes=3))


# ----------------------------------------------------------------------------- any order, retries, duplicates
@st.composite
def arrivals(draw: st.DrawFn) -> list[tuple[str, int, int, str]]:
    """Distinct alarms and journeys (2 to 8), each failing at a source time within 4 minutes, delivered in
    any order, some twice (the same notification again: a retried delivery) and some notified again
    (a new notification of the same failure). Each entry: (name, source second, arrival order, how)."""
    count = draw(st.integers(min_value=2, max_value=8))
    names = [f"incident-{i}-db" if i % 3 else f"journey-{i}" for i in range(count)]
    entries = []
    for name in names:
        second = draw(st.integers(min_value=0, max_value=240))
        entries.append((name, second, "first"))
        entries += [
            (name, second, how) for how in draw(st.lists(st.sampled_from(["again", "retry"]), max_size=2))
        ]
    order = draw(st.permutations(range(len(entries))))
    return [(*entries[i], position) for position, i in enumerate(order)]


def next_business_morning(now: datetime) -> datetime:
    """The next business day's 10:00 London: pages go out at once, every earlier group is far behind."""
    calendar = load_policy(routing_support.POLICY_FILE).calendar
    day = calendar.add_business_days(calendar.local(now).date(), 1)
    return calendar.period_start(day) + timedelta(hours=1)


def deliver(router, arrival: list[tuple[str, int, str, int]], prefix: str) -> dict:
    """One epoch: the arrivals in their order (the clock moving on a few seconds each), names prefixed so
    that epochs do not meet; what a person saw and what the table holds, with the prefix taken out."""
    from tests.routing_support import ALASTAIR as PERSON

    start, before = router.clock.now, counts(router)
    delivered: dict[tuple[str, str], dict] = {}
    for name, second, how, _ in sorted(arrival, key=lambda entry: entry[3]):
        router.clock.now = max(router.clock.now, start + timedelta(seconds=second)) + timedelta(seconds=1)
        source_at = start + timedelta(seconds=second)
        full = name.replace("incident-", f"incident-{prefix}-").replace("journey-", f"{prefix}-journey-")
        if how == "again" and (name, "first") in delivered:
            notification = delivered[(name, "first")]
        else:
            notification = (
                alarm(full, source_at) if full.startswith("incident-") else journey_failed(full, source_at)
            )
            if how == "retry":  # a new notification of the same failure
                if "Records" in notification:
                    notification["Records"][0]["Sns"]["MessageId"] += "-again"
                else:
                    notification["id"] += "-again"
                    notification["detail"]["run_id"] += "-again"
            delivered[(name, how)] = notification
        router.invoke(notification)
    mine = [a for a in alerts().list_since(start - timedelta(minutes=5)) if prefix in a.title]
    leaders = [a for a in mine if a.group_id == a.alert_id]
    after = counts(router)
    listing = [
        m["blocks"][2]["text"]["text"] if len(m["blocks"]) > 2 and m["blocks"][2]["type"] == "section" else ""
        for m in top_level_posts(router)[before["posts"] :]
    ]
    return {
        "alerts": sorted(a.title.replace(prefix, "P") for a in mine),
        "groups": sorted(sorted(m.title.replace(prefix, "P") for m in g.members.values()) for g in leaders),
        "members_point_to_their_leader": all(
            a.group_id in {g.alert_id for g in leaders}
            and a.alert_id in next(g for g in leaders if g.alert_id == a.group_id).members
            for a in mine
        ),
        "listed": [text.replace(prefix, "P") for text in listing],
        "dms": len(router.dms(PERSON)) - before["dms"],
        "posts": after["posts"] - before["posts"],
    }


def test_any_arrival_order_with_retries_and_duplicates_is_one_page_per_group_listing_every_member(router):
    epoch = iter(range(1000))

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(arrival=arrivals())
    def check(arrival):
        results = []
        for order in (arrival, [(*entry[:3], -entry[3]) for entry in arrival]):  # as drawn, and reversed
            router.clock.now = next_business_morning(router.clock.now)  # past every earlier group's window
            results.append(deliver(router, order, f"e{next(epoch)}"))
        drawn, reversed_ = results
        assert drawn == reversed_  # the same alerts, groups, listing and interruptions in any order
        distinct = {name for name, *_ in arrival}
        assert len(drawn["alerts"]) == len(distinct)
        assert len(drawn["groups"]) == 1 and drawn["groups"][0] == drawn["alerts"]  # nobody lost
        assert drawn["members_point_to_their_leader"]
        assert drawn["dms"] == drawn["posts"] == 1  # one page per group
        [listing] = drawn["listed"]
        assert all(f"• {title}" in listing for title in drawn["alerts"])

    check()
