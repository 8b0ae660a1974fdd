"""Escalation through the real router (moto + the fake Slack, the test clock), with the page sweep running
every 2 minutes as it does in production: pages go out when due, not before; each person's plan (texts,
e-mails, calls) runs step by step while the alert is unacknowledged; Slack failing is a reason to use the
next channel at once, and the Slack page is still delivered, once, when Slack is back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from incident_core.alerts.store import AlertStore
from incident_core.paging.pages import Page, PageKind, PageStatus
from incident_core.paging.store import PageStore
from incident_core.policy.store import PolicyStore
from stand_ins.fake_slack import Fault
from tests import routing_support
from tests.routing_support import ALASTAIR, CHANNEL, WISEN, RouterHarness, event, posted

# Fixtures (pytest finds them by name in the module).
router = routing_support.router
routing_env = routing_support.routing_env
urgent_inbox = routing_support.urgent_inbox

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

SWEEP_EVERY = timedelta(minutes=2)


def alerts() -> AlertStore:
    return AlertStore.from_settings()


def pages_of(alert_id: str) -> list[Page]:
    return PageStore(alerts().table).for_alert(alert_id)


def live(router: RouterHarness, until: datetime, first_sweep: datetime) -> None:
    """Time passes to `until`: schedules fire at their time and the page sweep runs every 2 minutes from
    `first_sweep` (production's PageSweep is a rate schedule, not aligned with any alert)."""
    next_sweep = first_sweep
    while router.clock.now < until:
        step = min(next_sweep, until)
        router.run_until(step)
        if router.clock.now >= next_sweep:
            router.invoke({"sweep": "pages"})
            next_sweep += SWEEP_EVERY


def test_repages_go_out_exactly_at_5_10_and_15_minutes_with_the_sweep_running(router):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = alerts().list_open()

    live(router, start + timedelta(minutes=16), first_sweep=start + SWEEP_EVERY)

    repages = [p for p in pages_of(alert.alert_id) if p.kind == PageKind.REPAGE]
    sent = [p.sent_at - start for p in repages if p.status == PageStatus.SENT]
    assert sent == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15)]
    assert len(router.dms(ALASTAIR)) == 4  # the page and three re-pages, none early, none twice


def test_an_acknowledgement_one_second_before_a_repage_stops_it(router):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = alerts().list_open()

    live(router, start + timedelta(minutes=5) - timedelta(seconds=1), first_sweep=start + SWEEP_EVERY)
    alerts().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)
    live(router, start + timedelta(minutes=30), first_sweep=start + timedelta(minutes=6))

    assert len(router.dms(ALASTAIR)) == 1  # the page only
    statuses = {p.kind: p.status for p in pages_of(alert.alert_id)}
    assert statuses == {
        PageKind.PAGE: PageStatus.SENT,
        PageKind.REPAGE: PageStatus.CANCELLED,
        PageKind.STEP: PageStatus.CANCELLED,  # the text and e-mail at +5 too
    }


def test_a_sweep_between_schedules_sends_nothing_early(router):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    router.clock.now = start + timedelta(minutes=4, seconds=59)

    result = router.invoke({"sweep": "pages"})

    assert result["results"][0]["pages_sent"] == 0
    assert len(router.dms(ALASTAIR)) == 1


# ---------------------------------------------------------------------- the plan, and Slack failing
# Sat 6 Jun 2026 02:00 BST, inside a traction moment; Fri 5 Jun 18:00 BST, when it was added.
SATURDAY_2AM = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)
FRIDAY_EVENING = datetime(2026, 6, 5, 17, 0, tzinfo=UTC)
SLACK_DOWN = Fault(status=500, body={"ok": False, "error": "internal_error"})


