"""`incidentctl alerts redrive`: hand the alert router's dead letters back to it (alerts/redrive.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

ROUTER = "AlertRouterFunction"
DEAD_LETTERS = "AlertRouterDeadLetters"
ALIAS = "live"  # the router's AutoPublishAlias: what its topic and rules invoke


def register(commands: argparse._SubParsersAction) -> None:
    from incident_core.cli.stack import stack_argument

    parser = commands.add_parser("alerts", help="the alert router's dead letters")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    redrive = actions.add_parser(
        "redrive",
        help="hand the alert router's dead letters back to it, once the cause is fixed",
        description="Invokes the deployed router with each event in its dead-letter queue and deletes the "
        "message once the router handled it. Safe to repeat: the router handles an event it already "
        "handled as a duplicate. Messages it still fails on stay in the queue and are listed; exit 1 then.",
    )
    stack_argument(redrive)
    redrive.set_defaults(run=run_redrive)


def run_redrive(args: argparse.Namespace) -> int:
    from incident_core.adapters.aws import client
    from incident_core.alerts.redrive import redrive
    from incident_core.cli.policy import fail
    from incident_core.cli.stack import Stack

    stack = Stack.read(args.stack)
    queue_url, function = stack.physical(DEAD_LETTERS), stack.physical(ROUTER)
    if not queue_url or not function:
        return fail("alerts redrive", f"stack {args.stack} has no {DEAD_LETTERS} or {ROUTER}")
    lambda_client = client("lambda")

    def deliver(event: dict[str, Any]) -> None:
        answer = lambda_client.invoke(
            FunctionName=f"{function}:{ALIAS}", InvocationType="RequestResponse", Payload=json.dumps(event)
        )
        if answer.get("FunctionError"):
            raise RuntimeError(answer["Payload"].read().decode(errors="replace"))

    result = redrive(client("sqs"), queue_url, deliver)
    print(f"redriven: {result.redriven}; kept in the queue: {len(result.kept)}")
    for message_id, reason in result.kept:
        print(f"  {message_id}: {reason}")
    return 1 if result.kept else 0
