"""incidentctl drill: prove the paging path of the deployed stack end to end, without waking anyone."""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 1.0


def register(commands: argparse._SubParsersAction) -> None:
    from incident_core.cli.stack import stack_argument

    parser = commands.add_parser(
        "drill",
        help="send a drill alert through the deployed stack and wait for its DRILL message in Slack",
        description="Puts a drill alert on the stack's bus; the alert router applies the policy and posts a "
        "message marked DRILL in the incidents channel (no mentions, no direct messages, no texts or calls). "
        "Waits for it, prints each hop's time, and exits 1 if it does not arrive in time.",
    )
    stack_argument(parser)
    parser.add_argument(
        "--page-me",
        metavar="SLACK_USER_ID",
        help="also page this person (you, one of the policy's people) through every step of their "
        "escalation plan, at once, each marked DRILL (Slack DM, text, e-mail, call); prints each "
        "step's outcome",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for the message (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument("--json", action="store_true", help="print the hops as JSON")
    parser.set_defaults(run=run_drill)


def run_drill(
    args: argparse.Namespace,
    wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    from botocore.exceptions import BotoCoreError, ClientError
    from pydantic import ValidationError
    from slack_sdk.errors import SlackApiError

    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.adapters.slack import Slack, slack_web_client
    from incident_core.cli.policy import current_user, fail
    from incident_core.cli.stack import Stack
    from incident_core.events import DrillRequested
    from incident_core.settings import get_settings

    settings = get_settings()
    try:
        stack = Stack.read(args.stack)
        _, secret = stack.secret("SlackSecret")
        if not secret or not secret.get("bot_token"):
            return fail("drill", "the Slack secret has no bot_token: run incidentctl doctor")
        slack = Slack(slack_web_client(settings.slack_api_url, str(secret["bot_token"])))
        channel = slack.channel_id(stack.parameters.get("IncidentsChannel") or settings.incidents_channel)
        drill = DrillRequested(
            drill_id=uuid.uuid4().hex[:12],
            requested_by=current_user()[:100],
            requested_at=wall(),
            page_me=args.page_me,
        )
        EventBridgeBus(stack.outputs["EventBusName"], settings.event_source).put(drill)
    except ValidationError as error:
        return fail("drill", f"--page-me {args.page_me!r} is not a Slack user id (like U0123ABCD): {error}")
    except (ClientError, BotoCoreError, KeyError) as error:
        return fail("drill", f"could not reach stack {args.stack!r}: {error}")
    except (SlackApiError, LookupError) as error:
        return fail("drill", f"Slack refused: {error}")

    message = _wait_for(slack, channel, drill, args.timeout, wall, sleep)
    seen = wall()
    hops = _hops(drill, message, seen) if message else []
    steps = _plan_steps(slack, channel, message, drill, args.timeout, wall, sleep) if message else []
    if args.json:
        report = {"drill_id": drill.drill_id, "arrived": message is not None, "hops": hops}
        print(json.dumps(report | ({"steps": steps} if args.page_me else {})))
    elif message:
        print(f"DRILL {drill.drill_id} arrived in {channel}:")
        for hop in hops:
            print(f"  {hop['hop']}: {hop['seconds']:.2f} s")
        print(f"  {message.get('text', '')}")
        for step in steps:
            print(f"  {step}")
    else:
        print(
            f"DRILL {drill.drill_id}: no message in {channel} after {args.timeout:g} s. The paging path is "
            "broken: run incidentctl doctor, and read the alert router's logs and dead-letter queue."
        )
    return 0 if message else 1


def _wait_for(
    slack: Any,
    channel: str,
    drill: Any,
    timeout: float,
    wall: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> dict[str, Any] | None:
    from incident_core.alerts.drill import block_id

    wanted = block_id(drill.drill_id)
    oldest = f"{drill.requested_at.timestamp() - 1:.6f}"
    deadline = drill.requested_at.timestamp() + timeout
    while True:
        history = slack.client.conversations_history(channel=channel, oldest=oldest, limit=100)
        for message in history["messages"]:
            if any(block.get("block_id") == wanted for block in message.get("blocks") or []):
                return message
        if wall().timestamp() >= deadline:
            return None
        sleep(POLL_SECONDS)


def _plan_steps(
    slack: Any,
    channel: str,
    message: dict[str, Any],
    drill: Any,
    timeout: float,
    wall: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> list[str]:
    """With --page-me: each step of the plan and its outcome, from the router's reply in the drill's
    thread (alerts/drill_plan.py), once it is there; none when the person is not one of the policy's."""
    from incident_core.adapters.slack import marker_id
    from incident_core.alerts.drill import pages_nobody

    if not drill.page_me or pages_nobody(message):
        return []
    wanted = marker_id("drill", drill.drill_id, "steps")
    deadline = drill.requested_at.timestamp() + timeout
    while True:
        replies = slack.client.conversations_replies(channel=channel, ts=message["ts"])
        for reply in replies["messages"]:
            if any(block.get("block_id") == wanted for block in reply.get("blocks") or []):
                return [line.removeprefix("• ") for line in reply.get("text", "").splitlines()[1:]]
        if wall().timestamp() >= deadline:
            return ["(no report of the plan's steps yet: see the drill's thread)"]
        sleep(POLL_SECONDS)


def _hops(drill: Any, message: dict[str, Any], seen: datetime) -> list[dict[str, Any]]:
    """Requested -> routed (the router's clock, from the message) -> in Slack (its ts) -> seen here."""
    from incident_core.alerts.drill import routed_at

    requested, posted = drill.requested_at.timestamp(), float(message["ts"])
    routed = routed_at(message)
    if routed is None:
        points = [("requested -> posted in Slack", posted - requested)]
    else:
        points = [
            ("requested -> routed by the alert router", routed.timestamp() - requested),
            ("routed -> posted in Slack", posted - routed.timestamp()),
        ]
    points += [("posted -> seen here", seen.timestamp() - posted), ("total", seen.timestamp() - requested)]
    # Each hop is timed by a different clock (this machine, the router, Slack): skew below zero shows as 0.
    return [{"hop": name, "seconds": round(max(seconds, 0.0), 3)} for name, seconds in points]
