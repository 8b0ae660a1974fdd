"""The evidence an incident refers to, kept as long as its document.

Evidence (screenshots, whole responses of failed steps) expires from the evidence bucket after 30 days,
while the document that links it is kept for good. Compiling the document copies each piece the alert
links into the documents bucket next to the document (`incidents/<id>/evidence/<original key>`), where
the latest version is never expired; a piece already gone is reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from incident_core.models import Alert

EVIDENCE_DAYS = 30  # the evidence bucket's lifecycle rule (template.yaml, ExpireEvidence)


@dataclass(frozen=True)
class KeptEvidence:
    label: str  # what the alert calls it ("screenshot", "response")
    source: str  # where the journey runner stored it
    kept: str | None  # the copy kept with the document; None when the original had already expired


class EvidenceKeeper(Protocol):
    def owns(self, uri: str) -> bool:
        """Is this a piece of evidence this keeper can keep (an object of the evidence bucket)?"""
        ...

    def keep(self, incident_id: str, uri: str) -> str | None:
        """Where the kept copy is; None if the original has expired and no copy was made in time."""
        ...


def keep_alert_evidence(keeper: EvidenceKeeper, incident_id: str, alert: Alert | None) -> list[KeptEvidence]:
    if alert is None:
        return []
    return [
        KeptEvidence(label=label, source=uri, kept=keeper.keep(incident_id, uri))
        for label, uri in sorted(alert.links.items())
        if keeper.owns(uri)
    ]


def missing_evidence(evidence: list[KeptEvidence]) -> list[str]:
    return [
        f"The {piece.label} {piece.source} had expired (evidence is kept {EVIDENCE_DAYS} days) "
        "before it could be kept with this document."
        for piece in evidence
        if piece.kept is None
    ]


class S3EvidenceKeeper:
    def __init__(self, evidence_bucket: str, documents_bucket: str, s3_client: Any | None = None) -> None:
        self.evidence_bucket = evidence_bucket
        self.documents_bucket = documents_bucket
        self._client = s3_client

    @property
    def client(self) -> Any:
        if self._client is None:
            from incident_core.adapters.aws import client

            self._client = client("s3")
        return self._client

    def owns(self, uri: str) -> bool:
        return bool(self.evidence_bucket) and uri.startswith(f"s3://{self.evidence_bucket}/")

    def keep(self, incident_id: str, uri: str) -> str | None:
        key = uri.removeprefix(f"s3://{self.evidence_bucket}/")
        target = f"incidents/{incident_id}/evidence/{key}"
        kept = f"s3://{self.documents_bucket}/{target}"
        if self._exists(self.documents_bucket, target):
            return kept  # kept by an earlier compilation: the original may be long gone
        if not self._exists(self.evidence_bucket, key):
            return None
        try:
            self.client.copy_object(
                Bucket=self.documents_bucket,
                Key=target,
                CopySource={"Bucket": self.evidence_bucket, "Key": key},
            )
        except self.client.exceptions.NoSuchKey:
            return None  # expired between the check and the copy
        return kept

    def _exists(self, bucket: str, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
