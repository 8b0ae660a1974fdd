"""Answers a CloudFormation custom resource request: a JSON PUT to the request's pre-signed S3 URL.

Powertools has parser models for the request but no helper for the answer, and the `cfnresponse`
module exists only for inline (ZipFile) code; AWS's crhelper would add a dependency for ~20 lines. So
this is the documented response object sent with urllib. The pre-signed URL is signed without a
content type, so the request must send an empty one.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Literal, Protocol

# The response object may be at most 4 KB; CloudFormation shows Reason in the stack events.
MAX_REASON = 1000


class Responder(Protocol):
    def send(self, response_url: str, response: dict[str, Any]) -> None: ...


def response_body(
    request: Any,
    status: Literal["SUCCESS", "FAILED"],
    physical_id: str,
    reason: str = "",
    data: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The response object for a parsed request (Powertools' CloudFormationCustomResource*Model)."""
    body: dict[str, Any] = {
        "Status": status,
        "PhysicalResourceId": physical_id,
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "NoEcho": False,
        "Data": data or {},
    }
    if reason:
        body["Reason"] = reason[:MAX_REASON]
    return body


class UrllibResponder:
    def __init__(self, attempts: int = 3, timeout: float = 10.0, backoff: float = 1.0) -> None:
        self.attempts = attempts
        self.timeout = timeout
        self.backoff = backoff

    def send(self, response_url: str, response: dict[str, Any]) -> None:
        data = json.dumps(response).encode()
        request = urllib.request.Request(
            response_url,
            data=data,
            method="PUT",
            headers={"Content-Type": "", "Content-Length": str(len(data))},
        )
        for attempt in range(1, self.attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                    reply.read()
                return
            except (urllib.error.URLError, TimeoutError):
                # Without an answer the stack waits an hour; a transient S3 error is worth a retry.
                if attempt == self.attempts:
                    raise
                time.sleep(self.backoff * attempt)
