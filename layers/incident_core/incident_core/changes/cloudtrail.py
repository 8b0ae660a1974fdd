"""CloudTrail management events as changes (pure): which writes are deploys, and from what to what.

LookupEvents answers each event with a `CloudTrailEvent` field, the event record as a JSON string
(eventSource, eventName, userIdentity, requestParameters, responseElements, errorCode). Lambda's event
names carry the API version (`UpdateAlias20150331`, `UpdateFunctionCode20150331v2`): the suffix is
dropped before matching. A call that failed (`errorCode`) changed nothing and is left out. Anything
malformed is left out too, with the reason counted, never raised: one odd record must not hide the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incident_core.changes.model import Change, RevertAction, RevertPlan, change_id, short

# (event source, event name without Lambda's version suffix) -> what it is, in words.
DEPLOY_WRITES: dict[tuple[str, str], str] = {
    ("lambda.amazonaws.com", "UpdateFunctionCode"): "Lambda code updated",
    ("lambda.amazonaws.com", "UpdateAlias"): "Lambda alias moved",
    ("lambda.amazonaws.com", "PublishVersion"): "Lambda version published",
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration"): "Lambda configuration updated",
    ("ecs.amazonaws.com", "UpdateService"): "ECS service updated",
    ("apigateway.amazonaws.com", "CreateDeployment"): "API Gateway deployment",
    ("appconfig.amazonaws.com", "StartDeployment"): "AppConfig deployment started",
    ("codedeploy.amazonaws.com", "CreateDeployment"): "CodeDeploy deployment",
    ("amplify.amazonaws.com", "StartJob"): "Amplify job started",
}
# Alias events whose version says what an alias pointed at before a later move.
ALIAS_SETTERS = ("CreateAlias", "UpdateAlias")
_LAMBDA_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")
CONSOLE = "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{event_id}"


def event_name(name: str) -> str:
    return _LAMBDA_VERSION_SUFFIX.sub("", name)


@dataclass
class Record:
    """One LookupEvents event with its CloudTrailEvent parsed."""

    event_id: str
    source: str
    name: str
    at: datetime
    who: str | None
    region: str
    request: dict[str, Any]
    response: dict[str, Any]
    # Order within one lookup's answer (newest first): eventTime has whole seconds, and two writes of one
    # deploy often share one.
    seq: int = 0

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.at, self.seq)


@dataclass
class Parsed:
    records: list[Record] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # why a record was left out -> how many

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _who(event: dict[str, Any], record: dict[str, Any]) -> str | None:
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    arn = identity.get("arn") if isinstance(identity.get("arn"), str) else None
    name = event.get("Username") if isinstance(event.get("Username"), str) else None
    if arn and ":assumed-role/" in arn:  # role/session: the session name is usually the person or the CI job
        return arn.split(":assumed-role/", 1)[1]
    return name or (arn.rsplit("/", 1)[-1] if arn else None)


def parse_events(events: Iterable[Any], writes_only: bool = True) -> Parsed:
    """LookupEvents' events as records; only deploy-like writes when `writes_only`."""
    parsed = Parsed()
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            parsed.skip("not an event object")
            continue
        try:
            record = json.loads(event.get("CloudTrailEvent") or "")
        except (TypeError, ValueError):
            parsed.skip("CloudTrailEvent is not JSON")
            continue
        if not isinstance(record, dict):
            parsed.skip("CloudTrailEvent is not an object")
            continue
        source, name = record.get("eventSource"), record.get("eventName")
        if not (isinstance(source, str) and isinstance(name, str)):
            parsed.skip("no eventSource or eventName")
            continue
        name = event_name(name)
        if writes_only and (source, name) not in DEPLOY_WRITES and name not in ALIAS_SETTERS:
            continue
        if record.get("errorCode"):
            parsed.skip("the call failed (errorCode)")
            continue
        try:
            at = _time(record.get("eventTime") or event.get("EventTime"))
        except (TypeError, ValueError):
            parsed.skip("eventTime is not a time")
            continue
        request = record.get("requestParameters")
        response = record.get("responseElements")
        parsed.records.append(
            Record(
                event_id=str(event.get("EventId") or record.get("eventID") or ""),
                source=source,
                name=name,
                at=at,
                who=_who(event, record),
                region=str(record.get("awsRegion") or ""),
                request=request if isinstance(request, dict) else {},
                response=response if isinstance(response, dict) else {},
                seq=-index,
            )
        )
    return parsed


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


def alias_key(record: Record) -> tuple[str, str] | None:
    function = _text(record.request.get("functionName"))
    alias = _text(record.request.get("name")) or _text(record.response.get("name"))
    return (short(function), alias) if function and alias else None


def alias_version(record: Record) -> str | None:
    return _text(record.response.get("functionVersion")) or _text(record.request.get("functionVersion"))


def previous_alias_version(record: Record, history: list[Record]) -> str | None:
    """The version the alias pointed at before `record` moved it: the latest earlier alias event."""
    key = alias_key(record)
    earlier = [
        r for r in history if r.name in ALIAS_SETTERS and alias_key(r) == key and r.order < record.order
    ]
    return alias_version(max(earlier, key=lambda r: r.order)) if earlier else None


