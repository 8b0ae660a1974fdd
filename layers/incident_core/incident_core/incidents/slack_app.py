"""The Slack app's listeners (Bolt): the page's buttons, `/incident`, the declare form, thread replies.

Slack wants an answer within 3 seconds, and on Lambda the answer is sent only when the listener
returns (process_before_response). So each listener acknowledges at once with what it knows without
looking anything up (help, a missing argument, the declare form), and the work runs in a lazy
listener: Bolt invokes the same function again, asynchronously, with the same signed request.
Errors are answered to the person who asked only (ephemeral responses).

The buttons and `/incident` (but declare) are acknowledged without Bolt, by the handler's fast path
(quick_ack.py), which hands the work to the lazy listeners registered here exactly as Bolt would: their
function names are part of that contract (quick_ack.LAZY_BY_ACTION, RUN_COMMAND). Bolt acknowledges the
rest; only acks.py is loaded for its acknowledgements: the models, stores and rendering the work needs
are imported by the listeners that do it, so a cold container answers Slack without loading them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import slack_bolt.request.request
from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult

from incident_core.concurrency import ContextThreadPool
from incident_core.incidents.acks import DECLARE_CALLBACK_ID, answer_at_once, declare_modal, parse
from incident_core.incidents.asks import what_is_asked
from incident_core.incidents.quick_ack import COMMAND, LAZY_BY_ACTION, parse_body

if TYPE_CHECKING:
    from incident_core.incidents.commands import Commands
    from incident_core.incidents.service import IncidentService
    from incident_core.policy.model import Policy
    from incident_core.policy.permissions import Asked, Installed

logger = logging.getLogger(__name__)
# Bolt's body parser mistakes any form containing the text "payload" for an interaction (see parse_body):
# its requests are parsed as the fast path parses them.
slack_bolt.request.request.parse_body = parse_body
ACKNOWLEDGED_BY_THE_ACK = ("help", "unknown", "declare")


@dataclass
class SlackServices:
    service: IncidentService
    commands: Commands
    actions: Any  # incident_core.actions.store.ActionStore
    incidents_channel: str
    policy: Policy
    installed: Callable[[], Installed]  # the workspace the bot token belongs to (asked once)
    # Members of the policy's responder user group (asked of Slack, cached for a while).
    group_members: Callable[[], frozenset[str]] = frozenset
    reverts: Any = None  # incident_core.changes.reverts.RevertDesk

    def refusal(self, asked: Asked) -> str | None:
        from incident_core.policy.permissions import refusal

        def owner() -> str | None:
            item = self.actions.get(asked.target) if asked.target else None
            return item.owner if item is not None else None

        return refusal(self.policy, asked, self.installed(), self.group_members, owner)

    @property
    def now(self) -> Callable[[], datetime]:
        return self.service.now


ANNOUNCE_SEARCH_MARGIN = timedelta(minutes=1)


def request_reference(context: Any) -> str:
    """The id of the request behind a listener (the Function URL's request id, which the lazy invocation
    carries too), for matching what a person saw with the logs."""
    event = (context or {}).get("lambda_request") or {}
    return str((event.get("requestContext") or {}).get("requestId") or uuid.uuid4().hex[:12])


def _fail(respond: Any, error: Exception, context: Any) -> None:
    from incident_core.incidents.service import CommandError

    if isinstance(error, CommandError):
        from incident_core.incidents.render import mrkdwn

        # Its text may quote what the person typed (`<!channel>` is not a person): shown, never pinging.
        respond(text=mrkdwn(str(error)), response_type="ephemeral", replace_original=False)
        return
    # The details (table names, ARNs, Slack's answers) go to the log only; the person gets the reference.
    reference = request_reference(context)
    logger.exception("a Slack request failed (reference %s)", reference, extra={"reference": reference})
    respond(
        text=f":warning: That did not complete (an internal error, reference `{reference}`). "
        "Trying again is safe.",
        response_type="ephemeral",
        replace_original=False,
    )


def record_refusal(asked: Asked, reason: str) -> None:
    """Who tried what, in the log and the PermissionRefused metric (the suite's namespace)."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    logger.warning(
        "refused %s by %s (workspace %s): %s",
        asked.label,
        asked.user,
        asked.team,
        reason,
        extra={"user": asked.user, "team": asked.team, "permission": asked.permission},
    )
    metrics = EphemeralMetrics()
    metrics.add_metric(name="PermissionRefused", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="permission", value=asked.permission)
    metrics.add_metadata(key="user", value=str(asked.user))
    metrics.flush_metrics()


