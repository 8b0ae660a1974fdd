"""Where write-ups go: S3 (the document of record) and, optionally, a signed HTTP webhook.

A team's own site (upmo.dev in the policy) receives write-ups through the webhook without any change
to the suite: it gets the Markdown as JSON, signed with HMAC-SHA256 so it can tell the suite sent it.

Webhook signing: `X-Incident-Timestamp: <unix seconds>` and
`X-Incident-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>`. The timestamp is
signed with the body so a recorded request cannot be replayed later; `verify_signature` is the check a
receiver runs. `X-Incident-Delivery` is the content's SHA-256: the same content, the same delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from incident_core.adapters.aws import client

SIGNATURE_HEADER = "X-Incident-Signature"
TIMESTAMP_HEADER = "X-Incident-Timestamp"
DELIVERY_HEADER = "X-Incident-Delivery"
SIGNATURE_TOLERANCE_SECONDS = 300
WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Document:
    incident_id: str
    title: str
    markdown: str
    compiled_at: datetime
    # Identifies the content apart from when it was compiled: equal hashes, nothing new to publish.
    content_sha256: str

    @property
    def key(self) -> str:
        return f"incidents/{self.incident_id}.md"

    @cached_property
    def body(self) -> bytes:
        return self.markdown.encode("utf-8")


@dataclass(frozen=True)
class Publication:
    publisher: str
    location: str  # where it is stored or was sent
    link: str | None  # what a person can open
    version: str | None
    changed: bool  # False: the same content was already there, nothing new was written


class Publisher(Protocol):
    name: str

    def publish(self, document: Document) -> Publication: ...


class PublishError(RuntimeError):
    """A publisher could not deliver; the invocation fails and is retried (nothing half-written)."""


class S3Publisher:
    """One object per incident; the bucket's versioning keeps every compilation."""

    name = "s3"

    def __init__(self, bucket: str, s3_client: Any | None = None) -> None:
        if not bucket:
            raise ValueError("S3Publisher needs a bucket name (DOCUMENTS_BUCKET is not set)")
        self.bucket = bucket
        self._client = s3_client

    @property
    def s3(self) -> Any:
        return self._client or client("s3")

    def publish(self, document: Document) -> Publication:
        current = self._current(document.key)
        if current and current.get("Metadata", {}).get("content-sha256") == document.content_sha256:
            return self._publication(document, current.get("VersionId"), changed=False)
        # One PUT of the whole document: readers see the old version or the new one, never a part.
        # Encryption is the bucket's default (SSE-KMS), so a key chosen there is never overridden here.
        response = self.s3.put_object(
            Bucket=self.bucket,
            Key=document.key,
            Body=document.body,
            ContentType="text/markdown; charset=utf-8",
            Metadata={"content-sha256": document.content_sha256, "incident-id": document.incident_id},
        )
        return self._publication(document, response.get("VersionId"), changed=True)

    def _current(self, key: str) -> dict[str, Any] | None:
        s3 = self.s3
        try:
            return s3.head_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _publication(self, document: Document, version: str | None, *, changed: bool) -> Publication:
        region = self.s3.meta.region_name
        link = (
            f"https://{region}.console.aws.amazon.com/s3/object/{self.bucket}"
            f"?region={region}&prefix={quote(document.key)}"
        )
        return Publication(self.name, f"s3://{self.bucket}/{document.key}", link, version, changed)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiving site checks: the signature matches and the timestamp is recent."""
    try:
        age = abs(now - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


class WebhookPublisher:
    """POSTs the document as JSON to the team's site, signed with the shared secret."""

    name = "webhook"

    def __init__(self, url: str, secret: str, session: Any | None = None) -> None:
        parts = urlsplit(url)
        local = parts.hostname in ("127.0.0.1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError(f"webhook URL must be https:// (got {url!r}); write-ups are not sent in clear")
        if not secret:
            raise ValueError("webhook signing secret is empty")
        self.url = url
        self._secret = secret
        self._session = session

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests
            from requests.adapters import HTTPAdapter
            from urllib3.util.retry import Retry

            session = requests.Session()
            retry = Retry(
                total=2,
                backoff_factor=0.5,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=frozenset({"POST"}),
                raise_on_status=False,
            )
            session.mount("https://", HTTPAdapter(max_retries=retry))
            session.mount("http://", HTTPAdapter(max_retries=retry))
            self._session = session
        return self._session

    def publish(self, document: Document) -> Publication:
        body = json.dumps(
            {
                "incident_id": document.incident_id,
                "title": document.title,
                "compiled_at": document.compiled_at.isoformat(),
                "content_sha256": document.content_sha256,
                "path": document.key,
                "content_type": "text/markdown",
                "markdown": document.markdown,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            DELIVERY_HEADER: document.content_sha256,
            "User-Agent": "incident-suite-publisher/1",
        }
        try:
            response = self.session.post(
                self.url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS
            )
        except Exception as error:
            raise PublishError(f"webhook {self.url} unreachable: {type(error).__name__}: {error}") from error
        if not 200 <= response.status_code < 300:
            raise PublishError(
                f"webhook {self.url} answered HTTP {response.status_code}: {response.text[:200]}"
            )
        link = None
        if "json" in response.headers.get("Content-Type", ""):
            try:
                link = (response.json() or {}).get("url")
            except ValueError:
                link = None
        return Publication(self.name, self.url, link, document.content_sha256, changed=True)
