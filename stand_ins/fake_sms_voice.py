"""A strict local stand-in for AWS End User Messaging SMS and Voice v2 (`pinpoint-sms-voice-v2`), speaking
its JSON protocol (awsJson1_0: POST /, `X-Amz-Target: PinpointSMSVoiceV2.<Operation>`) so that boto3
talks to it through `endpoint_url`.

It refuses what the service documents refusing, with the service's exception names and reasons:
- every field against the service model botocore ships (required, length, pattern, enum, ranges),
  and more: destination numbers must be E.164 (`+`, at most 15 digits); a text body at most 1600
  characters; a voice body at most 3000 characters of TEXT or 6000 of SSML (tags included), SSML being
  well-formed XML under `<speak>`; Context at most 5 entries, values without surrounding spaces;
- an origination identity (number, number id or ARN, pool id or ARN) or configuration set that does not
  exist: ResourceNotFoundException; a voice message from an identity without VOICE:
  ValidationException VOICE_CAPABILITY_NOT_AVAILABLE; a text from one without SMS: ConflictException
  NUMBER_CAPABILITIES_MISMATCH;
- in the sandbox, a destination that is not verified: ConflictException
  DESTINATION_PHONE_NUMBER_NOT_VERIFIED; a spent monthly limit: ServiceQuotaExceededException;
- `throttle(n)`: the next n sends answer ThrottlingException.

It records every text and call, decides how each call ends (`answer_calls`: answered, busy, no answer,
failed), and keeps the configuration set's events as its event destination would get them (the
documented event fields: eventType, eventVersion, eventTimestamp, isFinal, origination/destination
numbers, messageId, messageStatus, context, ...); `sns_event()` wraps them as SNS delivers them to Lambda.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler
from typing import Any

from stand_ins.local_server import LocalServer

TARGET_PREFIX = "PinpointSMSVoiceV2."
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
TEXT_BODY_LIMIT = 1600
VOICE_TEXT_LIMIT = 3000
VOICE_SSML_LIMIT = 6000
REGION, ACCOUNT = "eu-west-2", "123456789012"
ARN_PREFIX = f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:"


class CallOutcome(StrEnum):
    ANSWERED = "VOICE_ANSWERED"
    BUSY = "VOICE_BUSY"
    NO_ANSWER = "VOICE_NO_ANSWER"
    FAILED = "VOICE_FAILED"


class ServiceError(Exception):
    def __init__(self, kind: str, message: str, status: int = 400, **members: Any) -> None:
        super().__init__(message)
        self.kind, self.message, self.status, self.members = kind, message, status, members


@dataclass
class Sent:
    kind: str  # "text" or "call"
    message_id: str
    origination: str  # the number it went from
    destination: str
    body: str
    request: dict[str, Any]
    outcome: CallOutcome | None = None


@dataclass
class SmsVoiceState:
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)  # phone number id -> information
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)  # pool id -> information + numbers
    configuration_sets: set[str] = field(default_factory=set)
    sandbox: bool = True
    verified: set[str] = field(default_factory=set)
    spent: set[str] = field(default_factory=set)  # "TEXT" / "VOICE": the monthly limit is reached
    spend_limits: dict[str, int] = field(default_factory=lambda: {"TEXT": 1, "VOICE": 1})
    sent: list[Sent] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[CallOutcome] = field(default_factory=list)  # how the next calls end, in order
    default_outcome: CallOutcome = CallOutcome.ANSWERED
    throttled: int = 0
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class FakeSmsVoice(LocalServer):
    methods = ("POST",)

    def __init__(self, port: int = 0, clock: Callable[[], datetime] | None = None) -> None:
        """`clock`: when events happen (a rehearsal's own time); the real time unless given."""
        self._lock = threading.Lock()
        self._clock = clock
        self.reset()
        super().__init__(port)

    @property
    def url(self) -> str:
        return self.origin

    # ------------------------------------------------------------------ test controls
    def reset(self) -> None:
        with self._lock:
            self.state = SmsVoiceState()

    def add_phone_number(
        self,
        number: str,
        capabilities: tuple[str, ...] = ("SMS", "VOICE"),
        two_way: bool = False,
        iso_country: str = "GB",
        number_type: str = "LONG_CODE",
        monthly_price: str = "1.00",
    ) -> dict[str, Any]:
        number_id = f"phone-{uuid.uuid4().hex}"
        info = {
            "PhoneNumberArn": f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:phone-number/{number_id}",
            "PhoneNumberId": number_id,
            "PhoneNumber": number,
            "Status": "ACTIVE",
            "IsoCountryCode": iso_country,
            "MessageType": "TRANSACTIONAL",
            "NumberCapabilities": list(capabilities),
            "NumberType": number_type,
            "MonthlyLeasingPrice": monthly_price,
            "TwoWayEnabled": two_way,
            "SelfManagedOptOutsEnabled": False,
            "OptOutListName": "Default",
            "DeletionProtectionEnabled": False,
            "CreatedTimestamp": time.time(),
        }
        with self._lock:
            self.state.numbers[number_id] = info
        return dict(info)

    def add_pool(self, numbers: list[dict[str, Any]], two_way: bool = False) -> dict[str, Any]:
        pool_id = f"pool-{uuid.uuid4().hex}"
        info = {
            "PoolArn": f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:pool/{pool_id}",
            "PoolId": pool_id,
            "Status": "ACTIVE",
            "MessageType": "TRANSACTIONAL",
            "TwoWayEnabled": two_way,
            "SelfManagedOptOutsEnabled": False,
            "OptOutListName": "Default",
            "SharedRoutesEnabled": False,
            "DeletionProtectionEnabled": False,
            "CreatedTimestamp": time.time(),
        }
        with self._lock:
            self.state.pools[pool_id] = {**info, "numbers": [n["PhoneNumberId"] for n in numbers]}
        return info

    def add_configuration_set(self, name: str) -> None:
        with self._lock:
            self.state.configuration_sets.add(name)

    def leave_sandbox(self) -> None:
        with self._lock:
            self.state.sandbox = False

    def verify_destination(self, number: str) -> None:
        with self._lock:
            self.state.verified.add(number)

    def reach_spend_limit(self, kind: str) -> None:
        """`kind` TEXT or VOICE: this month's limit is spent."""
        with self._lock:
            self.state.spent.add(kind)

    def answer_calls(self, *outcomes: CallOutcome, otherwise: CallOutcome | None = None) -> None:
        """How the next calls end, in order; then `otherwise` (answered unless said)."""
        with self._lock:
            self.state.outcomes.extend(outcomes)
            if otherwise is not None:
                self.state.default_outcome = otherwise

    def throttle(self, requests: int) -> None:
        with self._lock:
            self.state.throttled += requests

    def texts(self) -> list[Sent]:
        with self._lock:
            return [s for s in self.state.sent if s.kind == "text"]

    def calls(self) -> list[Sent]:
        with self._lock:
            return [s for s in self.state.sent if s.kind == "call"]

    def sent(self) -> list[Sent]:
        """Every text and call, in the order they were sent."""
        with self._lock:
            return list(self.state.sent)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.state.events]

    def sns_event(self, events: list[dict[str, Any]], topic_arn: str) -> dict[str, Any]:
        """The events as SNS delivers them to a subscribed Lambda function (one record each)."""
        records = []
        for event in events:
            records.append(
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": str(uuid.uuid4()),
                        "TopicArn": topic_arn,
                        "Subject": None,
                        "Message": json.dumps(event),
                        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                        "SignatureVersion": "1",
                        "Signature": "EXAMPLE",
                        "SigningCertUrl": "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-0.pem",
                        "UnsubscribeUrl": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
                        "MessageAttributes": {},
                    },
                }
            )
        return {"Records": records}

    # ------------------------------------------------------------------ the protocol
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        target = request.headers.get("X-Amz-Target", "")
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        try:
            if not target.startswith(TARGET_PREFIX):
                raise ServiceError("UnknownOperationException", f"unknown target {target!r}")
            if not request.headers.get("Content-Type", "").startswith("application/x-amz-json-1.0"):
                raise ServiceError("ValidationException", "Content-Type must be application/x-amz-json-1.0")
            try:
                body = json.loads(raw or b"{}")
            except ValueError as error:
                raise ServiceError("SerializationException", "the body is not JSON") from error
            if not isinstance(body, dict):
                raise ServiceError("SerializationException", "the body is not a JSON object")
            operation = target.removeprefix(TARGET_PREFIX)
            handler = getattr(self, f"_op_{operation}", None)
            if handler is None:
                raise ServiceError("UnknownOperationException", f"{operation} is not served by this stand-in")
            with self._lock:
                self.state.requests.append((operation, body))
                _check_model(operation, body)
                answer = handler(body)
            self._reply(request, 200, answer)
        except ServiceError as error:
            payload = {"__type": error.kind, "message": error.message, **error.members}
            self._reply(request, error.status, payload, error.kind)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict, error: str | None = None) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/x-amz-json-1.0")
        request.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error:
            request.send_header("x-amzn-ErrorType", error)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    # ------------------------------------------------------------------ operations (under the lock)
    def _op_SendTextMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        self._throttle()
        destination = _destination(body)
        number = self._origination(body, "SMS")
        self._configuration_set(body)
        self._sandbox_and_spend(destination, "TEXT")
        text = body.get("MessageBody") or ""
        if not text.strip():
            raise _invalid("MessageBody", "A text needs a body.", "MISSING_PARAMETER")
        if len(text) > TEXT_BODY_LIMIT:
            raise _invalid("MessageBody", f"At most {TEXT_BODY_LIMIT} characters.", "MAXIMUM_SIZE_EXCEEDED")
        sent = self._record("text", number, destination, text, body)
        self._event(sent, "TEXT_SUCCESSFUL", "SUCCESSFUL", "Message has been accepted by phone carrier")
        return {"MessageId": sent.message_id}

    def _op_SendVoiceMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        self._throttle()
        destination = _destination(body)
        number = self._origination(body, "VOICE")
        self._configuration_set(body)
        self._sandbox_and_spend(destination, "VOICE")
        text = body.get("MessageBody") or ""
        kind = body.get("MessageBodyTextType", "TEXT")
        limit = VOICE_SSML_LIMIT if kind == "SSML" else VOICE_TEXT_LIMIT
        if not text.strip():
            raise _invalid("MessageBody", "A voice message needs a body.", "MISSING_PARAMETER")
        if len(text) > limit:
            raise _invalid("MessageBody", f"At most {limit} characters of {kind}.", "MAXIMUM_SIZE_EXCEEDED")
        if kind == "SSML":
            try:
                root = ElementTree.fromstring(text)
            except ElementTree.ParseError as error:
                raise _invalid(
                    "MessageBody", f"SSML is not well-formed XML: {error}", "INVALID_PARAMETER"
                ) from error
            if root.tag != "speak":
                raise _invalid("MessageBody", "SSML must be enclosed in <speak>.", "INVALID_PARAMETER")
        sent = self._record("call", number, destination, text, body)
        outcome = self.state.outcomes.pop(0) if self.state.outcomes else self.state.default_outcome
        sent.outcome = outcome
        self._event(sent, "VOICE_INITIATED", "INITIATED", "The call was initiated", final=False)
        self._event(sent, "VOICE_RINGING", "RINGING", "The call is ringing", final=False)
        if outcome is CallOutcome.ANSWERED:
            self._event(sent, "VOICE_ANSWERED", "ANSWERED", "The call was answered", final=False)
            self._event(sent, "VOICE_COMPLETED", "COMPLETED", "The message was played")
        else:
            status = outcome.value.removeprefix("VOICE_")
            self._event(sent, outcome.value, status, f"The call ended: {status.lower().replace('_', ' ')}")
        return {"MessageId": sent.message_id}

    def _op_DescribePhoneNumbers(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("PhoneNumberIds")
        found = []
        for number_id in wanted or list(self.state.numbers):
            number = self._number(number_id)
            if number is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"No phone number {number_id}",
                    ResourceType="phone-number", ResourceId=number_id,
                )  # fmt: skip
            found.append(number)
        return {"PhoneNumbers": found}

    def _op_DescribePools(self, body: dict[str, Any]) -> dict[str, Any]:
        found = []
        for pool_id in body.get("PoolIds") or list(self.state.pools):
            pool = self._pool(pool_id)
            if pool is None:
                raise ServiceError(
                    "ResourceNotFoundException", f"No pool {pool_id}", ResourceType="pool", ResourceId=pool_id
                )
            found.append({k: v for k, v in pool.items() if k != "numbers"})
        return {"Pools": found}

    def _op_ListPoolOriginationIdentities(self, body: dict[str, Any]) -> dict[str, Any]:
        pool = self._pool(body.get("PoolId", ""))
        if pool is None:
            raise ServiceError(
                "ResourceNotFoundException",
                "No such pool",
                ResourceType="pool",
                ResourceId=body.get("PoolId"),
            )
        identities = [
            {
                "OriginationIdentityArn": self.state.numbers[n]["PhoneNumberArn"],
                "OriginationIdentity": n,
                "IsoCountryCode": self.state.numbers[n]["IsoCountryCode"],
                "NumberCapabilities": self.state.numbers[n]["NumberCapabilities"],
                "PhoneNumber": self.state.numbers[n]["PhoneNumber"],
            }
            for n in pool["numbers"]
        ]
        return {"PoolArn": pool["PoolArn"], "PoolId": pool["PoolId"], "OriginationIdentities": identities}

    def _op_DescribeAccountAttributes(self, body: dict[str, Any]) -> dict[str, Any]:
        tier = "BASIC" if self.state.sandbox else "PRODUCTION"
        return {"AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": tier}]}

    def _op_DescribeSpendLimits(self, body: dict[str, Any]) -> dict[str, Any]:
        limits = []
        for kind, name in (
            ("TEXT", "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT"),
            ("VOICE", "VOICE_MESSAGE_MONTHLY_SPEND_LIMIT"),
        ):
            value = self.state.spend_limits[kind]
            limits.append({"Name": name, "EnforcedLimit": value, "MaxLimit": value, "Overridden": False})
        return {"SpendLimits": limits}

    def _op_DescribeVerifiedDestinationNumbers(self, body: dict[str, Any]) -> dict[str, Any]:
        numbers = [
            {
                "VerifiedDestinationNumberArn": f"{ARN_PREFIX}verified-destination-number/v-{i}",
                "VerifiedDestinationNumberId": f"v-{i}",
                "DestinationPhoneNumber": number,
                "Status": "VERIFIED",
                "CreatedTimestamp": time.time(),
            }
            for i, number in enumerate(sorted(self.state.verified))
        ]
        wanted = body.get("DestinationPhoneNumbers")
        if wanted:
            numbers = [n for n in numbers if n["DestinationPhoneNumber"] in wanted]
        return {"VerifiedDestinationNumbers": numbers}

    # ------------------------------------------------------------------ checks
    def _throttle(self) -> None:
        if self.state.throttled > 0:
            self.state.throttled -= 1
            raise ServiceError("ThrottlingException", "Rate exceeded")

    def _number(self, identity: str) -> dict[str, Any] | None:
        for number in self.state.numbers.values():
            if identity in (number["PhoneNumberId"], number["PhoneNumberArn"], number["PhoneNumber"]):
                return number
        return None

    def _pool(self, identity: str) -> dict[str, Any] | None:
        for pool in self.state.pools.values():
            if identity in (pool["PoolId"], pool["PoolArn"]):
                return pool
        return None

    def _origination(self, body: dict[str, Any], capability: str) -> dict[str, Any]:
        identity = body.get("OriginationIdentity") or ""
        number = self._number(identity)
        if number is None:
            pool = self._pool(identity)
            if pool is None:
                kind = (
                    "pool"
                    if identity.startswith(("pool-", "arn:aws:sms-voice")) and "pool" in identity
                    else "phone-number"
                )
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Origination identity {identity} not found",
                    ResourceType=kind,
                    ResourceId=identity,
                )
            capable = [
                n for n in pool["numbers"] if capability in self.state.numbers[n]["NumberCapabilities"]
            ]
            number = self.state.numbers[capable[0]] if capable else self.state.numbers[pool["numbers"][0]]
        if capability not in number["NumberCapabilities"]:
            if capability == "VOICE":
                raise _invalid(
                    "OriginationIdentity",
                    "The origination identity cannot make calls.",
                    "VOICE_CAPABILITY_NOT_AVAILABLE",
                )
            raise ServiceError(
                "ConflictException",
                "The origination identity cannot send text messages.",
                Reason="NUMBER_CAPABILITIES_MISMATCH",
                ResourceType="phone-number",
                ResourceId=number["PhoneNumberId"],
            )
        return number

    def _configuration_set(self, body: dict[str, Any]) -> None:
        name = body.get("ConfigurationSetName")
        if name is not None and name.rsplit("/", 1)[-1] not in self.state.configuration_sets:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Configuration set {name} not found",
                ResourceType="configuration-set",
                ResourceId=name,
            )

    def _sandbox_and_spend(self, destination: str, kind: str) -> None:
        if self.state.sandbox and destination not in self.state.verified:
            raise ServiceError(
                "ConflictException",
                "In the sandbox, messages go only to verified destination numbers.",
                Reason="DESTINATION_PHONE_NUMBER_NOT_VERIFIED",
                ResourceType="verified-destination-number",
                ResourceId=destination,
            )
        if kind in self.state.spent:
            raise ServiceError(
                "ServiceQuotaExceededException",
                "The monthly spend limit has been reached.",
                Reason=f"MONTHLY_SPEND_LIMIT_REACHED_FOR_{kind}",
            )

    def _record(
        self, kind: str, number: dict[str, Any], destination: str, body_text: str, body: dict
    ) -> Sent:
        sent = Sent(kind, str(uuid.uuid4()), number["PhoneNumber"], destination, body_text, dict(body))
        self.state.sent.append(sent)
        return sent

    def _event(self, sent: Sent, event_type: str, status: str, description: str, final: bool = True) -> None:
        now_ms = int((self._clock().timestamp() if self._clock else time.time()) * 1000)
        event = {
            "eventType": event_type,
            "eventVersion": "1.0",
            "eventTimestamp": now_ms,
            "isFinal": final,
            "originationPhoneNumber": sent.origination,
            "destinationPhoneNumber": sent.destination,
            "isoCountryCode": "GB",
            "messageId": sent.message_id,
            "messageRequestTimestamp": now_ms,
            "messageStatus": status,
            "messageStatusDescription": description,
            "context": dict(sent.request.get("Context") or {}),
        }
        if sent.kind == "text":
            event |= {"messageEncoding": "GSM", "messageType": "TRANSACTIONAL", "totalMessageParts": 1}
        self.state.events.append(event)


