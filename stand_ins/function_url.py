"""A Lambda handler behind a local HTTP server, as a Function URL serves it: each request becomes the
documented Function URL event (payload format 2.0: rawPath, requestContext.http.method, headers, a body
base64-encoded when it is a form) and the handler's answer (statusCode, headers, body) the response.
For tests and the demo: a phone's browser (or `incidentctl doctor`) talks HTTP to it."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from stand_ins.local_lambda import LambdaContext
from stand_ins.local_server import LocalServer


def function_url_event(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """A Function URL request event (payload format 2.0), as tests/fixtures/documented shows it."""
    headers = headers or {"host": "local.lambda-url.eu-west-2.on.aws"}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": headers.get("host", "local"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": bool(body),
    }
    if body:
        event["body"] = base64.b64encode(body).decode()
    return event


class FunctionUrlServer(LocalServer):
    methods = ("GET", "HEAD", "POST", "PUT", "DELETE")

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]], function_name: str) -> None:
        self.handler = handler
        self.function_name = function_name
        super().__init__()

    @property
    def url(self) -> str:
        return self.origin + "/"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query = request.path.partition("?")
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        event = function_url_event(
            request.command,
            path,
            body,
            headers={k.lower(): v for k, v in request.headers.items()},
            query=query,
            source_ip=request.client_address[0],
        )
        answer = self.handler(event, LambdaContext(function_name=self.function_name))
        payload = str(answer.get("body") or "").encode()
        request.send_response(int(answer.get("statusCode", 200)))
        for name, value in (answer.get("headers") or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(payload)
