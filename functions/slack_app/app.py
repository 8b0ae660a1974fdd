"""The Slack app behind a Lambda Function URL: the page's buttons, `/incident`, thread replies.

Every request's Slack signature is checked here first (a missing, forged or stale one gets 401 and
changes nothing). Then the acknowledgements that need nothing looked up (a page's buttons, the Done
button, `/incident` other than declare) are answered by the fast path (incident_core.incidents.quick_ack),
without Bolt; everything else goes to Bolt's AWS Lambda adapter and the listeners in
incident_core.incidents.slack_app. The work behind an acknowledgement runs in Bolt's lazy listeners:
this function invokes itself asynchronously (one SelfInvoker, the fast path's and Bolt's runner's) with the
same signed request, which is checked again and dispatched by Bolt, permission guard first. The bot token
and signing secret come from Secrets Manager (SLACK_SECRET_ID, JSON with bot_token and signing_secret) on
the first request and are kept per container.

Cold start: the fast path loads the secret, acks.py and quick_ack.py, not Bolt, slack_sdk or pydantic;
Bolt is built on the first request it serves, and the models, stores and settings (pydantic) load when a
listener first does work (services()), in the lazy invocation.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from incident_core.adapters.self_invoke import SelfInvoker
from incident_core.incidents.quick_ack import lazy_payload, quick_ack
from incident_core.incidents.signing import MAX_AGE_SECONDS, verify_slack_request

if TYPE_CHECKING:
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler

logger = Logger()
# Seconds the Slack client waits for an answer; a post whose answer never comes is looked for in Slack.
SLACK_TIMEOUT = 10
# template.yaml, the Slack app's EventInvokeConfig: how long Lambda may hold a lazy invocation.
LAZY_WORK_MAX_AGE = 300


@cache
def slack_secret() -> dict[str, str]:
    from incident_core import env
    from incident_core.adapters.secrets import get_json_secret

    secret = get_json_secret(env.read(env.SLACK_SECRET_ID))
    missing = [key for key in ("bot_token", "signing_secret") if not secret.get(key)]
    if missing:
        raise KeyError(f"the Slack secret has no {', '.join(missing)}")
    return secret


@cache
def services() -> Any:
    """The stores and the bus behind the listeners, made when a listener first needs them."""
    from incident_core.actions.store import ActionStore
    from incident_core.adapters.bus import EventBridgeBus
    from incident_core.adapters.dynamo import Table
    from incident_core.alerts.store import AlertStore
    from incident_core.changes.reverts import RevertDesk, RevertStore
    from incident_core.incidents.commands import Commands
    from incident_core.incidents.service import IncidentService
    from incident_core.incidents.slack_app import SlackServices
    from incident_core.incidents.store import IncidentStore
    from incident_core.policy.model import load_policy
    from incident_core.policy.store import PolicyStore
    from incident_core.settings import get_settings

    settings = get_settings()
    policy = load_policy(settings.policy_file)
    actions = ActionStore.from_settings(settings)
    service = IncidentService(
        incidents=IncidentStore.from_settings(settings),
        alerts=AlertStore.from_settings(settings),
        actions=actions,
        bus=EventBridgeBus(settings.bus_name, settings.event_source),
    )
    windows = PolicyStore.from_settings(settings, policy)
    commands = Commands(service, windows, actions, permalinks=thread_links, pictures=thread_pictures)
    members = GroupMembers(policy.permissions.responder_group)
    reverts = RevertDesk(
        service.incidents,
        RevertStore(Table(settings.table_name)),
        service.bus,
        settings.revert_enabled,
        service.now,
    )
    return SlackServices(
        service, commands, actions, settings.incidents_channel, policy, installed_workspace, members, reverts
    )


class GroupMembers:
    """The members of the policy's responder user group, asked of Slack at most every 5 minutes."""

    TTL_SECONDS = 300

    def __init__(self, usergroup: str | None) -> None:
        self.usergroup = usergroup
        self._members: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    def __call__(self) -> frozenset[str]:
        import time

        if self.usergroup and time.monotonic() - self._read_at > self.TTL_SECONDS:
            answer = bot_client().usergroups_users_list(usergroup=self.usergroup)
            self._members, self._read_at = frozenset(answer.get("users") or ()), time.monotonic()
        return self._members


@cache
def installed_workspace() -> Any:
    """The workspace (and Enterprise Grid organisation) the app is installed in: requests from others are
    refused. The secret's team_id (and enterprise_id) say it; without them the bot token's auth.test
    answers, once per container (a Slack round trip on the first request)."""
    from incident_core.policy.permissions import Installed

    secret = slack_secret()
    answer = secret if secret.get("team_id") else bot_client().auth_test()
    return Installed(team=answer.get("team_id"), enterprise=answer.get("enterprise_id") or None)


