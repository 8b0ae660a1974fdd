"""The post-mortem compiler end to end: a documented EventBridge envelope carrying IncidentResolved, the
recorded thread in the fake Slack, the table and bucket in moto, the fake Zoom, the local webhook site."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from incident_core.adapters.aws import client
from incident_core.events import IncidentResolved, PostmortemRequested
from incident_core.policy.calendar import add_business_days
from incident_core.settings import get_settings
from stand_ins.fake_zoom import FakeZoom
from stand_ins.local_lambda import functions_from_template
from stand_ins.lossy_proxy import LossyProxy
from stand_ins.webhook_receiver import WebhookReceiver
from tests.helpers import documented
from tests.helpers_postmortem import load_fixture, seed_fixture

BUCKET = "incident-documents-test"
WEBHOOK_SECRET_ID = "incident-suite/webhook-test"
WEBHOOK_SECRET = "webhook-secret-placeholder"
CHANNEL = "C0INCIDENTS"
INCIDENT = "INC-019bb7a0d5b07e41aa"
DOCUMENT_KEY = f"incidents/{INCIDENT}.md"


def envelope(detail_type: str, detail: dict) -> dict:
    """Amazon EventBridge's documented event (the Scheduled Event sample) carrying a suite event."""
    event = documented("aws_eventbridge_scheduled_event.json")
    event.update({"detail-type": detail_type, "source": "incident-suite", "resources": [], "detail": detail})
    return event


def resolved_event() -> dict:
    detail = IncidentResolved(
        incident_id=INCIDENT, resolved_at=datetime(2026, 1, 13, 10, 26, tzinfo=UTC), resolved_by="U0ALASTAIR"
    )
    return envelope("IncidentResolved", json.loads(detail.model_dump_json()))


def requested_event() -> dict:
    detail = PostmortemRequested(
        incident_id=INCIDENT, requested_at=datetime.now(UTC), requested_by="U0ALASTAIR"
    )
    return envelope("PostmortemRequested", json.loads(detail.model_dump_json()))


@pytest.fixture(scope="module")
def zoom_server() -> Iterator[FakeZoom]:
    server = FakeZoom().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site_server() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def site(site_server):
    site_server.reset()
    return site_server


@pytest.fixture
def compiler_alone(aws, fake_slack, zoom_server, monkeypatch):
    """The function with its bucket, secrets and settings, and nothing recorded yet."""
    zoom_server.reset()
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    client("secretsmanager").create_secret(
        Name=get_settings().zoom_secret_id, SecretString=json.dumps(zoom_server.secret)
    )
    for name, value in {
        "DOCUMENTS_BUCKET": BUCKET,
        "ZOOM_API_URL": zoom_server.api_url,
        "ZOOM_OAUTH_URL": zoom_server.oauth_url,
        "INCIDENTS_CHANNEL": CHANNEL,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    function = functions_from_template()["PostmortemCompilerFunction"]
    function.module.service.cache_clear()
    yield function
    function.module.service.cache_clear()


@pytest.fixture
def compiler(compiler_alone, fake_slack):
    """... with the recorded incident stored: incident, timeline, alert, journey runs, actions, thread."""
    seed_fixture(load_fixture("book_viewing_outage"), fake_slack)
    return compiler_alone


def document_versions():
    return client("s3").list_object_versions(Bucket=BUCKET, Prefix=DOCUMENT_KEY).get("Versions", [])


def latest_document() -> str:
    return client("s3").get_object(Bucket=BUCKET, Key=DOCUMENT_KEY)["Body"].read().decode()


def thread_posts(fake_slack, marker):
    return [c for c in fake_slack.calls("chat.postMessage") if c.args.get("text", "").startswith(marker)]


def emf_records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if '"_aws"' in line]


