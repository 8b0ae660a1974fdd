"""A small bookshop site: the product the demo's and tests' journeys watch, on 127.0.0.1.

Pages:
- GET /books: the catalogue. Its "Book viewing" button is drawn by JavaScript (/static/app.js), so the
  HTML looks the same with or without it: only a browser step sees the button go.
- GET /books/42: a book's page with a plain HTML "Book viewing" button (an HTTP selector check sees it).
- POST /api/viewings {"book": 42, "email": "..."} -> 201 {"status": "confirmed", "id": "v-0001", ...}
- GET /api/viewings/<id> -> 200 the viewing, or 404.

Breaking it, from Python (`shop.remove_button()`) or over HTTP (`POST /_control`, for a bookshop in
another process): remove the button, make the API fail, make a page slow, add latency to every
request (the benchmark), and repair. `python -m stand_ins.bookshop --port 8000` runs one by hand.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CATALOGUE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Books - The Little Bookshop</title></head>
<body>
  <h1>Books</h1>
  <ul id="books">
    <li class="book" data-id="42"><a href="/books/42">The Hitchhiker's Guide to the Galaxy</a></li>
    <li class="book" data-id="7"><a href="/books/7">Brighton Rock</a></li>
  </ul>
  <section id="booking" aria-live="polite"></section>
  <script src="/static/app.js"></script>
</body>
</html>
"""

BOOK_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>The Hitchhiker's Guide to the Galaxy</title></head>
<body>
  <h1>The Hitchhiker's Guide to the Galaxy</h1>
  <p>A first edition, signed. Come and see it in the shop.</p>
  {button}
