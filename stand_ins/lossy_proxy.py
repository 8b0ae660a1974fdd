"""A 127.0.0.1 HTTP proxy in front of another stand-in (the fake Slack, moto) that loses answers or
whole services, to test what the suite does when the network does that. Never deployed.

Lost answers, queued per API method (the last part of the path, e.g. "chat.postMessage"), one per
request; the request is forwarded and served upstream first (Slack did post the message):
- "reset": the connection is closed without an answer (a connection reset after the post);
- "timeout": the answer comes `delay` seconds late, after the caller's client has given up;
- "5xx": the answer is replaced by HTTP 503 (a load balancer's error after the post);
- "pass": nothing lost (to lose the answer to a later request of the same method).

An outage (`fail_after(n)`, `restore()`): after `n` more requests pass, every request is refused (the
connection closed, nothing forwarded), as an unreachable endpoint would, until restored.
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
_HOP_BY_HOP = ("content-length", "transfer-encoding", "connection", "date", "server", "host")


class LossyProxy(LocalServer):
    methods = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")

    def __init__(self, upstream: str, delay: float = 2.0) -> None:
        """`upstream`: the origin requests go to, their path unchanged (http://127.0.0.1:port)."""
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self._lock = threading.Lock()
        self._losses: dict[str, list[str]] = {}
        self._passes_left: int | None = None
        self.lost: list[tuple[str, str]] = []  # (method, loss) for each answer lost
        self.refused = 0  # requests refused during an outage
        self.served: list[str] = []  # what each forwarded request was (AWS X-Amz-Target, or the path)

    def lose(self, method: str, *losses: str) -> None:
        """The next answers to `method` are lost, one loss per request, in order."""
        unknown = set(losses) - set(LOSSES)
        if unknown:
            raise ValueError(f"unknown losses {sorted(unknown)}: expected {LOSSES}")
        with self._lock:
            self._losses.setdefault(method, []).extend(losses)

    def fail_after(self, requests: int) -> None:
        """Let `requests` more requests through, then refuse every request until restore()."""
        with self._lock:
            self._passes_left = requests

    def restore(self) -> None:
        with self._lock:
            self._passes_left = None

    def _admit(self) -> bool:
        with self._lock:
            if self._passes_left is None:
                return True
            if self._passes_left > 0:
                self._passes_left -= 1
                return True
            self.refused += 1
            return False

    def _next_loss(self, method: str) -> str | None:
        with self._lock:
            queued = self._losses.get(method) or []
            return queued.pop(0) if queued else None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        if not self._admit():
            _drop(request)
            return
        self.served.append(request.headers.get("X-Amz-Target") or f"{request.command} {request.path}")
        forwarded = urllib.request.Request(
            self.upstream + request.path,
            data=body if request.command in ("POST", "PUT", "PATCH") else None,
            method=request.command,
            headers={k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP},
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as answer:
                status, headers, payload = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, dict(error.headers), error.read()
        loss = self._next_loss(request.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
        if loss not in (None, "pass"):
            self.lost.append((request.path.rsplit("/", 1)[-1], loss))
        if loss == "reset":
            _drop(request)
            return
        if loss == "timeout":
            time.sleep(self.delay)
        if loss == "5xx":
            status, headers, payload = 503, {"Content-Type": "text/plain"}, b"service unavailable"
        request.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)


def _drop(request: BaseHTTPRequestHandler) -> None:
    """Close the connection without an answer."""
    request.close_connection = True
    request.connection.shutdown(socket.SHUT_RDWR)