@dataclass
class RecordingCaller:
    """A Caller (paging/delivery.py) recording each call; the End User Messaging adapter plugs in here."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def call(self, person: str, phone: str, ssml: str, reference: str) -> str:
        self.calls.append((person, reference, ssml))
        return f"call-{len(self.calls)}"


def traction_night(router: RouterHarness) -> None:
    router.clock.now = SATURDAY_2AM
    PolicyStore.from_settings().add_traction(
        SATURDAY_2AM - timedelta(hours=8),
        SATURDAY_2AM + timedelta(hours=30),
        "launch ads",
        "alastair",
        FRIDAY_EVENING,
    )


def history(alert_id: str) -> list[str]:
    return [e.what for e in alerts().history(alert_id)]


def steps_of(alert_id: str) -> list[Page]:
    return [p for p in pages_of(alert_id) if p.kind == PageKind.STEP]


def test_a_traction_night_texts_at_once_then_calls_at_3_and_10_minutes_until_acknowledged(
    router, urgent_inbox
):
    traction_night(router)
    caller = RecordingCaller()
    router.runtime.router.pager.caller = caller
    start = router.clock.now
    router.invoke(event("alert_router_journey_failed.json"))
    [alert] = alerts().list_open()
    assert len(router.dms(ALASTAIR)) == len(router.dms(WISEN)) == 1
    assert len(urgent_inbox["alastair"].drain()) == len(urgent_inbox["wisen"].drain()) == 1

    live(router, start + timedelta(minutes=4), first_sweep=start + timedelta(minutes=1))
    assert sorted(who for who, _, _ in caller.calls) == ["alastair", "wisen"]  # at +3
    assert all("<speak>" in ssml for _, _, ssml in caller.calls)
    alerts().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)
    live(router, start + timedelta(minutes=30), first_sweep=start + timedelta(minutes=5))

    assert len(caller.calls) == 2  # the calls at +10 were not made: acknowledged at +4
    # One reference per (page, person, step): a provider de-duplicating on it never calls twice.
    assert {reference for _, reference, _ in caller.calls} == {
        f"{alert.alert_id}-p0:alastair:1",
        f"{alert.alert_id}-p0:wisen:1",
    }
    steps = {(p.people[0], p.step): (p.status, p.sent_at) for p in steps_of(alert.alert_id)}
    assert steps[("alastair", 1)] == (PageStatus.SENT, start + timedelta(minutes=3))
    assert steps[("alastair", 2)][0] == steps[("wisen", 2)][0] == PageStatus.CANCELLED
    assert urgent_inbox["alastair"].drain() == []  # nothing more after the acknowledgement
    assert "step 1 of the plan for <@U0ALASTAIR> (a phone call)" in history(alert.alert_id)


def test_a_call_step_without_a_caller_is_recorded_as_skipped_with_the_reason(router, urgent_inbox):
    traction_night(router)
    start = router.clock.now
    router.invoke(event("alert_router_journey_failed.json"))
    [alert] = alerts().list_open()

    router.run_until(start + timedelta(minutes=3))

    step = next(p for p in steps_of(alert.alert_id) if p.people == ["alastair"] and p.step == 1)
    assert step.status == PageStatus.SENT
    assert step.delivered == {"call:alastair": "skipped: no phone caller is configured"}
    assert "step 1 of the plan for <@U0ALASTAIR> (call skipped: no phone caller is configured)" in history(
        alert.alert_id
    )


def test_in_business_hours_the_plan_texts_and_emails_after_5_minutes_unacknowledged(router, urgent_inbox):
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    assert urgent_inbox["alastair"].drain() == []  # Slack first

    live(router, start + timedelta(minutes=5), first_sweep=start + SWEEP_EVERY)

    [text] = urgent_inbox["alastair"].drain()
    assert "Acknowledge" in text


@pytest.mark.parametrize(
    "refusal",
    [
        Fault(status=500, body={"ok": False, "error": "internal_error"}),
        Fault(status=200, body={"ok": False, "error": "invalid_auth"}),  # the token was revoked
        Fault(status=429, retry_after=0),  # rate limited past slack_sdk's one retry
    ],
    ids=["5xx", "invalid_auth", "429"],
)
def test_slack_refusing_for_30_minutes_in_business_hours_reaches_alastair_outside_slack_then_once_in_slack(
    router, urgent_inbox, refusal
):
    start = router.clock.now
    router.slack.outage(refusal)
    router.invoke(event("alert_router_sns_alarm.json"))
    [alert] = alerts().list_open()

    live(router, start + timedelta(minutes=5), first_sweep=start + SWEEP_EVERY)
    [text] = urgent_inbox["alastair"].drain()  # within 5 minutes: at +2
    assert alert.title in text
    [step] = steps_of(alert.alert_id)
    assert step.sent_at == start + timedelta(minutes=2)

    live(router, start + timedelta(minutes=30), first_sweep=start + timedelta(minutes=6))
    assert router.dms(ALASTAIR) == [] and urgent_inbox["alastair"].drain() == []  # texted once, not again
    router.slack.outage(None)
    live(router, start + timedelta(minutes=41), first_sweep=start + timedelta(minutes=32))

    # Exactly one DM of the page once Slack is back (Slack is retried at most every 10 minutes); the
    # re-pages follow it, each once.
    first = router.dms(ALASTAIR)[0]
    assert first["blocks"][0]["block_id"] == f"page:{alert.alert_id}-p0:dm:alastair"
    assert set(posted(router).values()) == {1}
    lines = history(alert.alert_id)
    assert any(line.startswith("Slack has not delivered the page for 2 minutes") for line in lines)


def test_the_bot_removed_from_the_channel_is_a_reason_to_text(router, urgent_inbox):
    router.slack.add_channel(CHANNEL, bot_member=False)
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))
    assert len(router.dms(ALASTAIR)) == 1  # the DM went out; the channel post was refused

    live(router, start + timedelta(minutes=3), first_sweep=start + SWEEP_EVERY)
    assert len(urgent_inbox["alastair"].drain()) == 1  # at +2, not +5

    router.slack.add_channel(CHANNEL)  # someone invites the bot back
    live(router, start + timedelta(minutes=9), first_sweep=start + timedelta(minutes=4))
    assert len(router.dms(ALASTAIR)) == 1 and len(router.posts()) == 1  # each once


def test_a_person_who_left_the_workspace_is_texted(router, urgent_inbox):
    del router.slack.state.users[ALASTAIR]  # users.info / conversations.open: user_not_found
    start = router.clock.now
    router.invoke(event("alert_router_sns_alarm.json"))

    live(router, start + timedelta(minutes=3), first_sweep=start + SWEEP_EVERY)

    assert len(urgent_inbox["alastair"].drain()) == 1
    assert len(router.posts()) == 1  # the channel post still went out


def test_a_traction_night_with_slack_down_texts_calls_and_after_the_ack_delivers_each_slack_dm_once(
    router, urgent_inbox
):
    """The issue's 'done when': Saturday 02:00 in a traction moment, Slack refusing every call."""
    traction_night(router)
    caller = RecordingCaller()
    router.runtime.router.pager.caller = caller
    router.slack.outage(SLACK_DOWN)
    start = router.clock.now
    router.invoke(event("alert_router_journey_failed.json"))
    [alert] = alerts().list_open()
    assert len(urgent_inbox["alastair"].drain()) == len(urgent_inbox["wisen"].drain()) == 1  # at once

    live(router, start + timedelta(minutes=4), first_sweep=start + timedelta(minutes=1))
    assert sorted(who for who, _, _ in caller.calls) == ["alastair", "wisen"]  # brought forward to +2
    alerts().acknowledge(alert.alert_id, ALASTAIR, router.clock.now)  # by the link in the text
    live(router, start + timedelta(minutes=30), first_sweep=start + timedelta(minutes=5))
    assert len(caller.calls) == 2 and urgent_inbox["alastair"].drain() == []  # nothing after the ack

    router.slack.outage(None)
    live(router, start + timedelta(minutes=90), first_sweep=start + timedelta(minutes=31))
    assert len(router.dms(ALASTAIR)) == len(router.dms(WISEN)) == 1  # exactly one each, no re-pages
    assert len(router.posts()) == 1
    assert len(caller.calls) == 2


