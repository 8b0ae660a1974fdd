"""A hostile site for the secrets tests: it echoes everything it receives back to the runner, in every
form a real site (or a framework's error page) might.

- `/login` (POST form): 401, a JSON body echoing the form, the query and the headers (JSON-escaped, non-ASCII
  as \\uXXXX), and a Set-Cookie holding the password, base64-encoded;
- `/echo`: 404, an HTML page echoing the path, query and headers raw and URL-encoded;
- `/redirect`: 302 to `/landing?token=<the Authorization header, quote_plus-encoded>`, where `/landing`
  answers 500 echoing its query string;
- any request: the response header `X-Echo-Authorization` repeats the Authorization header.

Where other components change a secret before the redactor sees it (docs/journeys.md#secrets-never-leave):
- `/search`: 404, a page quoting the query string as the site received it (Chromium's own escaping);
- `/sign-in`: 302 to `/home?session_token=<the site's session token>`; `/home` answers 500 quoting it;
- `/two-cookies`: 500 with two Set-Cookie headers, `lang=…` then `session=<the site's session cookie>`,
  and a body quoting the session;
- `/quiet-cookie`: 500 with a session cookie, and a body that does not show it;
- `/form-echo` (POST): 500, a body quoting every form value as received (new lines and all);
- `/padded?dots=N`: 500, N dots then the Authorization header's credentials: the secret straddles any
  excerpt's edge;
- `/mirror?s=…&pad=N[&hop=1]`: 500 echoing `s` (or a form's `s`, or the Authorization header's
  credentials) in every encoding a site might use (raw, URL-encoded
  once and twice, form-encoded, HTML entities, JSON, repr, base64), after N dots, and in the headers
  `X-Mirror` and `Set-Cookie: mirror=…`; with `hop=1`, first a 302 to itself carrying `s` in the query.
Every request is recorded (`requests`), so a test can check the secret did reach the site.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, urlencode, urlsplit

from stand_ins.local_server import LocalServer


class EchoSite(LocalServer):
    methods = ("GET", "POST")

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.requests: list[dict[str, object]] = []
        self.session_token = "sess-" + secrets.token_urlsafe(24)
        self.session_cookie = "cookie-" + secrets.token_urlsafe(24)

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
        elif parts.path in HARDER:
            getattr(self, HARDER[parts.path])(request, parts.query, form, authorization)
        elif parts.path == "/landing":
            self._send(request, 500, "text/plain", f"cannot handle token {parts.query}", extra)
        else:
            page = (
                f"<html><body><h1>Not found: {html.escape(request.path)}</h1>"
                f"<p>{quote(parts.query)}</p><pre>{html.escape(repr(headers))}</pre></body></html>"
            )
            self._send(request, 404, "text/html; charset=utf-8", page, extra)

    def _search(self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str) -> None:
        page = f"<html><body><p>No results for {html.escape(query)}</p></body></html>"
        self._send(request, 404, "text/html; charset=utf-8", page, {})

    def _sign_in(self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str) -> None:
        self._send(request, 302, "text/plain", "", {"Location": f"/home?session_token={self.session_token}"})

    def _home(self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str) -> None:
        self._send(request, 500, "text/plain; charset=utf-8", f"home is down (your {query})", {})

    def _two_cookies(
        self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str
    ) -> None:
        cookies = [
            ("Set-Cookie", "lang=en-GB; Path=/"),
            ("Set-Cookie", f"session={self.session_cookie}; Path=/"),
        ]
        body = f"session {self.session_cookie} has expired"
        self._send(request, 500, "text/plain; charset=utf-8", body, {}, cookies)

    def _quiet_cookie(
        self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str
    ) -> None:
        cookie = [("Set-Cookie", f"session={self.session_cookie}; Path=/")]
        self._send(request, 500, "text/plain; charset=utf-8", "sorry, try again later", {}, cookie)

    def _form_echo(self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str) -> None:
        body = "".join(f"cannot use {name} = {value}\n" for name, value in form.items())
        self._send(request, 500, "text/plain; charset=utf-8", body, {})

    def _padded(self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str) -> None:
        dots = int(parse_qs(query).get("dots", ["0"])[0])
        credentials = authorization.partition(" ")[2]
        self._send(request, 500, "text/plain; charset=utf-8", "." * dots + credentials + " rejected", {})

    def _mirror(self, request: BaseHTTPRequestHandler, query: str, form: dict, authorization: str) -> None:
        fields = {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}
        value = fields.get("s") or form.get("s") or authorization.partition(" ")[2]
        if fields.get("hop") == "1":
            location = "/mirror?" + urlencode({"s": value, "pad": fields.get("pad", "0")})
            self._send(request, 302, "text/plain", "", {"Location": location, "X-Mirror": quote(value)})
            return
        data = value.encode()
        shown = [
            value,
            quote(value),
            quote(value, safe=""),
            quote(quote(value, safe=""), safe=""),
            quote_plus(value),
            html.escape(value),
            json.dumps(value),
            json.dumps(value, ensure_ascii=False),
            repr(value),
            repr(data),
            base64.b64encode(data).decode(),
            base64.urlsafe_b64encode(data).decode().rstrip("="),
        ]
        body = "." * int(fields.get("pad") or 0) + " | ".join(shown)
        cookie = [("Set-Cookie", f"mirror={quote(value, safe='')}; Path=/")]
        self._send(request, 500, "text/plain; charset=utf-8", body, {"X-Mirror": quote(value)}, cookie)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        content_type: str,
        body: str,
        headers: dict[str, str],
        repeated: Sequence[tuple[str, str]] = (),
    ) -> None:
        data = body.encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        for name, value in [*headers.items(), *repeated]:
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)


HARDER = {
    "/search": "_search",
    "/sign-in": "_sign_in",
    "/home": "_home",
    "/two-cookies": "_two_cookies",
    "/quiet-cookie": "_quiet_cookie",
    "/form-echo": "_form_echo",
    "/padded": "_padded",
    "/mirror": "_mirror",
}
