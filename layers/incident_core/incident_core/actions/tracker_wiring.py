"""The tracker sync's collaborators, made from the settings and the policy (once per container)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from incident_core.actions.store import ActionStore
from incident_core.actions.tracking import Links, People, TrackerSync
from incident_core.adapters.slack import marker_id
from incident_core.models import ActionItem

SAY_SEARCH_MARGIN = timedelta(hours=1)


def business_days_between(calendar: Any) -> Any:
    """Business days from `today` to `due` (negative once it is past), on the team's calendar."""

    def between(today: date, due: date) -> int:
        step = 1 if due >= today else -1
        count, day = 0, today
        while day != due:
            day += timedelta(days=step)
            if calendar.is_business_day(day):
                count += step
        return count

    return between


def document_link(bucket: str, region: str, incident_id: str) -> str:
    """The incident document in the S3 console (adapters.publishers.S3Publisher writes it there)."""
    key = quote(f"incidents/{incident_id}.md")
    return f"https://{region}.console.aws.amazon.com/s3/object/{bucket}?region={region}&prefix={key}"


class IncidentThreads:
    """Where an item's news is said: its incident's thread, or the incidents channel without one."""

    def __init__(self, slack: Any, incidents: Any, channel: str, bucket: str, region: str, bus: Any) -> None:
        self.slack = slack
        self.bus = bus
        self.incidents = incidents
        self.channel = channel
        self.bucket = bucket
        self.region = region

    def _thread(self, item: ActionItem) -> tuple[str, str | None]:
        incident = self.incidents.get(item.incident_id) if item.incident_id else None
        if incident is not None and incident.channel and incident.thread_ts:
            return incident.channel, incident.thread_ts
        return self.channel, None

    def say(self, item: ActionItem, text: str, key: str) -> None:
        channel, thread_ts = self._thread(item)
        oldest = f"{(item.created_at - SAY_SEARCH_MARGIN).timestamp():.6f}"
        self.slack.post_marked(
            channel, text, marker_id("tracker", item.action_id, key), oldest, thread_ts=thread_ts
        )

    def document_changed(self, item: ActionItem, now: Any) -> None:
        """Ask for the resolved incident's document again, now showing the item's issue and its state."""
        from incident_core.events import PostmortemRequested

        incident = self.incidents.get(item.incident_id) if item.incident_id else None
        if incident is not None and incident.resolved_at is not None:
            requested = PostmortemRequested(
                incident_id=incident.incident_id, requested_at=now, requested_by="tracker"
            )
            self.bus.put(requested)

    def links(self, item: ActionItem) -> Links:
        channel, thread_ts = self._thread(item)
        thread = None
        if thread_ts:
            try:
                thread = self.slack.client.chat_getPermalink(channel=channel, message_ts=thread_ts)[
                    "permalink"
                ]
            except Exception:  # the issue is still worth making without the link
                thread = None
        document = (
            document_link(self.bucket, self.region, item.incident_id)
            if (self.bucket and item.incident_id)
            else None
        )
        return Links(thread=thread, document=document)


def tracker_sync(settings: Any, slack_timeout: float = 10, with_tracker: bool = True) -> TrackerSync | None:
    """None when the policy names no tracker (the items stay in the suite only). `with_tracker=False`:
    no token is read (the webhook takes changes in, it never calls the tracker)."""
    from incident_core.adapters.aws import client
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.adapters.slack import Slack
    from incident_core.adapters.trackers.github import GitHubIssues
    from incident_core.incidents.store import IncidentStore
    from incident_core.policy.model import load_policy

    policy = load_policy(settings.policy_file)
    if policy.tracker is None:
        return None
    tracker = GitHubIssues.from_settings(settings, policy.tracker.repository) if with_tracker else None
    slack = Slack.from_settings(settings, resend_unknown=False, timeout=slack_timeout)
    region = client("dynamodb").meta.region_name
    threads = IncidentThreads(
        slack,
        IncidentStore.from_settings(settings),
        settings.incidents_channel,
        settings.documents_bucket,
        region,
        EventBridgeBus(settings.bus_name, settings.event_source),
    )
    return TrackerSync(
        store=ActionStore.from_settings(settings),
        tracker=tracker,
        repository=policy.tracker.repository,
        labels=list(policy.tracker.labels),
        people=People.from_policy(policy),
        links=threads.links,
        say=threads.say,
        document_changed=threads.document_changed,
        business_days=business_days_between(policy.calendar),
    )