def _destination(body: dict[str, Any]) -> str:
    number = body.get("DestinationPhoneNumber") or ""
    if not E164.match(number):
        raise _invalid(
            "DestinationPhoneNumber", f"{number!r} is not an E.164 phone number.", "INVALID_PARAMETER"
        )
    return number


def _invalid(name: str, message: str, reason: str) -> ServiceError:
    return ServiceError(
        "ValidationException", message, Reason=reason, Fields=[{"Name": name, "Message": message}]
    )


def _check_model(operation: str, body: dict[str, Any]) -> None:
    """The request against the service model botocore ships: what the real service validates first."""
    model = _model().operation_model(operation).input_shape
    for name in model.required_members:
        if name not in body:
            raise _invalid(name, f"{name} is required.", "MISSING_PARAMETER")
    for name, value in body.items():
        shape = model.members.get(name)
        if shape is None:
            raise _invalid(name, f"{name} is not a parameter of {operation}.", "INVALID_PARAMETER")
        _check_value(name, shape, value)


def _check_value(name: str, shape: Any, value: Any) -> None:
    metadata = shape.metadata
    if shape.type_name == "string":
        if not isinstance(value, str):
            raise _invalid(name, f"{name} must be a string.", "INVALID_PARAMETER")
        if ("min" in metadata and len(value) < metadata["min"]) or (
            "max" in metadata and len(value) > metadata["max"]
        ):
            raise _invalid(name, f"{name} has {len(value)} characters.", "INVALID_PARAMETER")
        if "pattern" in metadata and not re.fullmatch(metadata["pattern"], value):
            raise _invalid(name, f"{name} does not match {metadata['pattern']}.", "INVALID_PARAMETER")
        if shape.enum and value not in shape.enum:
            raise _invalid(name, f"{name} must be one of {', '.join(shape.enum)}.", "INVALID_PARAMETER")
    elif shape.type_name == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid(name, f"{name} must be an integer.", "INVALID_PARAMETER")
        if ("min" in metadata and value < metadata["min"]) or ("max" in metadata and value > metadata["max"]):
            raise _invalid(name, f"{name} is out of range.", "INVALID_PARAMETER")
    elif shape.type_name == "map":
        if not isinstance(value, dict) or len(value) > metadata.get("max", len(value)):
            raise _invalid(name, f"{name} has too many entries.", "INVALID_PARAMETER")
        for key, item in value.items():
            _check_value(name, shape.key, key)
            _check_value(name, shape.value, item)
    elif shape.type_name == "list":
        if not isinstance(value, list) or len(value) > metadata.get("max", len(value)):
            raise _invalid(
                name, f"{name} must be a list of at most {metadata.get('max')}.", "INVALID_PARAMETER"
            )
        for item in value:
            _check_value(name, shape.member, item)
    elif shape.type_name == "boolean" and not isinstance(value, bool):
        raise _invalid(name, f"{name} must be true or false.", "INVALID_PARAMETER")


_MODEL: Any = None


def _model() -> Any:
    global _MODEL
    if _MODEL is None:
        import botocore.session

        _MODEL = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
    return _MODEL
