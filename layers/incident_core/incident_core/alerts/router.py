"""The alert router: a signal in, the alert recorded once, the policy applied, pages sent or scheduled.

Flow for a new problem (see docs/architecture-routing.md):
1. one transaction writes the alert, its fingerprint lock, its first history lines and the page intents
   (pending) that the support-hours decision asks for;
2. pages due now are claimed and sent; later ones (held pages, re-pages, retries) get a one-time
   EventBridge Scheduler schedule that puts PageDue on the bus, which brings the router back;
3. AlertRaised goes on the bus.

Any notification of an open alert (a repeat, a retried delivery, a PageDue) also moves that alert's
unfinished pages along, so whatever a crash interrupted is picked up by the next invocation about it.

An open alert nothing was heard of for UNHEARD_FOR (its recovery was lost, e.g. to the dead-letter
queue) does not swallow a new failure: the new notification closes it and opens a new alert, which pages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from incident_core.adapters.bus import EventBus
from incident_core.adapters.scheduler import Scheduler
from incident_core.alerts.group_routing import GroupRouting
from incident_core.alerts.health import HealthFact, HealthFacts
from incident_core.alerts.intake import Signal, SignalKind
from incident_core.alerts.keys import iso
from incident_core.alerts.store import FLAP_WINDOW, AlertStore, OlderThanAlarm, OpenOutcome, alert_expires_at
from incident_core.clock import utc_now
from incident_core.concurrency import ContextThreadPool
from incident_core.events import AlertRaised, AlertResolved, PageDue
from incident_core.ids import new_id
from incident_core.models.alerts import Alert, AlertEvent, AlertStatus
from incident_core.models.windows import Silence, TractionWindow
from incident_core.paging.delivery import CHANNEL_TARGET, SKIPPED, DeliveryFailed, Pager, is_slack
from incident_core.paging.escalation import (
    first_step_channels,
    slack_fallback_due,
    slack_undelivered,
    step_pages,
    steps_to_bring_forward,
)
from incident_core.paging.messages import mrkdwn_escape, resolution_text, unrecovered_text
from incident_core.paging.pages import Page, PageKind, PageStatus, claimed_now, page_id_for
from incident_core.paging.store import CLAIM_LEASE, LeaseLost, PageStore
from incident_core.policy.decide import PageDecision, decide, repage_audience
from incident_core.policy.model import Policy

if TYPE_CHECKING:
    from incident_core.paging.phone_events import CallResult

logger = logging.getLogger(__name__)

# Pages go out when due, never before: a page is sent only once its due time has come (schedules are
# made for the due time rounded up to the second, Scheduler's precision), so an acknowledgement a second
# before a re-page stops it, and the sweep only catches up pages that are overdue.
MAX_RETRY_DELAY = timedelta(minutes=10)
# Alarms and journeys notify on a change of state only, and a repeat refreshes `last_seen`. A failure
# reported this long after anything was last heard of the open alert is a new problem whose previous
# recovery was lost: the old alert is closed (as of when it was last heard of) and the new one pages.
UNHEARD_FOR = timedelta(hours=24)
# The sweep stops starting new alerts with this much of its invocation left (one alert's pages take a
# few Slack and AWS calls, each bounded: alerts/wiring.py).
SWEEP_RESERVE = timedelta(seconds=12)
# A page for people still not delivered this long after it was first due or tried is counted by the sweep
# (PagesUndelivered): the suite's own alarm, heard by e-mail, for a channel that is down (template.yaml).
UNDELIVERED_AFTER = timedelta(minutes=5)
# A source's time is believed within these bounds around the time of receipt; outside them (a clock in
# the year 2999, an ALARM stamped 2001) it is clamped to the time of receipt and the alert says so.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_BELIEVED = timedelta(days=7)  # longer than any AWS redelivery or a dead-letter redrive soon after


class PolicyWindows(Protocol):
    def current(self, now: datetime) -> tuple[list[TractionWindow], list[Silence]]: ...


@dataclass
class RouteResult:
    """What the router did with one input; the handler logs it and counts it in metrics."""

    action: str  # opened | grouped | repeat | resolved | noted | ignored | health | page-due
    alert_id: str | None = None
    pages_sent: int = 0
    delivery_failures: int = 0
    detail: str = ""
    undelivered: int = 0  # the sweep's count of pages for people overdue by UNDELIVERED_AFTER or more

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "alert_id": self.alert_id,
            "pages_sent": self.pages_sent,
            "delivery_failures": self.delivery_failures,
            "detail": self.detail,
        }


@dataclass
class _Moment:
    """The policy's inputs at one instant, read once per input and only if needed."""

    now: datetime
    policy: Policy
    read_windows: Callable[[datetime], tuple[list[TractionWindow], list[Silence]]]
    _windows: tuple[list[TractionWindow], list[Silence]] | None = field(default=None, init=False)

    def decide(self, alert: Alert, at: datetime | None = None) -> PageDecision:
        if self._windows is None:
            self._windows = self.read_windows(self.now)
        windows, silences = self._windows
        return decide(at or self.now, self.policy, windows, silences, alert)


