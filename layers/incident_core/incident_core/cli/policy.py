"""incidentctl policy: what the support-hours policy decides at an instant, and its SNS subscriptions.

    incidentctl policy who --at 2026-12-25T10:00:00Z [--traction FROM/TO ...] [--json]
    incidentctl policy check
    incidentctl policy subscribe --topic-arn ARN

`who` adds the traction windows stored in DynamoDB (when AWS is configured and reachable) to those given
with --traction; without AWS it says so on stderr and uses only the command-line windows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_POLICY = "config/policy.yaml (from this folder up)"


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("policy", help="who gets paged when: check the support-hours policy")
    sub = parser.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")

    who = sub.add_parser(
        "who", help="what the policy decides at an instant (who is paged, or until when held)"
    )
    who.add_argument(
        "--at", help="ISO-8601 instant with a time zone, e.g. 2026-12-25T10:00:00Z (default: now)"
    )
    who.add_argument(
        "--traction",
        action="append",
        default=[],
        metavar="FROM/TO",
        help="a traction window, e.g. 2026-12-24T18:00:00Z/2026-12-27T09:00:00Z (repeatable); "
        "added to the stored windows",
    )
    who.add_argument("--offline", action="store_true", help="do not read stored windows from DynamoDB")
    who.add_argument("--json", action="store_true", help="print mode, business_hours, page, hold_until")
    _policy_argument(who)
    who.set_defaults(run=run_who)

    check = sub.add_parser("check", help="validate the policy file and summarise it")
    _policy_argument(check)
    check.set_defaults(run=run_check)

    subscribe = sub.add_parser(
        "subscribe", help="subscribe each person's phone/e-mail to the urgent topic (SMS/e-mail pages)"
    )
    subscribe.add_argument("--topic-arn", default=os.environ.get("URGENT_TOPIC_ARN"), help="UrgentTopic ARN")
    subscribe.add_argument(
        "--email-only",
        action="store_true",
        help="no SMS subscriptions: the stack's SMS and Voice number sends the texts",
    )
    _policy_argument(subscribe)
    subscribe.set_defaults(run=run_subscribe)


def _policy_argument(parser: argparse.ArgumentParser) -> None:
    from incident_core.cli.project import config_argument

    parser.add_argument(
        "--policy", help=f"policy file (default: $POLICY_FILE if it exists, else {DEFAULT_POLICY})"
    )
    config_argument(parser)


def policy_path(args: argparse.Namespace) -> str:
    """The policy file; raises PolicyFileError when there is none to find."""
    from incident_core.cli.project import ConfigNotFound, config_file
    from incident_core.policy.model import PolicyFileError

    from_env = os.environ.get("POLICY_FILE", "")
    if args.policy or (from_env and Path(from_env).is_file()):
        return args.policy or from_env
    try:
        return config_file(args, "policy.yaml")
    except ConfigNotFound as error:
        raise PolicyFileError(str(error)) from error


# ---------------------------------------------------------------------- shared by traction and silence
def parse_instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{what}: {text!r} is not an ISO-8601 time (e.g. 2026-12-25T10:00:00Z)") from error
    if value.tzinfo is None:
        raise ValueError(f"{what}: {text!r} has no time zone; add Z (UTC) or an offset like +01:00")
    return value.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """'90m', '2h', '1d', '1h30m'."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    total, number = timedelta(), ""
    for char in text.strip():
        if char.isdigit():
            number += char
        elif char in units and number:
            total += timedelta(**{units[char]: int(number)})
            number = ""
        else:
            raise ValueError(f"duration {text!r}: use forms like 90m, 2h, 1d or 1h30m")
    if number or total <= timedelta():
        raise ValueError(f"duration {text!r}: use forms like 90m, 2h, 1d or 1h30m")
    return total


def iso_z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def fail(command: str, message: str) -> int:
    print(f"incidentctl {command}: {message}", file=sys.stderr)
    return 2


