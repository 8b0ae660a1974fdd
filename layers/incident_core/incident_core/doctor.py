"""`incidentctl doctor`: what a template cannot check, judged from facts read off the deployed stack.

Pure: each function takes what the CLI read (secrets, Slack's answers, SNS settings, other stacks'
parameters) and returns Checks, each with a fix a person can follow. cli/doctor.py does the reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

# What an unfilled field looks like: empty, or the docs' examples ("xoxb-...", "<your-token>", "xxxx").
_PLACEHOLDER = re.compile(r"^$|\.\.\.|^<.*>$|changeme|^x+$", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def is_placeholder(value: object) -> bool:
    return not isinstance(value, str) or bool(_PLACEHOLDER.search(value.strip()))


def secret_check(name: str, secret: Mapping[str, object] | None, fields: Iterable[str], fix: str) -> Check:
    """A secret whose fields are all filled with something that is not an example value."""
    if secret is None:
        # CloudFormation fills a secret created without a value with a random string, not JSON
        return Check(name, False, "not filled in: it holds no JSON object yet", fix)
    unfilled = [field for field in fields if is_placeholder(secret.get(field))]
    if unfilled:
        return Check(name, False, f"not filled in: {', '.join(unfilled)}", fix)
    return Check(name, True, "filled in")


def scopes_check(granted_header: str | None, wanted: Iterable[str]) -> Check:
    """Slack's x-oauth-scopes header (comma-separated) against the manifest's bot scopes."""
    granted = {scope.strip() for scope in (granted_header or "").split(",") if scope.strip()}
    missing = sorted(set(wanted) - granted)
    if missing:
        return Check(
            "Slack scopes",
            False,
            f"the bot token lacks {', '.join(missing)}",
            "add the scopes of slack/manifest.yaml to the app (OAuth & Permissions), reinstall it and put "
            "the new bot token into the Slack secret",
        )
    return Check("Slack scopes", True, f"all {len(set(wanted))} scopes of slack/manifest.yaml granted")


def sms_check(phones: Mapping[str, str], in_sandbox: bool | None, spend_limit: str | None) -> Check:
    """SMS pages reach people only outside the SNS sandbox (or to verified numbers) and under the limit."""
    name = "SMS pages"
    if not phones:
        return Check(name, True, "no phone numbers in the policy: SMS is not used")
    who = ", ".join(sorted(phones))
    if in_sandbox is None:
        return Check(
            name,
            False,
            "could not read the account's SMS sandbox status",
            "allow sns:GetSMSSandboxAccountStatus for whoever runs doctor, or check SNS > Text messaging",
        )
    if in_sandbox:
        return Check(
            name,
            False,
            f"the account is in the SNS SMS sandbox: texts to {who} are accepted and never delivered",
            "SNS console > Text messaging (SMS) > Exit SMS sandbox (a support case), or verify each number "
            "there while you wait",
        )
    limit = float(spend_limit or 1)  # AWS's default for a new account is $1 a month
    if limit <= 1:
        return Check(
            name,
            False,
            f"the monthly SMS spend limit is ${limit:g}: a few texts use it up, then nothing is sent",
            "raise MonthlySpendLimit (aws sns set-sms-attributes, and a quota increase above $1)",
        )
    return Check(name, True, f"out of the sandbox, monthly limit ${limit:g}, for {who}")


def prefix_overlap_check(
    stack: str, environment: str, prefix: str, others: Mapping[str, tuple[str, str]]
) -> Check:
    """Two stacks whose alarm prefixes overlap both page for the same alarms (each for the other's)."""
    clashes = [
        f"{other} ({other_env}, prefix {other_prefix!r})"
        for other, (other_env, other_prefix) in sorted(others.items())
        if other != stack and (other_prefix.startswith(prefix) or prefix.startswith(other_prefix))
    ]
    name = "alarm prefix"
    if clashes:
        return Check(
            name,
            False,
            f"{stack} ({environment}) pages for alarms named {prefix!r}*, and so does {', '.join(clashes)}",
            "give each stack in this account and region its own Environment (alarms that page are named "
            "<IncidentAlarmPrefix><Environment>-…) or its own IncidentAlarmPrefix; then sam deploy it",
        )
    return Check(name, True, f"{prefix!r} is this stack's alone")


def alarm_email_check(address: str, subscriptions: Iterable[Mapping[str, str]]) -> Check:
    """The AlarmEmail parameter's subscription to the watcher topic, confirmed (SNS lists an unconfirmed
    one with SubscriptionArn "PendingConfirmation")."""
    name = "alarm e-mail"
    if not address:
        return Check(
            name,
            False,
            "AlarmEmail is empty: the suite's own alarms reach nobody outside Slack",
            "sam deploy --parameter-overrides AlarmEmail=you@your-team, then confirm the e-mail AWS sends",
        )
    mine = [s for s in subscriptions if s.get("Protocol") == "email" and s.get("Endpoint") == address]
    if mine and all(s.get("SubscriptionArn") != "PendingConfirmation" for s in mine):
        return Check(name, True, f"{address} confirmed")
    state = "waits for confirmation" if mine else "is not subscribed"
    return Check(name, False, f"{address} {state}", f"click the link in the e-mail AWS sent to {address}")


def journey_runs_check(
    failing: Mapping[str, str], last_runs: Mapping[str, datetime | None], now: datetime, max_age: timedelta
) -> Check:
    """The runner's journeys: each run within `max_age` of now, none failing (`failing`: name -> why)."""
    name = "journeys' last runs"
    fix_runner = "read the journey runner's logs (it may be failing before it records anything)"
    if not last_runs:
        return Check(name, False, "no journey has run yet", fix_runner)
    stale = sorted(journey for journey, at in last_runs.items() if at is None or now - at > max_age)
    if stale:
        minutes = int(max_age.total_seconds() // 60)
        return Check(name, False, f"no run in the last {minutes} minutes: {', '.join(stale)}", fix_runner)
    if failing:
        listed = "; ".join(f"{journey} ({why})" for journey, why in sorted(failing.items()))
        return Check(
            name,
            False,
            f"failing now: {listed}",
            "incidentctl journeys run --journey NAME shows each step; fix the site or config/journeys.yaml",
        )
    return Check(name, True, f"all {len(last_runs)} ran in the last minutes and pass")


WEEKLY_DRILL_MAX_AGE = timedelta(days=8)  # a week between drills, and a day's grace


def weekly_drill_check(
    enabled: bool, last_drill: datetime | None, deployed: datetime, now: datetime
) -> Check:
    """The weekly drill's DRILL message seen in the incidents channel: the paging path's heartbeat."""
    name = "weekly drill"
    if not enabled:
        return Check(name, True, "off (WeeklyDrill=off): run incidentctl drill after each change")
    if last_drill is not None and now - last_drill <= WEEKLY_DRILL_MAX_AGE:
        return Check(name, True, f"the last one arrived {last_drill:%a %d %b %H:%M} UTC")
    if now - deployed <= WEEKLY_DRILL_MAX_AGE:
        return Check(name, True, "none yet: the first runs on Monday at 10:00 London")
    return Check(
        name,
        False,
        "no weekly drill arrived in the incidents channel in 8 days: the paging path or its schedule is "
        "broken",
        "run incidentctl drill; read the alert router's logs and dead-letter queue, and check the "
        "weekly-drill schedule in the stack's pages schedule group",
    )


def exit_status(checks: Iterable[Check]) -> int:
    return 0 if all(check.ok for check in checks) else 1


def as_json(stack: str, checks: list[Check]) -> dict:
    return {"stack": stack, "ok": exit_status(checks) == 0, "checks": [asdict(check) for check in checks]}


def checklist(stack: str, checks: list[Check]) -> str:
    lines = [f"incidentctl doctor: stack {stack}"]
    for check in checks:
        lines.append(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"         fix: {check.fix}")
    failed = sum(1 for check in checks if not check.ok)
    lines.append(
        f"{len(checks) - failed} of {len(checks)} checks passed" + (f"; {failed} to fix" if failed else "")
    )
    return "\n".join(lines)
