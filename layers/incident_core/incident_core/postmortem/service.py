"""Compiling, publishing and announcing an incident's document, over injected ports.

The order keeps every failure safe: everything is read and the whole document compiled before anything
is written; S3 (the document of record) gets one PUT of the whole object; the thread's posts are made
once each (claimed in the record); a webhook that fails makes the invocation fail after the rest is done,
so the retry re-sends only what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from incident_core.adapters.metric_images import MetricImages
from incident_core.adapters.picture_store import picture_path
from incident_core.adapters.publishers import Document, Publication, Publisher, PublishError
from incident_core.adapters.slack import SlackPoster, marker_id, with_marker
from incident_core.dashboard.params import DashboardParams
from incident_core.incidents.render import mrkdwn
from incident_core.models import ActionItem, Alert, Incident, TimelineEntry
from incident_core.pictures.service import (
    FileSharer,
    Picture,
    draw_window,
    picture_upload,
    pictures_comment,
)
from incident_core.postmortem.compile import DocumentInputs, KeyDurations, compile_document, key_durations
from incident_core.postmortem.evidence import EvidenceKeeper, keep_alert_evidence
from incident_core.postmortem.journeys import JourneyRun
from incident_core.postmortem.store import PostmortemRecords
from incident_core.postmortem.thread import (
    ThreadReading,
    clean_thread,
    fetch_thread,
    user_ids_in,
)

logger = logging.getLogger(__name__)

# Journey results this long before the start and after the resolution frame the incident window.
WINDOW_MARGIN = timedelta(minutes=15)
SESSION_TIME = time(14, 0)  # proposed post-mortem: the next business day at 14:00 London
SESSION_MINUTES = 60
LONDON = ZoneInfo("Europe/London")
# Seconds the Slack client waits for an answer; a post whose answer never comes is looked for in Slack.
SLACK_TIMEOUT = 10


class IncidentNotFoundError(LookupError):
    """The event names an incident the table does not hold."""


# ---------------------------------------------------------------------- ports
class Incidents(Protocol):
    def get(self, incident_id: str) -> Incident | None: ...

    def timeline(self, incident_id: str) -> list[TimelineEntry]: ...


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class Actions(Protocol):
    def list_for_incident(self, incident_id: str) -> list[ActionItem]: ...


class JourneyResults(Protocol):
    def runs(self, journey: str, start: datetime, end: datetime) -> list[JourneyRun]: ...


class SlackThreads(Protocol):
    """Reading side of Slack: the thread's pages, who the suite's bot is, people's names."""

    def replies(self, channel: str, ts: str, cursor: str | None, limit: int) -> dict[str, Any]: ...

    def suite_bot_ids(self) -> set[str]: ...

    def names(self, user_ids: set[str]) -> dict[str, str]: ...


class PictureStore(Protocol):
    def put(self, incident_id: str, name: str, png: bytes) -> str: ...


class MeetingCreator(Protocol):
    def create_meeting(self, topic: str, *, agenda: str = "", start_time: datetime | None = None) -> Any: ...


class SlackReader:
    """SlackThreads over slack_sdk's WebClient; names and the bot's identity are cached per container."""

    def __init__(self, web_client: Any) -> None:
        self.client = web_client
        self._bot_ids: set[str] | None = None
        self._names: dict[str, str] = {}

    def replies(self, channel: str, ts: str, cursor: str | None, limit: int) -> dict[str, Any]:
        return self.client.conversations_replies(channel=channel, ts=ts, cursor=cursor, limit=limit).data

    def suite_bot_ids(self) -> set[str]:
        if self._bot_ids is None:
            identity = self.client.auth_test().data
            self._bot_ids = {value for value in (identity.get("user_id"), identity.get("bot_id")) if value}
        return self._bot_ids

    def names(self, user_ids: set[str]) -> dict[str, str]:
        for user_id in sorted(user_ids - set(self._names)):
            try:
                user = self.client.users_info(user=user_id).data["user"]
            except Exception as error:  # a missing name is shown as the id, never a failure
                logger.warning("no name for %s: %s", user_id, error)
                continue
            profile = user.get("profile") or {}
            self._names[user_id] = (
                profile.get("display_name") or user.get("real_name") or profile.get("real_name") or user_id
            )
        return {user_id: self._names[user_id] for user_id in user_ids if user_id in self._names}


