"""Alert router: CloudWatch alarms (SNS, EventBridge), journey events, PageDue and AWS Health events in;
one alert per problem recorded, the support-hours policy applied, pages sent or scheduled.

Thin: parse each input with Powertools parser models into a typed model (a Signal, PageDue or an AWS
Health fact) before any work, route it through the domain (incident_core.alerts.router) once per
notification id (Powertools idempotency). Whatever does not fit is rejected once: logged with a bounded
excerpt of the offending field, counted (RejectedEvents), never raised, and the rest of the batch goes
on (reading is pure, so a retry could only fail the same way). Only a failure while routing is raised
after the batch, so Lambda retries (twice) and then hands the event to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from incident_core.alerts import intake
from incident_core.alerts.intake import PageDueIn, RejectedEvent, clip, excerpt, problems
from incident_core.envelopes import EventBridgeModel, SnsNotificationModel, SnsRecordModel
from incident_core.events import DrillRequested, JourneyFailed, JourneyRecovered, PageDue
from incident_core.settings import get_settings

if TYPE_CHECKING:  # the Health module (and boto3's serializer) loads on the first Health event only
    from incident_core.alerts.health import HealthFact

logger = Logger()
metrics = Metrics()

ALARM_STATE_CHANGE = ("aws.cloudwatch", "CloudWatch Alarm State Change")
HEALTH_EVENT = ("aws.health", "AWS Health Event")
# The input of the page sweep's schedule (template.yaml, AlertRouterFunction's PageSweep event).
SWEEP = {"sweep": "pages"}
# What reading one input gives: a notification to route (its id, its typed payload), or a Health fact.
type Built = tuple[str, dict[str, Any]] | "HealthFact"
# Notifications are remembered this long: SNS and EventBridge redeliveries come well within it.
IDEMPOTENCY_SECONDS = 24 * 3600


class AlarmNotification(SnsNotificationModel):
    # Only the Message matters here; the documented samples carry placeholders in these URLs.
    UnsubscribeUrl: str
    SigningCertUrl: str | None = None


class AlarmRecord(SnsRecordModel):
    Sns: AlarmNotification


class Runtime:
    """What one container keeps between invocations: the router and its idempotent entry point."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

        from incident_core.adapters.aws import idempotency_store
        from incident_core.alerts.wiring import PagePathClient, build_router

        settings = get_settings()
        self.settings = settings
        dynamodb = PagePathClient("dynamodb")  # one client for the alerts, pages and idempotency records
        self.router = (
            build_router(settings, clock, dynamodb) if clock else build_router(settings, dynamodb=dynamodb)
        )
        self.config = IdempotencyConfig(
            event_key_jmespath="id",
            expires_after_seconds=IDEMPOTENCY_SECONDS,
            raise_on_no_idempotency_key=True,
        )
        self.route_once = idempotent_function(
            data_keyword_argument="notification",
            persistence_store=idempotency_store(settings.idempotency_table_name, dynamodb),
            config=self.config,
        )(self._route)

    def _route(self, notification: dict[str, Any]) -> dict[str, Any]:
        """Runs once per notification id; a repeated delivery gets this result back without running."""
        if notification["type"] == "page-due":
            result = self.router.handle_page_due(PageDue.model_validate(notification["payload"]))
        elif notification["type"] == "drill":
            from incident_core.alerts.drill import run_drill

            return run_drill(self.router, DrillRequested.model_validate(notification["payload"])).as_dict()
        else:
            result = self.router.handle_signal(intake.Signal.model_validate(notification["payload"]))
        if result.pages_sent:
            metrics.add_metric(name="PagesSent", unit=MetricUnit.Count, value=result.pages_sent)
        if result.delivery_failures:
            metrics.add_metric(
                name="PageDeliveryFailures", unit=MetricUnit.Count, value=result.delivery_failures
            )
        if result.action == "grouped":  # an alert that joined a group instead of paging on its own
            metrics.add_metric(name="AlertsGrouped", unit=MetricUnit.Count, value=1)
        return result.as_dict()


