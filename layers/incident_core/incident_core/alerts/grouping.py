"""Alert grouping: one outage, one page (pure; docs/policy.md#alert-grouping).

A paging alert that opens while no group will take it leads a group of its own: it pages at once, as it
always did (grouping never delays the first page). A paging alert that opens while a group is open and
unacknowledged, started within the policy's window of the group's first alert, shares its key and is not
full, joins that group instead: it gets no page intents of its own; the leader's page lists it and the
leader's re-pages, buttons and acknowledgement speak for every member.

The choice is deterministic (the earliest-started matching group, then the smallest id), so the same
alerts make the same groups whichever order their notifications arrive in. Whether the chosen group
still takes members is decided again by the join's DynamoDB condition (alerts/group_store.py): a group
acknowledged, marked a false alarm, resolved or filled meanwhile is passed over and the choice made again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from incident_core.models.alerts import Alert, AlertStatus, GroupMember
from incident_core.policy.model import Grouping


def leads_group(alert: Alert) -> bool:
    return alert.group_id is not None and alert.group_id == alert.alert_id


def group_key(alert: Alert, rules: Grouping) -> str:
    """What must be equal for two alerts to share a group ("" when anything goes together)."""
    if rules.by == "alarm_prefix":
        if alert.alarm_name:
            return "alarm:" + "-".join(alert.alarm_name.split("-")[: rules.prefix_parts])
        return f"journey:{alert.journey or alert.fingerprint}"
    if rules.by == "service":
        return "service:" + (service_of(alert, rules) or f"none:{alert.fingerprint}")
    return ""


def service_of(alert: Alert, rules: Grouping) -> str | None:
    """The service under `grouping.services` naming this alert's alarm or journey (first match, by name)."""
    names = [name for name in (alert.alarm_name, alert.journey) if name]
    for service, patterns in sorted(rules.services.items()):
        for pattern in patterns:
            if any(_matches(pattern, name) for name in names):
                return service
    return None


def why_not(leader: Alert, alert: Alert, rules: Grouping) -> str | None:
    """None if `alert` may join the group `leader` leads; else why not, in words (`policy who` shows it)."""
    if not leads_group(leader):
        return "it leads no group"
    if leader.status != AlertStatus.OPEN:
        return f"its group is {leader.status.value}"
    if leader.fingerprint == alert.fingerprint:
        return "it is the same alarm or journey"
    window = timedelta(minutes=rules.window_minutes)
    if abs(alert.started_at - leader.started_at) > window:
        return f"it started more than {rules.window_minutes} minutes from the group's first alert"
    if group_key(alert, rules) != group_key(leader, rules):
        return f"its group's key is {group_key(leader, rules)!r}, this one's {group_key(alert, rules)!r}"
    if len(leader.members) >= rules.max_size:
        return f"its group is full ({rules.max_size} alerts)"
    return None


def choose_group(open_alerts: Iterable[Alert], alert: Alert, rules: Grouping) -> Alert | None:
    """The group `alert` joins (its leader), or None: it leads a group of its own and pages."""
    if not rules.enabled:
        return None
    fitting = [leader for leader in open_alerts if why_not(leader, alert, rules) is None]
    return min(fitting, key=lambda leader: (leader.started_at, leader.alert_id), default=None)


def why_not_absorbed(leader: Alert, alert: Alert, rules: Grouping) -> str | None:
    """None if the incident declared from `leader`'s group takes `alert` into its thread (no page): the
    group's key matches (any alert with `incident_absorbs_all`), its first alert still fails, room left."""
    if not leads_group(leader) or leader.incident_id is None:
        return "no incident was declared from its group"
    if not leader.is_open:
        return "its group's first alert recovered"
    if leader.fingerprint == alert.fingerprint:
        return "it is the same alarm or journey"
    if not rules.incident_absorbs_all and group_key(alert, rules) != group_key(leader, rules):
        return f"its group's key is {group_key(leader, rules)!r}, this one's {group_key(alert, rules)!r}"
    if len(leader.members) >= rules.max_size:
        return f"its group is full ({rules.max_size} alerts)"
    return None


def choose_incident(open_alerts: Iterable[Alert], alert: Alert, rules: Grouping) -> Alert | None:
    """The group (its leader) whose declared incident absorbs `alert`, or None."""
    if not rules.enabled:
        return None
    fitting = [leader for leader in open_alerts if why_not_absorbed(leader, alert, rules) is None]
    return min(fitting, key=lambda leader: (leader.started_at, leader.alert_id), default=None)


def as_member(alert: Alert) -> GroupMember:
    return GroupMember(title=alert.title, started_at=alert.started_at, recovered_at=alert.resolved_at)


def as_leader(alert: Alert) -> Alert:
    """A paging alert that joined no group leads its own (of one member: itself)."""
    return alert.model_copy(
        update={"group_id": alert.alert_id, "members": {alert.alert_id: as_member(alert)}}
    )


def still_failing(members: Iterable[Alert]) -> bool:
    """Does any member still need someone (open and unacknowledged)? Then the group's re-pages go on."""
    return any(member.status == AlertStatus.OPEN for member in members)


def affected_by(alerts: Iterable[Alert]) -> dict[str, list[str]]:
    """The journeys and alarms a group's alerts name, each once, in order (an incident's Affected list)."""
    alerts = list(alerts)
    journeys = dict.fromkeys(a.journey for a in alerts if a.journey)
    alarms = dict.fromkeys(a.alarm_name for a in alerts if a.alarm_name)
    return {"journeys": list(journeys), "alarms": list(alarms)}


def explain(open_alerts: Iterable[Alert], at: datetime, rules: Grouping) -> list[str]:
    """For `incidentctl policy who --at T`: would an alert starting at `at` join an open group, and why."""
    if not rules.enabled:
        return ["grouping is off (grouping.enabled: false): every alert pages on its own"]
    leaders = [alert for alert in open_alerts if leads_group(alert)]
    if not leaders:
        return [
            f"no open group started within {rules.window_minutes} min of that time: an alert then leads "
            "a new group and pages at once"
        ]
    probe = Alert(
        alert_id="probe",
        fingerprint="probe",
        title="a new alert",
        source="manual",
        started_at=at,
        first_seen=at,
        last_seen=at,
    )
    lines = []
    for leader in sorted(leaders, key=lambda a: (a.started_at, a.alert_id)):
        reason = why_not(leader, probe, rules)
        if rules.by != "everything" and reason and reason.startswith("its group's key"):
            reason = None  # the key depends on the alert: said below
        what = f"group of {leader.alert_id} ({leader.title}, {len(leader.members)} alerts)"
        lines.append(f"{what}: {'would join it' if reason is None else 'would not join: ' + reason}")
    if rules.by != "everything":
        lines.append(f"Only alerts with the group's key join it (grouping.by: {rules.by}).")
    return lines


def _matches(pattern: str, name: str) -> bool:
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern
