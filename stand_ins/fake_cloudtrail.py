"""A local CloudTrail event history (LookupEvents only), strict as CloudTrail: moto has no LookupEvents.

Speaks CloudTrail's JSON 1.1 protocol (`X-Amz-Target: com.amazonaws.cloudtrail.v20131101.
CloudTrail_20131101.LookupEvents`); point a client at it with AWS_ENDPOINT_URL_CLOUDTRAIL. As the real
service:
- at most one lookup attribute (InvalidLookupAttributesException), its key one of the documented eight,
  ReadOnly only "true" or "false";
- MaxResults 1-50 (InvalidMaxResultsException), default 50; StartTime after EndTime is
  InvalidTimeRangeException; events older than 90 days are not returned;
- NextToken only with the same parameters it was issued for (InvalidNextTokenException);
- newest first; every event's `CloudTrailEvent` is the record as a JSON string;
- 2 requests a second per account and region (ThrottlingException, which botocore retries);
- any other operation is UnknownOperationException.

CloudTrail records the calls made to AWS; here a test (or the demo) records them, after making the real
call in moto, with `record()`: the record's fields are CloudTrail's (eventVersion 1.08), filled from the
call's real request and answer.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from stand_ins.local_server import LocalServer

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
RETENTION = timedelta(days=90)
RATE_PER_SECOND = 2
ACCOUNT = "123456789012"
# Lambda's CloudTrail event names carry the API version of the call.
LAMBDA_EVENT_NAMES = {
    "UpdateAlias": "UpdateAlias20150331",
    "CreateAlias": "CreateAlias20150331",
    "PublishVersion": "PublishVersion20150331",
    "UpdateFunctionCode": "UpdateFunctionCode20150331v2",
    "UpdateFunctionConfiguration": "UpdateFunctionConfiguration20150331v2",
}


class LookupError_(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


class FakeCloudTrail(LocalServer):
    methods = ("POST", "GET")

    def __init__(self, port: int = 0, clock: Any = None, rate_limit: bool = True) -> None:
        super().__init__(port)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rate_limit = rate_limit
        self.events: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.origin

    def reset(self) -> None:
        with self._lock:
            self.events.clear()
            self.requests.clear()

    # ------------------------------------------------------------------ what CloudTrail would record
    def record(
        self,
        source: str,
        name: str,
        request: dict[str, Any],
        response: dict[str, Any] | None,
        *,
        who: str = "alice",
        at: datetime | None = None,
        error_code: str | None = None,
        resources: list[dict[str, str]] | None = None,
        region: str = "eu-west-2",
    ) -> str:
        """A management write event, as CloudTrail records it (returns its id)."""
        at = at or self.clock()
        event_id = str(uuid.uuid4())
        if source == "lambda.amazonaws.com":
            name = LAMBDA_EVENT_NAMES.get(name, name)
        record = {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": f"AROAEXAMPLE:{who}",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/{who}",
                "accountId": ACCOUNT,
            },
            "eventTime": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": "192.0.2.10",
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": request,
            "responseElements": None if error_code else response,
            "requestID": str(uuid.uuid4()),
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        }
        if error_code:
            record["errorCode"] = error_code
            record["errorMessage"] = "the call failed"
        event = {
            "EventId": event_id,
            "EventName": name,
            "ReadOnly": "false",
            "AccessKeyId": "ASIAEXAMPLE",
            "EventTime": at.astimezone(UTC).timestamp(),
            "EventSource": source,
            "Username": who,
            "Resources": resources or [],
            "CloudTrailEvent": json.dumps(record),
        }
        with self._lock:
            self.events.append(event)
        return event_id

    # ------------------------------------------------------------------ the API
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        target = request.headers.get("X-Amz-Target") or ""
        try:
            if request.command != "POST" or not target.startswith(TARGET):
                raise LookupError_("UnknownOperationException", "Unknown operation", 400)
            operation = target[len(TARGET) :]
            if operation != "LookupEvents":
                raise LookupError_("UnknownOperationException", f"{operation} is not served here", 400)
            try:
                params = json.loads(raw or b"{}")
            except ValueError as error:
                raise LookupError_("SerializationException", "the body is not JSON") from error
            self._throttle()
            answer = self.lookup(params if isinstance(params, dict) else {})
            status, body = 200, answer
        except LookupError_ as error:
            status, body = error.status, {"__type": error.code, "message": str(error)}
        with self._lock:
            self.requests.append({"target": target, "status": status})
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/x-amz-json-1.1")
        request.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if status != 200:
            request.send_header("x-amzn-ErrorType", body["__type"])
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _throttle(self) -> None:
        if not self.rate_limit:
            return
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= RATE_PER_SECOND:
                raise LookupError_("ThrottlingException", "Rate exceeded", 400)
            self._recent.append(now)

    def lookup(self, params: dict[str, Any]) -> dict[str, Any]:
        attributes = params.get("LookupAttributes") or []
        if not isinstance(attributes, list) or len(attributes) > 1:
            raise LookupError_(
                "InvalidLookupAttributesException", "You can only specify one lookup attribute per request."
            )
        matcher = _matcher(attributes[0]) if attributes else (lambda event, record: True)
        max_results = params.get("MaxResults", 50)
        if not isinstance(max_results, int) or not 1 <= max_results <= 50:
            raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
        now = self.clock()
        start = _instant(params.get("StartTime"), now - RETENTION)
        end = _instant(params.get("EndTime"), now)
        if start > end:
            raise LookupError_("InvalidTimeRangeException", "StartTime must be before EndTime.")
        if params.get("EventCategory") not in (None, "insight"):
            raise LookupError_("InvalidEventCategoryException", "EventCategory must be insight.")
        fingerprint = json.dumps(
            {k: params.get(k) for k in ("LookupAttributes", "StartTime", "EndTime", "MaxResults")},
            sort_keys=True,
        )
        offset = 0
        if params.get("NextToken") is not None:
            offset = _offset(params["NextToken"], fingerprint)
        with self._lock:
            events = list(self.events)
        oldest = max(start, now - RETENTION)
        chosen = sorted(
            (
                e
                for e in events
                if oldest.timestamp() <= e["EventTime"] <= end.timestamp()
                and matcher(e, json.loads(e["CloudTrailEvent"]))
            ),
            key=lambda e: e["EventTime"],
            reverse=True,
        )
        page = chosen[offset : offset + max_results]
        answer: dict[str, Any] = {"Events": page}
        if offset + max_results < len(chosen):
            token = json.dumps({"offset": offset + max_results, "for": fingerprint})
            answer["NextToken"] = base64.urlsafe_b64encode(token.encode()).decode()
        return answer


def _instant(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    if not isinstance(value, int | float):
        raise LookupError_("SerializationException", "StartTime and EndTime are epoch seconds")
    return datetime.fromtimestamp(value, UTC)


def _offset(token: Any, fingerprint: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if decoded["for"] != fingerprint:
            raise ValueError
        return int(decoded["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise LookupError_(
            "InvalidNextTokenException", "The NextToken is invalid for these lookup parameters."
        ) from error


def _matcher(attribute: Any) -> Any:
    if not isinstance(attribute, dict) or attribute.get("AttributeKey") not in KEYS:
        raise LookupError_("InvalidLookupAttributesException", "The lookup attribute key is not valid.")
    key, value = attribute["AttributeKey"], attribute.get("AttributeValue")
    if not isinstance(value, str) or not value:
        raise LookupError_("InvalidLookupAttributesException", "The lookup attribute value is not valid.")
    if key == "ReadOnly":
        if value not in ("true", "false"):
            raise LookupError_("InvalidLookupAttributesException", "ReadOnly must be true or false.")
        return lambda event, record: event["ReadOnly"] == value
    if key in ("ResourceType", "ResourceName"):
        field = key
        return lambda event, record: any(r.get(field) == value for r in event["Resources"])
    return lambda event, record: event.get(key) == value
