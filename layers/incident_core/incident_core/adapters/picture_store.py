"""The pictures of an incident's window, stored beside its document in the documents bucket:
`incidents/<id>.md` links `<id>/pictures/<name>.png`, so the link works wherever both are published."""

from __future__ import annotations

import hashlib
from typing import Any

from incident_core.adapters.aws import client


def picture_path(incident_id: str, name: str) -> str:
    """Relative to the document (incidents/<id>.md)."""
    return f"{incident_id}/pictures/{name}.png"


class S3Pictures:
    def __init__(self, bucket: str, s3_client: Any | None = None) -> None:
        if not bucket:
            raise ValueError("S3Pictures needs a bucket name (DOCUMENTS_BUCKET is not set)")
        self.bucket = bucket
        self._client = s3_client

    def put(self, incident_id: str, name: str, png: bytes) -> str:
        """One PUT of the whole image (readers see the old one or the new one); its key."""
        key = f"incidents/{picture_path(incident_id, name)}"
        (self._client or client("s3")).put_object(
            Bucket=self.bucket,
            Key=key,
            Body=png,
            ContentType="image/png",
            Metadata={"content-sha256": hashlib.sha256(png).hexdigest(), "incident-id": incident_id},
        )
        return key
