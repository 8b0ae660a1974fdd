"""The fake GitHub refuses what GitHub refuses, with GitHub's statuses, bodies and headers
(docs.github.com/rest: issues, labels, rate limits; webhooks: validating deliveries)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

from stand_ins.fake_github import FakeGitHub

HEADERS = {
    "Authorization": f"Bearer {FakeGitHub.TOKEN}",
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
}


def call(fake, method, path, headers=None, **kwargs):
    return requests.request(method, fake.api_url + path, headers=headers or HEADERS, timeout=5, **kwargs)


def issues(fake):
    return f"/repos/{fake.repository}/issues"


def test_requests_without_the_token_media_type_or_version_are_refused(fake_github):
    bad_token = {**HEADERS, "Authorization": "Bearer github_pat_wrong"}
    answer = call(fake_github, "GET", issues(fake_github), bad_token)
    assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"
    no_version = {k: v for k, v in HEADERS.items() if k != "X-GitHub-Api-Version"}
    assert call(fake_github, "GET", issues(fake_github), no_version).status_code == 400
    assert (
        call(fake_github, "GET", issues(fake_github), {**HEADERS, "Accept": "text/html"}).status_code == 415
    )


def test_an_unknown_or_unshared_repository_is_not_found(fake_github):
    answer = call(fake_github, "GET", "/repos/example-org/secret/issues")
    assert answer.status_code == 404 and answer.json()["message"] == "Not Found"


def test_validation_failures_are_422_with_githubs_errors_array(fake_github):
    answer = call(
        fake_github, "POST", issues(fake_github), json={"body": "no title", "assignees": ["stranger"]}
    )
    assert answer.status_code == 422 and answer.json()["message"] == "Validation Failed"
    assert {(e["field"], e["code"]) for e in answer.json()["errors"]} == {
        ("title", "missing_field"),
        ("assignees", "invalid"),
    }
    made = call(fake_github, "POST", issues(fake_github), json={"title": "t"}).json()
    bad_state = call(fake_github, "PATCH", f"{issues(fake_github)}/{made['number']}", json={"state": "done"})
    assert bad_state.status_code == 422


def test_a_token_without_issues_write_is_forbidden_to_write(fake_github):
    fake_github.read_only()
    answer = call(fake_github, "POST", issues(fake_github), json={"title": "t"})
    assert answer.status_code == 403 and "not accessible" in answer.json()["message"]
    assert call(fake_github, "GET", issues(fake_github)).status_code == 200


@pytest.mark.parametrize("primary", [True, False])
def test_rate_limits_answer_403_with_githubs_headers(fake_github, primary):
    fake_github.rate_limit(primary=primary)
    answer = call(fake_github, "GET", issues(fake_github))
    assert answer.status_code == 403 and "rate limit" in answer.json()["message"]
    if primary:
        assert (
            answer.headers["x-ratelimit-remaining"] == "0" and answer.headers["x-ratelimit-reset"].isdigit()
        )
    else:
        assert answer.headers["retry-after"] == "60"


def test_down_and_a_lost_answer(fake_github):
    fake_github.down(1)
    assert call(fake_github, "GET", issues(fake_github)).status_code == 503
    fake_github.lose_answer(1)
    with pytest.raises(requests.ConnectionError):
        call(fake_github, "POST", issues(fake_github), json={"title": "made, never heard of"})
    assert [issue["title"] for issue in fake_github.issues()] == ["made, never heard of"]


def test_webhooks_are_signed_as_github_signs_them(fake_github):
    made = call(fake_github, "POST", issues(fake_github), json={"title": "t"}).json()
    body = fake_github.webhook_body(made["number"], "closed", "wisen-gh")
    headers = fake_github.signed_headers(body, "s3cret")
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert headers["X-GitHub-Event"] == "issues" and len(headers["X-GitHub-Delivery"]) == 36