# ---------------------------------------------------------------------- the service
@dataclass
class CompileResult:
    incident: Incident
    version: int
    changed: bool
    publications: list[Publication]
    durations: KeyDurations
    # True once per incident: the caller publishes the time-to-acknowledge / resolve metrics now.
    publish_metrics: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class PostmortemService:
    incidents: Incidents
    actions: Actions
    records: PostmortemRecords
    publishers: Sequence[Publisher]  # the first is the document of record (S3)
    slack: SlackPoster | None = None
    threads: SlackThreads | None = None
    alerts: Alerts | None = None
    journeys: JourneyResults | None = None
    meetings: MeetingCreator | None = None
    evidence: EvidenceKeeper | None = None
    # The pictures of the incident window: drawn by CloudWatch, stored beside the document, shared in
    # the thread when it is resolved (all three, or no pictures).
    images: MetricImages | None = None
    picture_store: PictureStore | None = None
    dashboard: DashboardParams | None = None
    files: FileSharer | None = None
    per_journey_metrics: bool = False
    next_business_day: Callable[[date], date] = field(default=lambda day: _next_business_day(day))

    def compile(self, incident_id: str, now: datetime, resolved_by: str | None = None) -> CompileResult:
        incident = self.incidents.get(incident_id)
        if incident is None:
            raise IncidentNotFoundError(f"no incident {incident_id!r} in the table")
        record = self.records.get(incident_id)
        resolved_by = resolved_by or record.resolved_by
        problems: list[str] = []

        thread = self._read_thread(incident, problems)
        timeline = self.incidents.timeline(incident_id)
        alert = self._alert(incident, problems)
        runs = self._journey_runs(incident, alert, now, problems)
        # Copied before the document is written: a retry after a failed copy finds nothing half-done.
        evidence = keep_alert_evidence(self.evidence, incident_id, alert) if self.evidence else []
        actions = self.actions.list_for_incident(incident_id)
        names = self._names(incident, alert, thread, timeline, actions, resolved_by)
        pictures = self._draw(incident, alert, runs, timeline, now, problems)

        compiled = compile_document(
            DocumentInputs(
                incident=incident,
                timeline=timeline,
                thread=thread,
                alert=alert,
                journey_runs=runs,
                actions=actions,
                names=names,
                resolved_by=resolved_by,
                problems=problems,
                evidence=evidence,
                pictures=[(p.title, picture_path(incident_id, p.name)) for p in pictures],
            ),
            now,
        )
        document = Document(
            incident_id=incident_id,
            title=incident.title,
            markdown=compiled.markdown,
            compiled_at=now,
            content_sha256=compiled.content_sha256,
        )

        # The document of record first: if it cannot be stored, nothing else happens and it is retried.
        record_publisher, *others = self.publishers
        of_record = record_publisher.publish(document)
        version = self.records.record_version(incident_id, document.content_sha256, resolved_by)
        self.records.record_published(
            incident_id, of_record.publisher, document.content_sha256, of_record.link
        )
        publications, failures = [of_record], []
        for publisher in others:
            if record.published.get(publisher.name) == document.content_sha256:
                continue  # this content already reached it (a retry after a later step failed)
            try:
                publication = publisher.publish(document)
            except PublishError as error:
                failures.append(str(error))
                continue
            self.records.record_published(
                incident_id, publisher.name, document.content_sha256, publication.link
            )
            publications.append(publication)

        links = {**record.links, **{p.publisher: p.link for p in publications if p.link}}
        problems = compiled.problems
        self._announce_document(incident, version, links, problems, now)
        if incident.resolved_at:
            self._propose_session(incident, now)
            self._share_pictures(incident, pictures, now)
        durations = key_durations(incident, alert)
        publish_metrics = bool(incident.resolved_at) and self.records.claim(incident_id, "metrics", now)
        if publish_metrics:
            self.records.complete(incident_id, "metrics", now.astimezone(UTC).isoformat())
        if failures:
            # S3 and the thread are done; failing now retries only the publishers that missed it.
            raise PublishError("; ".join(failures))
        return CompileResult(
            incident=incident,
            version=version,
            changed=of_record.changed,
            publications=publications,
            durations=durations,
            publish_metrics=publish_metrics,
            problems=problems,
        )

    # ------------------------------------------------------------------ the pictures
    def _draw(
        self,
        incident: Incident,
        alert: Alert | None,
        runs: list[JourneyRun],
        timeline: list[TimelineEntry],
        now: datetime,
        problems: list[str],
    ) -> list[Picture]:
        """Drawn and stored beside the document before it is written, so its links never dangle."""
        if self.images is None or self.dashboard is None or self.picture_store is None:
            return []
        pictures, not_drawn = draw_window(
            self.images,
            self.dashboard,
            incident,
            alert,
            runs,
            timeline,
            now,
            per_journey_metrics=self.per_journey_metrics,
        )
        problems.extend(not_drawn)
        for picture in pictures:
            self.picture_store.put(incident.incident_id, picture.name, picture.png)
        return pictures

    def _share_pictures(self, incident: Incident, pictures: list[Picture], now: datetime) -> None:
        """Once per incident, when it is resolved: the pictures as one message in its thread."""
        if self.files is None or not pictures or not (incident.channel and incident.thread_ts):
            return
        if not self.records.claim(incident.incident_id, "pictures", now):
            return
        try:
            ids = self.files.upload_files(
                incident.channel,
                [picture_upload(incident, picture) for picture in pictures],
                pictures_comment(incident),
                thread_ts=incident.thread_ts,
            )
        except Exception:
            self.records.release(incident.incident_id, "pictures")
            raise
        self.records.complete(incident.incident_id, "pictures", ",".join(ids))

    # ------------------------------------------------------------------ reading
    def _read_thread(self, incident: Incident, problems: list[str]) -> ThreadReading | None:
        if not (incident.channel and incident.thread_ts):
            problems.append("The incident has no Slack thread recorded; only the stored timeline was used.")
            return None
        if self.threads is None:
            problems.append("Slack is not configured here; only the stored timeline was used.")
            return None
        try:
            bot_ids = self.threads.suite_bot_ids()
        except Exception as error:  # without it, the suite's posts would be left out as other bots'
            problems.append(f"Slack did not say who the suite's bot is ({type(error).__name__}).")
            bot_ids = set()
        fetched = fetch_thread(self.threads, incident.channel, incident.thread_ts)
        return clean_thread(fetched.raw, incident.thread_ts, bot_ids, fetched.problems)

    def _alert(self, incident: Incident, problems: list[str]) -> Alert | None:
        if not incident.alert_id or self.alerts is None:
            return None
        alert = self.alerts.get(incident.alert_id)
        if alert is None:
            problems.append(f"The alert {incident.alert_id} is no longer stored.")
        return alert

    def _journey_runs(
        self, incident: Incident, alert: Alert | None, now: datetime, problems: list[str]
    ) -> list[JourneyRun]:
        names = list(
            dict.fromkeys([*incident.journeys, *([alert.journey] if alert and alert.journey else [])])
        )
        if not names or self.journeys is None:
            return []
        start = incident.started_at - WINDOW_MARGIN
        end = (incident.resolved_at or now) + WINDOW_MARGIN
        runs: list[JourneyRun] = []
        for name in names:
            try:
                runs.extend(self.journeys.runs(name, start, end))
            except Exception as error:  # one journey's results missing does not stop the document
                problems.append(f"The results of journey {name} could not be read ({type(error).__name__}).")
        return runs

    def _names(
        self,
        incident: Incident,
        alert: Alert | None,
        thread: ThreadReading | None,
        timeline: list[TimelineEntry],
        actions: list[ActionItem],
        resolved_by: str | None,
    ) -> dict[str, str]:
        if self.threads is None:
            return {}
        ids: set[str] = {
            user_id
            for user_id in (
                incident.lead,
                incident.declared_by,
                resolved_by,
                alert.acknowledged_by if alert else None,
                *incident.responders,
                *(action.owner for action in actions),
                *(action.done_by for action in actions),
                *(entry.author for entry in timeline),
            )
            if user_id
        }
        for message in thread.messages if thread else []:
            ids.add(message.author)
            ids |= user_ids_in(message.text)
        for entry in timeline:
            ids |= user_ids_in(entry.text)
        ids = {user_id for user_id in ids if user_id[:1] in ("U", "W") and user_id[1:].isalnum()}
        try:
            return self.threads.names(ids)
        except Exception as error:  # names are a nicety: ids are shown instead
            logger.warning("names could not be read: %s", error)
            return {}

    # ------------------------------------------------------------------ the thread's posts
    def _announce_document(
        self, incident: Incident, version: int, links: dict[str, str], problems: list[str], now: datetime
    ) -> None:
        if self.slack is None or not (incident.channel and incident.thread_ts):
            return
        text = document_message(incident, version, links, problems)
        record = self.records.get(incident.incident_id)
        if record.link_ts:
            # With blocks: Slack keeps a message's old blocks (and shows them) when only its text changes.
            blocks = with_marker(text, None, _marker(incident, "link"))
            self.slack.update(incident.channel, record.link_ts, text, blocks=blocks)
            return
        if not self.records.claim(incident.incident_id, "link", now):
            return  # another compilation is posting it right now
        try:
            ts = self._post_once(incident, "link", text, look_first="link" in record.tried)
        except Exception:
            self.records.release(incident.incident_id, "link")
            raise
        self.records.complete(incident.incident_id, "link", ts)

    def _propose_session(self, incident: Incident, now: datetime) -> None:
        if self.slack is None or not (incident.channel and incident.thread_ts):
            return
        if not self.records.claim(incident.incident_id, "session", now):
            return
        tried = "session" in self.records.get(incident.incident_id).tried
        try:
            start = self._session_start(now)
            join_url, zoom_problem = None, None
            if self.meetings is None:
                zoom_problem = "Zoom is not configured"
            else:
                try:
                    meeting = self.meetings.create_meeting(
                        f"Post-mortem: {incident.title}",
                        agenda=f"Blameless post-mortem of incident {incident.incident_id}",
                        start_time=start,
                    )
                    join_url = meeting.join_url
                except Exception as error:  # the proposal goes out without a link rather than not at all
                    zoom_problem = f"Zoom could not create the meeting ({error})"
            text = session_message(incident, start, join_url, zoom_problem)
            ts = self._post_once(incident, "session", text, look_first=tried)
        except Exception:
            self.records.release(incident.incident_id, "session")
            raise
        self.records.complete(incident.incident_id, "session", ts, session_url=join_url or "")

    def _post_once(self, incident: Incident, what: str, text: str, look_first: bool) -> str:
        """A reply in the incident's thread, named so that a post whose answer was lost is found in the
        thread rather than posted again: by this attempt, or by the retry (`look_first`: an earlier
        attempt failed part-way)."""
        assert self.slack is not None and incident.channel and incident.thread_ts
        posted = self.slack.post_marked(
            incident.channel,
            text,
            _marker(incident, what),
            incident.thread_ts,
            thread_ts=incident.thread_ts,
            look_first=look_first,
        )
        return posted.ts

    def _session_start(self, now: datetime) -> datetime:
        day = self.next_business_day(now.astimezone(LONDON).date())
        return datetime.combine(day, SESSION_TIME, tzinfo=LONDON).astimezone(UTC)


