"""A 127.0.0.1 HTTP proxy in front of another stand-in (the fake Slack) that loses answers: the request is
forwarded and served upstream (Slack did post the message), then the caller gets no usable answer.

Losses are queued per API method (the last part of the path, e.g. "chat.postMessage"), one per request:
- "reset": the connection is closed without an answer (a connection reset after the post);
- "timeout": the answer comes `delay` seconds late, after the caller's client has given up;
- "5xx": the answer is replaced by HTTP 503 (a load balancer's error after the post);
- "pass": nothing lost (to lose the answer to a later request of the same method).
Requests without a queued loss pass through unchanged. Never deployed.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

from stand_ins.local_server import LocalServer

LOSSES = ("reset", "timeout", "5xx", "pass")


class LossyProxy(LocalServer):
    def __init__(self, upstream: str, delay: float = 2.0) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self._lock = threading.Lock()
        self._losses: dict[str, list[str]] = {}
        self.lost: list[tuple[str, str]] = []  # (method, loss) for each answer lost

    @property
    def url(self) -> str:
        return self.origin + "/api/"

    def lose(self, method: str, *losses: str) -> None:
        """The next answers to `method` are lost, one loss per request, in order."""
        unknown = set(losses) - set(LOSSES)
        if unknown:
            raise ValueError(f"unknown losses {sorted(unknown)}: expected {LOSSES}")
        with self._lock:
            self._losses.setdefault(method, []).extend(losses)

    def _next_loss(self, method: str) -> str | None:
        with self._lock:
            queued = self._losses.get(method) or []
            return queued.pop(0) if queued else None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        method = request.path.rstrip("/").rsplit("/", 1)[-1]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        forwarded = urllib.request.Request(
            self.upstream + "/" + request.path.split("/api/", 1)[-1],
            data=body if request.command == "POST" else None,
            method=request.command,
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=10) as answer:
                status, headers, payload = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, dict(error.headers), error.read()
        loss = self._next_loss(method)
        if loss not in (None, "pass"):
            self.lost.append((method, loss))
        if loss == "reset":
            request.close_connection = True
            request.connection.shutdown(socket.SHUT_RDWR)
            return
        if loss == "timeout":
            time.sleep(self.delay)
        if loss == "5xx":
            status, headers, payload = 503, {"Content-Type": "text/plain"}, b"service unavailable"
        request.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
