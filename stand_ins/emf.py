"""What CloudWatch does with a Lambda function's EMF log records, locally: each record's metrics become
datapoints (PutMetricData into moto), so GetMetricData and the pictures of an incident window see what
the functions published.

In AWS the datapoint's time is the record's `_aws.Timestamp`; Powertools stamps it with the machine's
clock, which the demo's rehearsal (its own clock, minutes passing in seconds) cannot move. The local
datapoint is stamped with the suite's clock (`incident_core.clock.utc_now`), which the rehearsal drives.
The datapoints are written after the handler returns, by the stand-in, not by the function: the function
itself never calls PutMetricData (and its role does not allow it).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any

MAX_DATA_PER_CALL = 1000  # PutMetricData takes at most 1,000 datapoints a call


class _Tee(io.TextIOBase):
    """Passes everything on to the real stdout and keeps the EMF records seen."""

    def __init__(self, through: Any) -> None:
        self.through = through
        self.pending = ""
        self.records: list[dict[str, Any]] = []

    def write(self, text: str) -> int:
        self.through.write(text)
        self.pending += text
        while "\n" in self.pending:
            line, _, self.pending = self.pending.partition("\n")
            self._keep(line)
        return len(text)

    def flush(self) -> None:
        if not self.through.closed:  # the stdout it wraps may be gone (a test's capture) when it is freed
            self.through.flush()

    def _keep(self, line: str) -> None:
        if '"_aws"' not in line:
            return
        try:
            record = json.loads(line)
        except ValueError:
            return
        if isinstance(record, dict) and isinstance(record.get("_aws"), dict):
            self.records.append(record)


def datapoints(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(namespace, MetricDatum without Timestamp) for each metric an EMF record declares."""
    found = []
    for directive in record["_aws"].get("CloudWatchMetrics") or []:
        dimension_sets = directive.get("Dimensions") or [[]]
        for names in dimension_sets:
            dimensions = [{"Name": name, "Value": str(record[name])} for name in names if name in record]
            for declared in directive.get("Metrics") or []:
                values = record.get(declared["Name"])
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, int | float):
                        datum = {
                            "MetricName": declared["Name"],
                            "Dimensions": dimensions,
                            "Value": float(value),
                        }
                        if declared.get("Unit"):
                            datum["Unit"] = declared["Unit"]
                        found.append((directive["Namespace"], datum))
    return found


@contextmanager
def metrics_from_logs() -> Iterator[None]:
    """Around a handler's invocation: its EMF records, once it returns, as datapoints in moto."""
    from incident_core.adapters.aws import client
    from incident_core.clock import utc_now

    tee = _Tee(sys.stdout)
    try:
        with redirect_stdout(tee):
            yield
    finally:
        at = utc_now()
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for record in tee.records:
            for namespace, datum in datapoints(record):
                by_namespace.setdefault(namespace, []).append({**datum, "Timestamp": at})
        for namespace, data in by_namespace.items():
            for start in range(0, len(data), MAX_DATA_PER_CALL):
                client("cloudwatch").put_metric_data(
                    Namespace=namespace, MetricData=data[start : start + MAX_DATA_PER_CALL]
                )
