"""Lambda, for the Slack app's lazy work: the function invokes itself asynchronously (InvocationType Event)
with the request, as Bolt's LambdaLazyListenerRunner does.

One object for the whole container: the fast path hands off through it, and Bolt's runner uses it as its
`lambda_client`, so the one boto3 client is made on the first hand-off only (Bolt would make its own).
"""

from __future__ import annotations

import json
from typing import Any

from incident_core.adapters.aws import client


class SelfInvoker:
    """lambda:InvokeFunction on this container's lambda client, made when first needed."""

    def __init__(self) -> None:
        self.lambda_client: Any = None  # tests put a local Lambda here

    def invoke(self, **request: Any) -> Any:
        """boto3's `invoke`, as Bolt's runner calls it."""
        if self.lambda_client is None:
            self.lambda_client = client("lambda")
        return self.lambda_client.invoke(**request)

    def hand_off(self, function_arn: str, payload: dict[str, Any]) -> None:
        """Run `payload` in a new invocation of `function_arn` (this function, or the alias it was invoked
        through), without waiting for it."""
        self.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload))