def current_user() -> str:
    """Who runs the command, for `--by` (a container without a user name gets 'incidentctl')."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "incidentctl"


def aws_configured() -> bool:
    import boto3

    return boto3.Session().get_credentials() is not None


def policy_store() -> Any:
    from incident_core.policy.store import PolicyStore

    return PolicyStore.from_settings()


# ---------------------------------------------------------------------- who
def run_who(args: argparse.Namespace, now: datetime | None = None) -> int:
    from incident_core.models.windows import TractionWindow
    from incident_core.policy.decide import decide
    from incident_core.policy.model import PolicyFileError, load_policy

    try:
        policy = load_policy(policy_path(args))
        at = parse_instant(args.at, "--at") if args.at else (now or datetime.now(UTC))
        windows = []
        for index, text in enumerate(args.traction, start=1):
            start_text, separator, end_text = text.partition("/")
            if not separator:
                raise ValueError(
                    f"--traction {text!r}: give FROM/TO, e.g. 2026-12-24T18:00Z/2026-12-27T09:00Z"
                )
            windows.append(
                TractionWindow(
                    window_id=f"cli-{index}",
                    start=parse_instant(start_text, "--traction FROM"),
                    end=parse_instant(end_text, "--traction TO"),
                    label=f"--traction {text}",
                )
            )
    except (PolicyFileError, ValueError) as error:
        return fail("policy who", str(error))

    if not args.offline:
        windows += _stored_windows(at)
    decision = decide(at, policy, windows, [])
    if args.json:
        print(
            json.dumps(
                {
                    "mode": decision.mode.value,
                    "business_hours": decision.business_hours,
                    "page": decision.page,
                    "hold_until": iso_z(decision.hold_until) if decision.hold_until else None,
                }
            )
        )
        return 0
    local = policy.calendar.local(at)
    holiday = policy.calendar.holiday_name(local.date())
    print(f"At {local:%a %d %b %Y %H:%M} {local.tzname()} ({iso_z(at)}):")
    mode = "traction moment" if decision.traction_window else "business as usual"
    hours = "business hours" if decision.business_hours else "outside business hours"
    print(f"  mode: {mode}" + (f" ({decision.traction_window})" if decision.traction_window else ""))
    print(f"  {hours}" + (f" - {holiday}" if holiday else ""))
    if decision.page:
        names = ", ".join(f"{policy.people[p].name} (<@{policy.slack_id(p)}>)" for p in decision.page)
        how = ", ".join(channel.value for channel in decision.channels)
        print(f"  paged now: {names} by {how}")
        for line in plan_lines(policy, decision, at):
            print(f"  {line}")
    else:
        held = policy.calendar.local(decision.hold_until) if decision.hold_until else None
        print("  paged now: nobody; the alert is posted in the incidents channel without a mention")
        if held:
            print(
                f"  page held until: {held:%a %d %b %Y %H:%M} {held.tzname()} ({iso_z(decision.hold_until)})"
            )
    print(f"  why: {decision.reason}")
    for line in _grouping(policy, at, args.offline):
        print(f"  grouping: {line}")
    return 0


def plan_lines(policy: Any, decision: Any, at: datetime) -> list[str]:
    """The escalation plan of the people paged at `at`, step by step in time order (docs/policy.md)."""
    if not decision.page or decision.plan is None:
        return []
    steps = []
    for person in decision.page:
        for index, step in enumerate(policy.plan(person, decision.plan)):
            steps.append((step.after_minutes, index, person, step.channels))
    lines = [f"escalation plan ({decision.plan.replace('_', ' ')}), each step only while unacknowledged:"]
    for after, index, person, channels in sorted(steps):
        local = policy.calendar.local(at + timedelta(minutes=after))
        how = ", ".join("slack (DM and a mention in #incidents)" if c == "slack" else c for c in channels)
        when = f"+{after} min ({local:%H:%M} {local.tzname()})"
        lines.append(f"  step {index} at {when}: {policy.people[person].name} by {how}")
    every = policy.ack_timeout_minutes
    lines.append(f"  and the page again every {every} minutes (at most {policy.max_repages} times)")
    return lines


def _grouping(policy: Any, at: datetime, offline: bool) -> list[str]:
    """Would an alert at `at` join an open group (alerts/grouping.py), read from the open alerts stored in
    DynamoDB; without AWS (or --offline) only what the policy says."""
    from incident_core.alerts.grouping import explain

    rules = policy.grouping
    summary = (
        f"an alert joins an open, unacknowledged group whose first alert started within "
        f"{rules.window_minutes} min (at most {rules.max_size} alerts; key: {rules.by})"
        if rules.enabled
        else "off: every alert pages on its own"
    )
    if not rules.enabled:
        return [summary]
    if offline or not aws_configured():
        return [summary, "open groups not read (offline or no AWS credentials)"]
    try:
        from incident_core.alerts.group_store import GroupStore
        from incident_core.alerts.store import AlertStore

        since = at - timedelta(minutes=rules.window_minutes)
        open_alerts = GroupStore(AlertStore.from_settings().table).open_since(since)
    except Exception as error:  # unreachable table, missing permissions: say so, go on
        return [summary, f"could not read the open alerts ({type(error).__name__}: {error})"]
    return [summary, *explain(open_alerts, at, rules)]


def _stored_windows(at: datetime) -> list:
    """Traction windows stored in DynamoDB, or none (with a note on stderr) when AWS is not available."""
    if not aws_configured():
        print(
            "incidentctl policy who: no AWS credentials configured, so stored traction windows are not read; "
            "using only --traction windows",
            file=sys.stderr,
        )
        return []
    try:
        return policy_store().list_traction(at, include_past=True)
    except Exception as error:  # unreachable table, missing permissions, wrong region: say so, go on
        print(
            f"incidentctl policy who: could not read stored traction windows ({type(error).__name__}: "
            f"{error}); using only --traction windows",
            file=sys.stderr,
        )
        return []


# ---------------------------------------------------------------------- check
def run_check(args: argparse.Namespace) -> int:
    from incident_core.policy.model import PolicyFileError, load_policy

    try:
        path = policy_path(args)
        policy = load_policy(path)
    except PolicyFileError as error:
        return fail("policy check", str(error))
    hours = policy.business_hours
    print(f"{path}: valid")
    days = ", ".join(hours.days)
    print(f"  time zone {policy.time_zone}; business hours {days} {hours.start:%H:%M}-{hours.end:%H:%M}")
    print(f"  holidays: {policy.holidays.country}/{policy.holidays.subdiv or '-'}")
    print(f"  always alerted: {', '.join(policy.people[p].name for p in policy.always_alerted)}")
    print(f"  traction standby: {', '.join(policy.people[p].name for p in policy.traction_standby) or '-'}")
    print(f"  re-page after {policy.ack_timeout_minutes} min, at most {policy.max_repages} times")
    return 0


# ---------------------------------------------------------------------- subscribe
def run_subscribe(args: argparse.Namespace) -> int:
    from incident_core.adapters.aws import client
    from incident_core.adapters.urgent import subscription_filter
    from incident_core.policy.model import PolicyFileError, load_policy

    if not args.topic_arn:
        return fail(
            "policy subscribe", "give --topic-arn (the stack's UrgentTopic output) or set URGENT_TOPIC_ARN"
        )
    try:
        policy = load_policy(policy_path(args))
    except PolicyFileError as error:
        return fail("policy subscribe", str(error))
    sns = client("sns")
    existing = set()
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=args.topic_arn):
        existing |= {(s["Protocol"], s["Endpoint"]) for s in page["Subscriptions"]}
    for key, person in policy.people.items():
        for protocol, endpoint in (("sms", person.phone), ("email", person.email)):
            if not endpoint or (protocol == "sms" and args.email_only):
                continue
            if (protocol, endpoint) in existing:
                print(f"  {person.name}: {protocol} already subscribed")
                continue
            sns.subscribe(
                TopicArn=args.topic_arn,
                Protocol=protocol,
                Endpoint=endpoint,
                Attributes={"FilterPolicy": json.dumps(subscription_filter(key))},
            )
            note = " (confirm from the e-mail AWS sends)" if protocol == "email" else ""
            print(f"  {person.name}: {protocol} subscribed{note}")
    return 0
