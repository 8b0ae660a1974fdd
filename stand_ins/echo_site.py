"""A hostile site for the secrets tests: it echoes everything it receives back to the runner, in every
form a real site (or a framework's error page) might.

- `/login` (POST form): 401, a JSON body echoing the form, the query and the headers (JSON-escaped, non-ASCII
  as \\uXXXX), and a Set-Cookie holding the password, base64-encoded;
- `/echo`: 404, an HTML page echoing the path, query and headers raw and URL-encoded;
- `/redirect`: 302 to `/landing?token=<the Authorization header, quote_plus-encoded>`, where `/landing`
  answers 500 echoing its query string;
- any request: the response header `X-Echo-Authorization` repeats the Authorization header.
Every request is recorded (`requests`), so a test can check the secret did reach the site.
"""

from __future__ import annotations

import base64
import html
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from stand_ins.local_server import LocalServer


class EchoSite(LocalServer):
    methods = ("GET", "POST")

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.requests: list[dict[str, object]] = []

    @property
    def url(self) -> str:
        return self.origin

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        headers = dict(request.headers.items())
        form = dict(parse_qsl(body))
        self.requests.append({"path": parts.path, "query": parts.query, "headers": headers, "form": form})
        authorization = headers.get("Authorization", "")
        extra = {"X-Echo-Authorization": quote(authorization, safe=" ")}
        if parts.path == "/login":
            secret = form.get("password", "")
            cookie = base64.b64encode(secret.encode()).decode()
            echoed = json.dumps({"form": form, "query": parts.query, "headers": headers})
            self._send(request, 401, "application/json", echoed, {**extra, "Set-Cookie": f"seen={cookie}"})
        elif parts.path == "/redirect":
            self._send(
                request,
                302,
                "text/plain",
                "",
                {**extra, "Location": "/landing?token=" + quote_plus(authorization)},
            )
        elif parts.path == "/landing":
            self._send(request, 500, "text/plain", f"cannot handle token {parts.query}", extra)
        else:
            page = (
                f"<html><body><h1>Not found: {html.escape(request.path)}</h1>"
                f"<p>{quote(parts.query)}</p><pre>{html.escape(repr(headers))}</pre></body></html>"
            )
            self._send(request, 404, "text/html; charset=utf-8", page, extra)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, content_type: str, body: str, headers: dict[str, str]
    ) -> None:
        data = body.encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