@cache
def runtime() -> Runtime:
    return Runtime()


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    current = runtime()
    current.config.register_lambda_context(context)
    if event == SWEEP:
        return _sweep(current, context)
    if _from_paging_events(event, current):  # issue 17: calls' outcomes and replies to texts
        return _paging_events(event, current)
    if isinstance(event, dict) and "Records" in event:
        records = event["Records"]
        if isinstance(records, list) and records:
            inputs = [(f"record {i}", _sns_input(record, current)) for i, record in enumerate(records)]
        else:
            inputs = [("event", lambda: _reject(f"Records is not a list of records: {excerpt(records)}"))]
    elif isinstance(event, dict) and "detail-type" in event:
        inputs = [("event", lambda: _eventbridge_input(event, current))]
    else:
        inputs = [("event", lambda: _reject("neither SNS records nor an EventBridge event"))]

    results, transient = [], []
    for label, build in inputs:
        try:
            built = _read(build)
        except RejectedEvent as rejected:
            logger.warning("rejected event", extra={"input": label, "reason": str(rejected)})
            metrics.add_metric(name="RejectedEvents", unit=MetricUnit.Count, value=1)
            results.append({"action": "rejected", "detail": str(rejected)})
            continue
        try:
            results.append(_run(built, current))
        except Exception as error:  # transient: retried by Lambda, then the dead-letter queue
            logger.exception("input failed; the invocation will be retried", extra={"input": label})
            transient.append(error)
    if transient:
        raise transient[0]
    return {"results": results}


def _sweep(current: Runtime, context: LambdaContext) -> dict[str, Any]:
    """Pages that are due with nothing else to send them (a lost schedule, an outage that outlasted the
    retries) are sent: the safety net under the schedules (AlertRouter.sweep)."""
    result = current.router.sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info("page sweep", extra={**result.as_dict(), "undelivered": result.undelivered})
    # Every sweep says how many pages are overdue, 0 included: the PagesUndelivered alarm reads it.
    metrics.add_metric(name="PagesUndelivered", unit=MetricUnit.Count, value=result.undelivered)
    if result.pages_sent:
        metrics.add_metric(name="PagesSent", unit=MetricUnit.Count, value=result.pages_sent)
        metrics.add_metric(name="PagesSentBySweep", unit=MetricUnit.Count, value=result.pages_sent)
    return {"results": [result.as_dict()]}


def _read(build: Callable[[], Built]) -> Built:
    """The input as a typed model. Reading touches nothing outside, so whatever fails here fails the same
    way on every retry: it is rejected, never raised."""
    try:
        return build()
    except RejectedEvent:
        raise
    except Exception as error:
        raise RejectedEvent(
            f"unreadable input: {type(error).__name__}: {excerpt(str(error), 200)}"
        ) from error


def _run(built: Built, current: Runtime) -> dict[str, Any]:
    if not isinstance(built, tuple):
        result = current.router.record_health(built)
        logger.info("AWS Health event recorded", extra=result.as_dict())
        return {"action": "recorded-health"}
    notification_id, notification = built
    with current.router.policy_prefetched():  # overlaps the idempotency check
        result = current.route_once(notification={"id": notification_id, **notification})
    logger.info("routed", extra={"notification_id": notification_id, **result})
    return result


def _sns_input(record: Any, current: Runtime) -> Callable[[], tuple[str, dict[str, Any]]]:
    def build() -> tuple[str, dict[str, Any]]:
        try:
            parsed = AlarmRecord.model_validate(record)
        except ValidationError as error:
            raise RejectedEvent(f"not an SNS record: {_first_problem(error)}") from error
        sns = parsed.Sns
        message = sns.Message if isinstance(sns.Message, str) else str(sns.Message)
        signal = intake.from_sns_alarm(
            sns.MessageId, sns.TopicArn, message, current.settings.incident_alarm_topic_arn, sns.Subject
        )
        return signal.notification_id, {"type": "signal", "payload": signal.model_dump(mode="json")}

    return build


