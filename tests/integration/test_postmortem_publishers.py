"""Publishing write-ups: S3 (moto, versioned) and a signed webhook to a local receiving site."""

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from incident_core.adapters.aws import client
from incident_core.adapters.publishers import (
    Document,
    PublishError,
    S3Publisher,
    WebhookPublisher,
    sign,
    verify_signature,
)
from stand_ins.webhook_receiver import WebhookReceiver

SECRET = "webhook-secret-placeholder"
COMPILED = datetime(2026, 1, 13, 10, 45, tzinfo=UTC)
BUCKET = "incident-documents-test"


def document(markdown: str, content: str | None = None) -> Document:
    content = content or hashlib.sha256(markdown.encode()).hexdigest()
    return Document("INC-1", "Book viewing button missing", markdown, COMPILED, content)


@pytest.fixture
def bucket(aws):
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return BUCKET


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server):
    receiver_server.reset()
    return receiver_server


def versions(key="incidents/INC-1.md"):
    return client("s3").list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])


# --------------------------------------------------------------------- S3
def test_s3_stores_the_whole_document_with_its_content_hash(bucket):
    published = S3Publisher(bucket).publish(document("# INC-1\n\nfirst\n"))
    assert published.changed and published.location == f"s3://{BUCKET}/incidents/INC-1.md"
    assert published.link.startswith(
        "https://eu-west-2.console.aws.amazon.com/s3/object/incident-documents-test"
    )
    stored = client("s3").get_object(Bucket=BUCKET, Key="incidents/INC-1.md")
    assert stored["Body"].read().decode() == "# INC-1\n\nfirst\n"
    assert stored["ContentType"] == "text/markdown; charset=utf-8"
    assert stored["Metadata"]["content-sha256"] == hashlib.sha256(b"# INC-1\n\nfirst\n").hexdigest()
    assert stored["VersionId"] == published.version


def test_s3_new_content_is_a_new_version_same_content_is_not(bucket):
    publisher = S3Publisher(bucket)
    first = publisher.publish(document("v1\n"))
    # Compiled again later: only the compiled-at stamp differs, the content hash is the same.
    same = publisher.publish(document("v1 (compiled later)\n", content=hashlib.sha256(b"v1\n").hexdigest()))
    assert not same.changed and same.version == first.version
    second = publisher.publish(document("v2 with a new reply\n"))
    assert second.changed and second.version != first.version
    assert len(versions()) == 2
    latest = client("s3").get_object(Bucket=BUCKET, Key="incidents/INC-1.md")["Body"].read()
    assert latest == b"v2 with a new reply\n"


def test_s3_without_a_bucket_name_is_a_clear_error():
    with pytest.raises(ValueError, match="DOCUMENTS_BUCKET"):
        S3Publisher("")


# --------------------------------------------------------------------- signing
def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    body, timestamp = b'{"a": 1}', "1768301100"
    expected = hmac.new(SECRET.encode(), b"1768301100." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, timestamp, body) == f"sha256={expected}"
    assert verify_signature(SECRET, body, timestamp, f"sha256={expected}", now=1768301100 + 60)
    assert not verify_signature(SECRET, body + b" ", timestamp, f"sha256={expected}", now=1768301100)
    assert not verify_signature("other-secret", body, timestamp, f"sha256={expected}", now=1768301100)
    assert not verify_signature(
        SECRET, body, timestamp, f"sha256={expected}", now=1768301100 + 301
    )  # replayed
    assert not verify_signature(SECRET, body, "not-a-number", f"sha256={expected}", now=1768301100)


# --------------------------------------------------------------------- webhook
def test_webhook_delivers_a_signed_write_up_the_site_accepts(receiver):
    published = WebhookPublisher(receiver.url, SECRET).publish(document("# INC-1\n\nWhat happened…\n"))
    (delivery,) = receiver.deliveries()
    assert delivery.accepted
    assert delivery.payload["markdown"] == "# INC-1\n\nWhat happened…\n"
    assert delivery.payload["incident_id"] == "INC-1"
    assert delivery.payload["path"] == "incidents/INC-1.md"
    assert delivery.headers["X-Incident-Delivery"] == delivery.payload["content_sha256"]
    assert abs(int(delivery.headers["X-Incident-Timestamp"]) - time.time()) < 60
    assert published.link == "https://upmo.dev/incidents/INC-1"


def test_the_site_refuses_a_forged_request(receiver):
    body = json.dumps({"incident_id": "INC-1", "markdown": "forged"}).encode()
    timestamp = str(int(time.time()))
    response = requests.post(
        receiver.url,
        data=body,
        headers={"X-Incident-Timestamp": timestamp, "X-Incident-Signature": sign("guessed", timestamp, body)},
        timeout=5,
    )
    assert response.status_code == 401
    assert receiver.deliveries(accepted=True) == []


def test_webhook_with_the_wrong_secret_fails_loudly(receiver):
    with pytest.raises(PublishError, match="HTTP 401"):
        WebhookPublisher(receiver.url, "wrong-secret").publish(document("x\n"))


def test_webhook_retries_a_brief_outage_then_delivers(receiver):
    receiver.inject(503)
    WebhookPublisher(receiver.url, SECRET).publish(document("x\n"))
    assert [d.accepted for d in receiver.deliveries()] == [False, True]


def test_webhook_down_is_a_publish_error_after_three_tries(receiver):
    receiver.inject(500, 500, 500)
    with pytest.raises(PublishError, match="HTTP 500"):
        WebhookPublisher(receiver.url, SECRET).publish(document("x\n"))
    assert len(receiver.deliveries()) == 3


def test_webhook_unreachable_is_a_publish_error():
    with pytest.raises(PublishError, match="unreachable"):
        WebhookPublisher("http://127.0.0.1:9/write-ups", SECRET).publish(document("x\n"))


@pytest.mark.parametrize("url", ["http://upmo.dev/hook", "ftp://upmo.dev/hook"])
def test_webhook_must_be_https_except_on_this_machine(url):
    with pytest.raises(ValueError, match="must be https://"):
        WebhookPublisher(url, SECRET)