def test_resolved_incident_gets_its_document_link_session_and_metrics(
    compiler, fake_slack, zoom_server, capsys
):
    outcome = compiler.invoke(resolved_event())
    assert outcome["version"] == 1 and outcome["changed"] is True
    assert outcome["published"] == [f"s3://{BUCKET}/{DOCUMENT_KEY}"]

    # The document: from the recorded thread as the fake Slack served it, the stored timeline, alert,
    # journey runs and action items.
    document = latest_document()
    assert document.startswith(f"# Incident {INCIDENT}: Book viewing button missing\n")
    assert "**Wisen:** Rollback complete." in document
    assert "the API still answers 200. _(edited)_" in document
    assert "| `book-viewing` | 52 | 22 | 13 Jan 10:02:00 | 13 Jan 10:23:00 | 13 Jan 10:24:00 |" in document
    assert (
        "Add a post-deploy check that the Book viewing button is rendered (Wisen, due Thu 15 Jan 2026"
        in document
    )
    assert "- [x] **P0** Announce the fix" in document
    assert "# Post-mortem: Book viewing button missing" in document
    assert "Could not read everything" not in document

    # Its link in the thread, and the post-mortem session with a Zoom meeting scheduled for it.
    (link,) = thread_posts(fake_slack, "📄")
    assert link.args["thread_ts"] == "1768298887.000100" and link.args["channel"] == CHANNEL
    assert (
        f"s3/object/{BUCKET}?region=eu-west-2&prefix=incidents/{INCIDENT}.md|S3 (version 1)"
        in link.args["text"]
    )
    (session,) = thread_posts(fake_slack, "🧠")
    (meeting,) = zoom_server.meetings()
    assert meeting["join_url"] in session.args["text"]
    (zoom_call,) = zoom_server.calls("meetings")
    london = ZoneInfo("Europe/London")
    expected_day = add_business_days(datetime.now(london).date(), 1)
    expected_start = datetime.combine(expected_day, datetime.min.time().replace(hour=14), tzinfo=london)
    assert zoom_call.body["type"] == 2
    assert zoom_call.body["start_time"] == expected_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert zoom_call.body["topic"] == "Post-mortem: Book viewing button missing"

    # Time to acknowledge and to resolve, as EMF with the service dimension only.
    (record,) = emf_records(capsys.readouterr().out)
    metrics = record["_aws"]["CloudWatchMetrics"][0]
    assert metrics["Namespace"] == "IncidentSuiteTest"
    assert metrics["Dimensions"] == [["service"]]
    assert {m["Name"]: m["Unit"] for m in metrics["Metrics"]} == {
        "TimeToAcknowledge": "Seconds",
        "TimeToResolve": "Seconds",
    }
    assert (record["TimeToAcknowledge"], record["TimeToResolve"]) == ([210.0], [1370.0])
    assert record["incident_id"] == INCIDENT


def test_recompiling_after_new_replies_is_a_new_version_never_a_duplicate(
    compiler, fake_slack, zoom_server, capsys
):
    compiler.invoke(resolved_event())
    capsys.readouterr()

    # The same event again (EventBridge delivers at least once): nothing new anywhere.
    again = compiler.invoke(resolved_event())
    assert again["version"] == 1 and again["changed"] is False
    assert len(document_versions()) == 1

    # A new reply after the resolution, then someone asks for the document again.
    fake_slack.add_user_message(
        CHANNEL,
        "Found it: the CDN kept the old template for 3 minutes.",
        "U0WISEN01",
        thread_ts="1768298887.000100",
    )
    recompiled = compiler.invoke(requested_event())
    assert recompiled["version"] == 2 and recompiled["changed"] is True
    assert len(document_versions()) == 2
    assert "Found it: the CDN kept the old template" in latest_document()

    # One link message (edited to the new version), one session proposal, one meeting, metrics once.
    assert len(thread_posts(fake_slack, "📄")) == 1
    (update,) = [c for c in fake_slack.calls("chat.update") if "S3 (version 2)" in c.args["text"]]
    (link,) = [m for m in fake_slack.messages(CHANNEL) if "S3 (version 2)" in m["text"]]
    assert update.args["ts"] == link["ts"]  # the message posted the first time, edited in place
    shown = json.dumps(link.get("blocks") or link["text"])  # what Slack shows: the blocks, if it has any
    assert "S3 (version 2)" in shown and "S3 (version 1)" not in shown
    assert len(thread_posts(fake_slack, "🧠")) == 1 and len(zoom_server.meetings()) == 1
    assert emf_records(capsys.readouterr().out) == []


def test_slack_failing_part_way_still_gives_a_document_that_says_what_it_missed(
    compiler, fake_slack, monkeypatch
):
    # Pages of 3 so the recorded thread spans several; from the third page on, Slack answers an error.
    monkeypatch.setattr("incident_core.postmortem.thread.PAGE_SIZE", 3)
    original = fake_slack._api_conversations_replies
    pages = {"served": 0}

    def failing_after_two_pages(args):
        pages["served"] += 1
        if pages["served"] > 2:
            return {"ok": False, "error": "internal_error"}
        return original(args)

    monkeypatch.setattr(fake_slack, "_api_conversations_replies", failing_after_two_pages)
    outcome = compiler.invoke(resolved_event())
    document = latest_document()
    assert outcome["problems"] == [
        "Slack thread could not be read after the first 6 messages: HTTP 200 (internal_error)"
    ]
    assert "> **Could not read everything.**" in document
    # Read from Slack: the first replies; not read: the later ones, except those the timeline recorded.
    assert "the API still answers 200. _(edited)_" in document
    assert "Rollback complete." not in document
    assert "shall we revert? _(from the recorded timeline)_" in document
    (link,) = [c for c in fake_slack.calls("chat.postMessage") if c.args.get("text", "").startswith("📄")]
    assert "⚠️ Compiled from what could be read" in link.args["text"]