def _marker(incident: Incident, what: str) -> str:
    return marker_id("postmortem", incident.incident_id, what)


def _next_business_day(day: date) -> date:
    from incident_core.policy.calendar import add_business_days

    return add_business_days(day, 1)


def document_message(incident: Incident, version: int, links: dict[str, str], problems: list[str]) -> str:
    where = [f"<{links['s3']}|S3 (version {version})>"] if "s3" in links else [f"version {version}"]
    where += [f"<{link}|{name}>" for name, link in links.items() if name != "s3"]
    text = (
        f"📄 Incident document and post-mortem draft for *{mrkdwn(incident.title)}*: {', '.join(where)}. "
        "It is compiled from this thread, the timeline, the alert and the journey results; "
        "it is compiled again (a new version) when the incident is resolved again or someone asks."
    )
    if problems:
        text += "\n⚠️ Compiled from what could be read: " + "; ".join(problems)
    return text


def session_message(
    incident: Incident, start: datetime, join_url: str | None, zoom_problem: str | None
) -> str:
    when = start.astimezone(LONDON).strftime("%a %d %b at %H:%M")
    text = (
        f"🧠 Post-mortem brainstorming for *{mrkdwn(incident.title)}*: let's learn from it while it is "
        "fresh. "
        f"Proposed: {when} (London), {SESSION_MINUTES} minutes. "
        "We fill in the draft together: what happened, why, what went well, what went badly, "
        "where we were lucky, and the action items (P0, before product work). Blameless: we look at "
        "the system and the process, not at people. Reply here if another time suits better."
    )
    if join_url:
        text += f"\nZoom: {join_url}"
    else:
        text += f"\n{mrkdwn(zoom_problem)}: please start a meeting and share its link here."
    return text