# ---------------------------------------------------------------------- the suite's own alarm
def undelivered_counts(output: str) -> list[float]:
    records = [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]
    return [value for r in records for value in r.get("PagesUndelivered", [])]


def test_the_sweep_counts_pages_still_undelivered_after_5_minutes_for_the_suites_alarm(
    router, urgent_inbox, capsys
):
    start = router.clock.now
    router.slack.outage(SLACK_DOWN)
    router.invoke(event("alert_router_sns_alarm.json"))
    capsys.readouterr()

    router.clock.now = start + timedelta(minutes=4)
    router.invoke({"sweep": "pages"})
    assert undelivered_counts(capsys.readouterr().out) == [0.0]  # not yet 5 minutes

    router.clock.now = start + timedelta(minutes=6)
    router.invoke({"sweep": "pages"})
    assert undelivered_counts(capsys.readouterr().out) == [1.0]  # the page; the text went out at +2

    router.slack.outage(None)
    live(router, start + timedelta(minutes=20), first_sweep=start + timedelta(minutes=8))
    router.clock.now = start + timedelta(minutes=20, seconds=30)
    router.invoke({"sweep": "pages"})
    assert undelivered_counts(capsys.readouterr().out)[-1] == 0.0


def test_a_page_held_over_the_weekend_follows_the_business_hours_plan_from_monday_9(router, urgent_inbox):
    router.clock.now = SATURDAY_2AM
    router.invoke(event("alert_router_journey_failed.json"))
    [alert] = alerts().list_open()
    monday_9 = datetime(2026, 6, 8, 8, 0, tzinfo=UTC)

    router.run_until(monday_9 + timedelta(minutes=4))
    assert len(router.dms(ALASTAIR)) == 1 and urgent_inbox["alastair"].drain() == []
    router.run_until(monday_9 + timedelta(minutes=5))

    assert len(urgent_inbox["alastair"].drain()) == 1  # the plan's text and e-mail at 09:05
    [step] = steps_of(alert.alert_id)
    assert (step.page_id, step.sent_at) == (
        f"{alert.alert_id}-p1-alastair-s1",
        monday_9 + timedelta(minutes=5),
    )


@dataclass
class SignedLinks:
    """An AckLinks (paging/delivery.py): the signed link endpoint plugs in here."""

    made: list[tuple[str, str, str, datetime]] = field(default_factory=list)

    def link(self, alert_id: str, page_id: str, person: str, expires_at: datetime) -> str:
        self.made.append((alert_id, page_id, person, expires_at))
        return f"https://ack.example.com/a/{len(self.made)}"


def test_texts_carry_the_acknowledgement_link_for_that_page_and_person(router, urgent_inbox):
    traction_night(router)
    links = SignedLinks()
    router.runtime.router.pager.ack_links = links
    router.invoke(event("alert_router_journey_failed.json"))
    [alert] = alerts().list_open()

    [text] = urgent_inbox["wisen"].drain()
    assert "Acknowledge: https://ack.example.com/a/" in text
    assert (alert.alert_id, f"{alert.alert_id}-p0", "wisen") in [made[:3] for made in links.made]
    assert all(expires == SATURDAY_2AM + timedelta(hours=24) for *_, expires in links.made)