def test_a_failed_compilation_leaves_no_document_and_is_retried(compiler, fake_slack, monkeypatch):
    # DynamoDB refusing the timeline read: the invocation fails (Lambda retries, then the DLQ) and S3
    # holds no half-written document; the retry, once DynamoDB is back, writes the whole one.
    from incident_core.incidents.store import IncidentStore

    def broken(self, incident_id):
        raise RuntimeError("ProvisionedThroughputExceededException")

    with monkeypatch.context() as patch:
        patch.setattr(IncidentStore, "timeline", broken)
        with pytest.raises(RuntimeError, match="ProvisionedThroughput"):
            compiler.invoke(resolved_event())
    assert document_versions() == []
    assert fake_slack.calls("chat.postMessage") == []
    assert compiler.invoke(resolved_event())["version"] == 1
    assert len(document_versions()) == 1


def test_zoom_failing_still_proposes_the_session(compiler, fake_slack, zoom_server):
    from stand_ins.fake_zoom import ZoomFault

    zoom_server.inject("meetings", ZoomFault(status=500))
    compiler.invoke(resolved_event())
    (session,) = [c for c in fake_slack.calls("chat.postMessage") if c.args.get("text", "").startswith("🧠")]
    assert "Zoom could not create the meeting" in session.args["text"]
    assert "please start a meeting and share its link here" in session.args["text"]


def test_signed_webhook_to_the_teams_site_as_second_publisher(compiler, fake_slack, site, monkeypatch):
    client("secretsmanager").create_secret(
        Name=WEBHOOK_SECRET_ID, SecretString=json.dumps({"signing_secret": WEBHOOK_SECRET})
    )
    monkeypatch.setenv("WEBHOOK_URL", site.url)
    monkeypatch.setenv("WEBHOOK_SECRET_ID", WEBHOOK_SECRET_ID)
    get_settings.cache_clear()
    compiler.module.service.cache_clear()

    site.inject(500, 500, 500)  # the site is down: S3 and the thread are done, the invocation fails
    with pytest.raises(Exception, match="HTTP 500"):
        compiler.invoke(resolved_event())
    assert len(document_versions()) == 1

    outcome = compiler.invoke(resolved_event())  # Lambda's retry
    assert outcome["published"] == [f"s3://{BUCKET}/{DOCUMENT_KEY}", site.url]
    assert len(document_versions()) == 1  # the retry did not write S3 again
    (delivered,) = site.deliveries(accepted=True)
    stored = client("s3").head_object(Bucket=BUCKET, Key=DOCUMENT_KEY)
    assert delivered.payload["content_sha256"] == stored["Metadata"]["content-sha256"]
    assert delivered.payload["markdown"].split("\n\n", 2)[2] == latest_document().split("\n\n", 2)[2]
    assert (
        len([c for c in fake_slack.calls("chat.postMessage") if c.args.get("text", "").startswith("📄")]) == 1
    )
    (edited,) = [c for c in fake_slack.calls("chat.update") if "upmo.dev" in c.args.get("text", "")]
    assert f"<https://upmo.dev/incidents/{INCIDENT}|webhook>" in edited.args["text"]

    assert compiler.invoke(resolved_event())["published"] == [f"s3://{BUCKET}/{DOCUMENT_KEY}"]
    assert len(site.deliveries(accepted=True)) == 1  # the site already has this content


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (envelope("IncidentDeclared", {"incident_id": INCIDENT}), "not 'IncidentDeclared'"),
        (envelope("IncidentResolved", {"incident_id": INCIDENT}), "resolved_at"),
        ({"detail": {}}, "detail-type"),
    ],
)
def test_bad_events_fail_with_a_clear_error(compiler_alone, event, error):
    with pytest.raises(Exception, match=error):
        compiler_alone.invoke(event)


def test_an_unknown_incident_fails_clearly(compiler_alone):
    event = resolved_event()
    event["detail"]["incident_id"] = "INC-unknown"
    with pytest.raises(LookupError, match="no incident 'INC-unknown'"):
        compiler_alone.invoke(event)


def test_the_sample_events_for_sam_local_invoke_parse(compiler_alone):
    for name in (
        "postmortem_compiler_incident_resolved.json",
        "postmortem_compiler_postmortem_requested.json",
    ):
        sample = json.loads((compiler_alone.code_dir.parent.parent / "events" / name).read_text())
        assert compiler_alone.module.request(sample)[0] == INCIDENT


