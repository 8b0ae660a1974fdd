"""The metrics API Gateway records for an HTTP API, locally: the bookshop stand-in plays the product's
API, and each request it served becomes the datapoints API Gateway would publish for it (AWS/ApiGateway,
dimension ApiId: Count, 4xx, 5xx, Latency in ms), put into moto. The Four Golden Signals dashboard and
the pictures of an incident window then draw what the product really answered.

Datapoints are stamped with the suite's clock (the demo's rehearsal moves it), and written when
`flush()` is called, not from the server's threads.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

NAMESPACE = "AWS/ApiGateway"


class ApiGatewayMetrics:
    def __init__(self, api_id: str) -> None:
        self.api_id = api_id
        self._served: list[tuple[datetime, int, float]] = []
        self._lock = threading.Lock()

    def __call__(self, status: int, milliseconds: float) -> None:
        """One request served (the bookshop calls this)."""
        from incident_core.clock import utc_now

        with self._lock:
            self._served.append((utc_now(), status, milliseconds))

    def flush(self) -> int:
        """Put what was served since the last flush into moto's CloudWatch; how many requests."""
        from incident_core.adapters.aws import client

        with self._lock:
            served, self._served = self._served, []
        dimensions = [{"Name": "ApiId", "Value": self.api_id}]
        data: list[dict[str, Any]] = []
        for at, status, milliseconds in served:
            for name, value in (
                ("Count", 1.0),
                ("4xx", 1.0 if 400 <= status < 500 else 0.0),
                ("5xx", 1.0 if status >= 500 else 0.0),
            ):
                data.append({"MetricName": name, "Dimensions": dimensions, "Timestamp": at, "Value": value})
            data.append(
                {
                    "MetricName": "Latency",
                    "Dimensions": dimensions,
                    "Timestamp": at,
                    "Value": milliseconds,
                    "Unit": "Milliseconds",
                }
            )
        for start in range(0, len(data), 1000):  # PutMetricData: at most 1,000 datapoints a call
            client("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + 1000])
        return len(served)
