"""Hostile text (pure): what people type never pings a channel in Slack, never shows one address and
links another, and never becomes a link, an image or HTML in the Markdown documents."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.incidents.render import mrkdwn, root_message, status_list, when
from incident_core.models import Incident
from incident_core.postmortem.compile import plain
from incident_core.postmortem.thread import to_markdown

PIECES = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0TEAM|@team>",
    "<https://evil.example|https://status.example.com>",
    "<mailto:a@example.com|mail>",
    "<javascript:alert(1)|x>",
    "[x](javascript:alert(1))",
    "![i](data:text/html;base64,AAAA)",
    "<img src=x onerror=alert(1)>",
    "<script>",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "&",
    "&lt;",
    "<@U0ALASTAIR>",
    "<#C0INCIDENTS|incidents>",
    "<!date^1700000000^{date_short_pretty} {time}|Tue 14 Nov 22:13 GMT>",
    "<!date^1700000000^Status page: all systems operational ({time})^https://evil.example/sso|status>",
    "<!date^1700000000^{time}^https://evil.example>",
    " ",
    "plain words",
]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=12).map("".join)
# A Markdown link or image whose target is not http(s) or mailto, outside a backslash escape.
BAD_LINK = re.compile(r"(?<!\\)\]\(\s*(?!https?://|mailto:)")
RAW_HTML = re.compile(r"<(?!https?://|mailto:)[A-Za-z!/]")


def test_links_people_typed_show_their_real_address_in_slack():
    assert mrkdwn("<https://evil.example|https://status.example.com>") == (
        "https://status.example.com (https://evil.example)"
    )
    assert mrkdwn("<!channel> <!subteam^S1|@ops> hi") == "@channel @ops hi"


def test_markdown_shows_what_people_typed_without_linking_it():
    assert plain("[win](javascript:alert(1)) <b>") == "\\[win\\](javascript:alert(1)) &lt;b&gt;"
    assert to_markdown("[x](javascript:y) <https://e.example|https://s.example>", {}) == (
        "\\[x\\](javascript:y) https://s.example (<https://e.example>)"
    )


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_no_slack_post_of_people_text_pings_or_links(text):
    shown = mrkdwn(text)
    assert not re.search(r"<!(?:channel|here|everyone|subteam)", shown)
    assert not re.search(r"<(?:https?|mailto):[^>]*\|", shown)  # no labelled link
    assert not re.search(r"<!date\^[^>]*\^[^>]*\^", shown)  # no date token carrying a link


def test_a_date_token_carrying_a_link_shows_as_its_fallback_text():
    disguised = (
        "<!date^1700000000^Status page: all systems operational ({time})^https://evil.example/sso|status>"
    )
    assert mrkdwn(f"see {disguised} now") == "see status now"
    assert mrkdwn("<!date^1700000000^{time}^https://evil.example>") == "a date"
    # The suite's own dates (render.when) still show in each reader's zone.
    ours = when(NOW)
    assert mrkdwn(f"since {ours}") == f"since {ours}"


def test_the_incident_document_and_status_list_show_no_disguised_link():
    disguised = "<!date^1700000000^Status page ok ({time})^https://evil.example/sso|status>"
    incident = Incident(
        incident_id="INC-1",
        title=f"checkout {disguised}",
        impact=f"none {disguised}",
        latest_update=f"fine {disguised}",
        started_at=NOW,
        detected_at=NOW,
        declared_at=NOW,
        declared_by="U0ALASTAIR",
    )
    text, blocks = root_message(incident)
    listed, list_blocks = status_list([incident], {}, NOW)
    # What Slack reads as mrkdwn: the fallback texts and every mrkdwn text object (plain_text shows as is).
    shown = " ".join([text, listed, *mrkdwn_texts(blocks), *mrkdwn_texts(list_blocks)])
    assert "evil.example" not in shown and "none status" in shown and "fine status" in shown


def mrkdwn_texts(value) -> list[str]:
    if isinstance(value, list):
        return [text for item in value for text in mrkdwn_texts(item)]
    if not isinstance(value, dict):
        return []
    own = [value["text"]] if value.get("type") == "mrkdwn" else []
    return own + [text for item in value.values() for text in mrkdwn_texts(item)]


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_no_markdown_of_people_text_links_elsewhere_or_holds_html(text):
    for markdown in (to_markdown(text, {"U0ALASTAIR": "[a](javascript:b)"}), plain(text)):
        assert not BAD_LINK.search(markdown), markdown
        assert not RAW_HTML.search(markdown), markdown
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?!<?https?://|mailto:)", markdown), markdown
