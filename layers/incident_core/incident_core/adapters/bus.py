"""The suite's EventBridge bus: how functions tell each other what happened."""

from __future__ import annotations

from typing import Any, Protocol

from incident_core.adapters.aws import client
from incident_core.events import SuiteEvent


class EventBus(Protocol):
    def put(self, *events: SuiteEvent) -> None: ...


class EventBridgeBus:
    def __init__(self, bus_name: str, source: str, events_client: Any | None = None) -> None:
        self.bus_name = bus_name
        self.source = source
        self._client = events_client

    def put(self, *events: SuiteEvent) -> None:
        if not events:
            return
        events_client = self._client or client("events")
        entries = [
            {
                "EventBusName": self.bus_name,
                "Source": self.source,
                "DetailType": event.detail_type,
                "Detail": event.model_dump_json(),
            }
            for event in events
        ]
        for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
            response = events_client.put_events(Entries=entries[start : start + 10])
            if response.get("FailedEntryCount"):
                failed = [e for e in response["Entries"] if e.get("ErrorCode")]
                # Raising makes the invocation fail and be retried: an event is never silently lost.
                raise RuntimeError(f"EventBridge refused {len(failed)} event(s): {failed}")


class RecordingBus:
    """In-memory bus for pure domain tests and the demo's driver."""

    def __init__(self) -> None:
        self.events: list[SuiteEvent] = []

    def put(self, *events: SuiteEvent) -> None:
        self.events.extend(events)