def _lambda_change(record: Record, history: list[Record]) -> tuple[str, list[str], dict[str, Any]]:
    function = _text(record.request.get("functionName")) or _text(record.response.get("functionName")) or "?"
    name = short(function)
    if record.name == "UpdateAlias":
        alias = alias_key(record)[1] if alias_key(record) else "?"
        after = alias_version(record)
        before = previous_alias_version(record, history)
        plan = None
        note = None
        if after and before and before != after:
            plan = RevertPlan(
                action=RevertAction.LAMBDA_ALIAS, target=function, alias=alias, expect=after, restore=before
            )
        else:
            note = "the version before this move is not in CloudTrail's 90 days: revert by hand"
        return (
            f"alias `{alias}` of `{name}`",
            [name],
            {"before": before, "after": after, "revert": plan, "note": note},
        )
    if record.name == "PublishVersion":
        return f"function `{name}`", [name], {"after": _text(record.response.get("version"))}
    if record.name == "UpdateFunctionCode":
        sha = _text(record.response.get("codeSha256"))
        return f"function `{name}` ($LATEST)", [name], {"after": f"code {sha[:12]}" if sha else None}
    return f"function `{name}` configuration", [name], {}


def _ecs_change(record: Record) -> tuple[str, list[str], dict[str, Any]]:
    service = record.response.get("service") if isinstance(record.response.get("service"), dict) else {}
    target = _text(service.get("serviceArn")) or _text(record.request.get("service")) or "?"
    cluster = _text(service.get("clusterArn")) or _text(record.request.get("cluster")) or "default"
    after = _text(service.get("taskDefinition")) or _text(record.request.get("taskDefinition"))
    deployments = service.get("deployments") if isinstance(service.get("deployments"), list) else []
    # UpdateService's answer lists the new deployment (PRIMARY) and the one it replaces (ACTIVE).
    before = next(
        (
            _text(d.get("taskDefinition"))
            for d in deployments
            if isinstance(d, dict) and d.get("status") == "ACTIVE" and d.get("taskDefinition") != after
        ),
        None,
    )
    plan, note = None, None
    if after and before and _text(record.request.get("taskDefinition")):
        plan = RevertPlan(
            action=RevertAction.ECS_SERVICE, target=target, cluster=cluster, expect=after, restore=before
        )
    elif not _text(record.request.get("taskDefinition")):
        note = "the task definition did not change (a scale or a forced deployment)"
    else:
        note = "the task definition before this update is not in the event: revert by hand"
    name = short(target)
    return f"ECS service `{name}`", [name], {"before": before, "after": after, "revert": plan, "note": note}


def _other_change(record: Record) -> tuple[str, list[str], dict[str, Any]]:
    request = record.request
    if record.source == "apigateway.amazonaws.com":
        api = _text(request.get("restApiId")) or "?"
        return f"API `{api}` stage `{_text(request.get('stageName')) or '?'}`", [api], {}
    if record.source == "appconfig.amazonaws.com":
        app = _text(request.get("applicationId")) or "?"
        environment = _text(request.get("environmentId"))
        version = _text(request.get("configurationVersion"))
        number = _text(record.response.get("deploymentNumber"))
        extra: dict[str, Any] = {"after": f"version {version}" if version else None}
        if environment and number and version:
            extra["revert"] = RevertPlan(
                action=RevertAction.APPCONFIG_STOP,
                target=f"{app}/{environment}/{number}",
                alias=app,
                cluster=environment,
                expect=version,
                restore="the configuration before",
            )
        return f"AppConfig application `{app}` environment `{environment or '?'}`", [app], extra
    if record.source == "codedeploy.amazonaws.com":
        app = _text(request.get("applicationName")) or "?"
        group = _text(request.get("deploymentGroupName"))
        deployment = _text(record.response.get("deploymentId"))
        extra = {"after": f"deployment {deployment}" if deployment else None}
        if deployment and group:
            extra["revert"] = RevertPlan(
                action=RevertAction.CODEDEPLOY_STOP,
                target=deployment,
                alias=app,
                cluster=group,
                expect="the new revision",
                restore="the previous revision",
            )
        return f"CodeDeploy `{app}`/{group or '?'}", [app] + ([group] if group else []), extra
    app = _text(request.get("appId")) or "?"
    return f"Amplify app `{app}` branch `{_text(request.get('branchName')) or '?'}`", [app], {}


def changes_from(records: list[Record], history: list[Record] | None = None) -> list[Change]:
    """The deploy-like writes among `records` as changes; `history` (older alias events) says what
    an alias pointed at before."""
    history = [*records, *(history or [])]
    changes = []
    for record in records:
        kind = DEPLOY_WRITES.get((record.source, record.name))
        if kind is None:
            continue  # CreateAlias: history only
        if record.source == "lambda.amazonaws.com":
            resource, names, extra = _lambda_change(record, history)
        elif record.source == "ecs.amazonaws.com":
            resource, names, extra = _ecs_change(record)
        else:
            resource, names, extra = _other_change(record)
            if "revert" not in extra:
                extra["note"] = "not revertable from the thread: revert it where it was deployed"
        if record.source == "lambda.amazonaws.com" and record.name != "UpdateAlias":
            extra.setdefault("note", "not revertable from the thread: move an alias, or redeploy")
        changes.append(
            Change(
                change_id=change_id("cloudtrail", record.event_id, record.source, record.name),
                source="cloudtrail",
                kind=kind,
                resource=resource,
                names=names,
                at=record.at,
                who=record.who,
                link=CONSOLE.format(region=record.region or "eu-west-2", event_id=record.event_id)
                if record.event_id
                else None,
                **{k: v for k, v in extra.items() if v is not None},
            )
        )
    return changes
