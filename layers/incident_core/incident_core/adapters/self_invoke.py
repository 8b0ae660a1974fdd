"""Lambda, for the Slack app's lazy work: the function invokes itself asynchronously (InvocationType Event)
with the request, as Bolt's LambdaLazyListenerRunner does.

One object for the whole container: the fast path hands off through it, and Bolt's runner uses it as its
`lambda_client`, so the one boto3 client is made on the first hand-off only (Bolt would make its own).
"""

from __future__ import annotations

import json
from typing import Any


def lambda_client() -> Any:
    """Slack waits 3 seconds for the acknowledgement that follows the hand-off: one attempt with short
    timeouts, where boto3's defaults (60 s, several attempts) would outlast it and a click answered late
    is clicked again. A hand-off that fails is answered 500, and Slack tells the person to try again."""
    import boto3  # deferred: tests point AWS_ENDPOINT_URL at moto before the first client exists
    from botocore.config import Config

    config = Config(
        connect_timeout=1, read_timeout=1.5, retries={"mode": "standard", "total_max_attempts": 1}
    )
    return boto3.client("lambda", config=config)


class SelfInvoker:
    """lambda:InvokeFunction on this container's lambda client, made when first needed."""

    def __init__(self) -> None:
        self.lambda_client: Any = None  # tests put a local Lambda here

    def invoke(self, **request: Any) -> Any:
        """boto3's `invoke`, as Bolt's runner calls it."""
        if self.lambda_client is None:
            self.lambda_client = lambda_client()
        return self.lambda_client.invoke(**request)

    def hand_off(self, function_arn: str, payload: dict[str, Any]) -> None:
        """Run `payload` in a new invocation of `function_arn` (this function, or the alias it was invoked
        through), without waiting for it."""
        self.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload))
