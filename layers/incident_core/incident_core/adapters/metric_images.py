"""CloudWatch GetMetricWidgetImage: a metric widget definition in, a PNG out.

The call needs `cloudwatch:GetMetricWidgetImage`, which has no resource-level permissions (its IAM
resource is `*`). Each call draws one graph of at most 100 metrics from a definition of at most 100 KB;
the service allows 20 calls a second.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from incident_core.adapters.aws import client


class MetricImages(Protocol):
    def render(self, widget: dict[str, Any]) -> bytes: ...


class CloudWatchImages:
    def __init__(self, cloudwatch: Any | None = None) -> None:
        self._client = cloudwatch

    def render(self, widget: dict[str, Any]) -> bytes:
        cloudwatch = self._client or client("cloudwatch")
        response = cloudwatch.get_metric_widget_image(MetricWidget=json.dumps(widget), OutputFormat="png")
        return response["MetricWidgetImage"]
