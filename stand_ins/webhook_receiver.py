"""A local stand-in for the team's site receiving write-ups: a real HTTP server on 127.0.0.1.

It checks every request the way a real receiver should (incident_core.adapters.publishers.verify_signature:
HMAC-SHA256 of "<timestamp>." + body with the shared secret, timestamp within 5 minutes), answers 401 to
anything unsigned or forged, and 200 with the write-up's URL on the site otherwise. Faults can be injected.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from incident_core.adapters.publishers import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from stand_ins.local_server import LocalServer


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    accepted: bool

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class ReceiverState:
    deliveries: list[Delivery] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)  # HTTP statuses to answer next, in order


class WebhookReceiver(LocalServer):
    methods = ("POST",)

    SITE = "https://upmo.dev/incidents/"

    def __init__(self, secret: str, port: int = 0) -> None:
        self.secret = secret
        self.state = ReceiverState()
        self._lock = threading.Lock()
        super().__init__(port)

    @property
    def url(self) -> str:
        return f"{self.origin}/write-ups"

    def reset(self) -> None:
        with self._lock:
            self.state = ReceiverState()

    def inject(self, *statuses: int) -> None:
        with self._lock:
            self.state.faults.extend(statuses)

    def deliveries(self, accepted: bool | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self.state.deliveries if accepted is None or d.accepted == accepted]

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        headers = {key: value for key, value in request.headers.items()}
        with self._lock:
            fault = self.state.faults.pop(0) if self.state.faults else None
        accepted = verify_signature(
            self.secret,
            body,
            headers.get(TIMESTAMP_HEADER, ""),
            headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        with self._lock:
            self.state.deliveries.append(Delivery(headers, body, accepted and fault is None))
        if fault is not None:
            self._send(request, fault, {"error": "injected fault"})
        elif not accepted:
            self._send(request, 401, {"error": "bad signature"})
        else:
            incident_id = json.loads(body)["incident_id"]
            self._send(request, 200, {"url": f"{self.SITE}{incident_id}"})

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