def _checked_now(request: Any, body: dict[str, Any]) -> bool:
    """Whether this invocation does work. Buttons and commands are only acknowledged at first (nothing
    changes); their work runs in the lazy invocation, which is checked. Forms and thread replies are
    done inline, and so is `/incident declare` (its acknowledgement opens the form)."""
    if body.get("command") == "/incident" and parse(body.get("text") or "").name == "declare":
        return True
    lazy = bool(request.lazy_only or request.lazy_function_name)
    return lazy or body.get("type") in ("view_submission", "event_callback")


def _when(at: datetime | None) -> str:
    from incident_core.incidents.render import when

    return when(at)


def _update_page(client: Any, body: dict[str, Any], outcome: str, keep: tuple[str, ...] = ()) -> None:
    """Show on the page message who did what (and drop the buttons that no longer apply)."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or message.get("ts")
    if not (channel and ts):
        return
    from incident_core.incidents.render import page_after_click

    blocks = page_after_click(message.get("blocks") or [], outcome, keep)
    client.chat_update(channel=channel, ts=ts, text=message.get("text") or outcome, blocks=blocks)


def build_app(
    *,
    signing_secret: str,
    bot_token: str,
    client: Any,
    services: Callable[[], SlackServices],
    name: str = "incident-suite",
) -> App:
    """The Bolt app. `client` is a WebClient without a token (Slack's base URL, retry handlers): Bolt
    copies it for each request and sets `bot_token` on the copy. `services` is called when a listener
    first needs the stores (lazily, once)."""

    def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        # The one workspace's bot token, from the secret. Bolt's default single-workspace authorisation
        # calls auth.test on each container's first request: a Slack round trip before every cold
        # answer, for the bot's own ids, which nothing here needs (the timeline skips bots' messages).
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=bot_token
        )

    app = App(
        name=name,
        client=client,
        signing_secret=signing_secret,
        authorize=authorize,
        process_before_response=True,
        # The Lambda handler verifies every request before Bolt sees it (one verification path, whose
        # clock tests can set); Bolt's own check would only repeat it.
        request_verification_enabled=False,
        # Were a listener ever run in Bolt's threads (not with process_before_response, nor lazily in
        # Lambda: a new invocation), it would keep the invocation's context (incident_core.concurrency).
        listener_executor=ContextThreadPool(max_workers=10),
    )

    # ------------------------------------------------------------------ who may do what: the one guard
    def guard(request: Any, context: Any, next: Callable[[], None]) -> BoltResponse | None:
        asked = what_is_asked(request.body)
        if asked is None or not _checked_now(request, request.body):
            return next()
        try:
            reason = services().refusal(asked)
        except Exception as error:  # no policy: nothing is allowed, and the person gets a reference
            logger.exception("the permission check failed")
            reason = f"the permission check failed ({type(error).__name__}); nothing was done"
        if reason is None:
            return next()
        record_refusal(asked, reason)
        if request.body.get("type") == "view_submission":
            return BoltResponse(
                status=200,
                body={"response_action": "errors", "errors": {"title": f":no_entry: {reason}"}},
            )
        if request.body.get("type") == "event_callback":
            # An Events API delivery has no one to answer (no response_url): dropped with the log line
            # above, and acknowledged, since Slack retries any other answer and turns events off after many.
            return BoltResponse(status=200, body="")
        if context.respond is not None:
            context.respond(text=f":no_entry: {reason}", response_type="ephemeral", replace_original=False)
        return BoltResponse(status=200, body="")

    app.middleware(guard)

    # ------------------------------------------------------------------ /incident
    def acknowledge_command(ack: Any, body: dict[str, Any], client: Any) -> None:
        command = parse(body.get("text", ""))
        answer = answer_at_once(command)
        if answer is not None:
            text, blocks = answer
            ack(text=text, blocks=blocks)
        elif command.name == "declare":
            ack()
            view = declare_modal(command.rest)
            view["private_metadata"] = body.get("channel_id", "")
            client.views_open(trigger_id=body["trigger_id"], view=view)
        else:
            ack()

    def run_command(body: dict[str, Any], respond: Any, client: Any, context: Any) -> None:
        command = parse(body.get("text", ""))
        if command.name in ACKNOWLEDGED_BY_THE_ACK or command.problem:
            return
        try:
            reply = services().commands.run(command, user=body["user_id"], key=body["trigger_id"])
        except Exception as error:
            _fail(respond, error, context)
            return
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
        if reply.announce:  # for everyone in the incidents channel, not only the person who asked
            try:
                channel = services().incidents_channel
                _announce(client, channel, reply.announce, body["trigger_id"], services().now())
            except Exception:  # it is done: repeating the command would do it twice
                logger.exception("could not announce a command (reference %s)", request_reference(context))
                respond(
                    text=":warning: Done, but it could not be announced in the incidents channel: "
                    "please tell the team there.",
                    response_type="ephemeral",
                    replace_original=False,
                )

    app.command(COMMAND)(ack=acknowledge_command, lazy=[run_command])  # quick_ack.RUN_COMMAND

    # ------------------------------------------------------------------ the declare form
    def declare_from_form(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        from incident_core.incidents.service import CommandError

        values = view["state"]["values"]
        title = (values["title"]["title"].get("value") or "").strip()
        impact = (values["impact"]["impact"].get("value") or "").strip()
        user = body["user"]["id"]
        try:
            incident = services().service.declare(title, impact, by=user, request_key=view["id"])
        except CommandError as error:
            ack(response_action="errors", errors={"title": str(error)})
            return
        ack()
        channel = view.get("private_metadata")
        if channel:
            client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=f"Declared `{incident.incident_id}`: its thread in "
                f"{services().incidents_channel} is starting.",
            )

    app.view(DECLARE_CALLBACK_ID)(declare_from_form)

    # ------------------------------------------------------------------ the page's buttons
    def acknowledge_click(ack: Any) -> None:
        ack()

    def acknowledge_alert(body: dict[str, Any], client: Any, respond: Any, context: Any) -> None:
        user, alert_id = body["user"]["id"], body["actions"][0]["value"]
        try:
            alert = services().service.acknowledge(alert_id, user)
            _update_page(
                client,
                body,
                f":eyes: Acknowledged by <@{alert.acknowledged_by}> {_when(alert.acknowledged_at)}: "
                "re-paging stopped. Is it real?",
                keep=("alert_real_incident", "alert_false_alarm"),
            )
        except Exception as error:
            _fail(respond, error, context)

    def declare_from_alert(body: dict[str, Any], client: Any, respond: Any, context: Any) -> None:
        user, alert_id = body["user"]["id"], body["actions"][0]["value"]
        try:
            declared = services().service.declare_from_alert(alert_id, user)
            incident = declared.incident
            _update_page(
                client,
                body,
                f":rotating_light: Incident `{incident.incident_id}` declared by <@{incident.declared_by}> "
                f"{_when(incident.declared_at)}. Its thread in {services().incidents_channel} is the Live "
                "Incident State Document.",
            )
            if not declared.created:
                respond(
                    text=f"`{incident.incident_id}` was already declared by <@{incident.declared_by}>.",
                    response_type="ephemeral",
                    replace_original=False,
                )
        except Exception as error:
            _fail(respond, error, context)

    def mark_false_alarm(body: dict[str, Any], client: Any, respond: Any, context: Any) -> None:
        user, alert_id = body["user"]["id"], body["actions"][0]["value"]
        try:
            alert, action = services().service.false_alarm(alert_id, user)
            owner = f"<@{action.owner}>" if action.owner else "nobody yet"
            follow_up = (
                f" Action item `{action.action_id}` ({owner}, due {action.due:%a %d %b}): find out why "
                "it was raised and fix it."
            )
            _update_page(
                client,
                body,
                f":white_check_mark: False alarm, said <@{alert.false_alarm_by or user}> "
                f"{_when(alert.false_alarm_at or services().now())}.{follow_up}",
            )
        except Exception as error:
            _fail(respond, error, context)

    # ------------------------------------------------------------------ action items' Done button
    def mark_action_done(body: dict[str, Any], respond: Any, context: Any) -> None:
        from incident_core.actions.render import render_done
        from incident_core.actions.store import london_today
        from incident_core.actions.tracking import announce_action_change

        user, action_id = body["user"]["id"], body["actions"][0]["value"]
        try:
            now = services().now()
            item = services().actions.mark_done(action_id, by=user, now=now)
            announce_action_change(services().service.bus, item.action_id, "done", now, user)
            _, done_blocks = render_done(item, london_today(now))
            message = body.get("message") or {}
            clicked_block = body["actions"][0].get("block_id")
            blocks = [
                done_blocks[0] if block.get("block_id") == clicked_block else block
                for block in message.get("blocks") or []
            ]
            respond(
                text=message.get("text") or f"Done: {item.text}",
                blocks=blocks or done_blocks,
                replace_original=True,
            )
        except Exception as error:
            _fail(respond, error, context)

    # ------------------------------------------------------------------ a change's Revert button
    def request_revert(body: dict[str, Any], respond: Any, context: Any) -> None:
        """Slack's confirmation was accepted: claim the revert once and hand it to the revert function."""
        from incident_core.changes.reverts import RevertRefused

        user, value = body["user"]["id"], body["actions"][0]["value"]
        try:
            asked = services().reverts.request(value, user)
        except RevertRefused as refused:
            respond(text=f":no_entry: {refused}", response_type="ephemeral", replace_original=False)
            return
        except Exception as error:
            _fail(respond, error, context)
            return
        from incident_core.incidents.render import mrkdwn

        revert = asked.revert
        if asked.created:
            text = (
                f":rewind: Reverting {mrkdwn(revert.plan.describe())}. The outcome is posted in the thread."
            )
        else:
            text = (
                f"That revert was already asked by <@{revert.requested_by}> {_when(revert.requested_at)} "
                f"({revert.status}): it is done once."
            )
        respond(text=text, response_type="ephemeral", replace_original=False)

    # Registered by the names the fast path hands off to: a listener renamed fails here, not in Slack.
    buttons = (acknowledge_alert, declare_from_alert, mark_false_alarm, mark_action_done, request_revert)
    lazy = {listener.__name__: listener for listener in buttons}
    for action_id, name in LAZY_BY_ACTION.items():
        app.action(action_id)(ack=acknowledge_click, lazy=[lazy[name]])

    # ------------------------------------------------------------------ thread replies (Events API)
    def record_thread_message(event: dict[str, Any]) -> None:
        from incident_core.incidents.timeline import thread_change

        change = thread_change(event)
        if change is not None:
            # Two small writes: done before answering, no second invocation for every message.
            services().service.record_thread_change(change)

    app.event("message")(record_thread_message)
    return app


def _announce(client: Any, channel: str, text: str, trigger_id: str, now: datetime) -> None:
    """Say a command's outcome in the channel once, even if Slack's answer to the post is lost: the post
    is named by the command's trigger id and looked for before it is ever sent again."""
    from incident_core.adapters.slack import Slack, marker_id

    oldest = (now - ANNOUNCE_SEARCH_MARGIN).timestamp()  # Slack's clock and ours differ a little
    Slack(client).post_marked(channel, text, marker_id("command", trigger_id), f"{oldest:.6f}")