EVIDENCE_BUCKET = "incident-evidence-test"
SCREENSHOT_KEY = "screenshots/book-viewing/run-0102/click-book-viewing.png"
RESPONSE_KEY = "responses/book-viewing/run-0102/open-book-page.html"


@pytest.fixture
def compiler_with_evidence(compiler_alone, fake_slack, monkeypatch):
    """The recorded incident whose alert links a screenshot and a response in the evidence bucket."""
    s3 = client("s3")
    s3.create_bucket(Bucket=EVIDENCE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_object(Bucket=EVIDENCE_BUCKET, Key=SCREENSHOT_KEY, Body=b"\x89PNG screenshot")
    s3.put_object(Bucket=EVIDENCE_BUCKET, Key=RESPONSE_KEY, Body=b"<html>500</html>")
    fixture = load_fixture("book_viewing_outage")
    fixture["alert"]["links"] = {
        "screenshot": f"s3://{EVIDENCE_BUCKET}/{SCREENSHOT_KEY}",
        "response": f"s3://{EVIDENCE_BUCKET}/{RESPONSE_KEY}",
        "journey page": "https://bookshop.example/book",
    }
    seed_fixture(fixture, fake_slack)
    monkeypatch.setenv("EVIDENCE_BUCKET", EVIDENCE_BUCKET)
    get_settings.cache_clear()
    compiler_alone.module.service.cache_clear()
    return compiler_alone


def expire_evidence(key: str) -> None:
    """What the bucket's 30-day lifecycle rule does (moto does not run lifecycle rules)."""
    client("s3").delete_object(Bucket=EVIDENCE_BUCKET, Key=key)


def test_evidence_the_alert_links_is_kept_with_the_document_after_it_expires(compiler_with_evidence):
    kept = f"incidents/{INCIDENT}/evidence/{SCREENSHOT_KEY}"
    compiler_with_evidence.invoke(resolved_event())
    body = client("s3").get_object(Bucket=BUCKET, Key=kept)["Body"].read()
    assert body == b"\x89PNG screenshot"
    assert f"s3://{BUCKET}/{kept}" in latest_document()

    # Day 40: the originals have expired; compiled again, the document still links the kept copies.
    expire_evidence(SCREENSHOT_KEY)
    expire_evidence(RESPONSE_KEY)
    outcome = compiler_with_evidence.invoke(requested_event())
    document = latest_document()
    assert f"s3://{BUCKET}/{kept}" in document
    assert f"s3://{BUCKET}/incidents/{INCIDENT}/evidence/{RESPONSE_KEY}" in document
    assert outcome["problems"] == [] and "Could not read everything" not in document


def test_evidence_expired_before_the_first_compilation_is_said_plainly(compiler_with_evidence):
    expire_evidence(SCREENSHOT_KEY)
    outcome = compiler_with_evidence.invoke(resolved_event())
    missing = (
        f"The screenshot s3://{EVIDENCE_BUCKET}/{SCREENSHOT_KEY} had expired (evidence is kept 30 days) "
        "before it could be kept with this document."
    )
    assert outcome["problems"] == [missing]
    document = latest_document()
    assert "> **Could not read everything.**" in document and missing in document
    assert f"s3://{BUCKET}/incidents/{INCIDENT}/evidence/{RESPONSE_KEY}" in document  # the rest is kept


@pytest.mark.parametrize("loss", ["reset", "timeout", "5xx"])
@pytest.mark.parametrize("which", [0, 1], ids=["document-link", "session"])
def test_a_thread_post_whose_answer_is_lost_is_found_not_posted_again(
    compiler, fake_slack, monkeypatch, loss, which
):
    proxy = LossyProxy(fake_slack.url.removesuffix("/api/"), delay=2).start()
    try:
        monkeypatch.setenv("SLACK_API_URL", proxy.origin + "/api/")
        monkeypatch.setattr("incident_core.postmortem.service.SLACK_TIMEOUT", 1, raising=False)
        get_settings.cache_clear()
        compiler.module.service.cache_clear()
        proxy.lose("chat.postMessage", *["pass"] * which, loss)
        try:
            compiler.invoke(resolved_event())
        except Exception:  # an answer lost for good fails the invocation: Lambda retries it
            compiler.invoke(resolved_event())
        assert proxy.lost == [("chat.postMessage", loss)]  # Slack did post it; its answer was lost
        assert len(thread_posts(fake_slack, "📄")) == 1 and len(thread_posts(fake_slack, "🧠")) == 1
    finally:
        proxy.stop()