@cache
def bot_client() -> Any:
    """A WebClient with the bot token, for calls made outside a listener's own client."""
    from incident_core import env
    from incident_core.adapters.slack import slack_web_client

    return slack_web_client(env.read(env.SLACK_API_URL), slack_secret()["bot_token"])


@cache
def thread_pictures() -> Any:
    """`/incident graph`: CloudWatch draws the incident window, posted in its thread (made on first use)."""
    from incident_core.adapters.metric_images import CloudWatchImages
    from incident_core.adapters.slack import Slack
    from incident_core.alerts.store import AlertStore
    from incident_core.incidents.store import IncidentStore
    from incident_core.pictures.service import ThreadPictures, dashboard_params
    from incident_core.settings import get_settings

    settings = get_settings()
    return ThreadPictures(
        images=CloudWatchImages(),
        params=dashboard_params(settings),
        incidents=IncidentStore.from_settings(settings),
        alerts=AlertStore.from_settings(settings),
        files=Slack(bot_client()),
    )


def thread_links(incidents: list[Any]) -> dict[str, str]:
    """Links to the incidents' threads (for `/incident status`); a thread Slack cannot link is left out."""
    client = bot_client()
    links = {}
    for incident in incidents:
        if incident.channel and incident.thread_ts:
            try:
                links[incident.incident_id] = client.chat_getPermalink(
                    channel=incident.channel, message_ts=incident.thread_ts
                )["permalink"]
            except Exception:
                logger.warning("no permalink for the thread", extra={"incident_id": incident.incident_id})
    return links


@cache
def self_invoker() -> SelfInvoker:
    """The lazy work's self-invocation, shared by the fast path and Bolt's runner (one lambda client)."""
    return SelfInvoker()


@cache
def request_handler() -> SlackRequestHandler:
    """The Bolt app, built on the first request it serves: it needs the secret, which is read then."""
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler

    from incident_core import env
    from incident_core.adapters.slack import slack_web_client
    from incident_core.incidents.slack_app import build_app

    secret = slack_secret()
    app = build_app(
        signing_secret=secret["signing_secret"],
        bot_token=secret["bot_token"],
        # No client-level re-post of an unknown outcome: announcements are looked for in Slack first.
        client=slack_web_client(
            env.read(env.SLACK_API_URL), token=None, resend_unknown=False, timeout=SLACK_TIMEOUT
        ),
        services=services,
    )
    handler = SlackRequestHandler(app)
    handler.app.listener_runner.lazy_listener_runner.lambda_client = self_invoker()
    return handler


def raw_body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    return base64.b64decode(body).decode("utf-8") if event.get("isBase64Encoded") else body


def refused() -> dict[str, Any]:
    return {
        "statusCode": 401,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"error": "invalid or missing Slack signature"}),
    }


def handed_off_failed() -> dict[str, Any]:
    """Bolt's answer when a lazy listener could not be started: Slack tells the person it failed."""
    return {"statusCode": 500, "body": "", "headers": {"content-type": "text/plain;charset=utf-8"}}


def self_invoked(event: dict[str, Any]) -> bool:
    """The function's own asynchronous invocation, carrying the lazy work (Bolt's and the fast path's
    payloads say "method": "NONE", which no request through the function URL can set)."""
    return event.get("method") == "NONE"


def lazy_headers(event: dict[str, Any]) -> bool:
    return any(str(name).lower().startswith("x-slack-bolt-lazy-") for name in event.get("headers") or {})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = raw_body(event)
    except ValueError:  # not base64, or not UTF-8: Slack sends neither
        logger.warning("refused a request whose body is not text")
        return refused()
    own = self_invoked(event)
    # Lambda may hold the lazy work as long as the function's maximum event age, after Slack's 5 minutes.
    max_age = MAX_AGE_SECONDS + LAZY_WORK_MAX_AGE if own else MAX_AGE_SECONDS
    headers = event.get("headers") or {}
    if not verify_slack_request(slack_secret()["signing_secret"], body, headers, max_age=max_age):
        logger.warning("refused a request without a valid Slack signature")
        return refused()
    if lazy_headers(event) and not own:  # a replayed request made to run the work inline, unchecked
        logger.warning("refused Bolt's lazy headers on a request from outside")
        return refused()
    if headers.get("x-slack-retry-num"):
        logger.info("Slack retried a delivery", extra={"retry": headers.get("x-slack-retry-num")})
    quick = quick_ack(event, body)
    if quick is None:
        return request_handler().handle(event, context)
    if quick.lazy_function:
        try:
            self_invoker().hand_off(context.invoked_function_arn, lazy_payload(event, quick.lazy_function))
        except Exception:  # acknowledged without the work behind it, it would be lost without a word
            logger.exception("could not hand off the lazy work", extra={"lazy": quick.lazy_function})
            return handed_off_failed()
    return quick.response()