</body>
</html>
"""

STATIC_BUTTON = (
    '<form method="post" action="/api/viewings"><button id="book-viewing">Book viewing</button></form>'
)

# The catalogue's script. When the shop is "broken", the deployed bundle no longer draws the button,
# exactly the incident the team's policy describes ("the button has disappeared").
APP_JS = """
(function () {
  var booking = document.getElementById("booking");
  if (!%(draw_button)s) { return; }
  booking.innerHTML = '<button id="book-viewing" type="button">Book viewing</button>';
  document.getElementById("book-viewing").addEventListener("click", function () {
    booking.innerHTML =
      '<form id="viewing-form"><label>E-mail <input id="email" type="email" required></label>' +
      '<button id="confirm" type="submit">Confirm viewing</button></form>';
    document.getElementById("viewing-form").addEventListener("submit", function (event) {
      event.preventDefault();
      fetch("/api/viewings", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({book: 42, email: document.getElementById("email").value})
      }).then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      }).then(function (answer) {
        booking.innerHTML = answer.ok
          ? '<p id="confirmation">Viewing confirmed: ' + answer.body.id + '</p>'
          : '<p id="booking-error">Sorry, we could not book your viewing.</p>';
      });
    });
  });
})();
"""


@dataclass
class ShopState:
    button: bool = True
    api_status: int | None = None  # None: the API works; else POST /api/viewings answers this
    api_failures_left: int | None = None  # None: fail until repaired; N: only the next N bookings
    slow: dict[str, int] = field(default_factory=dict)  # path -> extra milliseconds
    latency_ms: int = 0  # added to every request (the benchmark's 200 ms)


class Bookshop:
    def __init__(self, port: int = 0) -> None:
        self.state = ShopState()
        # What the deployed release says about the button (a Lambda alias's version in the demo): None is
        # always on. The button shows when both the release and the state (remove_button) have it.
        self.release_has_button: Any = None
        self.viewings: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # Told of each request served but control ones (status, milliseconds): stand_ins/api_metrics.py.
        self.on_request: Callable[[int, float], None] | None = None
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a journey's steps reuse one connection
            disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                began, self.status = time.monotonic(), 0
                shop._handle(self)
                if shop.on_request is not None and not self.path.startswith("/_control"):
                    shop.on_request(self.status, (time.monotonic() - began) * 1000)

            def send_response(self, code: int, message: str | None = None) -> None:
                self.status = code
                super().send_response(code, message)

            do_POST = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the benchmark opens 50 connections at once

        self._server = Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="bookshop")

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Bookshop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ breaking and repairing
    def remove_button(self) -> None:
        """A bad deploy: the "Book viewing" button is gone (from the catalogue's script and the book page)."""
        with self._lock:
            self.state.button = False

    def fail_api(self, status: int = 500, times: int | None = None) -> None:
        """Bookings answer `status`; for the next `times` bookings only (a blip), or until repaired."""
        with self._lock:
            self.state.api_status = status
            self.state.api_failures_left = times

    def slow_page(self, path: str = "/books", ms: int = 3000) -> None:
        with self._lock:
            self.state.slow[path] = ms

    def set_latency(self, ms: int) -> None:
        with self._lock:
            self.state.latency_ms = ms

    def repair(self) -> None:
        with self._lock:
            latency = self.state.latency_ms
            self.state = ShopState(latency_ms=latency)

    def configure(self, changes: dict[str, Any]) -> None:
        """What POST /_control takes: {"button": false, "api_status": 500, "slow": {"/books": 3000},
        "latency_ms": 200}, or {"repair": true}."""
        if changes.get("repair"):
            self.repair()
        with self._lock:
            for key in ("button", "api_status", "api_failures_left", "latency_ms"):
                if key in changes:
                    setattr(self.state, key, changes[key])
            self.state.slow.update({str(k): int(v) for k, v in (changes.get("slow") or {}).items()})

    # ------------------------------------------------------------------ serving
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        with self._lock:
            state = ShopState(**{**asdict(self.state), "slow": dict(self.state.slow)})
            self.requests.append((request.command, path))
        if path.startswith("/_control"):
            self._control(request, path, body)
            return
        delay_ms = state.latency_ms + state.slow.get(path, 0)
        if delay_ms:
            time.sleep(delay_ms / 1000)
        if request.command == "GET" and path in ("/", "/books"):
            self._send(request, 200, CATALOGUE, "text/html; charset=utf-8")
        elif request.command == "GET" and path == "/static/app.js":
            drawn = state.button and (self.release_has_button is None or self.release_has_button())
            script = APP_JS % {"draw_button": "true" if drawn else "false"}
            self._send(request, 200, script, "application/javascript")
        elif request.command == "GET" and path == "/books/42":
            drawn = state.button and (self.release_has_button is None or self.release_has_button())
            page = BOOK_PAGE.format(button=STATIC_BUTTON if drawn else "")
            self._send(request, 200, page, "text/html; charset=utf-8")
        elif request.command == "POST" and path == "/api/viewings":
            self._book(request, body, state)
        elif request.command == "GET" and path.startswith("/api/viewings/"):
            with self._lock:
                viewing = self.viewings.get(path.rsplit("/", 1)[1])
            if viewing is None:
                self._json(request, 404, {"error": "no such viewing"})
            else:
                self._json(request, 200, viewing)
        else:
            self._send(request, 404, "<!doctype html><h1>Not found</h1>", "text/html; charset=utf-8")

    def _book(self, request: BaseHTTPRequestHandler, body: bytes, state: ShopState) -> None:
        if state.api_status is not None and self._take_api_failure():
            self._json(request, state.api_status, {"error": "database unavailable"})
            return
        try:
            order = json.loads(body or b"{}")
            book = int(order["book"])
        except (ValueError, KeyError, TypeError):
            self._json(request, 400, {"error": 'send JSON like {"book": 42}'})
            return
        with self._lock:
            viewing_id = f"v-{next(self._ids):04d}"
            viewing = {"id": viewing_id, "status": "confirmed", "book": book, "email": order.get("email")}
            self.viewings[viewing_id] = viewing
        self._json(request, 201, viewing)

    def _take_api_failure(self) -> bool:
        with self._lock:
            left = self.state.api_failures_left
            if left is None:
                return True
            if left <= 0:
                return False
            self.state.api_failures_left = left - 1
            return True

    def _control(self, request: BaseHTTPRequestHandler, path: str, body: bytes) -> None:
        if request.command == "POST":
            self.configure(json.loads(body or b"{}"))
        with self._lock:
            self._json(request, 200, asdict(self.state))

    def _json(self, request: BaseHTTPRequestHandler, status: int, document: dict[str, Any]) -> None:
        self._send(request, status, json.dumps(document), "application/json")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, text: str, content_type: str) -> None:
        payload = text.encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the demo bookshop on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    args = parser.parse_args()
    shop = Bookshop(args.port)
    shop.set_latency(args.latency_ms)
    shop.start()
    print(f"bookshop at {shop.url}  (break it: POST {shop.url}/_control)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        shop.stop()


if __name__ == "__main__":
    main()