def _eventbridge_input(event: dict[str, Any], current: Runtime) -> Built:
    try:
        parsed = EventBridgeModel.model_validate(event)
    except ValidationError as error:
        raise RejectedEvent(f"not an EventBridge event: {_first_problem(error)}") from error
    kind = (parsed.source, parsed.detail_type)
    settings = current.settings
    if kind == ALARM_STATE_CHANGE:
        signal = intake.from_eventbridge_alarm(
            parsed.id,
            parsed.region,
            parsed.account,
            parsed.resources,
            parsed.detail,
            settings.incident_alarm_prefix,
        )
    elif kind == HEALTH_EVENT:
        from incident_core.alerts.health import health_fact

        return health_fact(parsed.id, parsed.time, parsed.detail)
    elif parsed.source == settings.event_source and parsed.detail_type == PageDue.detail_type:
        due = _detail(PageDueIn, parsed)
        return f"page-due:{parsed.id}", {"type": "page-due", "payload": due.model_dump(mode="json")}
    elif parsed.source == settings.event_source and parsed.detail_type == DrillRequested.detail_type:
        drill = _detail(DrillRequested, parsed)
        return f"drill:{parsed.id}", {"type": "drill", "payload": drill.model_dump(mode="json")}
    elif parsed.source == settings.event_source and parsed.detail_type == JourneyFailed.detail_type:
        signal = intake.from_journey_failed(_detail(JourneyFailed, parsed))
    elif parsed.source == settings.event_source and parsed.detail_type == JourneyRecovered.detail_type:
        signal = intake.from_journey_recovered(_detail(JourneyRecovered, parsed))
    else:
        raise RejectedEvent(
            f"unknown event: source {excerpt(parsed.source)}, detail-type {excerpt(parsed.detail_type)}"
        )
    return signal.notification_id, {"type": "signal", "payload": signal.model_dump(mode="json")}


def _detail[T: (PageDueIn, JourneyFailed, JourneyRecovered, DrillRequested)](
    model: type[T], parsed: EventBridgeModel
) -> T:
    try:
        return model.model_validate(parsed.detail)
    except ValidationError as error:
        raise RejectedEvent(f"{model.detail_type} {clip(parsed.id, 100)}: {problems(error)}") from error


def _reject(reason: str) -> None:
    raise RejectedEvent(reason)


def _first_problem(error: ValidationError) -> str:
    return problems(error, limit=1)


# ---------------------------------------------------------------------- issue 17: the phone's answers
# The paging events topic carries the SMS and Voice configuration set's events (a call's outcome) and
# two-way replies; each is read by paging/phone_events.py (pure) and acted on by alerts/phone_outcomes.py.
# What cannot be read is rejected (logged, counted), never retried.


def _from_paging_events(event: Any, current: Runtime) -> bool:
    topic = current.settings.paging_events_topic_arn
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(topic and isinstance(records, list) and records) and all(
        isinstance(r, dict) and (r.get("Sns") or {}).get("TopicArn") == topic for r in records
    )


@cache
def _phone_outcomes(current: Runtime) -> Any:
    from incident_core.alerts.phone_outcomes import PhoneOutcomes

    router = current.router
    return PhoneOutcomes(
        router.alerts,
        router.policy,
        lambda: router.pager.slack,
        router.clock,
        on_unanswered=router.call_unanswered,  # the person's plan moves on at once
    )


def _paging_events(event: dict[str, Any], current: Runtime) -> dict[str, Any]:
    from incident_core.paging.phone_events import PhoneEventRejected, parse_phone_event

    results = []
    for record in event["Records"]:
        try:
            parsed = parse_phone_event(record["Sns"].get("Message"))
        except PhoneEventRejected as rejected:
            logger.warning("rejected paging event", extra={"reason": str(rejected)})
            metrics.add_metric(name="RejectedEvents", unit=MetricUnit.Count, value=1)
            results.append({"action": "rejected", "detail": str(rejected)})
            continue
        result = _phone_outcomes(current).handle(parsed)
        logger.info("paging event", extra=result)
        results.append(result)
    return {"results": results}