class AlertRouter:
    def __init__(
        self,
        *,
        alerts: AlertStore,
        pages: PageStore,
        policy: Callable[[], Policy],
        windows: PolicyWindows,
        pager: Pager,
        scheduler: Scheduler,
        bus: EventBus,
        health: HealthFacts,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.alerts = alerts
        self.pages = pages
        self.policy = policy
        self.windows = windows
        self.pager = pager
        self.scheduler = scheduler
        self.bus = bus
        self.health = health
        self.clock = clock
        self.groups = GroupRouting(alerts, pages, pager)
        self._pool: ContextThreadPool | None = None
        self._prefetched = threading.local()

    # ------------------------------------------------------------------ inputs
    def handle_signal(self, signal: Signal) -> RouteResult:
        moment = self._moment()
        signal = bounded_time(signal, moment.now)
        if signal.kind == SignalKind.RAISE:
            return self._raise(signal, moment)
        if signal.kind == SignalKind.RESOLVE:
            return self._resolve(signal, moment)
        return self._note(signal, moment)

    def handle_page_due(self, due: PageDue) -> RouteResult:
        moment = self._moment()
        alert = self.alerts.get(due.alert_id)
        if alert is None:
            return RouteResult("ignored", due.alert_id, detail=f"PageDue for unknown alert {due.alert_id}")
        result = self._advance(alert, self._unfinished(alert.alert_id), moment)
        result.action = "page-due"
        return result

    def record_health(self, fact: HealthFact) -> RouteResult:
        stored = self.health.record(fact, self.clock())
        detail = f"{fact.service} {fact.event_type_code} ({fact.status})" + (
            "" if stored else ", older update"
        )
        return RouteResult("health", detail=detail)

    # ------------------------------------------------------------------ raise, repeat, resolve, note
    def _raise(
        self,
        signal: Signal,
        moment: _Moment,
        close_unheard: bool = True,
        retry: bool = True,
        passed_over: frozenset[str] = frozenset(),
    ) -> RouteResult:
        # No look-up first: the transaction's lock says whether the alert exists (a repeat) or not.
        alert = Alert(
            alert_id=new_id("al", moment.now),
            fingerprint=signal.fingerprint,
            title=signal.title,
            source=signal.source,
            incident_alarm=signal.incident_alarm,
            reason=signal.marking,
            state_reason=signal.state_reason,
            links=signal.links,
            journey=signal.journey,
            alarm_name=signal.alarm_name,
            started_at=signal.occurred_at,
            first_seen=moment.now,
            last_seen=moment.now,
            details=signal.details,
        )
        decision = moment.decide(alert)
        alert = alert.model_copy(
            update={"pages": bool(decision.page or decision.hold_until), "reason": decision.reason}
        )
        # Alert grouping: a paging alert joins an open group (no pages of its own) or leads its own.
        placement = self.groups.place(alert, moment.policy, passed_over)
        alert = placement.alert
        # Pages due now are written already claimed by this invocation: no separate claim before Slack.
        pages = [
            claimed_now(page, moment.now) if page.due_at <= moment.now else page
            for page in _pages_for(alert, decision, moment.now, first_seq=0, policy=moment.policy)
            if placement.leader is None
        ]
        raised = AlertEvent(
            at=moment.now,
            what=f"raised: {mrkdwn_escape(alert.title)} ({mrkdwn_escape(signal.marking)}); "
            f"{_decision_line(decision)}{placement.opening_note()}",
        )
        outcome = self.alerts.open(alert, raised, pages, signal.notification_id, join=placement.join)
        if outcome == OpenOutcome.GROUP_CHANGED and placement.leader is not None:
            # That group was acknowledged, resolved or filled meanwhile: choose again without it.
            skip = passed_over | {placement.leader.alert_id}
            return self._raise(signal, moment, close_unheard, retry, passed_over=skip)
        if outcome == OpenOutcome.EXISTS:  # already open: a concurrent delivery, or a repeat
            winner = self.alerts.open_alert_id(signal.fingerprint)
            if winner is None:  # resolved meanwhile: judged again against that recovery
                return self._raise(signal, moment, close_unheard) if retry else _resolved_meanwhile()
            existing = self.alerts.get(winner)
            if existing is None:  # the lock outlived its alert (expired): repair it, then open anew
                logger.warning("released a lock whose alert is gone", extra={"alert_id": winner})
                self.alerts.release_dangling(signal.fingerprint, winner, moment.now)
                return (
                    self._raise(signal, moment, close_unheard, retry=False)
                    if retry
                    else _resolved_meanwhile()
                )
            if close_unheard and unheard_of(existing, signal):
                self._close_unrecovered(existing, signal, moment)
                result = self._raise(signal, moment, close_unheard=False)
                result.detail = f"closed {winner}: unheard of since {existing.last_seen.isoformat()}"
                return result
            return self._repeat(winner, signal, moment, retry)
        if outcome == OpenOutcome.STALE:
            return RouteResult("ignored", detail="older than the last recovery of this alarm")
        if outcome == OpenOutcome.FLAPPING:
            return self._reopen(signal, moment, close_unheard, retry)
        result = self._advance(alert, pages, moment, claimed={p.page_id for p in pages if p.claim_token})
        self._announce(alert)
        result.action = "opened"
        if placement.leader is not None:
            self.groups.joined(placement.leader.alert_id, moment.policy)
            result.action = "grouped"
            result.detail = f"joined the group of {placement.leader.alert_id}"
        return result

    def _reopen(self, signal: Signal, moment: _Moment, close_unheard: bool, retry: bool) -> RouteResult:
        """Back in ALARM within FLAP_WINDOW of its last recovery: that alert re-opens, noted in its history
        and its thread; its page was sent already, so nothing pages again."""
        resolved_at = self.alerts.lock(signal.fingerprint).get("resolved_at", "")
        line = AlertEvent(
            at=moment.now,
            what=f"re-opened: back in ALARM within {_minutes(FLAP_WINDOW)} of its recovery at "
            f"{resolved_at} (flapping); not paged again",
        )
        reopened = self.alerts.reopen(signal.fingerprint, signal.occurred_at, line)
        if reopened is None:  # changed meanwhile: judged again
            return self._raise(signal, moment, close_unheard, retry=False) if retry else _resolved_meanwhile()
        self.groups.member_reopened(reopened, moment.policy)
        if reopened.slack_ts:
            try:
                title = mrkdwn_escape(reopened.title)
                text = f":repeat: Back in ALARM (flapping): re-opened, not paged again. {title}"
                self.pager.post_resolution(reopened.slack_ts, text)
            except Exception:  # the re-opening is recorded; the thread reply is a courtesy
                logger.exception(
                    "could not reply the re-opening in Slack", extra={"alert_id": reopened.alert_id}
                )
        return RouteResult("reopened", reopened.alert_id, detail="flapping: re-opened, not paged again")

    def _repeat(self, alert_id: str, signal: Signal, moment: _Moment, retry: bool = True) -> RouteResult:
        if not self.alerts.record_alarm(signal.fingerprint, alert_id, signal.occurred_at):
            # Resolved between our open attempt and now: this ALARM is judged against that recovery.
            return self._raise(signal, moment, retry=False) if retry else _resolved_meanwhile()
        alert = self.alerts.record_repeat(alert_id, moment.now, signal.notification_id)
        if signal.incident_alarm and not alert.incident_alarm:
            alert = self._promote(alert, signal, moment)
        result = self._advance(alert, self._unfinished(alert_id), moment)
        if not self.alerts.is_announced(alert_id):
            self._announce(alert)  # an earlier invocation stopped before announcing it
        result.action = "repeat"
        result.detail = f"seen {alert.count} times"
        return result

    def _promote(self, alert: Alert, signal: Signal, moment: _Moment) -> Alert:
        decision = moment.decide(alert.model_copy(update={"incident_alarm": True}))
        promoted = alert.model_copy(
            update={
                "incident_alarm": True,
                "pages": bool(decision.page or decision.hold_until),
                "reason": decision.reason,
            }
        )
        first_seq = len(self.pages.for_alert(alert.alert_id))
        line = AlertEvent(
            at=moment.now,
            what=f"marked an incident alarm: {mrkdwn_escape(signal.marking)}; {_decision_line(decision)}",
        )
        # The flag, the routing and the page intents in one transaction; _advance then sends what is due.
        self.alerts.promote(
            promoted, line, _pages_for(promoted, decision, moment.now, first_seq, moment.policy)
        )
        return self.alerts.get(alert.alert_id) or promoted

    def _resolve(self, signal: Signal, moment: _Moment) -> RouteResult:
        alert_id = self.alerts.open_alert_id(signal.fingerprint)
        alert = self.alerts.get(alert_id) if alert_id else None
        if alert_id and alert is None:  # the lock outlived its alert (expired): repair it
            self.alerts.release_dangling(signal.fingerprint, alert_id, moment.now)
            alert_id = None
        if alert_id is None or alert is None:
            # Perhaps it came before its ALARM: remembered, so that older ALARM opens nothing.
            newest = self.alerts.record_recovery(signal.fingerprint, signal.occurred_at, moment.now)
            detail = (
                "no open alert for it; recorded" if newest else "no open alert; a newer recovery is recorded"
            )
            return RouteResult("ignored", detail=f"resolves nothing: {detail}")
        if signal.occurred_at < alert.started_at:
            return RouteResult("ignored", alert_id, detail="older than the open alert: a late delivery")
        try:
            resolved = self.alerts.resolve(
                alert_id, signal.occurred_at, f"resolved: {mrkdwn_escape(signal.state_reason)}", moment.now
            )
        except OlderThanAlarm:
            return RouteResult("ignored", alert_id, detail="older than the newest ALARM: resolves nothing")
        if resolved is None:
            return RouteResult("ignored", alert_id, detail="already resolved")
        if resolved.slack_ts:
            try:
                self.pager.post_resolution(resolved.slack_ts, resolution_text(resolved, moment.policy))
            except Exception:  # the resolution is recorded and announced; the thread reply is a courtesy
                logger.exception("could not reply the resolution in Slack", extra={"alert_id": alert_id})
        self.bus.put(
            AlertResolved(alert_id=alert_id, fingerprint=alert.fingerprint, resolved_at=signal.occurred_at)
        )
        self.groups.member_recovered(resolved, signal.occurred_at, moment.policy)
        return RouteResult("resolved", alert_id)

    def _close_unrecovered(self, alert: Alert, signal: Signal, moment: _Moment) -> None:
        silent = signal.occurred_at - alert.last_seen
        line = AlertEvent(
            at=moment.now,
            what=f"closed without a recovery: nothing heard of it for {_hours(silent)} until it failed again "
            f"at {_local(signal.occurred_at, moment.policy)}; that is a new alert",
        )
        closed = self.alerts.close_unrecovered(alert.alert_id, alert.last_seen, line, moment.now)
        if closed is None:  # a concurrent delivery closed it first
            return
        logger.warning(
            "closed an alert whose recovery never arrived",
            extra={"alert_id": alert.alert_id, "last_seen": alert.last_seen.isoformat()},
        )
        if closed.slack_ts:
            try:
                self.pager.post_resolution(closed.slack_ts, unrecovered_text(closed, moment.policy, silent))
            except Exception:  # the closure is recorded and announced; the thread reply is a courtesy
                logger.exception("could not reply the closure in Slack", extra={"alert_id": alert.alert_id})
        self.bus.put(
            AlertResolved(alert_id=alert.alert_id, fingerprint=alert.fingerprint, resolved_at=alert.last_seen)
        )

    def _note(self, signal: Signal, moment: _Moment) -> RouteResult:
        alert_id = self.alerts.open_alert_id(signal.fingerprint)
        if alert_id is None:
            return RouteResult("ignored", detail=f"{signal.details.get('state')}: no open alert, never pages")
        state = signal.details.get("state", "state change")
        line = f"{state}: {mrkdwn_escape(signal.state_reason)}"
        self.alerts.add_event(alert_id, AlertEvent(at=moment.now, what=line))
        return RouteResult("noted", alert_id, detail=f"{state} never pages")

    # ------------------------------------------------------------------ pages
    def _advance(
        self,
        alert: Alert,
        pages: list[Page],
        moment: _Moment,
        claimed: frozenset[str] | set[str] = frozenset(),
    ) -> RouteResult:
        """Move each unfinished page along: cancel, send now, or make sure a schedule wakes us for it.
        Pages in `claimed` were claimed by this invocation when they were written: send them."""
        result = RouteResult("advanced", alert.alert_id)
        for page in pages:
            if page.page_id in claimed:
                sent, failed = self._send_claimed(alert, page, moment, recover_since=None)
                result.pages_sent += sent
                result.delivery_failures += failed
                continue
            if not page.unfinished:
                continue
            # A group keeps paging while any member still fails unanswered (alerts/grouping.py).
            stopped = alert.status != AlertStatus.OPEN and not self.groups.keeps_paging(alert)
            if stopped and self._owes_slack(page, moment):
                # Acknowledged from a text while Slack was down: the Slack page is still delivered, once
                # (Slack only; nobody is contacted again).
                if page.due_at <= moment.now:
                    sent, failed = self._deliver(alert, page, moment, slack_only=True)
                    result.pages_sent += sent
                    result.delivery_failures += failed
                else:
                    self._ensure_schedule(page, page.due_at, moment.now)
                continue
            if stopped:
                if self.pages.cancel(page, moment.now, f"not needed: the alert is {alert.status.value}"):
                    logger.info("page cancelled", extra={"page_id": page.page_id, "status": alert.status})
                continue
            wake_at = page.due_at
            if page.status == PageStatus.SENDING and page.claimed_until:
                wake_at = max(wake_at, page.claimed_until)
            if wake_at > moment.now:
                self._ensure_schedule(page, wake_at, moment.now)
                continue
            sent, failed = self._deliver(alert, page, moment)
            result.pages_sent += sent
            result.delivery_failures += failed
        return result

    def _owes_slack(self, page: Page, moment: _Moment) -> bool:
        """A first page already tried (people were told some other way) whose Slack part never went out."""
        return (
            page.kind in (PageKind.PAGE, PageKind.HELD)
            and page.attempts > 0
            and bool(page.people)
            and slack_undelivered(page, self.pager.targets(page, moment.policy))
        )

    def _deliver(
        self, alert: Alert, page: Page, moment: _Moment, slack_only: bool = False
    ) -> tuple[int, int]:
        """Claim and send one due page. Returns (pages sent, deliveries failed)."""
        people, channels, person_channels = page.people, page.channels, page.person_channels
        decision: PageDecision | None = None
        if people is None:  # held pages and re-pages: the policy decides at delivery time
            decision = moment.decide(alert, at=max(moment.now, page.due_at))
            if not decision.page:
                self._hold_or_drop(alert, page, decision, moment)
                return 0, 0
            people = (
                repage_audience(moment.policy, decision, page.previous_people)
                if page.kind == PageKind.REPAGE
                else decision.page
            )
            channels = [c.value for c in decision.channels]
            person_channels = first_step_channels(moment.policy, decision.plan, people)
        # Tried before (a lost answer, a timeout, a 5xx, a crash: the outcome may be unknown): look in
        # Slack for what earlier attempts posted before posting again.
        recover_since = _first_attempt(page) if page.attempts else None
        claimed = self.pages.claim(page, moment.now, people, channels, person_channels)
        if claimed is None:
            latest = self.pages.get(page.alert_id, page.page_id)
            if latest and latest.unfinished and latest.claimed_until:
                self._ensure_schedule(latest, latest.claimed_until, moment.now)  # if its holder dies
            return 0, 0
        if decision is not None and claimed.kind == PageKind.HELD:
            # The held page is the page now: its people's plan steps follow it, written before it is sent.
            steps = step_pages(claimed, moment.policy, decision.plan)
            self.pages.add(steps, alert_expires_at(alert))
            for step in steps:
                self._ensure_schedule(step, step.due_at, moment.now)
        return self._send_claimed(alert, claimed, moment, recover_since, slack_only)

    def _send_claimed(
        self,
        alert: Alert,
        claimed: Page,
        moment: _Moment,
        recover_since: datetime | None,
        slack_only: bool = False,
    ) -> tuple[int, int]:
        try:
            self.pager.deliver(
                claimed,
                alert,
                moment.policy,
                record=lambda target, ref: self.pages.record_delivery(claimed, target, ref),
                recover_since=recover_since,
                now=moment.now,
                slack_only=slack_only,
            )
        except LeaseLost:
            return 0, 0
        except Exception as error:  # Slack or SNS still failing after the SDK's own retries
            self._retry_later(alert, claimed, error, moment)
            return 0, 1
        self._finish(alert, claimed, moment)
        return 1, 0

    def _finish(self, alert: Alert, page: Page, moment: _Moment) -> None:
        next_page = self._next_repage(alert, page, moment)
        if not self.pages.finish(page, moment.now, next_page, alert_expires_at(alert)):
            logger.warning("page finished by another deliverer", extra={"page_id": page.page_id})
            return
        if CHANNEL_TARGET in page.delivered:
            self.alerts.set_channel_post(alert.alert_id, self.pager.channel, page.delivered[CHANNEL_TARGET])
        self.alerts.add_event(alert.alert_id, AlertEvent(at=moment.now, what=_sent_line(page, moment.policy)))
        if next_page is not None:
            self._ensure_schedule(next_page, next_page.due_at, moment.now)
        elif page.people and page.kind not in _NO_REPAGES and alert.status == AlertStatus.OPEN:
            self.alerts.add_event(
                alert.alert_id,
                AlertEvent(at=moment.now, what=f"re-paging stopped after {page.repage} re-pages"),
            )

    def _next_repage(self, alert: Alert, page: Page, moment: _Moment) -> Page | None:
        if page.kind in _NO_REPAGES or not page.people:
            return None
        if alert.status != AlertStatus.OPEN:  # a Slack page owed to an acknowledged alert
            return None
        number = page.repage + 1
        if number > moment.policy.max_repages:
            return None
        return Page(
            page_id=page_id_for(alert.alert_id, page.seq + 1),
            alert_id=alert.alert_id,
            seq=page.seq + 1,
            kind=PageKind.REPAGE,
            due_at=_repage_due(page, moment),
            repage=number,
            previous_people=page.people,
            reason=f"not acknowledged within {moment.policy.ack_timeout_minutes} minutes",
        )

    def _hold_or_drop(self, alert: Alert, page: Page, decision: PageDecision, moment: _Moment) -> None:
        if decision.hold_until is None:
            if self.pages.cancel(page, moment.now, decision.reason):
                self.alerts.add_event(
                    alert.alert_id, AlertEvent(at=moment.now, what=_decision_line(decision))
                )
            return
        held = self.pages.postpone(page, decision.hold_until, decision.reason)
        if held is not None:
            self.alerts.add_event(alert.alert_id, AlertEvent(at=moment.now, what=_decision_line(decision)))
            self._ensure_schedule(held, held.due_at, moment.now)

    def _retry_later(self, alert: Alert, page: Page, error: Exception, moment: _Moment) -> None:
        now = moment.now
        delay = min(timedelta(minutes=2 ** max(page.attempts - 1, 0)), MAX_RETRY_DELAY)
        retry_at = now + delay
        slack_failed = isinstance(error, DeliveryFailed) and any(map(is_slack, error.errors))
        fallback: list[Page] = []
        if slack_failed and alert.status == AlertStatus.OPEN and page.people:
            fallback_at = slack_fallback_due(page, _first_attempt(page))
            if now >= fallback_at:
                fallback = steps_to_bring_forward(page, self.pages.for_alert(alert.alert_id), now)
            else:
                retry_at = min(retry_at, fallback_at)  # Slack gets until then, not a minute more
        description = str(error) if isinstance(error, DeliveryFailed) else f"{type(error).__name__}: {error}"
        logger.warning(
            "page could not be sent; kept for a retry",
            extra={"page_id": page.page_id, "error": description, "retry_at": retry_at.isoformat()},
        )
        released = self.pages.release(page, description, retry_at)
        self.alerts.add_event(
            alert.alert_id,
            AlertEvent(
                at=now,
                what=f"page could not be sent ({mrkdwn_escape(description[:200])}); "
                f"trying again at {_local(retry_at, moment.policy)}",
            ),
        )
        self._ensure_schedule(released, retry_at, now)
        for step in fallback:
            self._bring_forward(alert, step, description, moment)

    def _bring_forward(self, alert: Alert, step: Page, why: str, moment: _Moment, because: str = "") -> None:
        """The person's next step is sent now (the same step, once), not at its time: Slack has not
        delivered a page for SLACK_FALLBACK_AFTER, or (`because`) a call was not answered."""
        now = moment.now
        person = (step.people or ["?"])[0]
        moved = self.pages.postpone(step, now, step.reason + f"; brought forward: {why[:200]}")
        if moved is None:  # sent or cancelled meanwhile
            return
        self.alerts.add_event(
            alert.alert_id,
            AlertEvent(
                at=now,
                what=f"{because or 'Slack has not delivered the page for 2 minutes'}: reaching "
                f"<@{moment.policy.slack_id(person)}> by {', '.join(step.channels)} now "
                f"(step {step.step} of the plan, due {_local(step.due_at, moment.policy)})",
            ),
        )
        self._deliver(alert, moved, moment)

    def call_unanswered(self, call: CallResult) -> None:
        """A call nobody answered (busy, no answer, failed): the person's plan moves on to its next step
        at once, while the alert is still unanswered (paging/phone_events.py reads the outcome)."""
        alert = self.alerts.get(call.reference.alert_id)
        if alert is None or alert.status != AlertStatus.OPEN:
            return
        moment = self._moment()
        later = sorted(
            (
                p
                for p in self.pages.for_alert(alert.alert_id)
                if p.kind == PageKind.STEP
                and p.status == PageStatus.PENDING
                and p.people == [call.reference.person]
                and p.due_at > moment.now
            ),
            key=lambda p: (p.due_at, p.step),
        )
        if later:
            said = f"the call was not answered ({call.outcome.value})"
            self._bring_forward(alert, later[0], said, moment, because=said.capitalize())

    def _ensure_schedule(self, page: Page, at: datetime, now: datetime) -> None:
        """A wake-up at `at` for the page. Scheduler (or the write noting it) failing is not fatal: the
        page is recorded, and the sweep finds it when it is due (escalation never hangs on one call)."""
        at = _whole_second(at)
        if page.scheduled_for == at:
            return
        reason = {PageKind.HELD: "held", PageKind.REPAGE: "repage", PageKind.STEP: "step"}.get(
            page.kind, "retry"
        )
        if page.attempts and page.last_error:
            reason = "retry"
        try:
            self.scheduler.schedule(
                f"page-{page.page_id}-{at:%Y%m%dT%H%M%S}",
                at,
                PageDue(alert_id=page.alert_id, page_id=page.page_id, reason=reason, due_at=at),
                now,
            )
            self.pages.mark_scheduled(page, at)
        except Exception:
            logger.warning(
                "no schedule for the page; the sweep will send it when due",
                exc_info=True,
                extra={"page_id": page.page_id, "due_at": at.isoformat()},
            )

    # ------------------------------------------------------------------ the sweep
    def sweep(self, time_left: Callable[[], float] = lambda: float("inf")) -> RouteResult:
        """The safety net under the schedules: every open alert's unfinished pages are moved along (sent
        when due, pending or stuck `sending` past their lease; a schedule made for later ones), with the
        same claims, so nothing is sent twice. Runs on its own schedule; stops early when `time_left()`
        (seconds of the invocation) runs low, and the next sweep goes on."""
        moment = self._moment()
        result = RouteResult("swept", detail="")
        failed = 0
        for alert in self.groups.sweep_set(self.alerts.list_open()):
            if time_left() < SWEEP_RESERVE.total_seconds():
                result.detail = "stopped early: the invocation is nearly out of time"
                break
            try:
                unfinished = self._unfinished(alert.alert_id)
                result.undelivered += sum(1 for page in unfinished if _undelivered(page, moment.now))
                if unfinished:
                    advanced = self._advance(alert, unfinished, moment)
                    result.pages_sent += advanced.pages_sent
                    result.delivery_failures += advanced.delivery_failures
            except Exception:  # one alert's trouble does not stop the sweep of the others
                failed += 1
                logger.exception(
                    "sweep: could not move an alert's pages along", extra={"alert_id": alert.alert_id}
                )
        if failed:
            result.detail = (result.detail + f"; {failed} alerts failed, next sweep tries again").lstrip("; ")
        return result

    # ------------------------------------------------------------------ internals
    def _unfinished(self, alert_id: str) -> list[Page]:
        return [page for page in self.pages.for_alert(alert_id) if page.unfinished]

    def _announce(self, alert: Alert) -> None:
        self.bus.put(
            AlertRaised(
                alert_id=alert.alert_id,
                fingerprint=alert.fingerprint,
                title=alert.title,
                source=alert.source.value,
                raised_at=alert.started_at,
                incident_id=alert.incident_id,  # an incident absorbed it: its thread function posts it
                journey=alert.journey,
                alarm_name=alert.alarm_name,
            )
        )
        self.alerts.mark_announced(alert.alert_id)

    @contextmanager
    def policy_prefetched(self) -> Iterator[None]:
        """Read the traction windows and silences in the background while the caller does something
        else first (the idempotency check); the next decision on this thread uses that read."""
        if self._pool is None:
            self._pool = ContextThreadPool(max_workers=4, thread_name_prefix="policy-prefetch")
        self._prefetched.future = self._pool.submit(self.windows.current, self.clock())
        try:
            yield
        finally:
            self._prefetched.future = None

    def _moment(self) -> _Moment:
        future: Future | None = getattr(self._prefetched, "future", None)
        self._prefetched.future = None  # used once
        read = (lambda _at: future.result()) if future is not None else self.windows.current
        return _Moment(now=self.clock(), policy=self.policy(), read_windows=read)


# Pages that are never followed by a re-page: a notice wakes nobody; a plan step is one person's extra.
_NO_REPAGES = (PageKind.NOTICE, PageKind.STEP)


def _pages_for(
    alert: Alert, decision: PageDecision, now: datetime, first_seq: int, policy: Policy
) -> list[Page]:
    """The page intents a decision asks for, written with the alert (or its promotion)."""

    def page(offset: int, kind: PageKind, due: datetime, **extra: Any) -> Page:
        seq = first_seq + offset
        return Page(
            page_id=page_id_for(alert.alert_id, seq),
            alert_id=alert.alert_id,
            seq=seq,
            kind=kind,
            due_at=due,
            reason=decision.reason,
            **extra,
        )

    if decision.page:
        channels = [c.value for c in decision.channels]
        first = page(
            0,
            PageKind.PAGE,
            now,
            people=decision.page,
            channels=channels,
            person_channels=first_step_channels(policy, decision.plan, decision.page),
        )
        return [first, *step_pages(first, policy, decision.plan)]
    if decision.hold_until and decision.post_without_mention:
        return [
            page(0, PageKind.NOTICE, now, people=[], channels=["slack"]),
            page(1, PageKind.HELD, decision.hold_until),
        ]
    if decision.hold_until:
        return [page(0, PageKind.HELD, decision.hold_until)]
    return []


def bounded_time(signal: Signal, now: datetime) -> Signal:
    """The signal with its source time believed only within CLOCK_SKEW ahead of and OLDEST_BELIEVED behind
    the time of receipt; outside that, the time of receipt, and its details say so."""
    at = signal.occurred_at
    if at > now + CLOCK_SKEW:
        why = "is in the future"
    elif at < now - OLDEST_BELIEVED:
        why = "is implausibly old"
    else:
        return signal
    note = f"the source's time {iso(at)} {why}: the time of receipt is used"
    return signal.model_copy(update={"occurred_at": now, "details": {**signal.details, "time_clamped": note}})


def _repage_due(page: Page, moment: _Moment) -> datetime:
    """Re-pages keep time: ack_timeout after the page's own due time (5, 10, 15 minutes after the first
    page however late each invocation ran), or after now when the page itself went out late."""
    timeout = timedelta(minutes=moment.policy.ack_timeout_minutes)
    due = page.due_at + timeout
    return due if due > moment.now else moment.now + timeout


def _undelivered(page: Page, now: datetime) -> bool:
    """A page meant for people (not a notice) still unsent UNDELIVERED_AFTER after it was first due or
    tried (a retried page's due time moves; its first attempt does not)."""
    if page.kind == PageKind.NOTICE or page.people == []:
        return False
    since = page.first_claimed_at or page.due_at
    return since <= now - UNDELIVERED_AFTER


def _first_attempt(page: Page) -> datetime:
    """When the page was first tried (pages written before `first_claimed_at` existed: their lease or
    due time, the earliest we know)."""
    if page.first_claimed_at:
        return page.first_claimed_at
    return page.claimed_until - CLAIM_LEASE if page.claimed_until else page.due_at


def _whole_second(at: datetime) -> datetime:
    """`at` rounded up to the second: Scheduler's at() has whole seconds, and a schedule must never wake
    the router before the page is due (it would find nothing to send)."""
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


def _resolved_meanwhile() -> RouteResult:
    return RouteResult("ignored", detail="the alert changed while this arrived; judged once already")


def unheard_of(alert: Alert, signal: Signal) -> bool:
    """Is `signal` a failure reported UNHEARD_FOR or more after the open `alert` was last heard of? Then
    the alert's recovery was lost and this is a new problem. Source time against the last notification,
    so a late redelivery of an old failure (a dead-letter redrive) never counts as new."""
    return signal.occurred_at - alert.last_seen >= UNHEARD_FOR


def _decision_line(decision: PageDecision) -> str:
    # History lines are Slack mrkdwn (they carry <@U...> mentions); the reason quotes people's labels.
    reason = mrkdwn_escape(decision.reason)
    if decision.page:
        return f"policy ({decision.mode.value}): {reason}"
    if decision.hold_until:
        return f"held ({decision.mode.value}): {reason}"
    return f"recorded only: {reason}"


_HOW = {"dm": "Slack DM", "channel": "the incidents channel", "urgent": "SMS/e-mail", "sms": "text"}


def _sent_line(page: Page, policy: Policy) -> str:
    if not page.people:
        return "posted in the incidents channel without a mention (outside business hours)"
    who = ", ".join(f"<@{policy.slack_id(person)}>" for person in page.people)
    how: list[str] = []
    for target, reference in page.delivered.items():
        kind = target.partition(":")[0]
        if reference.startswith(SKIPPED):
            label = f"{kind} {reference.removesuffix('.')}"
        else:
            label = "a phone call" if kind == "call" else _HOW.get(kind, kind)
        if label not in how:
            how.append(label)
    if page.kind == PageKind.STEP:
        return f"step {page.step} of the plan for {who} ({', '.join(how)})"
    verb = f"re-paged (re-page {page.repage})" if page.kind == PageKind.REPAGE else "paged"
    return f"{verb} {who} ({', '.join(how)})"


def _local(at: datetime, policy: Policy) -> str:
    local = policy.calendar.local(at)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:.0f} minutes"


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.0f} h"
