"""Texts and phone calls through AWS End User Messaging SMS and Voice v2 (boto3 `pinpoint-sms-voice-v2`):
`SendTextMessage` (a `TextSender` of paging/delivery.py) and `SendVoiceMessage` (a `Caller`), from the
origination number or pool the stack names (parameter PagingOriginationIdentity).

Why texts go through SendTextMessage rather than SNS's older SMS publishing: the same origination identity,
configuration set and spend limits serve texts and calls; the configuration set's events say what
happened to each message (delivered, failed, call answered...), with the `Context` we attach naming the
page, person and step; two-way replies (`ACK`) come back for the same number; and SNS SMS in a new
account sends from a shared, unnamed identity that in many countries cannot take replies at all.

Errors, as the service documents them: ThrottlingException and InternalServerException are transient
(tried again later: `DeliveryUnavailable`); everything else is a refusal that waiting does not fix
(`DeliveryRefused`, with the service's code and reason): ValidationException (a bad number, a body too
long, VOICE_CAPABILITY_NOT_AVAILABLE...), ResourceNotFoundException (no such number, pool or
configuration set), ConflictException (DESTINATION_PHONE_NUMBER_NOT_VERIFIED in the sandbox, an opted-out
number), ServiceQuotaExceededException (the monthly spend limit reached), AccessDeniedException.
"""

from __future__ import annotations

from typing import Any

from incident_core.adapters.aws import client as default_client

SERVICE = "pinpoint-sms-voice-v2"
VOICE_ID = "AMY"  # Amazon Polly's British English (en-GB) voice
TRANSIENT = frozenset({"ThrottlingException", "InternalServerException"})
TEXT_TTL_SECONDS = 15 * 60  # a page text older than this is news nobody needs; the plan has moved on
CALL_TTL_SECONDS = 5 * 60


class DeliveryRefused(Exception):
    """The service refused the message and will refuse it again: say why, never retry."""

    def __init__(self, code: str, reason: str, message: str) -> None:
        super().__init__(f"{code}{f' ({reason})' if reason else ''}: {message}")
        self.code, self.reason = code, reason


class DeliveryUnavailable(Exception):
    """Throttled, or the service failed: the message was not sent; try again later."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def sms_voice_client(endpoint_url: str | None = None) -> Any:
    """The service's client with short timeouts and one retry of throttling (botocore's standard mode):
    a page must not wait behind a slow answer. `endpoint_url` points it at the local stand-in."""
    if endpoint_url is None:
        return default_client(SERVICE)
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2})
    return boto3.client(SERVICE, endpoint_url=endpoint_url, config=config)


class SmsVoice:
    """`TextSender` and `Caller` over one client, one origination identity and configuration set."""

    def __init__(
        self, origination_identity: str, configuration_set: str | None = None, client: Any | None = None
    ) -> None:
        self.origination_identity = origination_identity
        self.configuration_set = configuration_set
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = sms_voice_client()
        return self._client

    def text(self, person: str, phone: str, message: str, reference: str) -> str:
        """Send a text; return the service's message id."""
        return self._send(
            self.client.send_text_message,
            DestinationPhoneNumber=phone,
            OriginationIdentity=self.origination_identity,
            MessageBody=message,
            MessageType="TRANSACTIONAL",
            TimeToLive=TEXT_TTL_SECONDS,
            Context=_context(person, reference),
        )

    def call(self, person: str, phone: str, ssml: str, reference: str) -> str:
        """Call and say `ssml` with Polly's British voice; return the message id (the call's events
        name it)."""
        return self._send(
            self.client.send_voice_message,
            DestinationPhoneNumber=phone,
            OriginationIdentity=self.origination_identity,
            MessageBody=ssml,
            MessageBodyTextType="SSML",
            VoiceId=VOICE_ID,
            TimeToLive=CALL_TTL_SECONDS,
            Context=_context(person, reference),
        )

    def _send(self, operation: Any, **request: Any) -> str:
        from botocore.exceptions import ClientError, ParamValidationError

        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            return operation(**request)["MessageId"]
        except ParamValidationError as error:  # refused by the client before sending: the same verdict
            raise DeliveryRefused("ValidationException", "FIELD_VALIDATION_FAILED", str(error)) from error
        except ClientError as error:
            details = error.response.get("Error", {})
            code = str(details.get("Code") or "Unknown")
            message = str(details.get("Message") or "")
            if code in TRANSIENT:
                raise DeliveryUnavailable(code, message) from error
            reason = str(error.response.get("Reason") or "")
            raise DeliveryRefused(code, reason, message) from error


def _context(person: str, reference: str) -> dict[str, str]:
    """Logged with every event of the message: how a call's outcome finds its page, person and step."""
    return {"reference": reference[:800], "person": person[:800]}