class LazyZoom:
    """Reads the Zoom secret only when a meeting is wanted, so a Zoom set-up problem is reported in the
    proposal ("please start a meeting") instead of failing the whole compilation."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._zoom: Any = None

    def create_meeting(self, topic: str, *, agenda: str = "", start_time: datetime | None = None) -> Any:
        if self._zoom is None:
            from incident_core.adapters.zoom import Zoom

            self._zoom = Zoom.from_settings(self.settings)
        return self._zoom.create_meeting(topic, agenda=agenda, start_time=start_time)


def service_from_settings(settings: Any) -> PostmortemService:
    """The service wired to DynamoDB, Slack, S3 (and the webhook when WEBHOOK_URL is set), and Zoom."""
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.dynamo import Table
    from incident_core.adapters.metric_images import CloudWatchImages
    from incident_core.adapters.picture_store import S3Pictures
    from incident_core.adapters.publishers import S3Publisher, WebhookPublisher
    from incident_core.adapters.secrets import get_secret_field
    from incident_core.adapters.slack import Slack, web_client
    from incident_core.alerts.store import AlertStore
    from incident_core.incidents.store import IncidentStore
    from incident_core.pictures.service import dashboard_params
    from incident_core.postmortem.evidence import S3EvidenceKeeper
    from incident_core.postmortem.store import DynamoJourneyResults

    table = Table(settings.table_name)
    # No client-level re-post of an unknown outcome: the thread's posts are looked for first (_post_once).
    slack_client = web_client(
        settings,
        get_secret_field(settings.slack_secret_id, "bot_token"),
        resend_unknown=False,
        timeout=SLACK_TIMEOUT,
    )
    publishers: list[Publisher] = [S3Publisher(settings.documents_bucket)]
    if settings.webhook_url:
        if not settings.webhook_secret_id:
            raise ValueError("WEBHOOK_URL is set but WEBHOOK_SECRET_ID is not: the webhook cannot be signed")
        secret = get_secret_field(settings.webhook_secret_id, "signing_secret")
        publishers.append(WebhookPublisher(settings.webhook_url, secret))
    return PostmortemService(
        incidents=IncidentStore(table),
        actions=ActionStore(table),
        records=PostmortemRecords(table),
        publishers=publishers,
        slack=Slack(slack_client),
        files=Slack(slack_client),
        images=CloudWatchImages(),
        picture_store=S3Pictures(settings.documents_bucket),
        dashboard=dashboard_params(settings),
        threads=SlackReader(slack_client),
        alerts=AlertStore(table),
        journeys=DynamoJourneyResults(table),
        meetings=LazyZoom(settings),
        evidence=S3EvidenceKeeper(settings.evidence_bucket, settings.documents_bucket)
        if settings.evidence_bucket
        else None,
    )
