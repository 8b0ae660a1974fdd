"""Where screenshots of failed browser steps go: the S3 evidence bucket on AWS, a folder locally."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Protocol


class EvidenceStore(Protocol):
    def save_screenshot(self, journey: str, run_id: str, step: str, png: bytes) -> str:
        """Keep the screenshot of a failed browser step; return where it is (s3:// URI or file path)."""
        ...

    def save_body(self, journey: str, run_id: str, step: str, body: bytes, content_type: str) -> str:
        """Keep the whole response of a failed HTTP step (the event carries only an excerpt)."""
        ...


_EXTENSIONS = {"text/html": "html", "application/json": "json", "text/plain": "txt", "image/png": "png"}


def _key(folder: str, journey: str, run_id: str, step: str, content_type: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-") or "step"
    extension = _EXTENSIONS.get(content_type.split(";")[0].strip(), "bin")
    return f"{folder}/{journey}/{run_id}/{slug}.{extension}"


class S3Evidence:
    def __init__(self, bucket: str, s3_client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = s3_client
        self._lock = threading.Lock()  # journeys run in threads; create the client once

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from incident_core.adapters.aws import client

                self._client = client("s3")
            return self._client

    def save_screenshot(self, journey: str, run_id: str, step: str, png: bytes) -> str:
        return self._put(_key("screenshots", journey, run_id, step, "image/png"), png, "image/png")

    def save_body(self, journey: str, run_id: str, step: str, body: bytes, content_type: str) -> str:
        return self._put(_key("responses", journey, run_id, step, content_type), body, content_type)

    def _put(self, key: str, body: bytes, content_type: str) -> str:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        return f"s3://{self.bucket}/{key}"


class DirectoryEvidence:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def save_screenshot(self, journey: str, run_id: str, step: str, png: bytes) -> str:
        return self._write(_key("screenshots", journey, run_id, step, "image/png"), png)

    def save_body(self, journey: str, run_id: str, step: str, body: bytes, content_type: str) -> str:
        return self._write(_key("responses", journey, run_id, step, content_type), body)

    def _write(self, key: str, content: bytes) -> str:
        path = self.directory / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return str(path)
